//! Starting a deployment of a new image tag: a new revision of the service's
//! task definition family, and the service pointed at it
//! ([`crate::deploy_wait`] follows it to the end).
use crate::config::Aws;
use crate::ecs::{check_cluster, cluster_ctx, describe_service, family_of, short_task_definition};
use crate::error::{ErrorKind, OpsError, Result, from_sdk};
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition, TaskDefinitionField};
use serde::Serialize;
use std::time::Instant;

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
    // The family name alone resolves to its latest ACTIVE revision.
    let family = family_of(&current.task_definition_arn);
    let described = latest_revision(aws, cluster, service, &family).await?;
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

    let new_td =
        register_revision(aws, (cluster, service), td, containers, described.tags()).await?;
    let new_arn = new_td.task_definition_arn().unwrap_or_default().to_string();
    let (deployment_id, deployment_created_epoch) =
        point_service(aws, cluster, service, &new_arn).await?;

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

/// The latest ACTIVE revision of `family`, with its tags.
async fn latest_revision(
    aws: &Aws,
    cluster: &str,
    service: &str,
    family: &str,
) -> Result<DescribeTaskDefinitionOutput> {
    let ctx = cluster_ctx(aws, "DescribeTaskDefinition", cluster, Some(service));
    aws.ecs()
        .describe_task_definition()
        .task_definition(family)
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
        })
}

/// Registers a copy of `td` with `containers` (one image changed) and `tags`.
async fn register_revision(
    aws: &Aws,
    (cluster, service): (&str, &str),
    td: &TaskDefinition,
    containers: Vec<ContainerDefinition>,
    tags: &[Tag],
) -> Result<TaskDefinition> {
    let ctx = cluster_ctx(aws, "RegisterTaskDefinition", cluster, Some(service));
    let registered = aws
        .ecs()
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
        .set_tags(non_empty(tags))
        .set_pid_mode(td.pid_mode().cloned())
        .set_ipc_mode(td.ipc_mode().cloned())
        .set_proxy_configuration(td.proxy_configuration().cloned())
        .set_ephemeral_storage(td.ephemeral_storage().cloned())
        .set_runtime_platform(td.runtime_platform().cloned())
        .set_enable_fault_injection(td.enable_fault_injection())
        .send()
        .await
        .map_err(|e| from_sdk(e, &ctx))?;
    registered.task_definition().cloned().ok_or_else(|| {
        OpsError::new(
            ErrorKind::Service,
            "RegisterTaskDefinition returned no task definition",
        )
    })
}

/// Points the service at `task_definition_arn`; the id and creation time
/// (epoch seconds) of the PRIMARY deployment that starts.
async fn point_service(
    aws: &Aws,
    cluster: &str,
    service: &str,
    task_definition_arn: &str,
) -> Result<(Option<String>, Option<f64>)> {
    let ctx = cluster_ctx(aws, "UpdateService", cluster, Some(service));
    let updated = aws
        .ecs()
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition_arn)
        .send()
        .await
        .map_err(|e| from_sdk(e, &ctx))?;
    let primary = updated.service().and_then(|s| {
        s.deployments()
            .iter()
            .find(|d| {
                d.task_definition() == Some(task_definition_arn) && d.status() == Some("PRIMARY")
            })
            .or_else(|| {
                s.deployments()
                    .iter()
                    .find(|d| d.status() == Some("PRIMARY"))
            })
    });
    Ok((
        primary.and_then(|d| d.id().map(str::to_string)),
        primary.and_then(|d| d.created_at().map(|t| t.as_secs_f64())),
    ))
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
