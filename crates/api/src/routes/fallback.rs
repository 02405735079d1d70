//! Answers for requests no route took: a `308` to the same path without its trailing
//! slash under `/api/v1`, `405` with `Allow` when the path exists under another method, else
//! `404`. The route table comes from the OpenAPI document, which lists every documented
//! route with its methods (and `HEAD` wherever it lists `GET`: `crate::http` answers it).

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

/// Exact segments: `/a/b/` is not `/a/b` (it is redirected there instead).
fn segments(path: &str) -> Vec<String> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(str::to_owned)
        .collect()
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let ops = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("HEAD", item.head.is_some() || item.get.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ];
                let methods = ops.iter().filter(|(_, on)| *on).map(|(m, _)| *m).collect();
                (segments(path), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods of the documented route that matches `path`, if any.
    pub fn methods_for(&self, path: &str) -> Option<Vec<&'static str>> {
        let wanted = segments(path);
        let mut found: Vec<&'static str> = Vec::new();
        for (template, methods) in &self.routes {
            let matches = template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                });
            if matches {
                for m in methods {
                    if !found.contains(m) {
                        found.push(m);
                    }
                }
            }
        }
        (!found.is_empty()).then_some(found)
    }
}

pub async fn not_found(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    if let Some(location) = without_trailing_slash(req.path(), req.query_string()) {
        // 308 rather than 301: the method and body are kept, so a POST stays a POST.
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, location))
            .finish());
    }
    Err(match table.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(format!("no route for {}", req.path())),
    })
}

/// Where a path under `/api/v1` that ends in `/` lives: the same path and query without it.
fn without_trailing_slash(path: &str, query: &str) -> Option<String> {
    if !path.starts_with("/api/v1/") || !path.ends_with('/') {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some(match query {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    })
}

fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::TemporaryRedirect()
        .insert_header(("Location", to))
        .finish()
}

/// `GET /` leads to the interactive documentation.
pub async fn root() -> HttpResponse {
    redirect("/docs")
}

/// The docs UI lives under `/docs/`; its relative asset paths need the slash.
pub async fn docs_index() -> HttpResponse {
    redirect("/docs/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_by_segment() {
        let table = RouteTable {
            routes: vec![
                (segments("/api/v1/users/{id}"), vec!["GET", "PATCH"]),
                (segments("/api/v1/users/me"), vec!["GET"]),
            ],
        };
        assert_eq!(
            table.methods_for("/api/v1/users/123").unwrap(),
            vec!["GET", "PATCH"]
        );
        assert_eq!(
            table.methods_for("/api/v1/users/me").unwrap(),
            vec!["GET", "PATCH"]
        );
        assert!(table.methods_for("/api/v1/users/1/x").is_none());
        assert!(table.methods_for("/api/v1/users/me/").is_none());
        assert!(table.methods_for("/api/v1/users//").is_none());
        assert!(table.methods_for("/nope").is_none());
    }

    #[test]
    fn trailing_slashes_lead_to_the_path_without() {
        assert_eq!(
            without_trailing_slash("/api/v1/products/", "limit=5&sort=name").as_deref(),
            Some("/api/v1/products?limit=5&sort=name")
        );
        assert_eq!(
            without_trailing_slash("/api/v1/users/me//", "").as_deref(),
            Some("/api/v1/users/me")
        );
        assert_eq!(without_trailing_slash("/api/v1/products", ""), None);
        assert_eq!(without_trailing_slash("/docs/", ""), None);
    }
}
