//! The Prometheus metrics every dashboard may rely on (`GET /metrics`).

/// A metric: its name, labels and kind, and which services export it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    /// Label names, or `label="value|value"` where the values are fixed.
    pub labels: &'static str,
    pub kind: &'static str,
    /// `None`: every service.
    pub only: Option<&'static str>,
    /// Extra words for the documentation.
    pub note: &'static str,
}

pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "http_requests_in_flight";
pub const BILLING_MESSAGES_TOTAL: &str = "billing_messages_total";
pub const BILLING_PUBLISH_TOTAL: &str = "billing_publish_total";
pub const INVENTORY_CIRCUIT_STATE: &str = "inventory_circuit_state";
pub const BILLING_DEAD_LETTER_QUEUE_MESSAGES: &str = "billing_dead_letter_queue_messages";
pub const BILLING_CONSUMER_SESSIONS_LOST_TOTAL: &str = "billing_consumer_sessions_lost_total";
pub const BILLING_BROKER_CONNECTED: &str = "billing_broker_connected";

pub const METRICS: &[Metric] = &[
    Metric {
        name: HTTP_REQUESTS_TOTAL,
        labels: "service,method,route,status",
        kind: "counter",
        only: None,
        note: "",
    },
    Metric {
        name: HTTP_REQUEST_DURATION_SECONDS,
        labels: "service,method,route",
        kind: "histogram",
        only: None,
        note: "",
    },
    Metric {
        name: HTTP_REQUESTS_IN_FLIGHT,
        labels: "service",
        kind: "gauge",
        only: None,
        note: "",
    },
    Metric {
        name: BILLING_MESSAGES_TOTAL,
        labels: "outcome=\"stored|duplicate|dead_lettered|retried\"",
        kind: "counter",
        only: Some("billing-app"),
        note: "",
    },
    Metric {
        name: BILLING_DEAD_LETTER_QUEUE_MESSAGES,
        labels: "",
        kind: "gauge",
        only: Some("billing-app"),
        note: "depth of `<queue>.dlq`, read every `BILLING_DLQ_POLL_MS`",
    },
    Metric {
        name: BILLING_CONSUMER_SESSIONS_LOST_TOTAL,
        labels: "",
        kind: "counter",
        only: Some("billing-app"),
        note: "consumer sessions ended by a lost connection or channel (a message the client cannot parse ends one)",
    },
    Metric {
        name: BILLING_PUBLISH_TOTAL,
        labels: "outcome=\"confirmed|nacked|unavailable\"",
        kind: "counter",
        only: Some("api-gateway-app"),
        note: "",
    },
    Metric {
        name: INVENTORY_CIRCUIT_STATE,
        labels: "service",
        kind: "gauge",
        only: Some("api-gateway-app"),
        note: "0 closed, 1 half-open, 2 open",
    },
    Metric {
        name: BILLING_BROKER_CONNECTED,
        labels: "",
        kind: "gauge",
        only: Some("api-gateway-app"),
        note: "1 while the billing publisher is connected (readiness does not depend on it)",
    },
];
