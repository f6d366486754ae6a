//! ECS service deployments (`ListServiceDeployments`,
//! `DescribeServiceDeployments`, `StopServiceDeployment`,
//! `ContinueServiceDeployment`): the lifecycle stage, traffic weights, the
//! rollback monitors and the rollback reason of a deployment, and the calls
//! that roll it back, abort it, or continue it past a PAUSE hook.
use crate::config::Aws;
use crate::error::{CallContext, ErrorKind, OpsError, Result, from_sdk};
use crate::time::format_time;
use aws_sdk_ecs::types::{
    CreatedAt, DeploymentLifecycleHookAction, ServiceDeployment, ServiceRevisionSummary,
    StopServiceDeploymentStopType,
};
use serde::Serialize;

/// Statuses of a service deployment that is still moving.
const ACTIVE_STATUSES: [&str; 5] = [
    "PENDING",
    "IN_PROGRESS",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "STOP_REQUESTED",
];

/// Whether a service deployment with this status is still moving.
pub fn is_active(status: &str) -> bool {
    ACTIVE_STATUSES.contains(&status)
}

/// One service revision of a deployment: task counts and traffic weights.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Revision {
    pub arn: String,
    pub requested: i32,
    pub running: i32,
    pub pending: i32,
    /// Percent of production traffic (blue/green, linear, canary).
    pub production_weight: Option<f64>,
    /// Percent of test traffic (blue/green, linear, canary).
    pub test_weight: Option<f64>,
}

/// A rollback monitor: the circuit breaker or the CloudWatch alarms.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Monitor {
    /// DISABLED, MONITORING, MONITORING_COMPLETE or TRIGGERED.
    pub status: Option<String>,
    /// Circuit breaker: failed tasks so far, and the count that trips it.
    pub failure_count: Option<i32>,
    pub threshold: Option<i32>,
    /// Alarms: the ones watched and the ones in ALARM.
    pub alarm_names: Vec<String>,
    pub triggered_alarms: Vec<String>,
}

/// Why and when the deployment was rolled back.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RollbackInfo {
    pub reason: Option<String>,
    pub started_at: Option<String>,
    pub service_revision_arn: Option<String>,
}

/// A lifecycle hook of the deployment (Lambda or PAUSE).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hook {
    pub hook_id: Option<String>,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: Option<String>,
    pub target_arn: Option<String>,
    /// IN_PROGRESS, AWAITING_ACTION, SUCCEEDED, FAILED or TIMED_OUT.
    pub status: Option<String>,
    pub expires_at: Option<String>,
    /// CONTINUE or ROLLBACK when a PAUSE hook times out.
    pub timeout_action: Option<String>,
}

/// One service deployment as `status` and `deploy` show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Lifecycle {
    pub arn: String,
    /// The last part of the ARN.
    pub id: String,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED,
    /// ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    /// RECONCILE_SERVICE … CLEAN_UP.
    pub stage: Option<String>,
    /// ROLLING, BLUE_GREEN, LINEAR or CANARY.
    pub strategy: Option<String>,
    pub bake_minutes: Option<i32>,
    pub target: Option<Revision>,
    pub sources: Vec<Revision>,
    pub circuit_breaker: Option<Monitor>,
    pub alarms: Option<Monitor>,
    pub rollback: Option<RollbackInfo>,
    pub hooks: Vec<Hook>,
    pub created_at: Option<String>,
    pub finished_at: Option<String>,
    /// Seconds since the epoch, to order deployments and match the one a
    /// deploy started.
    pub created_epoch: Option<f64>,
}

impl Lifecycle {
    /// The PAUSE hook waiting for `deploy continue`, if any.
    pub fn paused_hook(&self) -> Option<&Hook> {
        self.hooks.iter().find(|h| {
            h.target_type.as_deref() == Some("PAUSE")
                && h.status.as_deref() == Some("AWAITING_ACTION")
        })
    }
}

fn revision(r: &ServiceRevisionSummary) -> Revision {
    Revision {
        arn: r.arn().unwrap_or_default().to_string(),
        requested: r.requested_task_count(),
        running: r.running_task_count(),
        pending: r.pending_task_count(),
        production_weight: r.requested_production_traffic_weight(),
        test_weight: r.requested_test_traffic_weight(),
    }
}

/// The SDK's service deployment as [`Lifecycle`].
pub fn lifecycle(d: &ServiceDeployment) -> Lifecycle {
    let arn = d.service_deployment_arn().unwrap_or_default().to_string();
    let config = d.deployment_configuration();
    Lifecycle {
        id: arn.rsplit('/').next().unwrap_or(&arn).to_string(),
        arn,
        status: d
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: d.status_reason().map(str::to_string),
        stage: d.lifecycle_stage().map(|s| s.as_str().to_string()),
        strategy: config
            .and_then(|c| c.strategy())
            .map(|s| s.as_str().to_string()),
        bake_minutes: config.and_then(|c| c.bake_time_in_minutes()),
        target: d.target_service_revision().map(revision),
        sources: d.source_service_revisions().iter().map(revision).collect(),
        circuit_breaker: d.deployment_circuit_breaker().map(|c| Monitor {
            status: c.status().map(|s| s.as_str().to_string()),
            failure_count: Some(c.failure_count()),
            threshold: Some(c.threshold()),
            alarm_names: Vec::new(),
            triggered_alarms: Vec::new(),
        }),
        alarms: d.alarms().map(|a| Monitor {
            status: a.status().map(|s| s.as_str().to_string()),
            failure_count: None,
            threshold: None,
            alarm_names: a.alarm_names().to_vec(),
            triggered_alarms: a.triggered_alarm_names().to_vec(),
        }),
        rollback: d.rollback().map(|r| RollbackInfo {
            reason: r.reason().map(str::to_string),
            started_at: r.started_at().and_then(format_time),
            service_revision_arn: r.service_revision_arn().map(str::to_string),
        }),
        hooks: d
            .lifecycle_hook_details()
            .iter()
            .map(|h| Hook {
                hook_id: h.hook_id().map(str::to_string),
                target_type: h.target_type().map(|t| t.as_str().to_string()),
                target_arn: h.target_arn().map(str::to_string),
                status: h.status().map(|s| s.as_str().to_string()),
                expires_at: h.expires_at().and_then(format_time),
                timeout_action: h.timeout_action().map(|a| a.as_str().to_string()),
            })
            .collect(),
        created_at: d.created_at().and_then(format_time),
        finished_at: d.finished_at().and_then(format_time),
        created_epoch: d.created_at().map(|t| t.as_secs_f64()),
    }
}

fn ctx(aws: &Aws, op: &'static str, cluster: &str, service: &str) -> CallContext {
    let mut c = aws.ctx(op);
    c.cluster = Some(cluster.to_string());
    c.service = Some(service.to_string());
    c
}

/// The service's deployments (one page, newest first): ARN, status and
/// creation time. `since` keeps those created at or after it (epoch seconds).
async fn list(
    aws: &Aws,
    cluster: &str,
    service: &str,
    since: Option<f64>,
) -> Result<Vec<(String, String, f64)>> {
    let c = ctx(aws, "ListServiceDeployments", cluster, service);
    let created = since.map(|s| {
        CreatedAt::builder()
            .after(aws_sdk_ecs::primitives::DateTime::from_secs_f64(s))
            .build()
    });
    let out = aws
        .ecs()
        .list_service_deployments()
        .cluster(cluster)
        .service(service)
        .set_created_at(created)
        .send()
        .await
        .map_err(|e| from_sdk(e, &c))?;
    let mut found: Vec<(String, String, f64)> = out
        .service_deployments()
        .iter()
        .map(|b| {
            (
                b.service_deployment_arn().unwrap_or_default().to_string(),
                b.status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                b.created_at().map(|t| t.as_secs_f64()).unwrap_or_default(),
            )
        })
        .filter(|(arn, _, _)| !arn.is_empty())
        .collect();
    found.sort_by(|a, b| b.2.total_cmp(&a.2));
    Ok(found)
}

/// Describes one service deployment.
pub async fn describe(aws: &Aws, cluster: &str, service: &str, arn: &str) -> Result<Lifecycle> {
    let c = ctx(aws, "DescribeServiceDeployments", cluster, service);
    let out = aws
        .ecs()
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(|e| from_sdk(e, &c))?;
    if let Some(d) = out.service_deployments().first() {
        return Ok(lifecycle(d));
    }
    let why = out
        .failures()
        .first()
        .and_then(|f| f.reason())
        .unwrap_or("not returned");
    Err(OpsError::new(
        ErrorKind::NothingInProgress,
        format!("service deployment {arn} of `{service}`: {why}"),
    ))
}

/// The deployment `status` shows: the newest one still moving, else the
/// newest one (so that a finished rollback's reason stays visible).
pub async fn latest(aws: &Aws, cluster: &str, service: &str) -> Result<Option<Lifecycle>> {
    let found = list(aws, cluster, service, None).await?;
    let pick = found
        .iter()
        .find(|(_, status, _)| is_active(status))
        .or_else(|| found.first());
    match pick {
        Some((arn, _, _)) => describe(aws, cluster, service, arn).await.map(Some),
        None => Ok(None),
    }
}

/// The newest deployment created at or after `since` (epoch seconds, ECS's
/// clock): the one an `UpdateService` started.
pub async fn created_since(
    aws: &Aws,
    cluster: &str,
    service: &str,
    since: f64,
) -> Result<Option<Lifecycle>> {
    let found = list(aws, cluster, service, Some(since)).await?;
    match found.iter().find(|(_, _, created)| *created >= since) {
        Some((arn, _, _)) => describe(aws, cluster, service, arn).await.map(Some),
        None => Ok(None),
    }
}

/// The deployment in progress, or [`ErrorKind::NothingInProgress`].
pub async fn in_progress(aws: &Aws, cluster: &str, service: &str) -> Result<Lifecycle> {
    let found = list(aws, cluster, service, None).await?;
    match found.iter().find(|(_, status, _)| is_active(status)) {
        Some((arn, _, _)) => describe(aws, cluster, service, arn).await,
        None => Err(OpsError::new(
            ErrorKind::NothingInProgress,
            format!("no deployment of `{service}` is in progress in cluster `{cluster}`"),
        )
        .with_hint(format!(
            "start one with `infragen deploy --service {service} --image-tag TAG`; \
             `infragen status --service {service}` shows the last one"
        ))),
    }
}

/// How `deploy rollback` and `deploy abort` stop a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Back to the previous service revision.
    Rollback,
    /// Stop where it is, without going back.
    Abort,
}

/// Stops the deployment in progress; answers it as it was before the call.
pub async fn stop(aws: &Aws, cluster: &str, service: &str, kind: StopKind) -> Result<Lifecycle> {
    let current = in_progress(aws, cluster, service).await?;
    if matches!(
        current.status.as_str(),
        "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" | "STOP_REQUESTED"
    ) {
        return Err(OpsError::new(
            ErrorKind::NothingInProgress,
            format!(
                "deployment {} of `{service}` is already {}",
                current.id, current.status
            ),
        )
        .with_hint(format!(
            "follow it with `infragen status --service {service}`"
        )));
    }
    let stop_type = match kind {
        StopKind::Rollback => StopServiceDeploymentStopType::Rollback,
        StopKind::Abort => StopServiceDeploymentStopType::Abort,
    };
    let c = ctx(aws, "StopServiceDeployment", cluster, service);
    aws.ecs()
        .stop_service_deployment()
        .service_deployment_arn(&current.arn)
        .stop_type(stop_type)
        .send()
        .await
        .map_err(|e| from_sdk(e, &c))?;
    Ok(current)
}

/// Continues the deployment paused at a PAUSE hook; answers the deployment
/// and the hook id.
pub async fn continue_paused(
    aws: &Aws,
    cluster: &str,
    service: &str,
) -> Result<(Lifecycle, String)> {
    let current = in_progress(aws, cluster, service).await?;
    let Some(hook_id) = current.paused_hook().and_then(|h| h.hook_id.clone()) else {
        return Err(OpsError::new(
            ErrorKind::NothingInProgress,
            format!(
                "deployment {} of `{service}` is not paused at a hook (stage {})",
                current.id,
                current.stage.as_deref().unwrap_or("-")
            ),
        )
        .with_hint("only a PAUSE lifecycle hook in AWAITING_ACTION waits for `deploy continue`"));
    };
    let c = ctx(aws, "ContinueServiceDeployment", cluster, service);
    aws.ecs()
        .continue_service_deployment()
        .service_deployment_arn(&current.arn)
        .hook_id(&hook_id)
        .action(DeploymentLifecycleHookAction::Continue)
        .send()
        .await
        .map_err(|e| from_sdk(e, &c))?;
    Ok((current, hook_id))
}
