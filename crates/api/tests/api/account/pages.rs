//! `GET /reset-password`, `GET /verify-email` and their assets: served by the binary,
//! with no external asset, no referrer, and a policy that runs only their own script.

use super::*;

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let headers = res.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{path} lacks {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"), "{path}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    let csp = header("content-security-policy");
    for directive in ["default-src 'none'", "script-src 'self'"] {
        assert!(csp.contains(directive), "{path}: {csp}");
    }
    let html = res.text().await.unwrap();
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(external), "{path} loads an external asset");
    }
    assert!(html.contains("/account.js"), "{path} uses its script");
    html
}

#[tokio::test]
async fn the_reset_and_verify_pages_are_served_under_a_strict_policy() {
    let app = crate::helpers::spawn_app().await;
    let reset = page(&app, "/reset-password?token=x").await;
    assert!(
        reset.matches("type=\"password\"").count() >= 2,
        "the new password is asked for twice"
    );
    let verify = page(&app, "/verify-email?token=x").await;
    // Verifying waits for a press of this button; nothing is called on load.
    assert!(verify.contains("id=\"verify\""), "{verify}");
    assert!(verify.contains("<button"), "{verify}");
}

#[tokio::test]
async fn the_pages_script_and_stylesheet_are_served_with_their_types() {
    let app = crate::helpers::spawn_app().await;
    for (path, kind) in [("/account.js", "javascript"), ("/account.css", "text/css")] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.contains(kind), "{path}: {content_type}");
        assert!(!res.text().await.unwrap().is_empty(), "{path}");
    }
}
