//! `modules/broker`: the root module's call of Amazon MQ (the module has no
//! flags), made only for a broker on Amazon MQ; the container alternative, as a `modules/service` call with its
//! generated credentials.
use super::common::{DataPlacement, strings};
use super::module_outputs::{kms, secret};
use super::names;
use super::secret::CredentialsCall;
use super::service::{InfraContainer, ServiceCall, infra_container_call};
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
