//! Liveness and readiness.
//!
//! `GET /healthz` ([`healthz`]) answers 200 while the process runs — it checks
//! no dependency, so a database outage never gets the task killed.
//! `GET /readyz` ([`readyz`]) answers 200 only when every registered
//! [`ReadinessCheck`] passes (each bounded by a timeout) and the service is
//! not draining; otherwise 503 with `Retry-After` and a JSON body naming the
//! failing checks.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use futures_util::future::BoxFuture;
use serde_json::json;

/// One dependency check for `/readyz`.
pub trait ReadinessCheck: Send + Sync + 'static {
    /// Short name shown in the `/readyz` body (e.g. `postgres`).
    fn name(&self) -> &str;
    /// `Ok(())` when the dependency is usable; `Err(reason)` otherwise.
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

struct FnCheck<F> {
    name: String,
    f: F,
}

impl<F, Fut> ReadinessCheck for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin((self.f)())
    }
}

struct Inner {
    draining: AtomicBool,
    checks: std::sync::RwLock<Vec<Arc<dyn ReadinessCheck>>>,
    timeout: Duration,
}

/// Readiness state shared by the server, its handlers and the shutdown logic.
/// Cheap to clone.
#[derive(Clone)]
pub struct Health(Arc<Inner>);

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}

impl Health {
    /// No checks, not draining, 2 s timeout per check.
    pub fn new() -> Self {
        Self(Arc::new(Inner {
            draining: AtomicBool::new(false),
            checks: std::sync::RwLock::new(Vec::new()),
            timeout: Duration::from_secs(2),
        }))
    }

    /// Adds a check.
    pub fn add_check(&self, check: impl ReadinessCheck) -> &Self {
        self.0
            .checks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(check));
        self
    }

    /// Adds a check from an async closure returning `Result<(), String>`.
    pub fn add_check_fn<F, Fut>(&self, name: &str, f: F) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.add_check(FnCheck {
            name: name.to_string(),
            f,
        })
    }

    /// Adds a check that passes while `is_ok()` answers true and fails with
    /// `reason` otherwise: the one way to turn a boolean (migrations
    /// applied, consumer running) into readiness.
    pub fn add_flag_check<F>(&self, name: &str, reason: &str, is_ok: F) -> &Self
    where
        F: Fn() -> bool + Send + Sync + 'static,
    {
        let reason = reason.to_string();
        self.add_check_fn(name, move || {
            std::future::ready(if is_ok() { Ok(()) } else { Err(reason.clone()) })
        })
    }

    /// Marks the service as draining: `/readyz` fails from now on.
    pub fn set_draining(&self) {
        self.0.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }

    /// Runs every check concurrently; returns `(name, result)` pairs.
    pub async fn run_checks(&self) -> Vec<(String, Result<(), String>)> {
        let checks: Vec<_> = self
            .0
            .checks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let timeout = self.0.timeout;
        let futs = checks.iter().map(|c| async move {
            let res = match tokio::time::timeout(timeout, c.check()).await {
                Ok(r) => r,
                Err(_) => Err(format!("check timed out after {timeout:?}")),
            };
            (c.name().to_string(), res)
        });
        futures_util::future::join_all(futs).await
    }
}

/// `GET /healthz`: 200 `{"status":"ok"}`.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when ready; 503 + `Retry-After` when draining or a check fails.
pub async fn readyz(health: web::Data<Health>) -> HttpResponse {
    let draining = health.is_draining();
    let results = health.run_checks().await;
    let mut checks = serde_json::Map::new();
    let mut failed = Vec::new();
    for (name, res) in &results {
        match res {
            Ok(()) => {
                checks.insert(name.clone(), json!("ok"));
            }
            Err(reason) => {
                checks.insert(name.clone(), json!(reason));
                failed.push(name.clone());
            }
        }
    }
    if !draining && failed.is_empty() {
        return HttpResponse::Ok().json(json!({"status": "ready", "checks": checks}));
    }
    let (code, message) = if draining {
        ("draining", "the service is shutting down".to_string())
    } else {
        (
            "not_ready",
            format!("dependencies unavailable: {}", failed.join(", ")),
        )
    };
    let mut resp = HttpResponse::ServiceUnavailable()
        .json(json!({"error": code, "message": message, "checks": checks}));
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(crate::errors::RETRY_AFTER_SECS),
    );
    resp
}
