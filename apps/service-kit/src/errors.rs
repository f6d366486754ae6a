//! JSON errors: `{"error": "<machine code>", "message": "<human text>"}`.
//!
//! [`ApiError`] is the one error type handlers return; its `status_code` is the
//! one place an error becomes an HTTP status. The extractor configs turn
//! framework errors (bad JSON, wrong content type, body too large, bad path or
//! query) into the same JSON shape, and [`json_error_body`] rewrites any
//! non-JSON error response (404 of an unknown route, 405, ...) into it.

use std::fmt;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};

/// Seconds a client is asked to wait (`Retry-After`) when a dependency is down.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// Builds a JSON error response.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        error: code.to_string(),
        message: message.into(),
    })
}

/// The error every handler returns.
///
/// `source` keeps the cause for the logs; it is never sent to the client.
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    pub source: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    /// 400 with a specific code (e.g. `invalid_field`).
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503 `service_unavailable` with `Retry-After`: a dependency is down.
    pub fn unavailable(message: impl Into<String>, cause: impl Into<anyhow::Error>) -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECS),
            source: Some(cause.into()),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                message,
            )
        }
    }

    /// 500 `internal_error`; the cause is logged, not shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(cause.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed to handle the request",
            )
        }
    }

    pub fn with_source(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.source = Some(cause.into());
        self
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )?;
        if let Some(source) = &self.source {
            write!(f, "\nCaused by: {source:?}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(error.code = self.code, error.cause = ?self.source, "{}", self.message);
        } else if let Some(source) = &self.source {
            tracing::debug!(error.code = self.code, error.cause = ?source, "{}", self.message);
        }
        let mut resp = error_response(self.status, self.code, self.message.clone());
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// Default maximum JSON body: 64 KiB.
pub const DEFAULT_JSON_LIMIT: usize = 64 * 1024;

/// JSON extractor config: bad JSON or wrong field types → 400, wrong content
/// type → 415, body over `limit` bytes → 413. All JSON error bodies.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| json_payload_error(err).into())
}

fn json_payload_error(err: JsonPayloadError) -> ApiError {
    match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                err.to_string(),
            )
        }
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON (Content-Type: application/json)",
        ),
        JsonPayloadError::Deserialize(e) => {
            let code = if e.is_data() {
                "invalid_field"
            } else {
                "malformed_json"
            };
            ApiError::bad_request(code, format!("invalid JSON body: {e}"))
        }
        JsonPayloadError::Serialize(_) => ApiError::internal(anyhow::anyhow!(err.to_string())),
        _ => ApiError::bad_request("bad_request", format!("could not read the body: {err}")),
    }
}

/// Path extractor config: a path segment of the wrong type → 400 `invalid_path`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        ApiError::bad_request("invalid_path", format!("invalid path parameter: {err}")).into()
    })
}

/// Query extractor config: a bad query string → 400 `invalid_query`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        ApiError::bad_request("invalid_query", format!("invalid query string: {err}")).into()
    })
}

/// Default service: 404 JSON for unknown routes.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", req.method(), req.path()),
    )
}

/// The machine code used for a bare status.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        431 => "request_header_fields_too_large",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        s if s >= 500 => "internal_error",
        _ => "client_error",
    }
}

/// Response extension that exempts a response from [`json_error_body`]
/// (e.g. a proxied upstream answer that must reach the client unchanged).
/// Use [`keep_error_body`].
#[derive(Debug, Clone, Copy)]
pub struct KeepErrorBody;

/// Marks `resp` so its status, headers and body pass through untouched.
pub fn keep_error_body(resp: &mut HttpResponse) {
    resp.extensions_mut().insert(KeepErrorBody);
}

/// `ErrorHandlers` default handler: any 4xx/5xx response that is not already
/// JSON gets the JSON error body (keeps headers such as `Allow`/`Retry-After`).
/// Responses marked with [`keep_error_body`] are left alone.
pub fn json_error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if res.response().extensions().get::<KeepErrorBody>().is_some() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "method {} is not allowed on {}",
            res.request().method(),
            res.request().path()
        ),
        StatusCode::NOT_FOUND => format!(
            "no route for {} {}",
            res.request().method(),
            res.request().path()
        ),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string(),
    };
    let body = serde_json::to_string(&ErrorBody {
        error: code_for_status(status).to_string(),
        message,
    })
    .unwrap_or_default();
    let (req, mut res) = res.into_parts();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res.headers_mut().remove(header::CONTENT_LENGTH);
    let res = res.set_body(BoxBody::new(body));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, res).map_into_right_body(),
    ))
}

/// Type alias helper for the body produced by [`json_error_body`].
pub type JsonErrorBody<B> = EitherBody<B, BoxBody>;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::ErrorHandlers;
    use actix_web::{App, test};

    #[actix_web::test]
    async fn non_json_errors_become_json_unless_kept() {
        let app = test::init_service(
            App::new()
                .wrap(ErrorHandlers::new().default_handler(json_error_body))
                .route(
                    "/plain",
                    web::get().to(|| async { HttpResponse::BadGateway().body("upstream says no") }),
                )
                .route(
                    "/kept",
                    web::get().to(|| async {
                        let mut r = HttpResponse::BadGateway().body("upstream says no");
                        keep_error_body(&mut r);
                        r
                    }),
                ),
        )
        .await;
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/plain").to_request()).await;
        assert_eq!(res.status(), 502);
        let body: ErrorBody = test::read_body_json(res).await;
        assert_eq!(body.error, "bad_gateway");
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/kept").to_request()).await;
        assert_eq!(res.status(), 502);
        assert_eq!(test::read_body(res).await, "upstream says no");
    }
}
