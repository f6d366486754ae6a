//! A small circuit breaker in front of inventory-app.
//!
//! - **closed**: requests pass; `failure_threshold` consecutive failures open it;
//! - **open**: requests are refused at once (503 + `Retry-After`) for `open_for`;
//! - **half-open**: after `open_for`, one probe request passes; success closes
//!   the circuit, failure opens it again. Other requests are refused meanwhile.
//!
//! A [`Permit`] dropped without a verdict (the client went away) frees the
//! half-open probe slot without changing the state.
//!
//! No crate: the well-known ones (`failsafe`, `recloser`) either wrap the
//! call in their own future type or lack a half-open single-probe rule; this
//! is ~100 lines with its own tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::IntGaugeVec;

/// The breaker's state, as exported by `inventory_circuit_state` (0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// requests pass
    Closed = 0,
    /// one probe passes
    HalfOpen = 1,
    /// requests are refused
    Open = 2,
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// Refused because the circuit is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// when to try again
    pub retry_after: Duration,
}

/// The breaker. Cheap to clone (shared state).
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Mutex<Inner>>,
    failure_threshold: u32,
    open_for: Duration,
    gauge: Option<(IntGaugeVec, String)>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(failure_threshold: u32, open_for: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::Closed { failures: 0 })),
            failure_threshold: failure_threshold.max(1),
            open_for,
            gauge: None,
        }
    }

    /// Mirrors the state into `gauge{service=label}`.
    pub fn with_gauge(mut self, gauge: IntGaugeVec, label: &str) -> Self {
        gauge.with_label_values(&[label]).set(State::Closed as i64);
        self.gauge = Some((gauge, label.to_string()));
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, inner: &Inner) {
        if let Some((g, label)) = &self.gauge {
            g.with_label_values(&[label]).set(state_of(inner) as i64);
        }
    }

    /// The current state (an expired open circuit reports half-open).
    pub fn state(&self) -> State {
        let inner = self.lock();
        match *inner {
            Inner::Open { until } if Instant::now() >= until => State::HalfOpen,
            ref other => state_of(other),
        }
    }

    /// Asks to make a call.
    pub fn try_acquire(&self) -> Result<Permit, Rejected> {
        let mut inner = self.lock();
        let now = Instant::now();
        let result = match *inner {
            Inner::Closed { .. } => Ok(false),
            Inner::Open { until } if now < until => Err(Rejected {
                retry_after: until - now,
            }),
            Inner::Open { .. } | Inner::HalfOpen { probing: false } => {
                *inner = Inner::HalfOpen { probing: true };
                Ok(true)
            }
            Inner::HalfOpen { probing: true } => Err(Rejected {
                retry_after: Duration::from_secs(1),
            }),
        };
        self.publish(&inner);
        result.map(|probe| Permit {
            breaker: self.clone(),
            probe,
            done: false,
        })
    }

    fn record(&self, success: bool) {
        let mut inner = self.lock();
        let next = match (&*inner, success) {
            (_, true) => Inner::Closed { failures: 0 },
            (Inner::Closed { failures }, false) if failures + 1 < self.failure_threshold => {
                Inner::Closed {
                    failures: failures + 1,
                }
            }
            (_, false) => {
                tracing::warn!(
                    open_for_ms = self.open_for.as_millis() as u64,
                    "inventory circuit opened"
                );
                Inner::Open {
                    until: Instant::now() + self.open_for,
                }
            }
        };
        if matches!(*inner, Inner::HalfOpen { .. } | Inner::Open { .. })
            && matches!(next, Inner::Closed { .. })
        {
            tracing::info!("inventory circuit closed");
        }
        *inner = next;
        self.publish(&inner);
    }

    fn abandon(&self, probe: bool) {
        if probe {
            let mut inner = self.lock();
            if let Inner::HalfOpen { probing: true } = *inner {
                *inner = Inner::HalfOpen { probing: false };
            }
        }
    }
}

fn state_of(inner: &Inner) -> State {
    match inner {
        Inner::Closed { .. } => State::Closed,
        Inner::HalfOpen { .. } => State::HalfOpen,
        Inner::Open { .. } => State::Open,
    }
}

/// Permission to make one call; report how it went.
pub struct Permit {
    breaker: CircuitBreaker,
    probe: bool,
    done: bool,
}

impl Permit {
    /// The call succeeded (inventory answered, status < 500).
    pub fn success(mut self) {
        self.done = true;
        self.breaker.record(true);
    }

    /// The call failed (connect error, timeout, 5xx).
    pub fn failure(mut self) {
        self.done = true;
        self.breaker.record(false);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.abandon(self.probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_recovers_through_half_open() {
        let b = CircuitBreaker::new(3, Duration::from_millis(50));
        for _ in 0..2 {
            b.try_acquire().unwrap().failure();
        }
        assert_eq!(b.state(), State::Closed);
        b.try_acquire().unwrap().success(); // success resets the count
        for _ in 0..3 {
            b.try_acquire().unwrap().failure();
        }
        assert_eq!(b.state(), State::Open);
        let r = b.try_acquire().err().unwrap();
        assert!(r.retry_after <= Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(b.state(), State::HalfOpen);
        let probe = b.try_acquire().unwrap();
        assert!(b.try_acquire().is_err(), "only one probe at a time");
        probe.failure();
        assert_eq!(b.state(), State::Open);
        std::thread::sleep(Duration::from_millis(60));
        b.try_acquire().unwrap().success();
        assert_eq!(b.state(), State::Closed);
        assert!(b.try_acquire().is_ok());
    }

    #[test]
    fn abandoned_probe_frees_the_slot() {
        let b = CircuitBreaker::new(1, Duration::from_millis(10));
        b.try_acquire().unwrap().failure();
        std::thread::sleep(Duration::from_millis(20));
        drop(b.try_acquire().unwrap());
        assert_eq!(b.state(), State::HalfOpen);
        b.try_acquire().unwrap().success();
        assert_eq!(b.state(), State::Closed);
    }

    #[test]
    fn gauge_follows_state() {
        let g = IntGaugeVec::new(prometheus::Opts::new("g", "g"), &["service"]).unwrap();
        let b = CircuitBreaker::new(1, Duration::from_secs(60)).with_gauge(g.clone(), "inv");
        assert_eq!(g.with_label_values(&["inv"]).get(), 0);
        b.try_acquire().unwrap().failure();
        assert_eq!(g.with_label_values(&["inv"]).get(), 2);
    }
}
