//! The stylesheet and scripts, compiled into the binary and served with
//! validators so browsers revalidate cheaply instead of downloading again.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::AppError;

struct StaticFile {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// htmx 2.0.x, vendored from the npm package `htmx.org`.
const FILES: &[StaticFile] = &[
    StaticFile {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/htmx.min.js"),
    },
    StaticFile {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    StaticFile {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
];

/// Strong ETags of [`FILES`], in the same order, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|file| {
                let digest = Sha256::digest(file.body);
                let hex: String = digest[..12]
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

pub async fn serve(
    request: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let index = FILES
        .iter()
        .position(|file| file.name == name.as_str())
        .ok_or(AppError::NotFound)?;
    let file = &FILES[index];
    let etag = &etags()[index];
    let cache = HeaderValue::from_static("public, max-age=3600, must-revalidate");
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|candidate| candidate.trim() == etag));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.as_str()))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.body))
}
