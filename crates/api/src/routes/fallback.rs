//! Answers for requests no route took: `405` with `Allow` when the path exists under another
//! method, else `404`. The route table comes from the OpenAPI document, which lists every
//! documented route with its methods.

use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
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
                    ("HEAD", item.head.is_some()),
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
    Err(match table.methods_for(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods.join(", ")),
        None => ApiError::not_found(format!("no route for {}", req.path())),
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
        assert!(table.methods_for("/nope").is_none());
    }
}
