//! ECS: the cluster, its services' status and deployments; starting a
//! deployment is in [`crate::deploy`].
use crate::config::Aws;
use crate::error::{CallContext, ErrorKind, Result, from_sdk, unknown_service};
use crate::service_deployment::{self, Lifecycle};
use crate::time::format_time;
use aws_sdk_ecs::types::{Deployment, Service};
use serde::Serialize;

/// `family:revision` of a task definition ARN (or the input if it is not one).
pub fn short_task_definition(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

fn revision_of(arn: &str) -> Option<i32> {
    short_task_definition(arn).rsplit(':').next()?.parse().ok()
}

/// The family of a task definition ARN or `family:revision` (family names
/// have no `:`): `arn:…:task-definition/shop-inventory:7` → `shop-inventory`.
pub fn family_of(arn: &str) -> String {
    let short = short_task_definition(arn);
    match short.rsplit_once(':') {
        Some((family, rev)) if rev.parse::<i32>().is_ok() => family.to_string(),
        _ => short,
    }
}

/// One deployment of a service.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeploymentStatus {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// `family:revision`.
    pub task_definition: String,
    pub revision: Option<i32>,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    /// IN_PROGRESS, COMPLETED or FAILED (only with the circuit breaker / ECS deployment controller).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// One service event (newest first in [`ServiceStatus::events`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventInfo {
    pub id: Option<String>,
    pub at: Option<String>,
    pub message: String,
}

/// A service as `status` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceStatus {
    pub name: String,
    pub status: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// `family:revision` of the service's task definition.
    pub task_definition: String,
    pub task_definition_arn: String,
    pub revision: Option<i32>,
    /// Rollout state of the PRIMARY deployment.
    pub rollout_state: Option<String>,
    pub deployments: Vec<DeploymentStatus>,
    pub events: Vec<EventInfo>,
    /// The service deployment in progress (else the last one): lifecycle
    /// stage, traffic weights, rollback monitors. Filled by [`status`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// Why the service deployment could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_error: Option<String>,
}

impl ServiceStatus {
    pub fn primary(&self) -> Option<&DeploymentStatus> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }
}

/// The whole cluster as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub cluster: String,
    pub region: String,
    pub services: Vec<ServiceStatus>,
    /// Services asked for (from the outputs) that ECS does not know.
    pub missing: Vec<String>,
}

fn deployment_status(d: &Deployment) -> DeploymentStatus {
    let td = d.task_definition().unwrap_or_default();
    DeploymentStatus {
        id: d.id().unwrap_or_default().to_string(),
        status: d.status().unwrap_or_default().to_string(),
        task_definition: short_task_definition(td),
        revision: revision_of(td),
        desired: d.desired_count(),
        running: d.running_count(),
        pending: d.pending_count(),
        failed_tasks: d.failed_tasks(),
        rollout_state: d.rollout_state().map(|s| s.as_str().to_string()),
        rollout_state_reason: d.rollout_state_reason().map(str::to_string),
        created_at: d.created_at().and_then(format_time),
        updated_at: d.updated_at().and_then(format_time),
    }
}

fn service_status(s: &Service, events: usize) -> ServiceStatus {
    let td = s.task_definition().unwrap_or_default();
    let deployments: Vec<DeploymentStatus> =
        s.deployments().iter().map(deployment_status).collect();
    let rollout_state = deployments
        .iter()
        .find(|d| d.status == "PRIMARY")
        .and_then(|d| d.rollout_state.clone());
    ServiceStatus {
        name: s.service_name().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().to_string(),
        desired: s.desired_count(),
        running: s.running_count(),
        pending: s.pending_count(),
        task_definition: short_task_definition(td),
        task_definition_arn: td.to_string(),
        revision: revision_of(td),
        rollout_state,
        deployments,
        events: s
            .events()
            .iter()
            .take(events)
            .map(|e| EventInfo {
                id: e.id().map(str::to_string),
                at: e.created_at().and_then(format_time),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect(),
        lifecycle: None,
        lifecycle_error: None,
    }
}

pub(crate) fn cluster_ctx(
    aws: &Aws,
    op: &'static str,
    cluster: &str,
    service: Option<&str>,
) -> CallContext {
    let mut c = aws.ctx(op);
    c.cluster = Some(cluster.to_string());
    c.service = service.map(str::to_string);
    c
}

/// Fails with a clear message unless the cluster exists and is active.
pub async fn check_cluster(aws: &Aws, cluster: &str) -> Result<()> {
    let ctx = cluster_ctx(aws, "DescribeClusters", cluster, None);
    let out = aws
        .ecs()
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await
        .map_err(|e| from_sdk(e, &ctx))?;
    let active = out
        .clusters()
        .iter()
        .any(|c| c.status().is_none_or(|s| s == "ACTIVE"));
    if !active {
        return Err(crate::error::from_service_code(
            "ClusterNotFoundException",
            "",
            &ctx,
        ));
    }
    Ok(())
}

/// Describes services (10 per call, the API's limit). Returns the found ones
/// and the names ECS reported as missing (or inactive).
async fn describe(
    aws: &Aws,
    cluster: &str,
    names: &[String],
    events: usize,
) -> Result<(Vec<ServiceStatus>, Vec<String>)> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for chunk in names.chunks(10) {
        let ctx = cluster_ctx(
            aws,
            "DescribeServices",
            cluster,
            chunk.first().map(String::as_str),
        );
        let out = aws
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx))?;
        for s in out.services() {
            if s.status() == Some("INACTIVE") {
                missing.push(s.service_name().unwrap_or_default().to_string());
            } else {
                found.push(service_status(s, events));
            }
        }
        for f in out.failures() {
            let arn = f.arn().unwrap_or_default();
            missing.push(arn.rsplit('/').next().unwrap_or(arn).to_string());
        }
    }
    Ok((found, missing))
}

/// Every service of the cluster (all pages of ListServices).
pub async fn list_services(aws: &Aws, cluster: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let ctx = cluster_ctx(aws, "ListServices", cluster, None);
        let out = aws
            .ecs()
            .list_services()
            .cluster(cluster)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx))?;
        names.extend(
            out.service_arns()
                .iter()
                .map(|a| a.rsplit('/').next().unwrap_or(a).to_string()),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    names.sort();
    Ok(names)
}

/// Status of `services` (or every service of the cluster when empty), with
/// the last `events` events of each.
pub async fn status(
    aws: &Aws,
    cluster: &str,
    services: &[String],
    events: usize,
) -> Result<ClusterStatus> {
    check_cluster(aws, cluster).await?;
    let names = if services.is_empty() {
        list_services(aws, cluster).await?
    } else {
        services.to_vec()
    };
    let (mut found, missing) = describe(aws, cluster, &names, events).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    for s in &mut found {
        attach_lifecycle(aws, cluster, s).await?;
    }
    Ok(ClusterStatus {
        cluster: cluster.to_string(),
        region: aws.region.clone(),
        services: found,
        missing,
    })
}

/// Adds the service deployment to `s`. An endpoint that cannot answer
/// (a local emulator without the ServiceDeployment API) leaves a note
/// instead; credentials and permissions problems stay errors.
async fn attach_lifecycle(aws: &Aws, cluster: &str, s: &mut ServiceStatus) -> Result<()> {
    match service_deployment::latest(aws, cluster, &s.name).await {
        Ok(l) => s.lifecycle = l,
        Err(e) if matches!(e.kind, ErrorKind::Credentials) => return Err(e),
        Err(e) => s.lifecycle_error = Some(e.message),
    }
    Ok(())
}

/// One service, or [`ErrorKind::UnknownService`].
pub async fn describe_service(
    aws: &Aws,
    cluster: &str,
    service: &str,
    events: usize,
) -> Result<ServiceStatus> {
    let (found, _) = describe(aws, cluster, &[service.to_string()], events).await?;
    found.into_iter().next().ok_or_else(|| {
        unknown_service(&cluster_ctx(
            aws,
            "DescribeServices",
            cluster,
            Some(service),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_of_arns_and_short_names() {
        assert_eq!(
            family_of("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-inventory:7"),
            "shop-inventory"
        );
        assert_eq!(family_of("shop-inventory:12"), "shop-inventory");
        assert_eq!(family_of("shop-inventory"), "shop-inventory");
    }
}
