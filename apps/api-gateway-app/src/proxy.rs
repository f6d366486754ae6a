//! Reverse proxy for `/api/movies` and everything under it.
//!
//! The client gets inventory-app's status, headers (minus hop-by-hop ones)
//! and body unchanged, also for a non-JSON error body (the response is marked
//! with `keep_error_body`, so the kit's JSON error handler leaves it alone). Bodies are buffered with a size limit (they are small
//! JSON documents; buffering keeps `Content-Length` exact and makes the size
//! limit trivial). Calls go through the circuit breaker: when inventory-app
//! keeps failing, the gateway answers 503 + `Retry-After` at once instead of
//! tying up a connection per request until a timeout.

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

/// The proxy: HTTP client, target, breaker, limits.
#[derive(Clone)]
pub struct Proxy {
    client: reqwest::Client,
    base: String,
    breaker: CircuitBreaker,
    max_body: usize,
    timeout: Duration,
}

impl Proxy {
    /// A proxy to `settings.url`.
    pub fn new(settings: &InventorySettings, breaker: CircuitBreaker) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            client,
            base: settings.url.clone(),
            breaker,
            max_body: settings.max_body_bytes,
            timeout: settings.timeout,
        })
    }

    /// The breaker (readiness detail, tests).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    async fn forward(
        &self,
        req: &HttpRequest,
        body: web::Bytes,
        request_id: &str,
        permit: Permit,
    ) -> Result<HttpResponse, ApiError> {
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let url = format!("{}{}", self.base, path_and_query);
        let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
            .map_err(|_| ApiError::bad_request("bad_request", "unsupported method"))?;
        let incoming: Vec<(String, Vec<u8>)> = req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        let mut builder = self.client.request(method, &url);
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

        let mut upstream = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                permit.failure();
                return Err(upstream_error(&e, self.timeout));
            }
        };
        let status = upstream.status().as_u16();
        if upstream
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            permit.success();
            return Err(too_large(self.max_body));
        }
        let mut buf = web::BytesMut::new();
        loop {
            match upstream.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > self.max_body {
                        permit.success();
                        return Err(too_large(self.max_body));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    permit.failure();
                    return Err(upstream_error(&e, self.timeout));
                }
            }
        }
        // a 5xx means inventory-app is unwell: count it, but pass it on as is
        if status >= 500 {
            permit.failure();
        } else {
            permit.success();
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
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
        let mut res = res.body(buf.freeze());
        // inventory-app's answer, error or not, reaches the client exactly:
        // the kit's JSON error rewriting is for the gateway's own errors.
        service_kit::errors::keep_error_body(&mut res);
        Ok(res)
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_response_too_large",
        format!("inventory-app answered with more than {limit} bytes"),
    )
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
