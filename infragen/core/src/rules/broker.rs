//! `[broker]`: RabbitMQ on Amazon MQ or as a container, and who uses it.
use super::fields::{container_image_reachable, dns_name};
use crate::diagnostics::Problems;
use crate::model::{AmazonMq, Broker, BrokerHosting, Container, Network, Project, Service};
use crate::parse::raw::{BrokerKind, DeploymentMode, RawBroker};

/// Amazon MQ broker names: at most 50 characters.
pub const MQ_BROKER_NAME_MAX: usize = 50;

pub(super) fn broker(
    b: &RawBroker,
    project: &Project,
    network: &Network,
    p: &mut Problems,
) -> Broker {
    let name = b.name.clone().unwrap_or_else(|| "rabbitmq".into());
    dns_name(p, "broker.name", "broker name", &name, 32);
    let kind = b.kind.unwrap_or(BrokerKind::AmazonMq);
    let (engine_version, instance_type) = engine_and_instance(b, kind, p);
    let deployment_mode = b.deployment_mode.unwrap_or(DeploymentMode::SingleInstance);
    if deployment_mode == DeploymentMode::ClusterMultiAz {
        check_cluster(&instance_type, kind, network, p);
    }
    let container_image = b
        .container_image
        .clone()
        .unwrap_or_else(|| "public.ecr.aws/docker/library/rabbitmq:3.13-alpine".into());
    if kind == BrokerKind::Container {
        container_image_reachable(
            p,
            "broker.kind",
            "broker",
            &container_image,
            project,
            network,
        );
    }
    let identifier = format!("{}-{}", project.prefix, name);
    if identifier.len() > MQ_BROKER_NAME_MAX {
        p.invalid(
            "broker.name",
            format!(
                "the derived Amazon MQ broker name `{identifier}` is {} characters; AWS allows at most {MQ_BROKER_NAME_MAX}",
                identifier.len()
            ),
            "shorten the broker name, project.name or project.environment",
        );
    }
    let adopt_log_groups = adopt_log_groups(b, kind, p);
    let hosting = match kind {
        BrokerKind::AmazonMq => BrokerHosting::AmazonMq(AmazonMq {
            instance_type,
            deployment_mode,
            adopt_log_groups,
        }),
        BrokerKind::Container => BrokerHosting::Container(Container {
            image: container_image,
        }),
    };
    Broker {
        name,
        engine_version,
        identifier,
        used_by: Vec::new(),
        hosting,
    }
}

/// Only Amazon MQ has log groups to adopt.
fn adopt_log_groups(b: &RawBroker, kind: BrokerKind, p: &mut Problems) -> bool {
    if b.adopt_log_groups.is_some() && kind == BrokerKind::Container {
        p.invalid(
            "broker.adopt_log_groups",
            "a container broker logs to its service's log group; there is no Amazon MQ log group to adopt",
            "remove `adopt_log_groups`, or use `kind = \"amazon_mq\"`",
        );
    }
    b.adopt_log_groups.unwrap_or(false)
}

/// The RabbitMQ version and the Amazon MQ instance type, each checked and
/// checked together (RabbitMQ 4.x on mq.m7g only).
fn engine_and_instance(b: &RawBroker, kind: BrokerKind, p: &mut Problems) -> (String, String) {
    let engine_version = b.engine_version.clone().unwrap_or_else(|| "3.13".into());
    if !(engine_version == "3.13"
        || engine_version.starts_with("3.13.")
        || engine_version.starts_with("4."))
    {
        p.invalid(
            "broker.engine_version",
            format!("`{engine_version}` is not a RabbitMQ version Amazon MQ supports"),
            "use \"3.13\" (or a 4.x release)",
        );
    }
    let instance_type = b
        .instance_type
        .clone()
        .unwrap_or_else(|| "mq.t3.micro".into());
    if !(instance_type.starts_with("mq.") && instance_type.split('.').count() == 3) {
        p.invalid(
            "broker.instance_type",
            format!("`{instance_type}` is not an Amazon MQ instance type"),
            "e.g. mq.t3.micro, mq.m5.large, mq.m7g.large",
        );
    }
    if kind == BrokerKind::AmazonMq
        && is_rabbitmq_4(&engine_version)
        && !instance_type.starts_with("mq.m7g.")
    {
        p.invalid(
            "broker.instance_type",
            format!("Amazon MQ runs RabbitMQ {engine_version} on mq.m7g instance types only, not `{instance_type}`"),
            "use e.g. mq.m7g.medium, or engine_version = \"3.13\"",
        );
    }
    (engine_version, instance_type)
}

/// RabbitMQ 4.x: on Amazon MQ, only mq.m7g instances, and no per-queue
/// CloudWatch metrics.
pub fn is_rabbitmq_4(engine_version: &str) -> bool {
    engine_version.starts_with("4.")
}

/// A `cluster_multi_az` deployment: Amazon MQ on a large enough instance, over several AZs.
fn check_cluster(instance_type: &str, kind: BrokerKind, network: &Network, p: &mut Problems) {
    if instance_type == "mq.t3.micro" {
        p.invalid(
            "broker.deployment_mode",
            "mq.t3.micro runs SINGLE_INSTANCE only",
            "use an mq.m5.large (or larger) instance type for a cluster, or `single_instance`",
        );
    }
    if network.single_az {
        p.invalid(
            "broker.deployment_mode",
            "a multi-AZ cluster in a single-AZ topology",
            "use `single_instance`, or `network.single_az = false`",
        );
    }
    if kind == BrokerKind::Container {
        p.invalid(
            "broker.deployment_mode",
            "`cluster_multi_az` applies to Amazon MQ only",
            "remove it or use `kind = \"amazon_mq\"`",
        );
    }
}

/// The broker's `used_by`: the services that use it (sorted).
pub(super) fn link_users(broker: &mut Broker, services: &[Service]) {
    broker.used_by = services
        .iter()
        .filter(|s| s.broker)
        .map(|s| s.name.clone())
        .collect();
    broker.used_by.sort();
}
