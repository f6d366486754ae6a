//! Reverse proxy for `/api/movies` and everything under it.
//!
//! The client gets inventory-app's status, end-to-end headers
//! ([`crate::hop_headers`]) and body unchanged, also for a non-JSON error
//! body (the response is marked with `keep_error_body`, so the kit's JSON
//! error handler leaves it alone). Request bodies are buffered with a size
//! limit (`PROXY_MAX_BODY_BYTES`). Response bodies up to
//! [`BUFFERED_BODY_MAX`] are read whole and answered in one write; larger
//! ones, or ones without a `Content-Length`, stream through as they arrive
//! ([`crate::upstream_body`]: a list of 100 000 movies costs the gateway no
//! more memory than one movie), `Content-Length` kept when inventory sent
//! one. `INVENTORY_TIMEOUT_MS` bounds the whole exchange, body included.
//!
//! Calls go through the circuit breaker: when inventory-app keeps failing,
//! the gateway answers 503 + `Retry-After` at once instead of tying up a
//! connection per request until a timeout.
//!
//! The path is forwarded as received, so it must not climb out of
//! `/api/movies` ([`crate::path_check`]: 400 `invalid_path` before anything
//! is sent), and the forwarded URI is checked to still lie under
//! `/api/movies`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use http_body_util::Full;
use hyper::body::Body as _;
use service_kit::ApiError;
use service_kit::telemetry::RequestId;
use tokio::time::Instant;

use crate::breaker::{CircuitBreaker, Permit};
use crate::config::InventorySettings;
use crate::hop_headers::{connection_listed, end_to_end};
use crate::path_check::is_safe_movies_path;
use crate::upstream::{self, Target, UpstreamClient};
use crate::upstream_body::{self, BodyError, UpstreamBody};

/// Responses with a `Content-Length` up to this are read whole before the
/// answer starts (one write to the client instead of head and body apart).
pub const BUFFERED_BODY_MAX: u64 = 64 * 1024;

/// The proxy: HTTP client, target, breaker, timeout.
#[derive(Clone)]
pub struct Proxy {
    client: UpstreamClient,
    target: Target,
    breaker: CircuitBreaker,
    connect_timeout: Duration,
    timeout: Duration,
}

impl Proxy {
    /// A proxy to `settings.url`.
    pub fn new(settings: &InventorySettings, breaker: CircuitBreaker) -> anyhow::Result<Self> {
        Ok(Self {
            client: upstream::client(settings.connect_timeout),
            target: Target::parse(&settings.url)?,
            breaker,
            connect_timeout: settings.connect_timeout,
            timeout: settings.timeout,
        })
    }

    /// The same proxy (same breaker) with a connection pool of its own, for
    /// one HTTP worker thread: its connections to inventory-app are then
    /// driven on the thread that uses them, with no wake-ups across threads.
    pub fn for_worker(&self) -> Self {
        Self {
            client: upstream::client(self.connect_timeout),
            ..self.clone()
        }
    }

    /// The breaker (readiness detail, tests).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// The upstream request for `req`, or 400 `invalid_path` when its URI
    /// would not lie under inventory's `/api/movies`.
    fn upstream_request(
        &self,
        req: &HttpRequest,
        body: web::Bytes,
    ) -> Result<http::Request<Full<web::Bytes>>, ApiError> {
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or(req.uri().path(), |p| p.as_str());
        let uri = self
            .target
            .uri(path_and_query)
            .filter(|uri| self.target.is_under_movies(uri.path()))
            .ok_or_else(invalid_path)?;
        let method = http::Method::from_bytes(req.method().as_str().as_bytes())
            .map_err(|_| ApiError::bad_request("bad_request", "unsupported method"))?;
        let mut request = http::Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        let incoming = req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()));
        let listed = connection_listed(req.headers().get_all("connection").map(|v| v.as_bytes()));
        for (name, value) in end_to_end(incoming, &listed) {
            if name == "x-request-id" || name == "x-forwarded-for" {
                continue;
            }
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(value),
            ) {
                headers.append(n, v);
            }
        }
        // the kit's request id (read in place: no copy of the id)
        if let Some(Ok(v)) = req
            .extensions()
            .get::<RequestId>()
            .map(|id| http::HeaderValue::from_str(&id.0))
        {
            headers.insert("x-request-id", v);
        }
        if let Some(ff) = forwarded_for(req) {
            headers.insert("x-forwarded-for", ff);
        }
        Ok(request)
    }

    async fn forward(
        &self,
        req: &HttpRequest,
        body: web::Bytes,
        permit: Permit,
    ) -> Result<HttpResponse, ApiError> {
        let request = self.upstream_request(req, body)?;
        let deadline = Instant::now() + self.timeout;
        let upstream = match tokio::time::timeout_at(deadline, self.client.request(request)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                permit.failure();
                return Err(unavailable(&e));
            }
            Err(_) => {
                permit.failure();
                return Err(timed_out(self.timeout));
            }
        };
        // a 5xx means inventory-app is unwell: count it, but pass it on as is
        if upstream.status().is_server_error() {
            permit.failure();
        } else {
            permit.success();
        }
        let (head, incoming) = upstream.into_parts();
        let status = StatusCode::from_u16(head.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut res = HttpResponse::build(status);
        let outgoing = head.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let listed = connection_listed(
            head.headers
                .get_all("connection")
                .iter()
                .map(|v| v.as_bytes()),
        );
        for (name, value) in end_to_end(outgoing, &listed) {
            if let (Ok(n), Ok(v)) = (
                actix_web::http::header::HeaderName::from_bytes(name.as_bytes()),
                actix_web::http::header::HeaderValue::from_bytes(value),
            ) {
                res.append_header((n, v));
            }
        }
        let mut res = match incoming.size_hint().exact() {
            Some(len) if len <= BUFFERED_BODY_MAX => {
                let bytes =
                    upstream_body::collect(incoming, deadline)
                        .await
                        .map_err(|e| match e {
                            BodyError::Timeout => timed_out(self.timeout),
                            e => unavailable(&e),
                        })?;
                res.body(bytes)
            }
            _ => res.body(UpstreamBody::new(incoming, deadline)),
        };
        // inventory-app's answer, error or not, reaches the client exactly:
        // the kit's JSON error rewriting is for the gateway's own errors.
        service_kit::errors::keep_error_body(&mut res);
        Ok(res)
    }
}

/// `X-Forwarded-For` for the upstream request: the client's list plus the peer.
fn forwarded_for(req: &HttpRequest) -> Option<http::HeaderValue> {
    let prev = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let peer = req.peer_addr().map(|a| a.ip());
    let value = match (prev, peer) {
        (Some(prev), Some(p)) => format!("{prev}, {p}"),
        (None, Some(p)) => p.to_string(),
        (Some(prev), None) => prev.to_string(),
        (None, None) => return None,
    };
    http::HeaderValue::from_str(&value).ok()
}

fn invalid_path() -> ApiError {
    ApiError::bad_request(
        "invalid_path",
        "the path must not contain '.' or '..' segments (also percent-encoded) or backslashes",
    )
}

fn timed_out(timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "inventory_timeout",
        format!("inventory-app did not answer within {timeout:?}"),
    )
}

fn unavailable(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::unavailable(
        "inventory-app is unavailable, retry later",
        anyhow::anyhow!("{e}"),
    )
}

/// `ANY /api/movies[/…]`.
pub async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    proxy: web::Data<Proxy>,
) -> Result<HttpResponse, ApiError> {
    // before the breaker: a refused path is the client's fault, not upstream's
    if !is_safe_movies_path(req.uri().path()) {
        return Err(invalid_path());
    }
    let permit = match proxy.breaker.try_acquire() {
        Ok(p) => p,
        Err(rejected) => {
            let secs = rejected.retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "inventory_unavailable",
                "inventory-app is failing; the circuit breaker is open, retry later",
            );
            e.retry_after = Some(secs);
            return Err(e);
        }
    };
    proxy.forward(&req, body, permit).await
}
