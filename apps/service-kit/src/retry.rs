//! The one backoff of the services: exponential with full jitter
//! ([`Backoff`]), reset after a success, used by every reconnect loop
//! (PostgreSQL, the RabbitMQ publisher and consumer) and by
//! [`retry_until_cancelled`], which loops an async operation, logging each
//! failure, until it succeeds or shutdown is requested. [`reconnect_backoff`]
//! is the default policy: 100 ms doubling to 10 s, no attempt limit.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential
/// Backoff And Jitter"): the n-th delay is uniform in `[base, min(max, base·2ⁿ)]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting at `base`, capped at `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next attempt; each call doubles the ceiling.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let lo = self.base.as_millis() as u64;
        let hi = (ceiling.as_millis() as u64).max(lo);
        Duration::from_millis(rand::random_range(lo..=hi))
    }

    /// Back to the first step (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// The reconnect policy: 100 ms → 10 s, jittered, unlimited.
pub fn reconnect_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(100), Duration::from_secs(10))
}

/// Calls `op` until it succeeds, sleeping per `policy` between failures
/// (each failure logged at WARN with `what`). Returns `None` if `cancel`
/// fires first.
pub async fn retry_until_cancelled<T, E, F, Fut>(
    what: &str,
    mut policy: Backoff,
    cancel: &CancellationToken,
    mut op: F,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Display,
{
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
                let delay = policy.next_delay();
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
    fn delays_stay_between_base_and_max_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
        let delays: Vec<_> = (0..20).map(|_| b.next_delay()).collect();
        assert!(delays.iter().all(|d| *d >= Duration::from_millis(10)));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(100)));
        // the first ceiling is the base itself
        assert_eq!(delays[0], Duration::from_millis(10));
        assert_eq!(b.attempts(), 20);
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(), Duration::from_millis(10));
    }

    #[tokio::test]
    async fn retries_until_success_and_stops_on_cancel() {
        let cancel = CancellationToken::new();
        let mut n = 0;
        let v = retry_until_cancelled(
            "test",
            Backoff::new(Duration::from_millis(1), Duration::from_millis(2)),
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
