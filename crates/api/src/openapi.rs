//! The OpenAPI 3.1 document: metadata and security schemes here; paths and schemas are
//! collected from the handlers as they are registered.

use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rust REST API",
        description = "Accounts with JWT auth, inventory with a stock ledger, staff records and a community blog. \
            Errors are RFC 9457 problem details (`application/problem+json`).",
    ),
    modifiers(&SecuritySchemes),
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
