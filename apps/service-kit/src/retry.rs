//! Exponential backoff with jitter, on top of the `backon` crate.
//!
//! [`reconnect_backoff`] is the policy for reconnecting to PostgreSQL or
//! RabbitMQ (100 ms doubling to 10 s, full jitter, no attempt limit);
//! [`retry_until_cancelled`] loops an async operation with such a policy,
//! logging each failure, until it succeeds or shutdown is requested.
//! `backon` itself is re-exported for anything more specific
//! (`op.retry(builder).when(..).notify(..)`).

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

pub use backon::{self, Backoff, BackoffBuilder, ExponentialBuilder, Retryable};
use tokio_util::sync::CancellationToken;

/// Exponential backoff from `min` to `max`, with jitter, without attempt limit.
pub fn exponential(min: Duration, max: Duration) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
}

/// The reconnect policy: 100 ms → 10 s, jittered, unlimited.
pub fn reconnect_backoff() -> ExponentialBuilder {
    exponential(Duration::from_millis(100), Duration::from_secs(10))
}

/// Calls `op` until it succeeds, sleeping per `policy` between failures
/// (each failure logged at WARN with `what`). Returns `None` if `cancel`
/// fires first.
pub async fn retry_until_cancelled<T, E, F, Fut>(
    what: &str,
    policy: ExponentialBuilder,
    cancel: &CancellationToken,
    mut op: F,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Display,
{
    let mut delays = policy.build();
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        let res = tokio::select! {
            _ = cancel.cancelled() => return None,
            r = op() => r,
        };
        match res {
            Ok(v) => {
                if attempt > 1 {
                    tracing::info!(what, attempt, "succeeded after retrying");
                }
                return Some(v);
            }
            Err(e) => {
                let delay = delays.next().unwrap_or(Duration::from_secs(10));
                tracing::warn!(what, attempt, error = %e, retry_in_ms = delay.as_millis() as u64, "failed; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_bounded() {
        let mut b = exponential(Duration::from_millis(10), Duration::from_millis(100)).build();
        let delays: Vec<_> = (0..20).map(|_| b.next().unwrap()).collect();
        // jitter adds up to one more delay on top
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(200)));
        assert!(delays[10] >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn retries_until_success_and_stops_on_cancel() {
        let cancel = CancellationToken::new();
        let mut n = 0;
        let v = retry_until_cancelled(
            "test",
            exponential(Duration::from_millis(1), Duration::from_millis(2)),
            &cancel,
            || {
                n += 1;
                let n = n;
                async move { if n < 3 { Err("no") } else { Ok(n) } }
            },
        )
        .await;
        assert_eq!(v, Some(3));
        cancel.cancel();
        let v: Option<()> = retry_until_cancelled("test", reconnect_backoff(), &cancel, || async {
            Err::<(), _>("never")
        })
        .await;
        assert_eq!(v, None);
    }
}
