//! The function's log output: one JSON object per line on stdout (CloudWatch
//! Logs keeps one event per line; Logs Insights reads the fields), the
//! event's fields at the top level, filtered by `RUST_LOG` (default `info`).

use runtime_contract::variables::{DEFAULT_RUST_LOG, RUST_LOG};
use tracing_subscriber::EnvFilter;

/// Installs the subscriber; a second call is a no-op.
pub fn init() {
    let filter =
        EnvFilter::try_from_env(RUST_LOG).unwrap_or_else(|_| EnvFilter::new(DEFAULT_RUST_LOG));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}
