//! Prometheus metrics on a per-service registry.
//!
//! [`Metrics::new`] creates a registry holding the HTTP metrics of
//! `docs/contracts.md` (`http_requests_total`, `http_request_duration_seconds`,
//! `http_requests_in_flight`), each labelled with the service name. Services
//! add their own collectors with [`Metrics::register`]; [`metrics_handler`]
//! serves the text exposition at `GET /metrics`. The registry is not the
//! process-global default so tests can run several apps in one process.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// HTTP request metrics, recorded by [`crate::telemetry::RequestTelemetry`].
#[derive(Clone)]
pub struct HttpMetrics {
    pub requests_total: IntCounterVec,
    pub request_duration_seconds: HistogramVec,
    pub requests_in_flight: IntGaugeVec,
}

struct Inner {
    service: String,
    registry: Registry,
    http: HttpMetrics,
}

/// A service's metrics registry. Cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl Metrics {
    /// A new registry with the HTTP metrics registered, labelled `service=<service>`.
    pub fn new(service: &str) -> Self {
        let registry = Registry::new();
        let requests_total = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests handled"),
            &["service", "method", "route", "status"],
        )
        .expect("valid metric");
        let request_duration_seconds = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency in seconds",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["service", "method", "route"],
        )
        .expect("valid metric");
        let requests_in_flight = IntGaugeVec::new(
            Opts::new("http_requests_in_flight", "HTTP requests being handled"),
            &["service"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests_total.clone()) as Box<dyn Collector>,
            Box::new(request_duration_seconds.clone()),
            Box::new(requests_in_flight.clone()),
        ] {
            registry.register(c).expect("fresh registry");
        }
        // Show the gauge at 0 before the first request.
        requests_in_flight.with_label_values(&[service]).set(0);
        Self(Arc::new(Inner {
            service: service.to_string(),
            registry,
            http: HttpMetrics {
                requests_total,
                request_duration_seconds,
                requests_in_flight,
            },
        }))
    }

    pub fn service(&self) -> &str {
        &self.0.service
    }

    pub fn registry(&self) -> &Registry {
        &self.0.registry
    }

    pub fn http(&self) -> &HttpMetrics {
        &self.0.http
    }

    /// Registers a service-specific collector and gives it back, e.g.
    /// `let c = metrics.register(IntCounterVec::new(Opts::new(..), &["outcome"])?)?;`
    pub fn register<C>(&self, collector: C) -> prometheus::Result<C>
    where
        C: Collector + Clone + 'static,
    {
        self.0.registry.register(Box::new(collector.clone()))?;
        Ok(collector)
    }

    /// The Prometheus text exposition of everything registered.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.0.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "failed to encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// `GET /metrics`: Prometheus text format. Needs `web::Data<Metrics>`.
pub async fn metrics_handler(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

pub use prometheus;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_collectors_share_the_registry() {
        let m = Metrics::new("svc");
        let c = m
            .register(
                IntCounterVec::new(Opts::new("billing_messages_total", "x"), &["outcome"]).unwrap(),
            )
            .unwrap();
        c.with_label_values(&["stored"]).inc();
        let text = m.render();
        assert!(text.contains("billing_messages_total{outcome=\"stored\"} 1"));
        assert!(text.contains("http_requests_in_flight{service=\"svc\"} 0"));
    }
}
