//! The resolved topology: what views, the graph and the cost estimate consume.
//!
//! Every default is filled, every reference is resolved and checked, every
//! derived AWS name is computed here (and nowhere else) and checked against
//! the AWS limits. Build one with [`crate::load`] (or [`crate::load_default`]);
//! a `Model` that exists is valid.
//!
//! Collections are ordered deterministically: services, databases and AZs in
//! file order, maps as `BTreeMap`.
mod deploy;
mod names;
mod rollout;
mod secret_ref;
pub mod slo;

use ipnet::Ipv4Net;
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::parse::raw::{
    Architecture, BrokerKind, ContainerInsights, DatabaseInsights, DeploymentMode, Egress,
    FlowLogDestination, FlowLogTraffic,
};
pub use deploy::{
    AlarmKind, DEPLOY_HOOK_IMAGE, Deploy, DeployHook, Deployment, Percent, ServiceAlarm,
};
pub use names::{AwsName, AwsNames, Namespace, Owner, Purpose};
pub use secret_ref::{SecretRef, SecretSource};
pub use slo::{AlarmShape, Severity, Sli, Slo};

/// The tag whose value (`<project>-<environment>`) tells one stage's costs
/// from every other's: the budget filters on it.
pub const STAGE_TAG: &str = "Stage";

/// Services reached through interface endpoints when egress is `vpc_endpoints`.
pub const INTERFACE_ENDPOINTS: [&str; 4] = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"];

/// A validated deployment topology.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub project: Project,
    pub network: Network,
    pub edge: Edge,
    pub auth: Auth,
    pub cluster: Cluster,
    /// In file order.
    pub services: Vec<Service>,
    /// In file order.
    pub databases: Vec<Database>,
    pub broker: Option<Broker>,
    pub operations: Operations,
    /// The smoke-test Lambda, when a service has `smoke_paths`.
    pub deploy_hook: Option<DeployHook>,
    /// In file order.
    pub slos: Vec<Slo>,
    /// Every AWS name the rendered Terraform gives a resource (checked unique).
    pub names: AwsNames,
}

/// Project identity.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// e.g. `crud-master`.
    pub name: String,
    /// e.g. `prod`.
    pub environment: String,
    /// e.g. `eu-west-3`.
    pub region: String,
    /// `<name>-<environment>`: the prefix of every resource name.
    pub prefix: String,
    /// User tags merged with `Project`, `Environment`, `ManagedBy`; sorted.
    pub tags: BTreeMap<String, String>,
}

/// One availability zone and its three subnets.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    /// e.g. `eu-west-3a`.
    pub name: String,
    /// NAT gateways only.
    pub public: Ipv4Net,
    /// Tasks, internal ALB, interface endpoints.
    pub private: Ipv4Net,
    /// RDS, Amazon MQ; no internet route.
    pub isolated: Ipv4Net,
}

/// Network.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub vpc_cidr: Ipv4Net,
    /// At least two, in file order; with `single_az`, workloads use `zones[0]` only.
    pub zones: Vec<Zone>,
    pub single_az: bool,
    pub egress: Egress,
    /// Number of NAT gateways to create: 0 (vpc_endpoints), 1, or one per zone.
    pub nat_gateways: usize,
    /// CloudWatch retention, or the S3 objects' expiry, days.
    pub flow_logs_retention_days: u32,
    pub flow_logs_traffic: FlowLogTraffic,
    /// `max_aggregation_interval`: 60 or 600.
    pub flow_logs_aggregation_seconds: u32,
    pub flow_logs_destination: FlowLogDestination,
    /// Zone IDs of the region where HTTP API VPC links exist: the VPC link
    /// gets the private subnets of these zones only.
    pub vpc_link_zone_ids: Vec<String>,
}

/// API Gateway HTTP API.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub throttling_burst_limit: u32,
    pub throttling_rate_limit: u32,
    pub access_log_retention_days: u32,
    pub domain: Option<Domain>,
}

/// Custom domain of the API.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub name: String,
    /// When set, infragen creates and DNS-validates the certificate and the alias record.
    pub hosted_zone_id: Option<String>,
    /// When set, this existing certificate is used.
    pub certificate_arn: Option<String>,
}

/// Cognito.
#[derive(Debug, Clone, Serialize)]
pub struct Auth {
    pub user_pool_name: String,
    pub password_policy: PasswordPolicy,
    pub access_token_validity_minutes: u32,
    pub id_token_validity_minutes: u32,
    pub refresh_token_validity_days: u32,
}

/// Cognito password policy.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

/// ECS cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// `<prefix>`.
    pub name: String,
    pub container_insights: ContainerInsights,
    pub capacity: Capacity,
}

/// Default capacity provider strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    pub fargate_weight: u32,
    pub fargate_base: u32,
    pub fargate_spot_weight: u32,
}

/// How a service is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// API Gateway routes → VPC link → internal ALB → service.
    Public,
    /// Internal ALB only (called by other services through `upstreams`).
    Internal,
    /// No load balancer (a worker); health from the container health check only.
    None,
}

/// The ECR repository of a service (several services may share one; every
/// other AWS name is in [`Model::names`]).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceNames {
    /// `<prefix>/<image>`.
    pub ecr_repository: String,
}

/// One ECS service.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: String,
    /// ECR repository name as given in the topology (`image`).
    pub image: String,
    pub image_tag: String,
    pub port: u16,
    pub cpu: u32,
    pub memory: u32,
    pub architecture: Architecture,
    pub desired: u32,
    pub health_path: String,
    /// Plain variables from the topology (infragen adds `HTTP_PORT`, `PG*`, `AMQP_*`).
    pub env: BTreeMap<String, String>,
    /// Variable → Secrets Manager secret (name or ARN) or SSM parameter ARN.
    pub secrets: BTreeMap<String, SecretRef>,
    /// Name of a [`Database`] in `Model::databases` (checked).
    pub database: Option<String>,
    /// Uses `Model::broker` (checked to exist).
    pub broker: bool,
    /// Variable → name of another service (checked to exist and not to be itself).
    pub upstreams: BTreeMap<String, String>,
    /// API Gateway routes (paths), sorted.
    pub routes: Vec<String>,
    pub exposure: Exposure,
    /// Names of services whose `upstreams` reference this one (sorted).
    pub called_by: Vec<String>,
    pub scaling: Scaling,
    pub names: ServiceNames,
    /// How a new revision rolls out and what rolls it back.
    pub deployment: Deployment,
    /// The alarms the service has (ALB alarms only when load-balanced), in
    /// [`AlarmKind::ALL`] order.
    pub alarms: Vec<ServiceAlarm>,
    /// PostgreSQL pool size per task, when it uses a database: its own
    /// `PG_POOL_SIZE`, or the largest that keeps every task of a 200 %
    /// rollout within the database's `max_connections`.
    pub pg_pool_size: Option<u32>,
}

/// Autoscaling (always present; `min == max` means a fixed count and no policies).
#[derive(Debug, Clone, Serialize)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// Target tracking on `ECSServiceAverageCPUUtilization`, percent.
    pub cpu_target: Option<u32>,
    /// Target tracking on `ALBRequestCountPerTarget`.
    pub requests_per_target: Option<u32>,
    /// Target tracking on queue depth / running tasks (Amazon MQ metric).
    pub queue_backlog: Option<QueueBacklog>,
}

/// Queue-backlog target.
#[derive(Debug, Clone, Serialize)]
pub struct QueueBacklog {
    pub queue: String,
    pub target: u32,
}

/// A PostgreSQL database.
#[derive(Debug, Clone, Serialize)]
pub struct Database {
    pub name: String,
    /// As given (major or major.minor).
    pub engine_version: String,
    /// Major version, e.g. `17` (for the parameter group family `postgres17`).
    pub engine_major: u32,
    pub db_name: String,
    /// RDS identifier / container service name: `<prefix>-<name>` (≤ 63, checked).
    pub identifier: String,
    /// Services that use it (sorted).
    pub used_by: Vec<String>,
    pub port: u16,
    /// Where it runs.
    pub hosting: DatabaseHosting,
}

/// Where a database runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseHosting {
    /// Amazon RDS for PostgreSQL: backups, Multi-AZ, patching, TLS.
    Rds(Rds),
    /// The official image as a Fargate task (a dev stage: the data lives in
    /// task storage and is lost when the task stops).
    Container(Container),
}

/// An RDS instance.
#[derive(Debug, Clone, Serialize)]
pub struct Rds {
    pub instance_class: String,
    pub storage_gb: u32,
    pub max_storage_gb: u32,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub database_insights: DatabaseInsights,
}

/// A dependency run as a Fargate container, reached through Cloud Map.
#[derive(Debug, Clone, Serialize)]
pub struct Container {
    pub image: String,
}

/// The RabbitMQ broker.
#[derive(Debug, Clone, Serialize)]
pub struct Broker {
    pub name: String,
    /// RabbitMQ version; also the local (compose) image's tag.
    pub engine_version: String,
    /// Amazon MQ broker name / container service name: `<prefix>-<name>` (≤ 50, checked).
    pub identifier: String,
    /// Services that use it (sorted).
    pub used_by: Vec<String>,
    /// Where it runs.
    pub hosting: BrokerHosting,
}

/// Where the broker runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerHosting {
    /// Amazon MQ for RabbitMQ: AMQPS, managed patching, optional cluster.
    AmazonMq(AmazonMq),
    /// The official image as a Fargate task (a dev stage).
    Container(Container),
}

/// An Amazon MQ broker.
#[derive(Debug, Clone, Serialize)]
pub struct AmazonMq {
    pub instance_type: String,
    pub deployment_mode: DeploymentMode,
    /// Terraform imports and manages the broker's log group (after the
    /// broker's first apply).
    pub adopt_log_groups: bool,
}

/// Operations.
#[derive(Debug, Clone, Serialize)]
pub struct Operations {
    pub log_retention_days: u32,
    pub alarm_email: Option<String>,
    pub monthly_budget_usd: u32,
    pub dashboard: bool,
    pub alarms: Alarms,
    pub ecr: Ecr,
}

/// The golden-signal alarms.
#[derive(Debug, Clone, Serialize)]
pub struct Alarms {
    /// 5xx share of requests above which the error alarms fire, percent.
    pub error_rate_percent: f64,
    /// Requests a period must hold before the error ratio is judged.
    pub min_requests: u32,
    pub latency_p99_ms: u32,
    /// Shared by the error-ratio and latency alarms (checked against CloudWatch's limits).
    pub shape: AlarmShape,
}

/// ECR.
#[derive(Debug, Clone, Serialize)]
pub struct Ecr {
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    pub keep_last_images: u32,
    /// This stage owns the account-and-region-wide Inspector enabler and
    /// registry scanning configuration.
    pub account_scanning: bool,
}

impl Service {
    /// Behind the internal ALB: public, or called by other services (the
    /// model makes a called service `Internal`, so this is `exposure != None`).
    pub fn load_balanced(&self) -> bool {
        self.exposure != Exposure::None
    }

    /// Reached by clients through API Gateway (it has `routes`).
    pub fn public(&self) -> bool {
        self.exposure == Exposure::Public
    }

    /// Has the alternate target group, listener rules and infrastructure
    /// role of a traffic-shifting deployment.
    pub fn shifts_traffic(&self) -> bool {
        self.load_balanced() && self.deployment.strategy.shifts_traffic()
    }

    /// Runs the smoke-test hook at the test-traffic stage.
    pub fn smoke_tested(&self) -> bool {
        self.shifts_traffic() && !self.deployment.smoke_paths.is_empty()
    }
}

impl Project {
    /// A production stage (`environment` starting with `prod`): deletion
    /// protection on the ALB and the user pool.
    pub fn is_production(&self) -> bool {
        self.environment.starts_with("prod")
    }
}

impl Database {
    /// The RDS instance, when the database runs on RDS.
    pub fn rds(&self) -> Option<&Rds> {
        match &self.hosting {
            DatabaseHosting::Rds(rds) => Some(rds),
            DatabaseHosting::Container(_) => None,
        }
    }

    /// The container, when the database runs as one.
    pub fn container(&self) -> Option<&Container> {
        match &self.hosting {
            DatabaseHosting::Container(container) => Some(container),
            DatabaseHosting::Rds(_) => None,
        }
    }
}

impl BrokerHosting {
    /// The topology's `broker.kind` for this hosting.
    pub fn kind(&self) -> BrokerKind {
        match self {
            BrokerHosting::AmazonMq(_) => BrokerKind::AmazonMq,
            BrokerHosting::Container(_) => BrokerKind::Container,
        }
    }
}

impl Broker {
    /// The Amazon MQ instance, when the broker runs on Amazon MQ.
    pub fn amazon_mq(&self) -> Option<&AmazonMq> {
        match &self.hosting {
            BrokerHosting::AmazonMq(mq) => Some(mq),
            BrokerHosting::Container(_) => None,
        }
    }

    /// The container, when the broker runs as one.
    pub fn container(&self) -> Option<&Container> {
        match &self.hosting {
            BrokerHosting::Container(container) => Some(container),
            BrokerHosting::AmazonMq(_) => None,
        }
    }

    /// Amazon MQ speaks AMQPS only; the container plain AMQP inside the VPC.
    pub fn tls(&self) -> bool {
        self.amazon_mq().is_some()
    }

    /// 5671 (AMQPS) for Amazon MQ, 5672 for the container.
    pub fn port(&self) -> u16 {
        if self.tls() { 5671 } else { 5672 }
    }
}

impl Model {
    /// The databases on RDS, with their instance, in file order.
    pub fn rds_databases(&self) -> impl Iterator<Item = (&Database, &Rds)> {
        self.databases.iter().filter_map(|d| Some((d, d.rds()?)))
    }

    /// The databases run as containers, in file order.
    pub fn container_databases(&self) -> impl Iterator<Item = (&Database, &Container)> {
        self.databases
            .iter()
            .filter_map(|d| Some((d, d.container()?)))
    }

    /// The broker with its Amazon MQ instance, when it runs on Amazon MQ.
    pub fn amazon_mq(&self) -> Option<(&Broker, &AmazonMq)> {
        let broker = self.broker.as_ref()?;
        Some((broker, broker.amazon_mq()?))
    }

    /// The broker with its container, when it runs as one.
    pub fn container_broker(&self) -> Option<(&Broker, &Container)> {
        let broker = self.broker.as_ref()?;
        Some((broker, broker.container()?))
    }

    /// The SLOs of a service, in file order.
    pub fn slos_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Slo> + 'a {
        self.slos.iter().filter(move |slo| slo.service == service)
    }

    /// The CloudWatch alarms that gate a service's deployments (for the ECS
    /// deployment `alarms` block): the fast-burn short-window alarm of each
    /// of its SLOs. Metric alarms, not the composite page: ECS documents
    /// deployment alarms as CloudWatch alarm names without saying composite
    /// alarms are accepted, and the short window alone is what reacts within
    /// minutes of a bad revision (the 1 h window would also roll back a fix
    /// deployed during an incident).
    pub fn deployment_alarm_names(&self, service: &str) -> Vec<String> {
        self.slos_of(service)
            .map(|slo| slo.deployment_gate.clone())
            .collect()
    }

    /// The service with this name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The database with this name.
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// Zones that run workloads: the first only when `single_az`, else all.
    pub fn workload_zones(&self) -> &[Zone] {
        if self.network.single_az {
            &self.network.zones[..1]
        } else {
            &self.network.zones
        }
    }
}
