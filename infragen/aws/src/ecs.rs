//! ECS: service status, and deployments of a new image tag.
use crate::config::Aws;
use crate::error::{CallContext, ErrorKind, OpsError, Result, from_sdk, unknown_service};
use crate::service_deployment::{self, Lifecycle};
use crate::time::format_time;
use aws_sdk_ecs::types::{Deployment, Service, TaskDefinitionField};
use serde::Serialize;
use std::time::Instant;

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

fn cluster_ctx(aws: &Aws, op: &'static str, cluster: &str, service: Option<&str>) -> CallContext {
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

/// Replaces the tag (or digest) of an image reference, keeping the repository:
/// `123.dkr.ecr.eu-west-1.amazonaws.com/shop/inventory:1.2` + `1.3` →
/// `123.dkr.ecr.eu-west-1.amazonaws.com/shop/inventory:1.3`.
pub fn replace_image_tag(image: &str, tag: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (prefix, last) = match without_digest.rfind('/') {
        Some(i) => without_digest.split_at(i + 1),
        None => ("", without_digest),
    };
    let repo = last.split(':').next().unwrap_or(last);
    format!("{prefix}{repo}:{tag}")
}

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(OpsError::input(format!("`{tag}` is not a valid image tag"))
            .with_hint("tags are letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`"))
    }
}

/// What `deploy` started.
#[derive(Debug, Clone, Serialize)]
pub struct DeployStarted {
    pub cluster: String,
    pub service: String,
    pub container: String,
    pub previous_image: String,
    pub image: String,
    /// `family:revision` before and after.
    pub previous_task_definition: String,
    /// `family:revision` the new revision was copied from: the latest ACTIVE
    /// revision of the family (Terraform's newest, or an earlier deploy's),
    /// which need not be the one the service ran.
    pub base_task_definition: String,
    pub task_definition: String,
    pub task_definition_arn: String,
    pub revision: i32,
    /// The ECS deployment created by the update (`ecs-svc/…`).
    pub deployment_id: Option<String>,
    /// When ECS created that deployment (epoch seconds, ECS's clock): finds
    /// the matching service deployment.
    pub deployment_created_epoch: Option<f64>,
    #[serde(skip)]
    pub started_at: Option<Instant>,
}

/// Registers a new revision of the service's task definition family with
/// `image_tag` on one container, and points the service at it. `container`
/// picks the container; otherwise the only one, or the one named like the
/// service or like `app` (the name the user typed, e.g. `inventory-app`).
///
/// The new revision is a copy of the family's latest ACTIVE revision, not of
/// the revision the service runs: Terraform registers revisions of the family
/// (environment, secrets, cpu/memory, roles) but ignores the service's
/// `task_definition`, so its configuration changes reach the tasks with the
/// next deploy, together with the new image.
pub async fn deploy(
    aws: &Aws,
    cluster: &str,
    service: &str,
    image_tag: &str,
    container: Option<&str>,
    app: Option<&str>,
) -> Result<DeployStarted> {
    validate_tag(image_tag)?;
    check_cluster(aws, cluster).await?;
    let current = describe_service(aws, cluster, service, 0).await?;
    let ecs = aws.ecs();

    // The family name alone resolves to its latest ACTIVE revision.
    let family = family_of(&current.task_definition_arn);
    let ctx = cluster_ctx(aws, "DescribeTaskDefinition", cluster, Some(service));
    let described = ecs
        .describe_task_definition()
        .task_definition(&family)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| {
            let err = from_sdk(e, &ctx);
            if err.hint.is_some() {
                err
            } else {
                err.with_hint(format!(
                    "`infragen deploy` copies the latest ACTIVE revision of the family `{family}`; \
                     register one with `terraform apply`"
                ))
            }
        })?;
    let td = described.task_definition().ok_or_else(|| {
        OpsError::new(
            ErrorKind::Service,
            "DescribeTaskDefinition returned no task definition",
        )
    })?;
    let base_task_definition = td
        .task_definition_arn()
        .map(short_task_definition)
        .unwrap_or_else(|| format!("{family}:{}", td.revision()));

    let mut containers = td.container_definitions().to_vec();
    let names: Vec<String> = containers.iter().filter_map(|c| c.name.clone()).collect();
    let mut hints = vec![service];
    hints.extend(app);
    let index = pick_container(&names, container, &hints)?;
    let previous_image = containers[index].image.clone().unwrap_or_default();
    if previous_image.is_empty() {
        return Err(OpsError::input(format!(
            "container `{}` has no image",
            names[index]
        )));
    }
    let image = replace_image_tag(&previous_image, image_tag);
    containers[index].image = Some(image.clone());

    let ctx = cluster_ctx(aws, "RegisterTaskDefinition", cluster, Some(service));
    let tags = described.tags().to_vec();
    let registered = ecs
        .register_task_definition()
        .set_family(td.family().map(str::to_string))
        .set_task_role_arn(td.task_role_arn().map(str::to_string))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_string))
        .set_network_mode(td.network_mode().cloned())
        .set_container_definitions(Some(containers))
        .set_volumes(non_empty(td.volumes()))
        .set_placement_constraints(non_empty(td.placement_constraints()))
        .set_requires_compatibilities(non_empty(td.requires_compatibilities()))
        .set_cpu(td.cpu().map(str::to_string))
        .set_memory(td.memory().map(str::to_string))
        .set_tags(non_empty(&tags))
        .set_pid_mode(td.pid_mode().cloned())
        .set_ipc_mode(td.ipc_mode().cloned())
        .set_proxy_configuration(td.proxy_configuration().cloned())
        .set_ephemeral_storage(td.ephemeral_storage().cloned())
        .set_runtime_platform(td.runtime_platform().cloned())
        .set_enable_fault_injection(td.enable_fault_injection())
        .send()
        .await
        .map_err(|e| from_sdk(e, &ctx))?;
    let new_td = registered.task_definition().ok_or_else(|| {
        OpsError::new(
            ErrorKind::Service,
            "RegisterTaskDefinition returned no task definition",
        )
    })?;
    let new_arn = new_td.task_definition_arn().unwrap_or_default().to_string();

    let ctx = cluster_ctx(aws, "UpdateService", cluster, Some(service));
    let updated = ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(&new_arn)
        .send()
        .await
        .map_err(|e| from_sdk(e, &ctx))?;
    let primary = updated.service().and_then(|s| {
        s.deployments()
            .iter()
            .find(|d| {
                d.task_definition() == Some(new_arn.as_str()) && d.status() == Some("PRIMARY")
            })
            .or_else(|| {
                s.deployments()
                    .iter()
                    .find(|d| d.status() == Some("PRIMARY"))
            })
    });
    let deployment_id = primary.and_then(|d| d.id().map(str::to_string));
    let deployment_created_epoch = primary.and_then(|d| d.created_at().map(|t| t.as_secs_f64()));

    Ok(DeployStarted {
        cluster: cluster.to_string(),
        service: service.to_string(),
        container: names[index].clone(),
        previous_image,
        image,
        previous_task_definition: current.task_definition,
        base_task_definition,
        task_definition: short_task_definition(&new_arn),
        revision: new_td.revision(),
        task_definition_arn: new_arn,
        deployment_id,
        deployment_created_epoch,
        started_at: Some(Instant::now()),
    })
}

fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    if items.is_empty() {
        None
    } else {
        Some(items.to_vec())
    }
}

/// The container whose image changes: `--container`, the only one, or the one
/// named like the service.
fn pick_container(names: &[String], wanted: Option<&str>, hints: &[&str]) -> Result<usize> {
    let list = names.join(", ");
    if let Some(w) = wanted {
        return names.iter().position(|n| n == w).ok_or_else(|| {
            OpsError::input(format!("the task definition has no container `{w}`"))
                .with_hint(format!("its containers are: {list}"))
        });
    }
    if names.len() == 1 {
        return Ok(0);
    }
    let matches = |n: &String| {
        hints
            .iter()
            .any(|h| n == h || h.ends_with(&format!("-{n}")) || n.starts_with(&format!("{h}-")))
    };
    let exact = names.iter().position(|n| hints.contains(&n.as_str()));
    exact
        .or_else(|| names.iter().position(matches))
        .ok_or_else(|| {
            OpsError::input(format!(
                "the task definition has {} containers; which one gets the new tag?",
                names.len()
            ))
            .with_hint(format!("pass --container NAME (one of: {list})"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tag_replacement_keeps_the_repository() {
        let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/inventory-app";
        assert_eq!(
            replace_image_tag(&format!("{ecr}:1.2.0"), "1.3.0"),
            format!("{ecr}:1.3.0")
        );
        assert_eq!(
            replace_image_tag(&format!("{ecr}@sha256:abcd"), "v2"),
            format!("{ecr}:v2")
        );
        assert_eq!(replace_image_tag(ecr, "v2"), format!("{ecr}:v2"));
        assert_eq!(
            replace_image_tag("localhost:5000/app:old", "new"),
            "localhost:5000/app:new"
        );
        assert_eq!(replace_image_tag("nginx", "1.27"), "nginx:1.27");
    }

    #[test]
    fn tags_are_validated() {
        assert!(validate_tag("1.3.0-rc_1").is_ok());
        assert!(validate_tag("").is_err());
        assert!(validate_tag("-x").is_err());
        assert!(validate_tag("a:b").is_err());
    }

    #[test]
    fn family_of_arns_and_short_names() {
        assert_eq!(
            family_of("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-inventory:7"),
            "shop-inventory"
        );
        assert_eq!(family_of("shop-inventory:12"), "shop-inventory");
        assert_eq!(family_of("shop-inventory"), "shop-inventory");
    }

    #[test]
    fn container_choice() {
        let names = vec!["inventory-app".to_string(), "otel".to_string()];
        assert_eq!(
            pick_container(&names, None, &["shop-inventory-app"]).unwrap(),
            0
        );
        assert_eq!(
            pick_container(&names, None, &["shop-inventory", "inventory-app"]).unwrap(),
            0
        );
        assert_eq!(pick_container(&names, Some("otel"), &["x"]).unwrap(), 1);
        assert!(
            pick_container(&names, None, &["billing"])
                .unwrap_err()
                .hint
                .unwrap()
                .contains("--container")
        );
        assert!(pick_container(&names[..1], None, &["anything"]).is_ok());
    }
}
