//! Termination signals and the shutdown token.
//!
//! [`signal`] resolves on SIGTERM or SIGINT (ECS sends SIGTERM, then SIGKILL
//! 30 s later). The [`CancellationToken`] (re-exported from `tokio-util`) is
//! how background workers learn that shutdown started: `Application` cancels
//! it when a signal arrives, right after readiness flips to draining, then
//! gives workers the rest of `SHUTDOWN_TIMEOUT_SECS` to finish.

pub use tokio_util::sync::CancellationToken;

/// Waits for SIGTERM or SIGINT; returns the signal's name.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                }
            }
            _ => {
                tracing::error!("cannot install signal handlers; falling back to ctrl-c");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}
