//! The OpenAPI 3.1 document: metadata and security schemes here; paths and schemas are
//! collected from the handlers as they are registered.

use crate::problems;
use crate::schemas::{CategoryName, PostSortKey, ProductSortKey, RoleName, VoteDirection};
use domain::idempotency::IdempotencyKey;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rust REST API",
        description = "Accounts with JWT auth, inventory with a stock ledger, staff records and a community blog. \
            Errors are RFC 9457 problem details (`application/problem+json`).",
    ),
    modifiers(&SecuritySchemes),
    components(schemas(CategoryName, RoleName, ProductSortKey, PostSortKey, VoteDirection)),
    tags(
        (name = "auth", description = "Registration, login, token refresh and logout"),
        (name = "users", description = "One's own account and user administration"),
        (name = "products", description = "The catalogue, stock changes and the stock ledger"),
        (name = "employees", description = "Staff records: read by users, written by admins"),
        (name = "blog", description = "Posts, comments and votes"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// The document once every route has added its operation: security and the shared answers
/// are added to the operations here, since `ApiDoc`'s own modifiers run before the routes
/// register.
pub fn complete(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for (path, item) in api.paths.paths.iter_mut() {
        if path.starts_with("/api/") {
            let id = id_description(path);
            for op in operations(item) {
                signed_in_by_default(op);
                describe_path_id(op, id.as_deref());
            }
        }
    }
    for item in api.paths.paths.values_mut() {
        if let Some(op) = item
            .post
            .as_mut()
            .filter(|op| crate::idempotency::needs_sign_in(op))
        {
            document_idempotency_key(op);
        }
    }
    SharedResponses.modify(&mut api);
    api
}

/// A signed-in `POST` takes an optional `Idempotency-Key` (`crate::idempotency`), and may
/// answer what it adds: `400` for a malformed key, `409` while its first request runs,
/// `422` when it was used with another request.
fn document_idempotency_key(op: &mut Operation) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(IdempotencyKey::MAX_LEN))
        .pattern(Some("^[!-~]+$"));
    let param = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: the first request with a key runs; a repeat with the same \
             method, path and body gets the kept answer again (with `Idempotent-Replayed: \
             true`) and changes nothing. Kept for `IDEMPOTENCY_TTL_HOURS` per user.",
        ))
        .schema(Some(schema))
        .build();
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(param));
    for (status, name) in [
        ("400", "BadRequest"),
        ("409", "KeyInFlight"),
        ("422", "UnprocessableEntity"),
    ] {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// What the `{id}` of `path` names, from the collection before it: `/api/v1/posts/{id}`
/// and `/api/v1/posts/{id}/comments` → `Post id`.
fn id_description(path: &str) -> Option<String> {
    let (collection, _) = path.split_once("/{id}")?;
    let plural = collection.rsplit('/').next()?;
    let singular = match plural.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => plural.strip_suffix('s').unwrap_or(plural).to_owned(),
    };
    let mut chars = singular.chars();
    let first = chars.next()?.to_uppercase();
    Some(format!("{first}{} id", chars.as_str()))
}

/// The handlers leave `{id}` to be read off their `web::Path<Uuid>`; this says what it names
/// and puts it first, where clients generated from the document expect it.
fn describe_path_id(op: &mut Operation, description: Option<&str>) {
    let Some(description) = description else {
        return;
    };
    let in_path = |p: &RefOr<utoipa::openapi::path::Parameter>| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path);
    if let Some(params) = &mut op.parameters {
        params.sort_by_key(|p| !in_path(p));
    }
    for param in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = param
            && p.parameter_in == ParameterIn::Path
            && p.name == "id"
            && p.description.is_none()
        {
            p.description = Some(description.to_owned());
        }
    }
}

/// An `/api/` operation needs an access token unless its handler says otherwise:
/// `security(())` for anyone, `security((), ("bearer" = []), ...)` for a token that is
/// optional. So a new handler behind `AuthUser` is documented right without a word.
fn signed_in_by_default(op: &mut Operation) {
    match &op.security {
        None => {
            op.security = Some(vec![
                SecurityRequirement::new("bearer", Vec::<String>::new()),
                SecurityRequirement::new("oauth2", Vec::<String>::new()),
            ]);
        }
        Some(anyone) if anyone.iter().all(|r| *r == SecurityRequirement::default()) => {
            op.security = None;
        }
        Some(_) => {}
    }
}

/// `bearer` for pasting an access token; `oauth2` (password flow) so the docs UI's
/// Authorize button can log in with email and password.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/v1/auth/login",
                Scopes::new(),
            ))])),
        );
    }
}

/// The answers many operations share, declared once in [`crate::problems`] and referenced
/// from every operation that can give them (unless its handler documents its own): so the
/// document lists every status a client can meet, as strict tools require.
struct SharedResponses;

/// The shared statuses `op` at `path` can answer.
fn shared_statuses(path: &str, op: &Operation) -> Vec<&'static str> {
    if !path.starts_with("/api/") {
        return Vec::new();
    }
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p),
        RefOr::Ref(_) => None,
    });
    let mut has_input = op.request_body.is_some();
    let mut has_if_match = false;
    let mut names_a_resource = false;
    for p in params {
        match p.parameter_in {
            ParameterIn::Header => has_if_match |= p.name.eq_ignore_ascii_case("if-match"),
            ParameterIn::Path => (names_a_resource, has_input) = (true, true),
            _ => has_input = true,
        }
    }
    let mut statuses = vec!["503"];
    if op.request_body.is_some() || has_if_match {
        statuses.push("400");
    }
    if names_a_resource {
        statuses.push("404");
    }
    if has_if_match {
        statuses.push("412");
    }
    if has_if_match && op.request_body.is_some() {
        // A PUT or PATCH retries a lost race on the fresh row, a few times at most.
        statuses.push("409");
    }
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        statuses.push("401");
    }
    if op.request_body.is_some() {
        statuses.extend(["408", "413", "415"]);
    }
    if has_input {
        statuses.push("422");
    }
    statuses
}

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problems = problems::all();
        let components = openapi.components.get_or_insert_with(Default::default);
        let shared = problems.iter().map(|(_, named)| named.clone());
        for (name, response) in shared.chain(problems::named()) {
            components.responses.insert(name.to_owned(), response);
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/") {
                let writes = [
                    &mut item.post,
                    &mut item.put,
                    &mut item.patch,
                    &mut item.delete,
                ];
                for op in writes.into_iter().flatten() {
                    op.responses
                        .responses
                        .entry("403".to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("EmailNotVerified")));
                }
            }
            for op in operations(item) {
                for status in shared_statuses(path, op) {
                    let Some((_, (name, _))) = problems.iter().find(|(s, _)| *s == status) else {
                        continue;
                    };
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::id_description;

    #[test]
    fn a_path_id_is_named_after_its_collection() {
        assert_eq!(
            id_description("/api/v1/posts/{id}").as_deref(),
            Some("Post id")
        );
        assert_eq!(
            id_description("/api/v1/posts/{id}/comments").as_deref(),
            Some("Post id")
        );
        assert_eq!(
            id_description("/api/v1/categories/{id}").as_deref(),
            Some("Category id")
        );
        assert_eq!(id_description("/api/v1/posts"), None);
    }
}
