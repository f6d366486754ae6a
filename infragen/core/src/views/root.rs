//! The root module: one call per module, wired by Terraform expressions, and
//! the root outputs.
use super::auth::{AuthCall, auth_call};
use super::broker::{self, BrokerCall, broker_call};
use super::cluster::{ClusterCall, cluster_call};
use super::common::{Header, Literal, literals};
use super::database::{self, DatabaseCall, database_calls};
use super::deploy_hook::{DeployHookCall, deploy_hook_call};
use super::edge::{EdgeCall, edge_call, listener_ports};
use super::kms::{KmsCall, kms_call};
use super::module_outputs::{auth, cluster, edge, observability, registry, service};
use super::network::{NetworkCall, network_call};
use super::observability::{ObservabilityCall, observability_call};
use super::registry::{RegistryCall, image_tags, registry_call};
use super::secret::CredentialsCall;
use super::service::{ServiceCall, app_service_call};
use crate::hcl::Expr;
use crate::model::{Model, SecretSource};
use serde::Serialize;
use std::collections::BTreeSet;

/// A `key = expression` entry of a map output.
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    pub key: String,
    pub value: Expr,
}

/// The root outputs, read by `infragen status|deploy|users|token`.
#[derive(Debug, Clone, Serialize)]
pub struct RootOutputs {
    pub ecs_cluster_name: Expr,
    /// ECS service name per service.
    pub ecs_service_names: Vec<OutputEntry>,
    pub cognito_user_pool_id: Expr,
    pub cognito_client_id: Expr,
    pub api_endpoint: Expr,
    pub api_domain_target: Expr,
    /// ECR repository URL per service.
    pub ecr_repository_urls: Vec<OutputEntry>,
    pub alarm_topic_arn: Expr,
}

/// The root module: module calls only.
#[derive(Debug, Clone, Serialize)]
pub struct RootView {
    pub header: Header,
    pub name: String,
    pub region: String,
    pub alarm_email: Option<String>,
    pub monthly_budget_usd: u32,
    /// Project tags, sorted by key.
    pub tags: Vec<Literal>,
    pub image_tags: Vec<Literal>,
    pub kms: KmsCall,
    /// Secrets Manager secrets the topology gives by name, sorted: resolved
    /// to their ARNs at plan time (a missing one fails the plan).
    pub named_secrets: Vec<String>,
    pub network: NetworkCall,
    pub auth: AuthCall,
    pub edge: EdgeCall,
    pub cluster: ClusterCall,
    pub registry: RegistryCall,
    /// RDS databases.
    pub databases: Vec<DatabaseCall>,
    pub broker: Option<BrokerCall>,
    pub credentials: Vec<CredentialsCall>,
    pub services: Vec<ServiceCall>,
    pub deploy_hook: Option<DeployHookCall>,
    pub observability: ObservabilityCall,
    pub outputs: RootOutputs,
}

/// The root module's view.
pub fn root_view(model: &Model, header: &Header) -> RootView {
    let (credentials, mut services) = dependency_containers(model);
    let ports = listener_ports(model);
    services.extend(
        model
            .services
            .iter()
            .map(|service| app_service_call(model, service, &ports)),
    );
    let service_discovery = services.iter().any(|s| s.service_discovery.is_some());
    RootView {
        header: header.clone(),
        name: model.project.prefix.clone(),
        region: model.project.region.clone(),
        alarm_email: model.operations.alarm_email.clone(),
        monthly_budget_usd: model.operations.monthly_budget_usd,
        tags: literals(&model.project.tags),
        image_tags: image_tags(model),
        kms: kms_call(),
        named_secrets: named_secrets(model),
        network: network_call(model),
        auth: auth_call(model),
        edge: edge_call(model),
        cluster: cluster_call(model, service_discovery),
        registry: registry_call(model),
        databases: database_calls(model),
        broker: model.amazon_mq().map(|b| broker_call(model, b)),
        credentials,
        observability: observability_call(model, &services),
        outputs: outputs(model, &services),
        services,
        deploy_hook: deploy_hook_call(model),
    }
}

/// The container alternatives of the databases and the broker: their
/// generated credentials and their `modules/service` calls.
fn dependency_containers(model: &Model) -> (Vec<CredentialsCall>, Vec<ServiceCall>) {
    let mut credentials = Vec::new();
    let mut services = Vec::new();
    for (db, container) in model.container_databases() {
        credentials.push(database::container_credentials(model, db));
        services.push(database::container_call(model, db, container));
    }
    if let Some((b, container)) = model.container_broker() {
        credentials.push(broker::container_credentials(model, b));
        services.push(broker::container_call(model, b, container));
    }
    (credentials, services)
}

fn named_secrets(model: &Model) -> Vec<String> {
    let names: BTreeSet<&String> = model
        .services
        .iter()
        .flat_map(|s| s.secrets.values())
        .filter_map(|r| match &r.source {
            SecretSource::Name(name) => Some(name),
            _ => None,
        })
        .collect();
    names.into_iter().cloned().collect()
}

fn outputs(model: &Model, services: &[ServiceCall]) -> RootOutputs {
    let mut ecs_service_names: Vec<OutputEntry> = services
        .iter()
        .map(|call| OutputEntry {
            key: call.container_name_key(),
            value: service::service_name(&call.module),
        })
        .collect();
    ecs_service_names.sort_by(|a, b| a.key.cmp(&b.key));
    RootOutputs {
        ecs_cluster_name: cluster::cluster_name(),
        ecs_service_names,
        cognito_user_pool_id: auth::user_pool_id(),
        cognito_client_id: auth::client_id(),
        api_endpoint: edge::api_endpoint(),
        api_domain_target: edge::domain_target(),
        ecr_repository_urls: model
            .services
            .iter()
            .map(|s| OutputEntry {
                key: s.name.clone(),
                value: registry::repository_url(&s.names.ecr_repository),
            })
            .collect(),
        alarm_topic_arn: observability::alarm_topic_arn(),
    }
}
