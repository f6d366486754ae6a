//! Logging and per-request telemetry.
//!
//! [`init`] installs a global `tracing` subscriber: JSON lines (default) or
//! pretty text (`LOG_FORMAT`), filtered by `RUST_LOG`. [`init_for_tests`] is
//! silent unless `TEST_LOG` is set. [`RequestTelemetry`] is the actix
//! middleware that gives every request an id (`x-request-id`, taken from the
//! client when sane, else a UUID v4, echoed in the response), records the HTTP
//! metrics and logs one line per request with request id, method, path, route,
//! status and latency.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, LogSettings};
use crate::metrics::Metrics;

/// Installs the global subscriber. Safe to call twice (the second call is a no-op).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|e| {
        eprintln!(
            "invalid RUST_LOG {:?} ({e}); falling back to \"info\"",
            settings.filter
        );
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_target(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// For tests: logs only when `TEST_LOG` is set (format from `LOG_FORMAT`,
/// filter from `RUST_LOG`, default `info`).
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = LogSettings::from_env().unwrap_or(LogSettings {
            format: LogFormat::Pretty,
            filter: "info".into(),
        });
        init(&settings);
    }
}

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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
            .unwrap_or_else(|| {
                RequestId(uuid::Uuid::new_v4().to_string())
            })))
    }
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
        ready(Ok(RequestTelemetryMiddleware {
            service: Rc::new(service),
            metrics: self.metrics.clone(),
        }))
    }
}

pub struct RequestTelemetryMiddleware<S> {
    service: Rc<S>,
    metrics: Metrics,
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
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        use actix_web::HttpMessage;
        let start = Instant::now();
        let request_id =
            incoming_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let method = req.method().to_string();
        let path = req.path().to_string();
        let metrics = self.metrics.clone();
        let service_name = metrics.service().to_string();
        let gauge = metrics
            .http()
            .requests_in_flight
            .with_label_values(&[service_name.as_str()]);
        gauge.inc();
        let in_flight = InFlight(gauge);
        let span = tracing::info_span!("request", request_id = %request_id);
        let service = Rc::clone(&self.service);
        let fut: LocalBoxFuture<'static, _> = Box::pin(
            async move {
                let _in_flight = in_flight;
                let result = service.call(req).await;
                let elapsed = start.elapsed();
                let (status, route) = match &result {
                    Ok(res) => (
                        res.status(),
                        res.request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".to_string()),
                    ),
                    Err(e) => (e.as_response_error().status_code(), "unmatched".to_string()),
                };
                let http = metrics.http();
                http.requests_total
                    .with_label_values(&[&service_name, &method, &route, status.as_str()])
                    .inc();
                http.request_duration_seconds
                    .with_label_values(&[&service_name, &method, &route])
                    .observe(elapsed.as_secs_f64());
                let latency_ms = elapsed.as_secs_f64() * 1000.0;
                let status_code = status.as_u16();
                if status.is_server_error() {
                    tracing::warn!(%request_id, %method, %path, %route, status = status_code, latency_ms, "request completed");
                } else {
                    tracing::info!(%request_id, %method, %path, %route, status = status_code, latency_ms, "request completed");
                }
                result.map(|mut res| {
                    if let Ok(v) = HeaderValue::from_str(&request_id) {
                        res.headers_mut().insert(REQUEST_ID.clone(), v);
                    }
                    res
                })
            }
            .instrument(span),
        );
        fut
    }
}
