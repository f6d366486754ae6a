//! The handler: an ECS lifecycle-hook event in, a verdict out.
//!
//! The event is taken as raw JSON so that a payload or `hookDetails` it
//! cannot use becomes `FAILED` with a logged reason (ECS rolls back), never
//! a function error or a panic. The checks run concurrently, so one
//! invocation lasts about one timeout at most.

use serde_json::Value;

use crate::check::{self, CheckReport};
use crate::details::SmokeDetails;
use crate::event::{HookResponse, HookStatus, LifecycleHookEvent};

/// The function's state across invocations: one HTTP client (connection
/// pool, TLS roots) for the life of the execution environment.
#[derive(Debug, Clone)]
pub struct Gate {
    client: reqwest::Client,
}

/// The outcome of one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: HookStatus,
    /// Why the gate failed without running a check (unusable event or
    /// `hookDetails`).
    pub refused: Option<String>,
    /// One report per path, in the order of `hookDetails.paths`.
    pub checks: Vec<CheckReport>,
}

impl Verdict {
    /// What ECS reads.
    pub fn response(&self) -> HookResponse {
        HookResponse::new(self.status)
    }

    /// The failed checks' `path: reason`, `; `-separated.
    pub fn failures(&self) -> String {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.path, c.reason))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn refused(reason: String) -> Self {
        Self {
            status: HookStatus::Failed,
            refused: Some(reason),
            checks: Vec::new(),
        }
    }
}

impl Gate {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("deploy-hook/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }

    /// The Lambda handler: the response ECS reads.
    pub async fn handle(&self, event: Value) -> HookResponse {
        self.evaluate(event).await.response()
    }

    /// Runs the gate on one event and logs each check and the verdict.
    pub async fn evaluate(&self, event: Value) -> Verdict {
        let event: LifecycleHookEvent = match serde_json::from_value(event) {
            Ok(event) => event,
            Err(e) => return log_refusal(format!("not an ECS lifecycle hook event: {e}"), None),
        };
        let details = match SmokeDetails::parse(event.hook_details.as_ref()) {
            Ok(details) => details,
            Err(e) => return log_refusal(e.to_string(), Some(&event)),
        };
        let checks = self.run_checks(&details).await;
        let status = if checks.iter().all(|c| c.passed) {
            HookStatus::Succeeded
        } else {
            HookStatus::Failed
        };
        let verdict = Verdict {
            status,
            refused: None,
            checks,
        };
        log_verdict(&verdict, &event);
        verdict
    }

    async fn run_checks(&self, details: &SmokeDetails) -> Vec<CheckReport> {
        let handles: Vec<_> = details
            .paths
            .iter()
            .map(|path| {
                let (client, path, url, timeout) = (
                    self.client.clone(),
                    path.clone(),
                    details.url_of(path),
                    details.timeout,
                );
                tokio::spawn(async move { check::run(&client, &path, &url, timeout).await })
            })
            .collect();
        let mut reports = Vec::with_capacity(handles.len());
        for (handle, path) in handles.into_iter().zip(&details.paths) {
            let report = handle.await.unwrap_or_else(|e| CheckReport {
                path: path.clone(),
                url: details.url_of(path),
                status: None,
                latency_ms: 0,
                passed: false,
                reason: format!("the check did not complete: {e}"),
            });
            report.log();
            reports.push(report);
        }
        reports
    }
}

fn log_refusal(reason: String, event: Option<&LifecycleHookEvent>) -> Verdict {
    tracing::error!(
        hook_status = "FAILED",
        reason = %reason,
        execution_id = event.map(|e| e.execution_id.as_str()),
        lifecycle_stage = event.map(|e| e.lifecycle_stage.as_str()),
        service_arn = event.map(|e| e.execution_details.service_arn.as_str()),
        "smoke gate refused the event"
    );
    Verdict::refused(reason)
}

fn log_verdict(verdict: &Verdict, event: &LifecycleHookEvent) {
    let passed = verdict.checks.iter().filter(|c| c.passed).count();
    let hook_status = match verdict.status {
        HookStatus::Succeeded => "SUCCEEDED",
        HookStatus::Failed => "FAILED",
        HookStatus::InProgress => "IN_PROGRESS",
    };
    tracing::info!(
        hook_status,
        passed,
        failed = verdict.checks.len() - passed,
        failures = %verdict.failures(),
        execution_id = %event.execution_id,
        lifecycle_stage = %event.lifecycle_stage,
        service_arn = %event.execution_details.service_arn,
        target_service_revision_arn = %event.execution_details.target_service_revision_arn,
        "smoke gate verdict"
    );
}
