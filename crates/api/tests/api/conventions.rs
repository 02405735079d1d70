//! SPEC section 1: conventions every route follows.

use crate::helpers::{assert_problem, fields, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
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
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
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
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
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

#[tokio::test]
async fn request_ids_are_echoed_when_acceptable_and_generated_otherwise() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "abc.DEF_123-x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc.DEF_123-x");

    for bad in ["has space", &"a".repeat(129)] {
        let res = app
            .client
            .get(app.url("/nope"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, bad);
        assert!(!id.is_empty());
        let body = assert_problem(res, 404).await;
        assert_eq!(body["request_id"], id.as_str());
    }
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here", None).await, 404).await;
    let res = app
        .request(Method::DELETE, "/health", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, 405).await;
    let res = app
        .request(Method::PUT, "/api/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    assert_problem(res, 405).await;
}

#[tokio::test]
async fn malformed_json_is_400_wrong_content_type_415_and_invalid_fields_422() {
    let app = spawn_app().await;
    let post = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(post("{\"email\": ", "application/json").await.unwrap(), 400).await;
    assert_problem(post("", "application/json").await.unwrap(), 400).await;
    assert_problem(post("email=a", "text/plain").await.unwrap(), 415).await;

    let missing = assert_problem(
        post("{\"email\": \"a@b.co\"}", "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&missing), vec!["password"]);
    let wrong_type = assert_problem(
        post(
            "{\"email\": 5, \"password\": \"password1\"}",
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&wrong_type), vec!["email"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        1,
        "only the admin exists"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(2000)});
    assert_problem(
        app.post_json("/api/v1/auth/register", &big, None).await,
        413,
    )
    .await;
    // Also when the client streams without announcing a length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![b' '; 800]), Ok(vec![b' '; 800])];
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
}

#[tokio::test]
async fn path_ids_that_are_not_uuids_are_422() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = assert_problem(app.get("/api/v1/users/not-a-uuid", Some(&admin)).await, 422).await;
    assert_eq!(fields(&body), vec!["id"]);
}

#[tokio::test]
async fn pagination_parameters_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/users?{query}"), Some(&admin))
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&body), vec![field], "{query}");
    }
    let page: Value = app
        .get("/api/v1/users?limit=1&offset=0", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["limit"].as_u64(),
            page["offset"].as_u64(),
            page["total"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    let page: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["limit"], 20);
}

#[tokio::test]
async fn authentication_is_checked_before_the_body() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/users"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn etags_and_if_match_guard_writes() {
    let app = spawn_app().await;
    let user = app.register("etag@example.com").await;
    let res = app.get("/api/v1/users/me", Some(&user.access)).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();

    let rename = |name: &str, if_match: Option<&str>| {
        let mut req = app
            .request(Method::PATCH, "/api/v1/users/me", Some(&user.access))
            .json(&json!({"name": name}));
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send()
    };
    let res = rename("First", Some(&etag)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);

    assert_problem(rename("Stale", Some(&etag)).await.unwrap(), 412).await;
    assert_problem(rename("Garbage", Some("not-quoted")).await.unwrap(), 400).await;
    let me: Value = app
        .get("/api/v1/users/me", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "First", "a refused write changes nothing");

    assert_eq!(
        rename("Star", Some("*")).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        rename("NoHeader", None).await.unwrap().status(),
        StatusCode::OK
    );
}
