//! The HTTP paths every service answers for its operators: the load
//! balancer's health check, the container probe, Prometheus, and the
//! deployment smoke gate (`apps/deploy-hook`) all call these.

/// Liveness: 200 while the process serves HTTP; no dependency checks.
pub const LIVENESS_PATH: &str = "/healthz";

/// Readiness: 200 when every dependency answers and the service is not
/// draining; 503 with `Retry-After` otherwise.
pub const READINESS_PATH: &str = "/readyz";

/// Prometheus text exposition.
pub const METRICS_PATH: &str = "/metrics";
