//! Logging and per-request telemetry.
//!
//! [`init`] installs a global `tracing` subscriber: JSON lines (default) or
//! pretty text (`LOG_FORMAT`) on stdout, filtered by `RUST_LOG`; with
//! `LOG_FILE` also JSON lines to that file (daily rotation, non-blocking;
//! keep the returned [`LogGuard`] until exit). [`init_for_tests`] is
//! silent unless `TEST_LOG` is set. The per-request side (request id,
//! HTTP metrics, access log line) is [`crate::request_telemetry`], re-exported
//! here.

use std::path::Path;

use tracing::Subscriber;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, LogSettings};

pub use crate::request_telemetry::{
    REQUEST_ID, RequestId, RequestTelemetry, RequestTelemetryMiddleware, RouteLabel,
};

use crate::json_line::JsonLine;

/// How many daily `LOG_FILE` files are kept (today's included); older ones
/// are deleted when a new day's file is opened.
pub const LOG_FILES_KEPT: usize = 7;

/// Keeps the log writer threads (stdout, and `LOG_FILE` when set) alive;
/// dropping it flushes the lines still buffered. Hold it for the life of the
/// process ([`crate::entry::run`] does).
#[must_use = "dropping the guard stops the log writers"]
#[derive(Debug, Default)]
pub struct LogGuard {
    stdout: Option<WorkerGuard>,
    file: Option<WorkerGuard>,
}

impl LogGuard {
    /// Whether log lines also go to `LOG_FILE`.
    pub fn writes_file(&self) -> bool {
        self.file.is_some()
    }
}

/// Bytes of log lines gathered before the stdout writer thread writes them.
const STDOUT_BUFFER: usize = 64 * 1024;

/// Lines queued for the stdout writer thread. The queue is allocated up
/// front (~32 bytes a line), so it stays small: idle memory matters more
/// than absorbing a long burst, which makes logging wait instead.
pub const STDOUT_QUEUE_LINES: usize = 8 * 1024;

/// Installs the global subscriber. Safe to call twice (the second call is a
/// no-op for the subscriber).
///
/// stdout is always the primary sink (`LOG_FORMAT`). With `LOG_FILE` set,
/// the same events also go, as JSON lines, to that file through a
/// non-blocking writer: rotated daily (UTC) into `<stem>.<YYYY-MM-DD>.<ext>`
/// next to it, [`LOG_FILES_KEPT`] files kept, `LOG_FILE` itself a symlink to
/// the current one. If the file cannot be opened, a warning goes to stdout
/// and the service logs to stdout only.
///
/// stdout is written by a thread of its own, not by the request: a request
/// only formats its line and hands it over (no syscall, no stdout lock on the
/// hot path); the thread writes what has queued up in one go and flushes
/// when the queue is empty, so an idle service still logs each line at once.
/// Lines are never dropped: when the queue ([`STDOUT_QUEUE_LINES`]) is full,
/// logging waits.
pub fn init(settings: &LogSettings) -> LogGuard {
    let (stdout, stdout_guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(STDOUT_QUEUE_LINES)
        .thread_name("log-stdout")
        .finish(std::io::BufWriter::with_capacity(
            STDOUT_BUFFER,
            std::io::stdout(),
        ));
    // pretty lines show the request id through a span, JSON lines carry it
    // without one (request_scope)
    crate::request_telemetry::set_request_spans(settings.format == LogFormat::Pretty);
    let (subscriber, mut guard, file_error) = build(settings, stdout);
    guard.stdout = Some(stdout_guard);
    let _ = subscriber.try_init();
    if let Some(error) = file_error {
        warn_log_file_unusable(settings, &error);
    }
    guard
}

/// The subscriber for `settings`, stdout going to `stdout`; also the
/// `LOG_FILE` guard, or why `LOG_FILE` cannot be used.
fn build<W>(
    settings: &LogSettings,
    stdout: W,
) -> (
    impl Subscriber + Send + Sync + 'static,
    LogGuard,
    Option<String>,
)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|e| {
        eprintln!(
            "invalid RUST_LOG {:?} ({e}); falling back to \"info\"",
            settings.filter
        );
        EnvFilter::new("info")
    });
    let (file_writer, guard, error) = match settings.file.as_deref().map(open_log_file) {
        None => (None, LogGuard::default(), None),
        Some(Ok(appender)) => {
            let (writer, guard) = NonBlockingBuilder::default()
                .thread_name("log-file")
                .finish(appender);
            let guard = LogGuard {
                stdout: None,
                file: Some(guard),
            };
            (Some(writer), guard, None)
        }
        Some(Err(e)) => (None, LogGuard::default(), Some(e)),
    };
    let (stdout_layer, file_layer) = match (settings.format, file_writer) {
        // One formatting, the same bytes to both sinks.
        (LogFormat::Json, Some(file)) => (json_layer().with_writer(stdout.and(file)).boxed(), None),
        (LogFormat::Json, None) => (json_layer().with_writer(stdout).boxed(), None),
        // Pretty text is for humans on a terminal; the file stays JSON.
        (LogFormat::Pretty, file) => (
            fmt::layer().with_writer(stdout).boxed(),
            file.map(|f| json_layer().with_ansi(false).with_writer(f)),
        ),
    };
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(stdout_layer)
        .with(file_layer);
    (subscriber, guard, error)
}

/// The JSON line format (one flat object per event, [`JsonLine`]).
fn json_layer<S>() -> fmt::Layer<S, fmt::format::DefaultFields, JsonLine>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fmt::layer().event_format(JsonLine)
}

fn warn_log_file_unusable(settings: &LogSettings, error: &str) {
    let path = settings
        .file
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    tracing::warn!(
        log_file = %path,
        error = %error,
        "LOG_FILE cannot be written; logging to stdout only"
    );
}

/// The daily appender for `LOG_FILE`: `<dir>/<stem>.<date>.<ext>`, with
/// `LOG_FILE` a symlink to the current file (unless something that is not a
/// symlink is already there: it is left alone).
fn open_log_file(path: &Path) -> Result<RollingFileAppender, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "LOG_FILE has no (UTF-8) file name".to_string())?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Absolute, so that the symlink's target resolves from any directory.
    let dir = std::path::absolute(dir).map_err(|e| e.to_string())?;
    let mut builder = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .max_log_files(LOG_FILES_KEPT);
    builder = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => {
            builder.filename_prefix(stem).filename_suffix(ext)
        }
        _ => builder.filename_prefix(name),
    };
    let occupied = std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_symlink());
    if !occupied {
        builder = builder.latest_symlink(name);
    }
    builder.build(&dir).map_err(|e| e.to_string())
}

/// For tests: logs only when `TEST_LOG` is set (format from `LOG_FORMAT`,
/// filter from `RUST_LOG`, default `info`; `LOG_FILE` honoured, its last
/// buffered lines may be lost at exit).
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = LogSettings::from_env().unwrap_or(LogSettings {
            format: LogFormat::Pretty,
            filter: "info".into(),
            file: None,
        });
        // Tests have no place to hold the guard until exit.
        std::mem::forget(init(&settings));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    /// A stdout stand-in the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "service-kit-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn settings(format: LogFormat, file: Option<PathBuf>) -> LogSettings {
        LogSettings {
            format,
            filter: "info".into(),
            file,
        }
    }

    fn json_lines(text: &str) -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    #[test]
    fn log_file_receives_the_json_lines_stdout_gets() {
        let dir = temp_dir("log-file");
        let path = dir.join("api-gateway.log");
        let stdout = Captured::default();
        let out = stdout.clone();
        let (subscriber, guard, error) =
            build(&settings(LogFormat::Json, Some(path.clone())), move || {
                out.clone()
            });
        assert_eq!(error, None);
        assert!(guard.writes_file());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(request_id = "r-1", status = 200, "request completed");
            tracing::debug!("filtered out by RUST_LOG=info");
            tracing::warn!("second line");
        });
        drop(guard); // flushes the writer thread

        // LOG_FILE is a symlink to today's `api-gateway.<date>.log`.
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let dated: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "api-gateway.log")
            .collect();
        assert_eq!(dated.len(), 1, "{dated:?}");
        assert!(dated[0].starts_with("api-gateway.20") && dated[0].ends_with(".log"));

        let file = json_lines(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(file.len(), 2, "{file:?}");
        assert_eq!(file[0]["message"], "request completed");
        assert_eq!(file[0]["request_id"], "r-1");
        assert_eq!(file[0]["status"], 200);
        assert_eq!(file[0]["level"], "INFO");
        assert_eq!(file[1]["message"], "second line");
        // stdout stays the primary sink, with the same lines.
        assert_eq!(json_lines(&stdout.text()), file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lines_logged_while_a_request_is_served_carry_its_id() {
        use crate::request_scope::WithRequestId;
        let stdout = Captured::default();
        let out = stdout.clone();
        let (subscriber, _guard, _) = build(&settings(LogFormat::Json, None), move || out.clone());
        tracing::subscriber::with_default(subscriber, || {
            let served = WithRequestId::new(
                std::rc::Rc::from("r-9"),
                Box::pin(async {
                    tracing::warn!(share = 1.5, ok = true, note = %"a \"b\"", "inside")
                }),
            );
            futures_util::FutureExt::now_or_never(served).unwrap();
            tracing::info!("outside");
        });
        let lines = json_lines(&stdout.text());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["request_id"], "r-9");
        assert_eq!(lines[0]["message"], "inside");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["share"], 1.5);
        assert_eq!(lines[0]["ok"], true);
        assert_eq!(lines[0]["note"], "a \"b\"");
        assert_eq!(lines[0]["target"], module_path!());
        let ts = lines[0]["timestamp"].as_str().unwrap();
        assert_eq!((ts.len(), &ts[10..11], &ts[19..20]), (27, "T", "."), "{ts}");
        assert!(ts.ends_with('Z'));
        assert!(lines[1].get("request_id").is_none(), "{:?}", lines[1]);
    }

    #[test]
    fn log_file_is_json_even_when_stdout_is_pretty() {
        let dir = temp_dir("log-file-pretty");
        let path = dir.join("svc.log");
        let stdout = Captured::default();
        let out = stdout.clone();
        let (subscriber, guard, error) = build(
            &settings(LogFormat::Pretty, Some(path.clone())),
            move || out.clone(),
        );
        assert_eq!(error, None);
        tracing::subscriber::with_default(subscriber, || tracing::info!(n = 1, "hello"));
        drop(guard);
        let file = json_lines(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(file.len(), 1);
        assert_eq!(file[0]["message"], "hello");
        assert!(stdout.text().contains("hello") && !stdout.text().starts_with('{'));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_log_file_warns_on_stdout_and_keeps_logging() {
        let dir = temp_dir("log-file-bad");
        // A regular file where a directory should be: not creatable, even as root.
        let blocker = dir.join("not-a-dir");
        std::fs::write(&blocker, b"").unwrap();
        let path = blocker.join("logs").join("svc.log");
        let log = settings(LogFormat::Json, Some(path.clone()));
        let stdout = Captured::default();
        let out = stdout.clone();
        let (subscriber, guard, error) = build(&log, move || out.clone());
        let error = error.expect("the path cannot be opened");
        assert!(!guard.writes_file());
        tracing::subscriber::with_default(subscriber, || {
            warn_log_file_unusable(&log, &error);
            tracing::info!("still logging");
        });
        let lines = json_lines(&stdout.text());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["log_file"], path.display().to_string());
        assert!(
            lines[0]["message"]
                .as_str()
                .unwrap()
                .contains("stdout only")
        );
        assert_eq!(lines[1]["message"], "still logging");
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_existing_regular_file_at_log_file_is_not_replaced() {
        let dir = temp_dir("log-file-occupied");
        let path = dir.join("svc.log");
        std::fs::write(&path, b"keep me\n").unwrap();
        let (subscriber, guard, error) =
            build(&settings(LogFormat::Json, Some(path.clone())), io::sink);
        assert_eq!(error, None);
        tracing::subscriber::with_default(subscriber, || tracing::info!("x"));
        drop(guard);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
