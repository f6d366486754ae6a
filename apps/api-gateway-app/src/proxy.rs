//! Reverse proxy for `/api/movies` and everything under it.
//!
//! The client gets inventory-app's status, headers (minus hop-by-hop ones)
//! and body unchanged, also for a non-JSON error body (the response is marked
//! with `keep_error_body`, so the kit's JSON error handler leaves it alone).
//! Request bodies are buffered with a size limit (`PROXY_MAX_BODY_BYTES`);
//! response bodies stream through as they arrive (a list of 100 000 movies
//! costs the gateway no more memory than one movie), `Content-Length` kept
//! when inventory sent one. Calls go through the circuit breaker: when inventory-app
//! keeps failing, the gateway answers 503 + `Retry-After` at once instead of
//! tying up a connection per request until a timeout.
//!
//! The path is forwarded as received, so it must not climb out of
//! `/api/movies`: a `.` or `..` segment (also percent-encoded, `%2e`, or
//! split by `\\`, which URL parsers treat as `/` for http URLs) is answered
//! 400 `invalid_path` before anything is sent, and the forwarded URL is
//! checked to still lie under `/api/movies` after parsing.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use service_kit::ApiError;
use service_kit::telemetry::RequestId;

use crate::breaker::{CircuitBreaker, Permit};
use crate::config::InventorySettings;

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus
/// `host` and `content-length`, which the next hop recomputes.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

fn connection_listed(headers: &[(String, Vec<u8>)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n == "connection")
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Keeps the end-to-end headers of `headers` (lower-case names).
pub fn end_to_end(headers: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let listed = connection_listed(&headers);
    headers
        .into_iter()
        .filter(|(n, _)| !HOP_BY_HOP.contains(&n.as_str()) && !listed.contains(n))
        .collect()
}

/// The proxy: HTTP client, target, breaker, timeout.
#[derive(Clone)]
pub struct Proxy {
    client: reqwest::Client,
    base: String,
    /// the path of `base` without a trailing slash: forwarded URLs must
    /// stay under `{base_path}/api/movies`
    base_path: String,
    breaker: CircuitBreaker,
    connect_timeout: Duration,
    timeout: Duration,
}

fn http_client(connect_timeout: Duration, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .build()
}

impl Proxy {
    /// A proxy to `settings.url`.
    pub fn new(settings: &InventorySettings, breaker: CircuitBreaker) -> anyhow::Result<Self> {
        let base_path = reqwest::Url::parse(&settings.url)?
            .path()
            .trim_end_matches('/')
            .to_string();
        Ok(Self {
            client: http_client(settings.connect_timeout, settings.timeout)?,
            base: settings.url.clone(),
            base_path,
            breaker,
            connect_timeout: settings.connect_timeout,
            timeout: settings.timeout,
        })
    }

    /// The same proxy (same breaker) with a connection pool of its own, for
    /// one HTTP worker thread: its connections to inventory-app are then
    /// driven on the thread that uses them, with no wake-ups across threads.
    pub fn for_worker(&self) -> Self {
        match http_client(self.connect_timeout, self.timeout) {
            Ok(client) => Self {
                client,
                ..self.clone()
            },
            // the same settings built a client before; share it if not
            Err(_) => self.clone(),
        }
    }

    /// The breaker (readiness detail, tests).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// The upstream URL for `req`, or 400 `invalid_path` when the path
    /// would leave `/api/movies` (dot segments, plain or percent-encoded).
    fn target_url(&self, req: &HttpRequest) -> Result<reqwest::Url, ApiError> {
        let path = req.uri().path();
        if !is_safe_movies_path(path) {
            return Err(invalid_path());
        }
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(path);
        let url = reqwest::Url::parse(&format!("{}{}", self.base, path_and_query))
            .map_err(|_| invalid_path())?;
        // belt and braces: whatever the URL parser did, the target is still
        // inventory's /api/movies or below
        let under = url
            .path()
            .strip_prefix(self.base_path.as_str())
            .and_then(|p| p.strip_prefix("/api/movies"))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if !under {
            return Err(invalid_path());
        }
        Ok(url)
    }

    async fn forward(
        &self,
        req: &HttpRequest,
        body: web::Bytes,
        request_id: &str,
        permit: Permit,
    ) -> Result<HttpResponse, ApiError> {
        let url = self.target_url(req)?;
        let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
            .map_err(|_| ApiError::bad_request("bad_request", "unsupported method"))?;
        let incoming: Vec<(String, Vec<u8>)> = req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        let mut builder = self.client.request(method, url);
        for (name, value) in end_to_end(incoming) {
            if name == "x-request-id" || name == "x-forwarded-for" {
                continue;
            }
            builder = builder.header(name, value);
        }
        builder = builder.header("x-request-id", request_id);
        let peer = req.peer_addr().map(|a| a.ip().to_string());
        let forwarded_for = match (req.headers().get("x-forwarded-for"), peer) {
            (Some(prev), Some(p)) => Some(format!("{}, {p}", prev.to_str().unwrap_or(""))),
            (None, Some(p)) => Some(p),
            (Some(prev), None) => prev.to_str().ok().map(str::to_string),
            (None, None) => None,
        };
        if let Some(ff) = forwarded_for {
            builder = builder.header("x-forwarded-for", ff);
        }
        if !body.is_empty() {
            builder = builder.body(body);
        }

        let upstream = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                permit.failure();
                return Err(upstream_error(&e, self.timeout));
            }
        };
        // a 5xx means inventory-app is unwell: count it, but pass it on as is
        if upstream.status().is_server_error() {
            permit.failure();
        } else {
            permit.success();
        }
        let status =
            StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut res = HttpResponse::build(status);
        let headers: Vec<(String, Vec<u8>)> = upstream
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        for (name, value) in end_to_end(headers) {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(&value),
            ) {
                res.append_header((n, v));
            }
        }
        // the body streams through as it arrives: constant memory for any
        // size, Content-Length kept when inventory sent one (else chunked)
        if let Some(len) = upstream.content_length() {
            res.no_chunking(len);
        }
        let mut res = res.streaming(upstream.bytes_stream());
        // inventory-app's answer, error or not, reaches the client exactly:
        // the kit's JSON error rewriting is for the gateway's own errors.
        service_kit::errors::keep_error_body(&mut res);
        Ok(res)
    }
}

fn invalid_path() -> ApiError {
    ApiError::bad_request(
        "invalid_path",
        "the path must not contain '.' or '..' segments (also percent-encoded) or backslashes",
    )
}

/// Percent-decodes `s` byte-wise (invalid escapes are kept as they are).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `/api/movies` or a path below it without any `.`/`..` segment, counting
/// percent-encoded dots and treating `\` (raw or `%5c`) as a separator, as
/// WHATWG URL parsing does for http URLs. Backslashes are refused outright.
pub fn is_safe_movies_path(path: &str) -> bool {
    if path.contains('\\') {
        return false;
    }
    for raw in path.split('/') {
        let decoded = percent_decode(raw);
        if decoded.contains(&b'\\') {
            return false;
        }
        for piece in decoded.split(|&c| c == b'/') {
            if piece == b"." || piece == b".." {
                return false;
            }
        }
    }
    true
}

fn upstream_error(e: &reqwest::Error, timeout: Duration) -> ApiError {
    if e.is_timeout() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "inventory_timeout",
            format!("inventory-app did not answer within {timeout:?}"),
        )
    } else {
        ApiError::unavailable(
            "inventory-app is unavailable, retry later",
            anyhow::anyhow!("{e}"),
        )
    }
}

/// `ANY /api/movies[/…]`.
pub async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    request_id: RequestId,
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
    proxy.forward(&req, body, &request_id.0, permit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for bad in [
            "/api/movies/..",
            "/api/movies/../../metrics",
            "/api/movies/./x",
            "/api/movies/.",
            "/api/movies/%2e%2e/metrics",
            "/api/movies/%2E%2E/metrics",
            "/api/movies/.%2e/metrics",
            "/api/movies/%2e./metrics",
            "/api/movies/%2e/x",
            "/api/movies/%2E",
            "/api/movies/x/..%2f..%2fmetrics",
            "/api/movies/..%5c..%5cmetrics",
            "/api/movies/..\\metrics",
        ] {
            assert!(!is_safe_movies_path(bad), "{bad}");
        }
        for good in [
            "/api/movies",
            "/api/movies/",
            "/api/movies/42",
            "/api/movies/a..b",
            "/api/movies/...",
            "/api/movies/.hidden",
            "/api/movies/%2e%2e%2e",
            "/api/movies/x%2",
            "/api/movies/x%",
        ] {
            assert!(is_safe_movies_path(good), "{good}");
        }
    }

    #[test]
    fn strips_hop_by_hop_and_connection_listed() {
        let h = |n: &str, v: &str| (n.to_string(), v.as_bytes().to_vec());
        let kept = end_to_end(vec![
            h("content-type", "application/json"),
            h("connection", "keep-alive, x-secret-hop"),
            h("x-secret-hop", "1"),
            h("transfer-encoding", "chunked"),
            h("keep-alive", "timeout=5"),
            h("x-custom", "yes"),
            h("content-length", "10"),
        ]);
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "x-custom"]);
    }
}
