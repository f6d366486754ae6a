//! `deploy --wait` / `--wait-until STAGE`: polls the service and its service
//! deployment until the stage is reached, the deployment is rolled back or
//! fails, or the timeout runs out.
//!
//! The verdict comes from the service deployment's status, lifecycle stage
//! and rollback monitors (`lifecycle::judge`). An endpoint without the
//! ServiceDeployment API (a local emulator) falls back to the rollout state
//! of the service's deployments (`rollout::assess`), which can only tell a
//! steady state.
use crate::config::Aws;
use crate::deploy::DeployStarted;
use crate::ecs::{EventInfo, ServiceStatus, describe_service};
use crate::error::{ErrorKind, OpsError, Result};
use crate::lifecycle::{self, WaitStage};
use crate::rollout;
use crate::service_deployment::{self as sd, Lifecycle};
use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How much earlier than the PRIMARY deployment a service deployment may be
/// stamped and still be the one the deploy started.
const SLACK_SECS: f64 = 5.0;

/// What the waiting loop reports after every poll.
#[derive(Debug, Clone)]
pub struct Progress {
    pub elapsed: Duration,
    pub summary: String,
    /// Events not reported before, oldest first.
    pub new_events: Vec<EventInfo>,
}

/// The service and its deployment when the stage was reached.
#[derive(Debug, Clone)]
pub struct Reached {
    pub service: ServiceStatus,
    /// None when the endpoint has no ServiceDeployment API.
    pub lifecycle: Option<Lifecycle>,
}

/// What the loop remembers between polls.
struct Tracker {
    seen: HashSet<String>,
    first: bool,
    /// The service deployment the deploy started, once found.
    arn: Option<String>,
    /// False once the endpoint answered that it has no ServiceDeployment API.
    api: bool,
}

/// One poll: the service, its deployment, and the verdict.
struct Poll {
    service: ServiceStatus,
    lifecycle: Option<Lifecycle>,
    verdict: lifecycle::Verdict,
    fresh: Vec<EventInfo>,
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// The service deployment the deploy started: by ARN once known, else the
/// newest created since the `UpdateService` (ECS's own timestamp of the new
/// PRIMARY deployment, so no clock skew between here and AWS).
async fn find_deployment(
    aws: &Aws,
    started: &DeployStarted,
    t: &mut Tracker,
    notes: &mut Vec<String>,
) -> Result<Option<Lifecycle>> {
    if !t.api {
        return Ok(None);
    }
    let (cluster, service) = (&started.cluster, &started.service);
    let found = match &t.arn {
        Some(arn) => sd::describe(aws, cluster, service, arn).await.map(Some),
        None => {
            // The service deployment and the PRIMARY deployment are created
            // by the same UpdateService, not at the same microsecond: a few
            // seconds of slack, and the newest in that window wins.
            let since = started
                .deployment_created_epoch
                .map(|t| t - SLACK_SECS)
                .unwrap_or_else(|| now_epoch() - 60.0);
            sd::created_since(aws, cluster, service, since).await
        }
    };
    match found {
        Ok(l) => {
            if let Some(l) = &l {
                t.arn = Some(l.arn.clone());
            }
            Ok(l)
        }
        // The endpoint does not know the operation: judge by the rollout state.
        Err(e) if e.kind == ErrorKind::Service => {
            t.api = false;
            notes.push(format!(
                "no service deployment API here ({}); judging by the rollout state",
                e.message
            ));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

async fn poll(
    aws: &Aws,
    started: &DeployStarted,
    until: WaitStage,
    t: &mut Tracker,
    notes: &mut Vec<String>,
) -> Result<Poll> {
    let service = describe_service(aws, &started.cluster, &started.service, 20).await?;
    // Events from before the deployment are history, not news.
    let mut fresh: Vec<EventInfo> = Vec::new();
    for e in &service.events {
        let key = e.id.clone().unwrap_or_else(|| e.message.clone());
        if t.seen.insert(key) && !t.first {
            fresh.push(e.clone());
        }
    }
    t.first = false;
    fresh.reverse();
    let found = find_deployment(aws, started, t, notes).await?;
    let verdict = match (&found, t.api) {
        (Some(l), _) => lifecycle::judge(l, until),
        (None, true) => lifecycle::Verdict::Pending(
            "waiting for ECS to list the service deployment".to_string(),
        ),
        (None, false) if until != WaitStage::Steady => {
            return Err(OpsError::input(format!(
                "--wait-until {} needs the ECS ServiceDeployment API, which this endpoint does not answer",
                until.ecs_stage().unwrap_or("steady")
            ))
            .with_hint("wait for a steady state with --wait instead"));
        }
        (None, false) => {
            match rollout::assess(
                &service,
                started.deployment_id.as_deref(),
                &started.task_definition,
            ) {
                rollout::Verdict::Done => lifecycle::Verdict::Reached,
                rollout::Verdict::Pending(t) => lifecycle::Verdict::Pending(t),
                rollout::Verdict::RolledBack(t) => lifecycle::Verdict::RolledBack(t),
                rollout::Verdict::Failed(t) => lifecycle::Verdict::Failed(t),
            }
        }
    };
    Ok(Poll {
        service,
        lifecycle: found,
        verdict,
        fresh,
    })
}

/// Polls until `until` is reached, a rollback or failure, or `timeout`.
pub async fn wait_for_stage(
    aws: &Aws,
    started: &DeployStarted,
    until: WaitStage,
    timeout: Duration,
    poll_interval: Duration,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Reached> {
    let begin = Instant::now();
    let mut t = Tracker {
        seen: HashSet::new(),
        first: true,
        arn: None,
        api: true,
    };
    loop {
        let mut notes = Vec::new();
        let p = match poll(aws, started, until, &mut t, &mut notes).await {
            Ok(p) => p,
            // A throttled or failed poll (after the SDK's own retries) is not
            // a failed deployment: report it and poll again until the timeout.
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::Throttled | ErrorKind::Timeout | ErrorKind::Connection
                ) && begin.elapsed() + poll_interval < timeout =>
            {
                on_progress(&Progress {
                    elapsed: begin.elapsed(),
                    summary: format!("poll failed ({}); retrying", e.message),
                    new_events: Vec::new(),
                });
                tokio::time::sleep(poll_interval).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        for note in notes {
            on_progress(&Progress {
                elapsed: begin.elapsed(),
                summary: note,
                new_events: Vec::new(),
            });
        }
        let summary = match &p.verdict {
            lifecycle::Verdict::Pending(text) => text.clone(),
            lifecycle::Verdict::Reached => format!("reached {}", until.describe()),
            _ => "failed".to_string(),
        };
        on_progress(&Progress {
            elapsed: begin.elapsed(),
            summary: summary.clone(),
            new_events: p.fresh.clone(),
        });
        if let Some(err) = verdict_error(&p, started, until) {
            return Err(err);
        }
        if p.verdict == lifecycle::Verdict::Reached {
            return Ok(Reached {
                service: p.service,
                lifecycle: p.lifecycle,
            });
        }
        let elapsed = begin.elapsed();
        if elapsed >= timeout {
            return Err(timed_out(started, until, timeout, &summary));
        }
        tokio::time::sleep(poll_interval.min(timeout - elapsed)).await;
    }
}

/// The error of a rolled-back or failed deployment.
fn verdict_error(p: &Poll, started: &DeployStarted, until: WaitStage) -> Option<OpsError> {
    let svc = &started.service;
    let td = &started.task_definition;
    let runs = p
        .service
        .primary()
        .map(|d| d.task_definition.as_str())
        .unwrap_or(&started.previous_task_definition);
    match &p.verdict {
        lifecycle::Verdict::RolledBack(reason) => Some(
            OpsError::new(
                ErrorKind::RolledBack,
                format!(
                    "deployment of {td} to `{svc}` was rolled back before reaching {}: {reason}",
                    until.describe()
                ),
            )
            .with_hint(format!(
                "the service runs {runs} again; see why with `infragen status --service {svc}` and the task logs"
            )),
        ),
        lifecycle::Verdict::Failed(reason) => Some(
            OpsError::new(
                ErrorKind::DeploymentFailed,
                format!("deployment of {td} to `{svc}` failed: {reason}"),
            )
            .with_hint(format!(
                "see `infragen status --service {svc}` and the task logs"
            )),
        ),
        _ => None,
    }
}

fn timed_out(
    started: &DeployStarted,
    until: WaitStage,
    timeout: Duration,
    summary: &str,
) -> OpsError {
    OpsError::new(
        ErrorKind::WaitTimeout,
        format!(
            "timed out after {}s waiting for `{}` to reach {} ({summary})",
            timeout.as_secs(),
            started.service,
            until.describe()
        ),
    )
    .with_hint(format!(
        "ECS keeps deploying {}; follow it with `infragen status --service {}`, wait longer with --timeout, \
         or stop it with `infragen deploy rollback --service {}`",
        started.task_definition, started.service, started.service
    ))
}
