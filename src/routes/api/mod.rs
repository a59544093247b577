//! The JSON API under `/api/v1`, authenticated with a sub-account's API key
//! in `Authorization: Bearer <key>`. Errors are JSON with a stable `code` and
//! a readable `message`. The OpenAPI document at `/api/v1/openapi.json` is
//! generated from the handlers' annotations, so it cannot drift from them.

pub mod automations;
pub mod usage;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::db::api_keys::{self, KeyOwner};
use crate::db::{DbConnection, usage::ConsumeError};
use crate::state::AppState;

/// Largest JSON body the API reads, in bytes.
pub const JSON_LIMIT_BYTES: usize = 16 * 1024;

/// An API error: the HTTP status, a stable machine-readable code and a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    /// Stable identifier of the error, such as `not_enough_tasks`.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: status.as_u16(),
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing, unknown or revoked API key. Send a sub-account's key as `Authorization: Bearer <key>`.",
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    pub fn internal(error: impl std::fmt::Debug) -> Self {
        tracing::error!(error = ?error, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The request could not be completed and nothing was changed. Try again later.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        response.json(self)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => {
                Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
            }
            other => Self::internal(other),
        }
    }
}

impl From<ConsumeError> for ApiError {
    fn from(error: ConsumeError) -> Self {
        match error {
            ConsumeError::KeyRevoked => Self::unauthorized(),
            ConsumeError::KeyReused => Self::invalid(
                "This idempotency key was already used for a request with another automation or task count. Use a new key for a new request.",
            ),
            ConsumeError::Database(error) => error.into(),
        }
    }
}

/// The API key from the `Authorization` header, not yet checked.
#[derive(Debug, Clone)]
pub struct BearerKey(String);

impl FromRequest for BearerKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            // The scheme name is case-insensitive (RFC 9110, section 11.1).
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, key)| key.trim())
            .filter(|key| !key.is_empty() && key.len() <= 200);
        ready(
            key.map(|key| Self(key.to_owned()))
                .ok_or_else(ApiError::unauthorized),
        )
    }
}

/// Runs `body` on a pooled connection as the key's sub-account: the key is
/// checked, and its last use recorded, in the same blocking hop.
pub async fn as_key<T, F>(state: &AppState, key: BearerKey, body: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection, &KeyOwner) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    let now = state.clock.now();
    web::block(move || {
        let mut connection = pool.get().map_err(ApiError::internal)?;
        let owner = api_keys::authenticate(&mut connection, &key.0, now)?
            .ok_or_else(ApiError::unauthorized)?;
        body(&mut connection, &owner)
    })
    .await
    .map_err(ApiError::internal)?
}

/// JSON body settings for the API: a size limit and JSON errors.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|error, _| {
            use actix_web::error::JsonPayloadError;
            let api_error = match &error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("The body is larger than {JSON_LIMIT_BYTES} bytes."),
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON with `Content-Type: application/json`.",
                ),
                other => ApiError::invalid(format!(
                    "The body is not valid JSON for this request: {other}."
                )),
            };
            api_error.into()
        })
}

/// A JSON object body. Requests take their body as an object first, because
/// serde would also build a struct from an array such as `[1, 5]`.
pub type JsonObject = web::Json<serde_json::Map<String, serde_json::Value>>;

/// Reads a request struct from a JSON object body.
pub fn parse_object<T: serde::de::DeserializeOwned>(body: JsonObject) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::Object(body.into_inner())).map_err(|error| {
        ApiError::invalid(format!(
            "The body is not valid JSON for this request: {error}."
        ))
    })
}

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI 3 description of the API, built from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "subaccounts API",
        version = "1",
        description = "Report task consumption for a sub-account's automations and manage the automations. Authenticate with the sub-account's API key as `Authorization: Bearer <key>`."
    ),
    paths(
        usage::consume,
        usage::current,
        automations::list,
        automations::create,
        automations::pause,
        automations::resume,
        openapi_json,
    ),
    components(schemas(ApiError)),
    modifiers(&BearerSecurity)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> HttpResponse {
    match ApiDoc::openapi().to_json() {
        Ok(document) => HttpResponse::Ok()
            .content_type("application/json")
            .body(document),
        Err(error) => ApiError::internal(error).error_response(),
    }
}
