//! The function's log output: one JSON object per line on stdout (CloudWatch
//! Logs keeps one event per line; Logs Insights reads the fields), the
//! event's fields at the top level, the invocation's span (`requestId`)
//! beside them, filtered by `RUST_LOG` (default `info`).

use runtime_contract::variables::{DEFAULT_RUST_LOG, RUST_LOG};
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the subscriber on stdout; a second call is a no-op.
pub fn init() {
    let filter =
        EnvFilter::try_from_env(RUST_LOG).unwrap_or_else(|_| EnvFilter::new(DEFAULT_RUST_LOG));
    let _ = tracing::subscriber::set_global_default(subscriber(filter, std::io::stdout));
}

/// The JSON subscriber writing to `writer`.
pub fn subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::*;
    use crate::check::CheckReport;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    fn logged(report: &CheckReport) -> Value {
        let buffer = Buffer::default();
        let subscriber = subscriber(EnvFilter::new("info"), buffer.clone());
        tracing::subscriber::with_default(subscriber, || report.log());
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "one line per check: {text}");
        serde_json::from_str(text.trim()).unwrap()
    }

    #[test]
    fn a_check_is_one_json_line_with_path_status_latency_and_reason() {
        let failed = CheckReport {
            path: "/readyz".into(),
            url: "http://10.0.1.5:8443/readyz".into(),
            status: Some(503),
            latency_ms: 12,
            passed: false,
            reason: "answered 503 Service Unavailable, expected 2xx".into(),
        };
        let line = logged(&failed);
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "smoke check");
        for (key, want) in [
            ("path", json!("/readyz")),
            ("url", json!("http://10.0.1.5:8443/readyz")),
            ("status", json!(503)),
            ("latency_ms", json!(12)),
            ("passed", json!(false)),
            (
                "reason",
                json!("answered 503 Service Unavailable, expected 2xx"),
            ),
        ] {
            assert_eq!(line[key], want, "{key} in {line}");
        }
        let unanswered = CheckReport {
            status: None,
            passed: false,
            reason: "no complete answer within 2000 ms".into(),
            ..failed
        };
        let line = logged(&unanswered);
        assert!(
            line.get("status").is_none(),
            "no status without an answer: {line}"
        );
        assert_eq!(line["reason"], "no complete answer within 2000 ms");
    }
}
