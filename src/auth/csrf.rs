//! CSRF protection for every state-changing request.
//!
//! Each session has one random token. A POST, PUT, PATCH or DELETE must carry
//! it in the `X-CSRF-Token` header (htmx sends it from `hx-headers` on
//! `<body>`) or in the form field `csrf_token`. Anything else is answered with
//! 403 before a handler runs, so nothing changes. The JSON API under `/api/`
//! authenticates with bearer keys instead of cookies and is exempt.

use actix_session::SessionExt;
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::session;
use crate::error::AppError;

/// Largest form body accepted, in bytes. Forms here are a few short fields.
pub const FORM_LIMIT_BYTES: usize = 16 * 1024;

const HEADER: &str = "X-CSRF-Token";
const FIELD: &str = "csrf_token";

/// Middleware that rejects state-changing requests without the session's CSRF token.
pub async fn verify(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // A method no route serves at this path changes nothing: routing answers
    // it with 405 or 404.
    if request.method().is_safe()
        || request.path().starts_with("/api/")
        || !crate::routes::accepts(request.method(), request.path())
    {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    if let Some(origin) = foreign_origin(&request) {
        tracing::warn!(
            path = request.path(),
            origin,
            "rejected a request from another site"
        );
        return Ok(request.error_response(AppError::ForeignOrigin));
    }
    let expected = session::stored_csrf_token(&request.get_session());
    let provided = match request.headers().get(HEADER) {
        Some(value) => value.to_str().ok().map(str::to_owned),
        None => match form_field(&mut request).await {
            Ok(token) => token,
            Err(error) => return Ok(request.error_response(error)),
        },
    };
    match (expected, provided) {
        (Some(expected), Some(provided))
            if constant_time_eq(expected.as_bytes(), provided.as_bytes()) =>
        {
            next.call(request)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        (expected, _) => {
            tracing::warn!(
                path = request.path(),
                "rejected a request without a valid CSRF token"
            );
            let session_ended = expected.is_none();
            let htmx = crate::render::is_htmx(request.request());
            let mut response = request.error_response(AppError::InvalidCsrfToken);
            if session_ended && htmx {
                // The session ended, for example by signing out in another
                // tab: send the whole page to the sign-in form.
                response.headers_mut().insert(
                    HeaderName::from_static("hx-redirect"),
                    HeaderValue::from_static("/login"),
                );
            }
            Ok(response)
        }
    }
}

/// Returns the `Origin` of a request that another site sent, if it did. The
/// origin must name this server's host (from `Host`, or the configured public
/// URL); a request without `Origin` passes here and still needs its token.
fn foreign_origin(request: &ServiceRequest) -> Option<String> {
    let header = |name: header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    if header(HeaderName::from_static("sec-fetch-site")).as_deref() == Some("cross-site") {
        return Some(header(header::ORIGIN).unwrap_or_else(|| "cross-site".to_owned()));
    }
    let origin = header(header::ORIGIN)?;
    let origin_host = origin
        .split_once("://")
        .map(|(_, host)| host.trim_end_matches('/'));
    let own_host = header(header::HOST);
    let public_host = request
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .and_then(|state| state.config.public_url.clone())
        .and_then(|url| {
            url.split_once("://")
                .map(|(_, host)| host.trim_end_matches('/').to_owned())
        });
    let same = origin_host.is_some_and(|host| {
        Some(host) == own_host.as_deref() || Some(host) == public_host.as_deref()
    });
    (!same).then_some(origin)
}

/// Reads a urlencoded body up to [`FORM_LIMIT_BYTES`], finds the token field,
/// and puts the body back for the handler.
async fn form_field(request: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            // Media types are case-insensitive (RFC 9110, section 8.3.1).
            value
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok(None);
    }
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > FORM_LIMIT_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut payload = request.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            tracing::warn!(%error, "could not receive a form body");
            AppError::MalformedForm("its body was cut off while it was sent.".to_owned())
        })?;
        if body.len() + chunk.len() > FORM_LIMIT_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(name, _)| name == FIELD))
        .map(|(_, value)| value);
    request.set_payload(Payload::from(body));
    Ok(token)
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0_u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
