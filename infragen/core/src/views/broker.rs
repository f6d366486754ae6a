//! `modules/broker`: the root module's call of Amazon MQ and the module's
//! flags, made only for a broker on Amazon MQ; the container alternative, as a `modules/service` call with its
//! generated credentials.
use super::common::{DataPlacement, retention_skip, strings};
use super::module_outputs::{self, kms, secret};
use super::names;
use super::secret::CredentialsCall;
use super::service::{InfraContainer, ServiceCall, infra_container_call};
use crate::hcl::{Expr, Part};
use crate::model::{AmazonMq, Broker, Container, DeploymentMode, Model, Owner, Purpose};
use crate::rules::names::RABBITMQ_CONTAINER;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct BrokerCall {
    pub module: &'static str,
    #[serde(flatten)]
    pub placement: DataPlacement,
    pub name: String,
    pub used_by: String,
    pub identifier: String,
    pub security_group: String,
    pub secret: String,
    pub engine_version: String,
    pub instance_type: String,
    pub deployment_mode: &'static str,
    pub log_retention_days: u32,
    /// Import and manage the broker's log groups (these).
    pub log_groups: Vec<&'static str>,
    /// The module's log group for `each.key`: the import's target.
    pub log_group_address: String,
    /// The log group Amazon MQ created for `each.key`: the import's id.
    pub log_group_id: Expr,
}

#[derive(Debug, Clone, Serialize)]
pub struct BrokerFlags {
    pub log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BrokerModule {
    pub broker: BrokerFlags,
}

/// The log groups Amazon MQ for RabbitMQ writes (general logs only).
pub const BROKER_LOG_GROUPS: [&str; 1] = ["general"];

pub(super) fn broker_module(model: &Model) -> BrokerModule {
    BrokerModule {
        broker: BrokerFlags {
            log_retention_skip: retention_skip(
                model.operations.log_retention_days,
                "the broker's logs",
                model,
            ),
        },
    }
}

pub(super) fn broker_call(model: &Model, (broker, mq): (&Broker, &AmazonMq)) -> BrokerCall {
    let name = |purpose| model.names.get(&Owner::Broker, purpose).to_string();
    BrokerCall {
        module: names::BROKER_MODULE,
        placement: DataPlacement::isolated(),
        security_group: name(Purpose::DataSecurityGroup),
        secret: name(Purpose::CredentialsSecret),
        name: broker.name.clone(),
        used_by: broker.used_by.join(", "),
        identifier: broker.identifier.clone(),
        engine_version: broker.engine_version.clone(),
        instance_type: mq.instance_type.clone(),
        deployment_mode: match mq.deployment_mode {
            DeploymentMode::SingleInstance => "SINGLE_INSTANCE",
            DeploymentMode::ClusterMultiAz => "CLUSTER_MULTI_AZ",
        },
        log_retention_days: model.operations.log_retention_days,
        log_groups: if mq.adopt_log_groups {
            BROKER_LOG_GROUPS.to_vec()
        } else {
            Vec::new()
        },
        log_group_address: format!(
            "module.{}.aws_cloudwatch_log_group.broker[each.key]",
            names::BROKER_MODULE
        ),
        log_group_id: Expr::Template(vec![
            Part::Text("/aws/amazonmq/broker/".into()),
            Part::Interpolation(module_outputs::broker::broker_id()),
            Part::Text("/".into()),
            Part::Interpolation(Expr::Reference("each.key".into())),
        ]),
    }
}

/// The generated credentials of a container broker.
pub(super) fn container_credentials(model: &Model, broker: &Broker) -> CredentialsCall {
    CredentialsCall {
        module: names::BROKER_CREDENTIALS_MODULE.into(),
        kms_key_arn: kms::key_arn(),
        name: model
            .names
            .get(&Owner::Broker, Purpose::CredentialsSecret)
            .into(),
        description: format!("the RabbitMQ container \"{}\"", broker.name),
        username: "app".into(),
    }
}

/// Container alternative of the broker: RabbitMQ on Fargate.
pub(super) fn container_call(model: &Model, broker: &Broker, container: &Container) -> ServiceCall {
    let credentials = names::BROKER_CREDENTIALS_MODULE;
    let mut environment = BTreeMap::new();
    environment.insert(
        "RABBITMQ_DEFAULT_USER".into(),
        secret::username(credentials),
    );
    infra_container_call(
        model,
        InfraContainer {
            module: names::BROKER_MODULE.into(),
            comment: format!(
                "RabbitMQ \"{}\" as a Fargate container (dev stage: queues live in task storage and are lost when the task stops), used by {}.",
                broker.name,
                broker.used_by.join(", ")
            ),
            owner: Owner::Broker,
            container_name: RABBITMQ_CONTAINER,
            image: container.image.clone(),
            port: broker.port(),
            hostname: broker.name.clone(),
            health_check_command: strings(&["CMD", "rabbitmq-diagnostics", "-q", "ping"]),
            // The CLI starts an Erlang VM for every check: seconds, more
            // on a busy 0.5 vCPU task, so 5 s fails healthy brokers.
            health_check_timeout: Some(20),
            writable_paths: &["/tmp", "/var/lib/rabbitmq", "/var/log/rabbitmq"],
            environment,
            credentials: credentials.into(),
            password_variable: "RABBITMQ_DEFAULT_PASS",
        },
    )
}
