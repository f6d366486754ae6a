//! The whole of a service's `main`, shared: healthcheck subcommand, settings
//! from the environment, telemetry, runtime, serve, exit code.
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     service_kit::entry::run(
//!         "billing-app",
//!         8080,
//!         Runtime::MultiThread(2),
//!         Settings::from_env,
//!         |s| &s.log,
//!         |settings| async move { BillingApp::build(settings)?.run_until_stopped().await?; Ok(()) },
//!     )
//! }
//! ```
//!
//! Exit codes: `<binary> healthcheck` → the probe's code (0 healthy, 1 not,
//! 2 bad usage); configuration error → 2, the message on stderr names the
//! variable; the runtime cannot start → 1; `serve` returns `Ok` (clean stop
//! after SIGTERM/SIGINT) → 0, `Err` → 1 (logged).

use std::future::Future;
use std::process::ExitCode;

use crate::config::{ConfigError, LogSettings};

/// The tokio runtime a service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// One thread: the lowest idle footprint. actix's HTTP workers run on
    /// their own threads anyway, so this only carries background tasks.
    CurrentThread,
    /// A multi-thread runtime with this many worker threads (at least 1).
    MultiThread(usize),
}

impl Runtime {
    fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Runtime::MultiThread(n) => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n.max(1))
                .enable_all()
                .build(),
        }
    }
}

/// Runs a service binary; returns its exit code (see the module docs).
pub fn run<S, Fut>(
    name: &str,
    default_port: u16,
    runtime: Runtime,
    settings: impl FnOnce() -> Result<S, ConfigError>,
    log: impl FnOnce(&S) -> &LogSettings,
    serve: impl FnOnce(S) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    if let Some(code) = crate::healthcheck::from_args(name, default_port) {
        return code;
    }
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // Held until `run` returns: dropping it flushes the log writers.
    let _log_guard = crate::telemetry::init(log(&settings));
    let runtime = match runtime.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "{name} stopped with an error");
            ExitCode::FAILURE
        }
    }
}
