//! SPEC section 1: the docs UI, served from the binary, and the OpenAPI document.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn root_redirects_to_the_docs_which_are_served_locally() {
    let app = spawn_app().await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(res.headers()["location"], "/docs");

    let res = app.get("/docs", None).await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "docs page is Swagger UI");
    let res = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "UI assets come from the binary"
    );
}

#[tokio::test]
async fn openapi_describes_every_route_and_the_bearer_scheme() {
    let app = spawn_app().await;
    let doc: Value = app.get_json("/openapi.json", None).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/health/ready", "get"),
        ("/metrics", "get"),
        ("/ws/notify", "get"),
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}", "delete"),
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/{id}", "get"),
        ("/api/v1/products/{id}", "put"),
        ("/api/v1/products/{id}", "patch"),
        ("/api/v1/products/{id}", "delete"),
        ("/api/v1/products/{id}/stock", "post"),
        ("/api/v1/products/{id}/stock-movements", "get"),
        ("/api/v1/employees", "get"),
        ("/api/v1/employees", "post"),
        ("/api/v1/employees/{id}", "get"),
        ("/api/v1/employees/{id}", "put"),
        ("/api/v1/employees/{id}", "patch"),
        ("/api/v1/employees/{id}", "delete"),
        ("/api/v1/posts", "get"),
        ("/api/v1/posts", "post"),
        ("/api/v1/posts/{id}", "get"),
        ("/api/v1/posts/{id}", "put"),
        ("/api/v1/posts/{id}", "patch"),
        ("/api/v1/posts/{id}", "delete"),
        ("/api/v1/posts/{id}/comments", "get"),
        ("/api/v1/posts/{id}/comments", "post"),
        ("/api/v1/comments/{id}", "get"),
        ("/api/v1/comments/{id}", "patch"),
        ("/api/v1/comments/{id}", "delete"),
        ("/api/v1/votes", "post"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} undocumented"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        schemes["oauth2"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/login"
    );
    assert!(doc["components"]["schemas"]["RegisterRequest"]["example"].is_object());
    let problem_required = doc["components"]["schemas"]["Problem"]["required"]
        .as_array()
        .unwrap();
    assert!(problem_required.contains(&Value::from("request_id")));
    assert!(
        !problem_required.contains(&Value::from("errors")),
        "errors appears on 422 only"
    );
}

/// What strict tools and client generators need of the document (the contract run,
/// `make contract`, checks it with the tools themselves).
#[tokio::test]
async fn openapi_is_precise_enough_for_generated_clients() {
    let app = spawn_app().await;
    let doc: Value = app.get_json("/openapi.json", None).await;
    let schemas = &doc["components"]["schemas"];
    // Pages reference their item schema instead of copying it.
    assert_eq!(
        schemas["ProductPage"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/ProductResponse"
    );
    assert!(
        schemas["ProductPage"]["required"]
            .as_array()
            .unwrap()
            .contains(&Value::from("next_cursor"))
    );
    // Closed sets are enums, taken from the domain's own lists.
    assert_eq!(schemas["Role"]["enum"], json!(["member", "admin"]));
    assert_eq!(schemas["VoteDirection"]["enum"], json!([0, 1]));
    assert_eq!(schemas["Category"]["enum"].as_array().unwrap().len(), 9);
    assert_eq!(
        schemas["ProductResponse"]["properties"]["category"]["$ref"],
        "#/components/schemas/Category"
    );
    // Required request fields are required and not nullable; a patch needs none.
    assert_eq!(
        schemas["ProductRequest"]["required"],
        json!(["name", "price"])
    );
    assert_eq!(
        schemas["ProductRequest"]["properties"]["name"]["type"],
        "string"
    );
    assert_eq!(
        schemas["PostRequest"]["required"],
        json!(["title", "content"])
    );
    assert!(schemas["PostPatchRequest"]["required"].is_null());
    // `oneOf` branches cannot both match: the public view allows nothing else.
    assert_eq!(schemas["PublicUser"]["additionalProperties"], false);
    // Shared answers are declared once and listed by each operation that can give them.
    let shared = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status].clone()
    };
    assert_eq!(
        shared("/api/v1/products", "post", "415")["$ref"],
        "#/components/responses/UnsupportedMediaType"
    );
    assert!(
        shared("/api/v1/products/{id}", "delete", "400").is_object(),
        "a malformed If-Match"
    );
    assert!(shared("/api/v1/products", "get", "503").is_object());
    assert!(
        shared("/api/v1/products", "get", "401").is_null(),
        "anonymous"
    );
    assert!(shared("/health", "get", "503").is_null());
    assert!(
        doc["components"]["responses"]["ServiceUnavailable"]["content"]["application/problem+json"]
            .is_object()
    );
    assert_eq!(
        doc["paths"]["/health"]["get"]["responses"]["200"]["description"],
        "The process is up"
    );
    assert_eq!(
        shared("/api/v1/employees/{id}", "put", "409")["$ref"],
        "#/components/responses/EmailTaken"
    );
    // A token is needed unless the handler says otherwise.
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    let signed_in = json!([{"bearer": []}, {"oauth2": []}]);
    assert_eq!(security("/api/v1/employees", "get"), signed_in);
    assert_eq!(security("/api/v1/auth/logout", "post"), signed_in);
    assert!(security("/api/v1/auth/login", "post").is_null());
    assert!(security("/api/v1/products/{id}", "get").is_null());
    assert_eq!(
        security("/api/v1/posts", "get"),
        json!([{}, {"bearer": []}, {"oauth2": []}])
    );
    // A path's id comes first and says what it names.
    let first = &doc["paths"]["/api/v1/posts/{id}/comments"]["get"]["parameters"][0];
    assert_eq!(
        (&first["name"], &first["in"], &first["description"]),
        (&json!("id"), &json!("path"), &json!("Post id"))
    );
    assert_eq!(first["schema"]["format"], "uuid");
}
