//! The OpenAPI 3.1 document: metadata and security schemes here; paths and schemas are
//! collected from the handlers as they are registered.

use crate::problems;
use crate::schemas::{CategoryName, PostSortKey, ProductSortKey, RoleName, VoteDirection};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
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

/// The document once every route has added its operation: the shared answers are added
/// to the operations here, since `ApiDoc`'s own modifiers run before the routes register.
pub fn complete(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    SharedResponses.modify(&mut api);
    api
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
        for (_, (name, response)) in &problems {
            components
                .responses
                .insert((*name).to_owned(), response.clone());
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
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
