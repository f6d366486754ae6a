//! [`RequestTelemetry`]: the actix middleware that gives every request an id
//! (`x-request-id`, taken from the client when sane, else a UUID v4, echoed
//! in the response), records the HTTP metrics and logs one access line per
//! request with request id, method, path, route, status and latency.
//!
//! It runs on every request, so it keeps its per-request work small: the
//! in-flight gauge is resolved once per worker, method and path are kept
//! without copying, a new request id comes from the thread's random
//! generator (no system call), the request id reaches the request's log
//! lines through a thread-local ([`crate::request_scope`]) rather than a
//! `tracing` span (kept only for the human `LOG_FORMAT=pretty`), and a scope
//! can name its `route` label itself ([`RouteLabel`]) instead of having it
//! looked up and copied.

use std::borrow::Cow;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::request_scope::WithRequestId;

/// The `target` of the access log lines (where they were logged before
/// this module had a file of its own; log queries filter on it).
const ACCESS_LOG_TARGET: &str = "service_kit::telemetry";

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The `route` label (metrics and access log) of every request a scope
/// answers, given to the scope as app data: for a scope that routes by its
/// static prefix alone, to its default service, which actix cannot name
/// (`match_pattern` is `None` there). Outside such a scope the label is the
/// matched resource's pattern, or `unmatched`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteLabel(pub &'static str);

/// Whether each request also gets a `tracing` span carrying its id: only for
/// `LOG_FORMAT=pretty`, whose lines show spans; JSON lines take the id from
/// [`crate::request_scope`].
static REQUEST_SPANS: AtomicBool = AtomicBool::new(false);

/// Turns the per-request span on or off (set by [`crate::telemetry::init`]).
pub fn set_request_spans(on: bool) {
    REQUEST_SPANS.store(on, Ordering::Relaxed);
}

/// The request id of the current request, available to handlers via
/// `req.extensions().get::<RequestId>()` or as an extractor.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl actix_web::FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::HttpMessage;
        ready(Ok(req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(new_request_id()))))
    }
}

/// A new random (version 4) UUID, from the thread's generator.
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| v.to_string())
}

/// Middleware: request id, HTTP metrics and one log line per request.
#[derive(Clone)]
pub struct RequestTelemetry {
    metrics: Metrics,
}

impl RequestTelemetry {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestTelemetry
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestTelemetryMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let in_flight = self
            .metrics
            .http()
            .requests_in_flight
            .with_label_values(&[self.metrics.service()]);
        ready(Ok(RequestTelemetryMiddleware {
            service: Rc::new(service),
            metrics: self.metrics.clone(),
            in_flight,
        }))
    }
}

pub struct RequestTelemetryMiddleware<S> {
    service: Rc<S>,
    metrics: Metrics,
    /// `http_requests_in_flight{service}`, resolved once
    in_flight: prometheus::IntGauge,
}

/// Decrements the in-flight gauge even if the request future is dropped
/// (client went away).
struct InFlight(prometheus::IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl<S, B> Service<ServiceRequest> for RequestTelemetryMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = WithRequestId<LocalBoxFuture<'static, Result<Self::Response, Self::Error>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        use actix_web::HttpMessage;
        let start = Instant::now();
        let request_id = incoming_request_id(&req).unwrap_or_else(new_request_id);
        let shared_id: Rc<str> = Rc::from(request_id.as_str());
        req.extensions_mut().insert(RequestId(request_id));
        // cheap clones: a standard method is a tag, the URI shares its bytes
        let method = req.method().clone();
        let uri = req.uri().clone();
        let metrics = self.metrics.clone();
        self.in_flight.inc();
        let in_flight = InFlight(self.in_flight.clone());
        let service = Rc::clone(&self.service);
        let request_id = Rc::clone(&shared_id);
        let fut = async move {
            let _in_flight = in_flight;
            let result = service.call(req).await;
            let elapsed = start.elapsed();
            let (status, route) = match &result {
                Ok(res) => (res.status(), route_label(res.request())),
                Err(e) => (
                    e.as_response_error().status_code(),
                    Cow::Borrowed(UNMATCHED),
                ),
            };
            record(&metrics, method.as_str(), &route, status, elapsed);
            let request_id = &*request_id;
            let method = method.as_str();
            let latency_ms = elapsed.as_secs_f64() * 1000.0;
            let status_code = status.as_u16();
            let path = uri.path();
            if status.is_server_error() {
                tracing::warn!(target: ACCESS_LOG_TARGET, %request_id, %method, %path, route = %route, status = status_code, latency_ms, "request completed");
            } else {
                tracing::info!(target: ACCESS_LOG_TARGET, %request_id, %method, %path, route = %route, status = status_code, latency_ms, "request completed");
            }
            result.map(|mut res| {
                if let Ok(v) = HeaderValue::from_str(request_id) {
                    res.headers_mut().insert(REQUEST_ID.clone(), v);
                }
                res
            })
        };
        let fut: LocalBoxFuture<'static, _> = if REQUEST_SPANS.load(Ordering::Relaxed) {
            let span = tracing::info_span!("request", request_id = %shared_id);
            Box::pin(fut.instrument(span))
        } else {
            Box::pin(fut)
        };
        WithRequestId::new(shared_id, fut)
    }
}

/// The label of requests no resource matched.
const UNMATCHED: &str = "unmatched";

/// The `route` label: the scope's [`RouteLabel`], else the matched pattern.
fn route_label(req: &actix_web::HttpRequest) -> Cow<'static, str> {
    if let Some(label) = req.app_data::<RouteLabel>() {
        return Cow::Borrowed(label.0);
    }
    req.match_pattern()
        .map_or(Cow::Borrowed(UNMATCHED), Cow::Owned)
}

/// `http_requests_total` and `http_request_duration_seconds`.
fn record(
    metrics: &Metrics,
    method: &str,
    route: &str,
    status: actix_web::http::StatusCode,
    elapsed: std::time::Duration,
) {
    let service = metrics.service();
    let http = metrics.http();
    http.requests_total
        .with_label_values(&[service, method, route, status.as_str()])
        .inc();
    http.request_duration_seconds
        .with_label_values(&[service, method, route])
        .observe(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_request_ids_are_distinct_v4_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        for id in [a, b] {
            let parsed = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(id.len(), 36);
        }
    }
}
