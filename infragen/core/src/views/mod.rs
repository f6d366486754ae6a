//! Views: one `Serialize` struct per generated Terraform module, computed from
//! the validated [`Model`] by pure functions. Templates see only these.
//!
//! Values are either data (strings, numbers, lists: the templates print them
//! with the `hcl` helper, which quotes and escapes) or Terraform expressions
//! that wire one module's outputs into another (fields named `*_expr` or the
//! `value` of environment and secret entries: printed as they are). Every
//! expression is built here, from names derived in [`names`].
//!
//! RENDER-NEEDS (derived here until the model carries them):
//! - "is this a production stage" (ALB and user-pool deletion protection):
//!   derived from `project.environment` starting with `prod`.
//! - virtual host of the broker: `/`.

pub mod compose;
pub mod names;

use crate::model::{BrokerKind, DatabaseKind, DeploymentMode, Egress, Exposure, Model, Service};
use serde::Serialize;
use std::collections::BTreeMap;

/// Terraform version constraint of every `versions.tf`.
pub const TERRAFORM_VERSION: &str = ">= 1.9";
/// hashicorp/aws version constraint of every `versions.tf`.
pub const AWS_PROVIDER_VERSION: &str = "~> 6.0";
/// Port of the ALB listener behind the VPC link.
pub const PUBLIC_LISTENER_PORT: u16 = 80;
/// First port of the service-to-service ALB listeners.
pub const FIRST_INTERNAL_LISTENER_PORT: u16 = 8080;
/// CloudWatch Logs retention below which checkov's CKV_AWS_338 fails.
const CHECKOV_MIN_RETENTION: u32 = 365;
/// RabbitMQ virtual host the services use.
const VHOST: &str = "/";
/// Services reached through interface endpoints when egress is `vpc_endpoints`.
const INTERFACE_ENDPOINTS: [&str; 4] = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"];

/// What every template's header and `versions.tf` need.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// Name of the topology file the output comes from.
    pub source: String,
    pub terraform_version: &'static str,
    pub aws_provider_version: &'static str,
}

/// One generated file: where it goes, which template renders it, with what.
#[derive(Debug, Clone)]
pub struct FileView {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Template name (path under `templates/` without `.hbs`).
    pub template: String,
    /// The view the template renders.
    pub context: serde_json::Value,
}

// ---------------------------------------------------------------- root view

/// A `key = value` entry; `value` is a Terraform expression.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

/// A `key = "value"` entry with a literal value.
#[derive(Debug, Clone, Serialize)]
pub struct Literal {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkCall {
    pub cidr_block: String,
    pub azs: Vec<String>,
    pub public_subnet_cidrs: Vec<String>,
    pub private_subnet_cidrs: Vec<String>,
    pub isolated_subnet_cidrs: Vec<String>,
    pub nat_gateway_count: usize,
    pub interface_endpoints: Vec<String>,
    pub flow_logs_retention_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PasswordPolicyCall {
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthCall {
    pub user_pool_name: String,
    pub access_token_validity_minutes: u32,
    pub id_token_validity_minutes: u32,
    pub refresh_token_validity_days: u32,
    pub deletion_protection: bool,
    pub password_policy: PasswordPolicyCall,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetCall {
    pub key: String,
    pub target_group_name: String,
    pub port: u16,
    pub health_check_path: String,
    pub path_patterns: Vec<String>,
    pub priority: u32,
    /// Service-to-service listener port; `None` renders `null`.
    pub listener_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainCall {
    pub name: String,
    pub hosted_zone: bool,
    pub hosted_zone_id: Option<String>,
    pub create_certificate: bool,
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeCall {
    pub alb_name: String,
    pub deletion_protection: bool,
    pub routes: Vec<String>,
    pub throttling_burst_limit: u32,
    pub throttling_rate_limit: u32,
    pub access_log_retention_days: u32,
    pub targets: Vec<TargetCall>,
    pub domain: Option<DomainCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapacityProvider {
    pub capacity_provider: &'static str,
    pub weight: u32,
    pub base: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterCall {
    pub name: String,
    pub container_insights: bool,
    pub service_discovery: bool,
    pub service_discovery_namespace: String,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryCall {
    pub repositories: Vec<String>,
    pub immutable_tags: bool,
    pub scan_on_push: bool,
    pub keep_last_images: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseCall {
    pub module: String,
    pub name: String,
    pub used_by: String,
    pub identifier: String,
    pub engine_version: String,
    pub engine_major_version: u32,
    pub instance_class: String,
    pub db_name: String,
    pub allocated_storage: u32,
    pub max_allocated_storage: u32,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub log_retention_days: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct BrokerCall {
    pub name: String,
    pub amazon_mq: bool,
    pub used_by: String,
    pub identifier: String,
    pub engine_version: String,
    pub instance_type: String,
    pub deployment_mode: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialsCall {
    pub module: String,
    pub name: String,
    pub description: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadBalancerCall {
    pub target_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerCall {
    pub key: String,
    pub security_group_expr: String,
    pub port_expr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryCall {
    pub hostname: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueBacklogCall {
    pub queue: String,
    pub virtual_host: String,
    pub target: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalingCall {
    pub min: u32,
    pub max: u32,
    pub cpu_target: Option<u32>,
    pub requests_per_target: Option<u32>,
    pub queue_backlog: Option<QueueBacklogCall>,
}

/// One instance of `modules/service` (an application, or the container
/// alternative of a database or the broker).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceCall {
    pub module: String,
    pub comment: String,
    pub name: String,
    pub container_name: String,
    pub image_expr: String,
    pub subnets_expr: String,
    pub cpu: u32,
    pub memory: u32,
    pub cpu_architecture: &'static str,
    pub port: u16,
    pub user: Option<String>,
    pub health_check_command: Vec<String>,
    pub writable_paths: Vec<String>,
    pub log_group_name: String,
    pub log_retention_days: u32,
    pub desired_count: u32,
    pub internet_egress: bool,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
    pub environment: Vec<Entry>,
    pub secrets: Vec<Entry>,
    pub secret_arns: Vec<String>,
    pub load_balancer: Option<LoadBalancerCall>,
    pub peers: Vec<PeerCall>,
    pub service_discovery: Option<DiscoveryCall>,
    pub scaling: Option<ScalingCall>,
    pub request_count_target_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedService {
    pub key: String,
    pub service_name_expr: String,
    pub load_balanced: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedQueue {
    pub key: String,
    pub virtual_host: String,
    pub queue: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedDatabase {
    pub key: String,
    pub identifier_expr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityCall {
    pub services: Vec<WatchedService>,
    pub queues: Vec<WatchedQueue>,
    pub databases: Vec<WatchedDatabase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputService {
    pub key: String,
    pub module: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputRepository {
    pub key: String,
    pub repository: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RootOutputs {
    pub services: Vec<OutputService>,
    pub repositories: Vec<OutputRepository>,
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
    pub observability: ObservabilityCall,
    pub outputs: RootOutputs,
}

// ------------------------------------------------------------- module views

#[derive(Debug, Clone, Serialize)]
pub struct NetworkFlags {
    pub zones: Vec<String>,
    pub nat: bool,
    pub vpc_endpoints: bool,
    pub egress_description: &'static str,
    pub flow_logs_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeDomainFlags {
    pub name: String,
    pub create_certificate: bool,
    pub hosted_zone: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeFlags {
    pub domain: Option<EdgeDomainFlags>,
    pub deletion_protection_skip: Option<String>,
    pub access_log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterFlags {
    pub service_discovery: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionFlags {
    pub log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseFlags {
    pub log_retention_skip: Option<String>,
    pub multi_az_skip: Option<String>,
    pub deletion_protection_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryFlags {
    pub enhanced_scanning: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityFlags {
    pub dashboard: bool,
}

/// View of one module's files: the header plus the module's own flags under
/// the module's name (`network`, `edge`, ...).
#[derive(Debug, Clone, Serialize)]
pub struct ModuleView<T: Serialize> {
    pub header: Header,
    #[serde(flatten)]
    pub flags: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkModule {
    pub network: NetworkFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct EdgeModule {
    pub edge: EdgeFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct ClusterModule {
    pub cluster: ClusterFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct ServiceModule {
    pub service: RetentionFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseModule {
    pub database: DatabaseFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct RegistryModule {
    pub registry: RegistryFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityModule {
    pub observability: ObservabilityFlags,
}
#[derive(Debug, Clone, Serialize)]
pub struct NoFlags {}

/// Files of a Terraform module, in the order the templates share.
pub const MODULE_FILES: [&str; 4] = ["main.tf", "variables.tf", "outputs.tf", "versions.tf"];

/// Every module infragen can generate.
pub const MODULES: [&str; 11] = [
    "kms",
    "network",
    "auth",
    "edge",
    "cluster",
    "registry",
    "service",
    "database",
    "broker",
    "secret",
    "observability",
];

// ---------------------------------------------------------------- building

fn is_production(model: &Model) -> bool {
    model.project.environment.starts_with("prod")
}

fn retention_skip(days: u32, what: &str, model: &Model) -> Option<String> {
    (days < CHECKOV_MIN_RETENTION).then(|| {
        format!(
            "The topology keeps {what} {days} days for the {} stage (cost control); one year of retention is not needed there",
            model.project.environment
        )
    })
}

fn hcl_string(value: &str) -> String {
    crate::render::hcl_string(value)
}

fn architecture(service_arch: crate::model::Architecture) -> &'static str {
    match service_arch {
        crate::model::Architecture::X86_64 => "X86_64",
        crate::model::Architecture::Arm64 => "ARM64",
    }
}

fn capacity(model: &Model, arm64: bool) -> Vec<CapacityProvider> {
    let capacity = &model.cluster.capacity;
    let mut strategy = Vec::new();
    if capacity.fargate_weight > 0 || capacity.fargate_base > 0 || arm64 {
        strategy.push(CapacityProvider {
            capacity_provider: "FARGATE",
            weight: capacity.fargate_weight.max(u32::from(arm64)),
            base: capacity.fargate_base,
        });
    }
    // Fargate Spot runs X86_64 only.
    if capacity.fargate_spot_weight > 0 && !arm64 {
        strategy.push(CapacityProvider {
            capacity_provider: "FARGATE_SPOT",
            weight: capacity.fargate_spot_weight,
            base: 0,
        });
    }
    strategy
}

fn subnets_expr(model: &Model) -> String {
    if model.network.single_az {
        "slice(module.network.private_subnet_ids, 0, 1)".to_string()
    } else {
        "module.network.private_subnet_ids".to_string()
    }
}

/// Service-to-service listener port per called service, in file order.
fn listener_ports(model: &Model) -> BTreeMap<String, u16> {
    let mut ports = BTreeMap::new();
    let mut next = FIRST_INTERNAL_LISTENER_PORT;
    for service in &model.services {
        if !service.called_by.is_empty() {
            ports.insert(service.name.clone(), next);
            next += 1;
        }
    }
    ports
}

fn edge_call(model: &Model) -> EdgeCall {
    let ports = listener_ports(model);
    let mut targets = Vec::new();
    let mut routes = Vec::new();
    let mut priority = 0;
    for service in model.services.iter().filter(|s| s.load_balanced()) {
        let mut path_patterns: Vec<String> = service
            .routes
            .iter()
            .map(|r| names::path_pattern(r))
            .collect();
        path_patterns.sort();
        path_patterns.dedup();
        if !path_patterns.is_empty() {
            priority += 10;
        }
        routes.extend(service.routes.iter().map(|r| names::route_key(r)));
        targets.push(TargetCall {
            key: service.name.clone(),
            target_group_name: service.names.target_group.clone(),
            port: service.port,
            health_check_path: service.health_path.clone(),
            priority: if path_patterns.is_empty() {
                0
            } else {
                priority
            },
            path_patterns,
            listener_port: ports.get(&service.name).copied(),
        });
    }
    routes.sort();
    routes.dedup();
    let domain = model.edge.domain.as_ref().map(|domain| DomainCall {
        name: domain.name.clone(),
        hosted_zone: domain.hosted_zone_id.is_some(),
        hosted_zone_id: domain.hosted_zone_id.clone(),
        create_certificate: domain.certificate_arn.is_none(),
        certificate_arn: domain.certificate_arn.clone(),
    });
    EdgeCall {
        alb_name: names::alb_name(&model.project.prefix),
        deletion_protection: is_production(model),
        routes,
        throttling_burst_limit: model.edge.throttling_burst_limit,
        throttling_rate_limit: model.edge.throttling_rate_limit,
        access_log_retention_days: model.edge.access_log_retention_days,
        targets,
        domain,
    }
}

/// Grace period for in-flight work after SIGTERM (docs/contracts.md); ECS
/// and compose both stop a container 30 s after SIGTERM.
const SHUTDOWN_TIMEOUT_SECS: &str = "25";

fn base_environment(port: u16) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("HTTP_HOST".into(), hcl_string("0.0.0.0"));
    env.insert("HTTP_PORT".into(), hcl_string(&port.to_string()));
    env.insert("LOG_FORMAT".into(), hcl_string("json"));
    env.insert("RUST_LOG".into(), hcl_string("info"));
    env.insert(
        "SHUTDOWN_TIMEOUT_SECS".into(),
        hcl_string(SHUTDOWN_TIMEOUT_SECS),
    );
    env
}

fn entries(map: BTreeMap<String, String>) -> Vec<Entry> {
    map.into_iter()
        .map(|(key, value)| Entry { key, value })
        .collect()
}

/// Terraform expressions to reach a database or the broker.
struct Connection {
    host: String,
    user: String,
    /// ARN of the secret whose `password` key holds the password.
    secret: String,
}

/// The managed module's outputs (`Some((host_output, secret_output))`), or
/// for the container alternative its Cloud Map hostname and the generated
/// `credentials` module.
fn connection(module: &str, managed: Option<(&str, &str)>, credentials: &str) -> Connection {
    match managed {
        Some((host_output, secret_output)) => Connection {
            host: format!("module.{module}.{host_output}"),
            user: format!("module.{module}.username"),
            secret: format!("module.{module}.{secret_output}"),
        },
        None => Connection {
            host: format!("module.{module}.hostname"),
            user: format!("module.{credentials}.username"),
            secret: format!("module.{credentials}.secret_arn"),
        },
    }
}

/// Ingress from the service to a database or the broker (its module's security group).
fn dependency_peer(key: String, module: &str, port: u16) -> PeerCall {
    PeerCall {
        key,
        security_group_expr: format!("module.{module}.security_group_id"),
        port_expr: port.to_string(),
    }
}

fn app_service_call(
    model: &Model,
    service: &Service,
    ports: &BTreeMap<String, u16>,
) -> ServiceCall {
    let mut env = base_environment(service.port);
    let mut secrets = BTreeMap::new();
    let mut secret_arns = Vec::new();
    let mut peers = Vec::new();
    let vpc_endpoints = model.network.egress == Egress::VpcEndpoints;

    if let Some(database) = service
        .database
        .as_deref()
        .and_then(|name| model.database(name))
    {
        let module = names::database_module(&database.name);
        let (managed, sslmode) = match database.kind {
            DatabaseKind::Rds => (Some(("address", "password_secret_arn")), "require"),
            DatabaseKind::Container => (None, "disable"),
        };
        let credentials = names::database_credentials_module(&database.name);
        let Connection { host, user, secret } = connection(&module, managed, &credentials);
        env.insert("PGHOST".into(), host);
        env.insert("PGPORT".into(), hcl_string(&database.port.to_string()));
        env.insert("PGUSER".into(), user);
        env.insert("PGDATABASE".into(), hcl_string(&database.db_name));
        env.insert("PGSSLMODE".into(), hcl_string(sslmode));
        secrets.insert("PGPASSWORD".into(), password_value_from(&secret));
        secret_arns.push(secret);
        peers.push(dependency_peer(
            format!("database-{}", database.name),
            &module,
            database.port,
        ));
    }

    if let (true, Some(broker)) = (service.broker, model.broker.as_ref()) {
        let module = names::BROKER_MODULE;
        let managed = match broker.kind {
            BrokerKind::AmazonMq => Some(("host", "credentials_secret_arn")),
            BrokerKind::Container => None,
        };
        let Connection { host, user, secret } =
            connection(module, managed, names::BROKER_CREDENTIALS_MODULE);
        env.insert("AMQP_HOST".into(), host);
        env.insert("AMQP_PORT".into(), hcl_string(&broker.port.to_string()));
        env.insert("AMQP_USER".into(), user);
        env.insert("AMQP_VHOST".into(), hcl_string(VHOST));
        env.insert(
            "AMQP_TLS".into(),
            hcl_string(if broker.tls { "true" } else { "false" }),
        );
        secrets.insert("AMQP_PASSWORD".into(), password_value_from(&secret));
        secret_arns.push(secret);
        peers.push(dependency_peer(
            format!("broker-{}", broker.name),
            module,
            broker.port,
        ));
    }

    for (variable, upstream) in &service.upstreams {
        if let Some(port) = ports.get(upstream) {
            env.insert(
                variable.clone(),
                format!("\"http://${{module.edge.alb_dns_name}}:{port}\""),
            );
            peers.push(PeerCall {
                key: format!("alb-{upstream}"),
                security_group_expr: "module.edge.alb_security_group_id".into(),
                port_expr: port.to_string(),
            });
        }
    }

    if service.public() {
        // Defence in depth: the service verifies the tokens API Gateway already
        // checked. It fetches the pool's JWKS over the internet, so without NAT
        // egress (VPC endpoints only) it relies on the JWT authorizer alone.
        env.insert(
            "AUTH_ENABLED".into(),
            hcl_string(if vpc_endpoints { "false" } else { "true" }),
        );
        env.insert("AUTH_JWKS_URL".into(), "module.auth.jwks_url".into());
        env.insert("AUTH_ISSUER".into(), "module.auth.issuer".into());
        env.insert("AUTH_AUDIENCE".into(), "module.auth.client_id".into());
    }

    // The topology's own variables win over the derived defaults.
    for (key, value) in &service.env {
        env.insert(key.clone(), hcl_string(value));
    }
    for (key, reference) in &service.secrets {
        secrets.insert(key.clone(), hcl_string(reference));
        secret_arns.push(hcl_string(&names::secret_arn_pattern(
            reference,
            &model.project.region,
        )));
    }
    secret_arns.sort();
    secret_arns.dedup();

    peers.extend(endpoint_peers(model));
    peers.sort_by(|a, b| a.key.cmp(&b.key));

    let balanced = service.load_balanced();
    let scaling = &service.scaling;
    let queue_backlog = scaling
        .queue_backlog
        .as_ref()
        .filter(|_| service.broker && model.amazon_mq().is_some())
        .map(|q| QueueBacklogCall {
            queue: q.queue.clone(),
            virtual_host: VHOST.into(),
            target: q.target,
        });
    let requests_per_target = scaling.requests_per_target.filter(|_| balanced);
    let has_policy =
        scaling.cpu_target.is_some() || requests_per_target.is_some() || queue_backlog.is_some();
    let scaling_call = (scaling.min != scaling.max || has_policy).then_some(ScalingCall {
        min: scaling.min,
        max: scaling.max,
        cpu_target: scaling.cpu_target,
        requests_per_target,
        queue_backlog,
    });

    let repository = &service.names.ecr_repository;
    let arm64 = service.architecture == crate::model::Architecture::Arm64;
    ServiceCall {
        module: names::service_module(&service.name),
        comment: service_comment(service),
        name: service.names.ecs_service.clone(),
        container_name: service.name.clone(),
        image_expr: format!(
            "\"${{module.registry.repository_urls[{repo}]}}:${{var.image_tags[{repo}]}}\"",
            repo = hcl_string(repository)
        ),
        subnets_expr: subnets_expr(model),
        cpu: service.cpu,
        memory: service.memory,
        cpu_architecture: architecture(service.architecture),
        port: service.port,
        user: Some("65532:65532".into()),
        health_check_command: vec![
            "CMD".into(),
            format!("/usr/local/bin/{}", binary_name(service)),
            "healthcheck".into(),
        ],
        writable_paths: vec!["/tmp".into()],
        log_group_name: service.names.log_group.clone(),
        log_retention_days: model.operations.log_retention_days,
        desired_count: service.desired,
        internet_egress: !vpc_endpoints,
        capacity_provider_strategy: capacity(model, arm64),
        environment: entries(env),
        secrets: entries(secrets),
        secret_arns,
        load_balancer: balanced.then(|| LoadBalancerCall {
            target_key: service.name.clone(),
        }),
        peers,
        service_discovery: None,
        request_count_target_key: requests_per_target.map(|_| service.name.clone()),
        scaling: scaling_call,
    }
}

/// The binary in the image: the image (ECR repository) name, e.g. `inventory-app`.
fn binary_name(service: &Service) -> String {
    service
        .image
        .rsplit('/')
        .next()
        .unwrap_or(&service.image)
        .to_string()
}

fn service_comment(service: &Service) -> String {
    let reach = match service.exposure {
        Exposure::Public => format!("public through API Gateway ({})", service.routes.join(", ")),
        Exposure::Internal => format!("internal, called by {}", service.called_by.join(", ")),
        Exposure::None => "worker, no load balancer".to_string(),
    };
    format!("Service \"{}\": {reach}.", service.name)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// The peer every task needs when egress goes through interface endpoints.
fn endpoint_peers(model: &Model) -> Vec<PeerCall> {
    if model.network.egress == Egress::VpcEndpoints {
        vec![PeerCall {
            key: "vpc-endpoints".into(),
            security_group_expr: "module.network.endpoints_security_group_id".into(),
            port_expr: "443".into(),
        }]
    } else {
        Vec::new()
    }
}

/// ECS secret `valueFrom` of the `password` key of a JSON secret.
fn password_value_from(secret_arn_expr: &str) -> String {
    format!("\"${{{secret_arn_expr}}}:password::\"")
}

/// What sets the container alternative of a database apart from the
/// broker's; the rest of its [`ServiceCall`] is shared.
struct InfraContainer {
    module: String,
    comment: String,
    identifier: String,
    container_name: &'static str,
    image: String,
    port: u16,
    /// Cloud Map hostname, also the last part of the log group.
    hostname: String,
    health_check_command: Vec<String>,
    writable_paths: &'static [&'static str],
    environment: BTreeMap<String, String>,
    /// Root module label of the generated credentials.
    credentials: String,
    /// Variable that receives the generated password.
    password_variable: &'static str,
}

/// A dev-stage dependency as a Fargate container, reached through Cloud Map.
/// Its official image starts as root and drops privileges itself, so no `user`.
fn infra_container_call(model: &Model, c: InfraContainer) -> ServiceCall {
    let secret = format!("module.{}.secret_arn", c.credentials);
    let mut secrets = BTreeMap::new();
    secrets.insert(c.password_variable.into(), password_value_from(&secret));
    ServiceCall {
        module: c.module,
        comment: c.comment,
        name: names::infra_service(&c.identifier, c.container_name),
        container_name: c.container_name.into(),
        image_expr: hcl_string(&c.image),
        subnets_expr: subnets_expr(model),
        cpu: 512,
        memory: 1024,
        cpu_architecture: "X86_64",
        port: c.port,
        user: None,
        health_check_command: c.health_check_command,
        writable_paths: strings(c.writable_paths),
        log_group_name: names::infra_log_group(&model.project.prefix, &c.hostname),
        log_retention_days: model.operations.log_retention_days,
        desired_count: 1,
        internet_egress: model.network.egress != Egress::VpcEndpoints,
        capacity_provider_strategy: capacity(model, false),
        environment: entries(c.environment),
        secrets: entries(secrets),
        secret_arns: vec![secret],
        load_balancer: None,
        peers: endpoint_peers(model),
        service_discovery: Some(DiscoveryCall {
            hostname: c.hostname,
        }),
        scaling: None,
        request_count_target_key: None,
    }
}

/// Container alternative of a database: PostgreSQL on Fargate.
fn database_container_call(model: &Model, database: &crate::model::Database) -> ServiceCall {
    let credentials = names::database_credentials_module(&database.name);
    let mut environment = BTreeMap::new();
    environment.insert("POSTGRES_DB".into(), hcl_string(&database.db_name));
    environment.insert(
        "POSTGRES_USER".into(),
        format!("module.{credentials}.username"),
    );
    environment.insert(
        "PGDATA".into(),
        hcl_string("/var/lib/postgresql/data/pgdata"),
    );
    let mut health_check_command = strings(&["CMD", "pg_isready", "-U", "postgres", "-d"]);
    health_check_command.push(database.db_name.clone());
    infra_container_call(
        model,
        InfraContainer {
            module: names::database_module(&database.name),
            comment: format!(
                "PostgreSQL \"{}\" as a Fargate container (dev stage: data lives in task storage and is lost when the task stops), used by {}.",
                database.name,
                database.used_by.join(", ")
            ),
            identifier: database.identifier.clone(),
            container_name: names::POSTGRES_CONTAINER,
            image: database.container_image.clone(),
            port: database.port,
            hostname: names::database_hostname(&database.name),
            health_check_command,
            writable_paths: &["/tmp", "/var/lib/postgresql/data", "/var/run/postgresql"],
            environment,
            credentials,
            password_variable: "POSTGRES_PASSWORD",
        },
    )
}

/// Container alternative of the broker: RabbitMQ on Fargate.
fn broker_container_call(model: &Model, broker: &crate::model::Broker) -> ServiceCall {
    let credentials = names::BROKER_CREDENTIALS_MODULE;
    let mut environment = BTreeMap::new();
    environment.insert(
        "RABBITMQ_DEFAULT_USER".into(),
        format!("module.{credentials}.username"),
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
            identifier: broker.identifier.clone(),
            container_name: names::RABBITMQ_CONTAINER,
            image: broker.container_image.clone(),
            port: broker.port,
            hostname: broker.name.clone(),
            health_check_command: strings(&["CMD", "rabbitmq-diagnostics", "-q", "ping"]),
            writable_paths: &["/tmp", "/var/lib/rabbitmq", "/var/log/rabbitmq"],
            environment,
            credentials: credentials.into(),
            password_variable: "RABBITMQ_DEFAULT_PASS",
        },
    )
}

/// The root module's view.
pub fn root_view(model: &Model, header: &Header) -> RootView {
    let prefix = &model.project.prefix;
    let network = &model.network;
    let ports = listener_ports(model);

    let mut repositories: Vec<String> = model
        .services
        .iter()
        .map(|s| s.names.ecr_repository.clone())
        .collect();
    repositories.sort();
    repositories.dedup();
    let mut image_tags: BTreeMap<String, String> = BTreeMap::new();
    for service in &model.services {
        image_tags
            .entry(service.names.ecr_repository.clone())
            .or_insert_with(|| service.image_tag.clone());
    }

    let mut databases = Vec::new();
    let mut credentials = Vec::new();
    let mut services = Vec::new();
    let mut watched_databases = Vec::new();
    for database in &model.databases {
        match database.kind {
            DatabaseKind::Rds => {
                databases.push(DatabaseCall {
                    module: names::database_module(&database.name),
                    name: database.name.clone(),
                    used_by: database.used_by.join(", "),
                    identifier: database.identifier.clone(),
                    engine_version: database.engine_version.clone(),
                    engine_major_version: database.engine_major,
                    instance_class: database.instance_class.clone(),
                    db_name: database.db_name.clone(),
                    allocated_storage: database.storage_gb,
                    max_allocated_storage: database.max_storage_gb,
                    multi_az: database.multi_az,
                    backup_retention_days: database.backup_retention_days,
                    deletion_protection: database.deletion_protection,
                    log_retention_days: model.operations.log_retention_days,
                });
                watched_databases.push(WatchedDatabase {
                    key: database.name.clone(),
                    identifier_expr: format!(
                        "module.{}.identifier",
                        names::database_module(&database.name)
                    ),
                });
            }
            DatabaseKind::Container => {
                credentials.push(CredentialsCall {
                    module: names::database_credentials_module(&database.name),
                    name: names::database_secret(prefix, &database.name),
                    description: format!("the PostgreSQL container \"{}\"", database.name),
                    username: "postgres".into(),
                });
                services.push(database_container_call(model, database));
            }
        }
    }

    let broker = model.broker.as_ref().map(|broker| {
        let amazon_mq = broker.kind == BrokerKind::AmazonMq;
        if !amazon_mq {
            credentials.push(CredentialsCall {
                module: names::BROKER_CREDENTIALS_MODULE.into(),
                name: names::broker_secret(prefix, &broker.name),
                description: format!("the RabbitMQ container \"{}\"", broker.name),
                username: "app".into(),
            });
            services.push(broker_container_call(model, broker));
        }
        BrokerCall {
            name: broker.name.clone(),
            amazon_mq,
            used_by: broker.used_by.join(", "),
            identifier: broker.identifier.clone(),
            engine_version: broker.engine_version.clone(),
            instance_type: broker.instance_type.clone(),
            deployment_mode: match broker.deployment_mode {
                DeploymentMode::SingleInstance => "SINGLE_INSTANCE",
                DeploymentMode::ClusterMultiAz => "CLUSTER_MULTI_AZ",
            },
        }
    });

    for service in &model.services {
        services.push(app_service_call(model, service, &ports));
    }

    let amazon_mq = broker.as_ref().is_some_and(|b| b.amazon_mq);
    let mut queues: Vec<WatchedQueue> = if amazon_mq {
        model
            .services
            .iter()
            .filter(|s| s.broker)
            .filter_map(|s| s.scaling.queue_backlog.as_ref())
            .map(|q| WatchedQueue {
                key: q.queue.replace('_', "-"),
                virtual_host: VHOST.into(),
                queue: q.queue.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    queues.sort_by(|a, b| a.key.cmp(&b.key));
    queues.dedup_by(|a, b| a.key == b.key);

    let mut watched_services: Vec<WatchedService> = services
        .iter()
        .map(|call| WatchedService {
            key: call.container_name_key(),
            service_name_expr: format!("module.{}.service_name", call.module),
            load_balanced: call.load_balancer.is_some(),
        })
        .collect();
    watched_services.sort_by(|a, b| a.key.cmp(&b.key));

    let mut output_services: Vec<OutputService> = services
        .iter()
        .map(|call| OutputService {
            key: call.container_name_key(),
            module: call.module.clone(),
        })
        .collect();
    output_services.sort_by(|a, b| a.key.cmp(&b.key));

    let output_repositories = model
        .services
        .iter()
        .map(|s| OutputRepository {
            key: s.name.clone(),
            repository: s.names.ecr_repository.clone(),
        })
        .collect();

    let cluster_discovery = services.iter().any(|s| s.service_discovery.is_some());

    RootView {
        header: header.clone(),
        name: prefix.clone(),
        region: model.project.region.clone(),
        alarm_email: model.operations.alarm_email.clone(),
        monthly_budget_usd: model.operations.monthly_budget_usd,
        tags: model
            .project
            .tags
            .iter()
            .map(|(key, value)| Literal {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        image_tags: image_tags
            .into_iter()
            .map(|(key, value)| Literal { key, value })
            .collect(),
        network: NetworkCall {
            cidr_block: network.vpc_cidr.to_string(),
            azs: network.zones.iter().map(|z| z.name.clone()).collect(),
            public_subnet_cidrs: network.zones.iter().map(|z| z.public.to_string()).collect(),
            private_subnet_cidrs: network
                .zones
                .iter()
                .map(|z| z.private.to_string())
                .collect(),
            isolated_subnet_cidrs: network
                .zones
                .iter()
                .map(|z| z.isolated.to_string())
                .collect(),
            nat_gateway_count: network.nat_gateways,
            interface_endpoints: if network.egress == Egress::VpcEndpoints {
                INTERFACE_ENDPOINTS.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            },
            flow_logs_retention_days: network.flow_logs_retention_days,
        },
        auth: AuthCall {
            user_pool_name: model.auth.user_pool_name.clone(),
            access_token_validity_minutes: model.auth.access_token_validity_minutes,
            id_token_validity_minutes: model.auth.id_token_validity_minutes,
            refresh_token_validity_days: model.auth.refresh_token_validity_days,
            deletion_protection: is_production(model),
            password_policy: PasswordPolicyCall {
                min_length: model.auth.password_policy.min_length,
                require_lowercase: model.auth.password_policy.require_lowercase,
                require_uppercase: model.auth.password_policy.require_uppercase,
                require_numbers: model.auth.password_policy.require_numbers,
                require_symbols: model.auth.password_policy.require_symbols,
            },
        },
        edge: edge_call(model),
        cluster: ClusterCall {
            name: model.cluster.name.clone(),
            container_insights: model.cluster.container_insights,
            service_discovery: cluster_discovery,
            service_discovery_namespace: names::discovery_namespace(prefix),
            capacity_provider_strategy: capacity(model, false),
        },
        registry: RegistryCall {
            repositories,
            immutable_tags: model.operations.ecr.immutable_tags,
            scan_on_push: model.operations.ecr.scan_on_push,
            keep_last_images: model.operations.ecr.keep_last_images,
        },
        databases,
        broker,
        credentials,
        services,
        observability: ObservabilityCall {
            services: watched_services,
            queues,
            databases: watched_databases,
        },
        outputs: RootOutputs {
            services: output_services,
            repositories: output_repositories,
        },
    }
}

impl ServiceCall {
    /// Key of the service in root maps (outputs, observability): the
    /// topology name for applications, the container role for dependencies.
    fn container_name_key(&self) -> String {
        self.module
            .strip_prefix("service_")
            .unwrap_or(&self.module)
            .replace('_', "-")
    }
}

fn module_file<T: Serialize>(module: &str, file: &str, header: &Header, flags: &T) -> FileView {
    let view = ModuleView {
        header: header.clone(),
        flags,
    };
    FileView {
        path: format!("modules/{module}/{file}"),
        template: format!("modules/{module}/{file}"),
        context: serde_json::to_value(view).expect("views serialize"),
    }
}

fn module_files<T: Serialize>(module: &str, header: &Header, flags: &T, out: &mut Vec<FileView>) {
    for file in MODULE_FILES {
        out.push(module_file(module, file, header, flags));
    }
}

/// Every file to generate for a model, with its template and view, in a
/// deterministic order (root files, then modules by name).
pub fn plan(model: &Model, source: &str) -> Vec<FileView> {
    let header = Header {
        source: source.to_string(),
        terraform_version: TERRAFORM_VERSION,
        aws_provider_version: AWS_PROVIDER_VERSION,
    };
    let root = root_view(model, &header);
    let root_context = serde_json::to_value(&root).expect("views serialize");
    let readme = serde_json::to_value(readme_view(model, &root)).expect("views serialize");
    let mut files: Vec<FileView> = MODULE_FILES
        .iter()
        .map(|file| FileView {
            path: (*file).to_string(),
            template: format!("root/{file}"),
            context: root_context.clone(),
        })
        .collect();
    files.push(FileView {
        path: "README.md".into(),
        template: "root/README.md".into(),
        context: readme,
    });

    let no_flags = NoFlags {};
    let retention = |what: &str| RetentionFlags {
        log_retention_skip: retention_skip(model.operations.log_retention_days, what, model),
    };
    module_files("kms", &header, &no_flags, &mut files);
    module_files(
        "network",
        &header,
        &NetworkModule {
            network: NetworkFlags {
                zones: model.network.zones.iter().map(|z| z.name.clone()).collect(),
                nat: model.network.nat_gateways > 0,
                vpc_endpoints: model.network.egress == Egress::VpcEndpoints,
                egress_description: match model.network.egress {
                    Egress::NatSingle => "one NAT gateway shared by every AZ",
                    Egress::NatPerAz => "one NAT gateway per AZ",
                    Egress::VpcEndpoints => {
                        "no internet route; VPC endpoints for ECR, CloudWatch Logs, Secrets Manager and S3"
                    }
                },
                flow_logs_retention_skip: retention_skip(
                    model.network.flow_logs_retention_days,
                    "VPC flow logs",
                    model,
                ),
            },
        },
        &mut files,
    );
    module_files("auth", &header, &no_flags, &mut files);
    module_files(
        "edge",
        &header,
        &EdgeModule {
            edge: EdgeFlags {
                domain: model.edge.domain.as_ref().map(|d| EdgeDomainFlags {
                    name: d.name.clone(),
                    create_certificate: d.certificate_arn.is_none(),
                    hosted_zone: d.hosted_zone_id.is_some(),
                }),
                access_log_retention_skip: retention_skip(model.edge.access_log_retention_days, "API access logs", model),
                deletion_protection_skip: (!is_production(model)).then(|| {
                    format!(
                        "The internal ALB of the {} stage holds no state and is recreated by Terraform; deletion protection stays on in production",
                        model.project.environment
                    )
                }),
            },
        },
        &mut files,
    );
    module_files(
        "cluster",
        &header,
        &ClusterModule {
            cluster: ClusterFlags {
                service_discovery: root.cluster.service_discovery,
            },
        },
        &mut files,
    );
    module_files(
        "registry",
        &header,
        &RegistryModule {
            registry: RegistryFlags {
                enhanced_scanning: model.operations.ecr.enhanced_scanning,
            },
        },
        &mut files,
    );
    module_files(
        "service",
        &header,
        &ServiceModule {
            service: retention("container logs"),
        },
        &mut files,
    );
    if let Some(database) = model.databases.iter().find(|d| d.kind == DatabaseKind::Rds) {
        // One module for every RDS database: the skips follow the first, and
        // every RDS database of a topology shares the stage's settings.
        let any_single_az = model
            .databases
            .iter()
            .any(|d| d.kind == DatabaseKind::Rds && !d.multi_az);
        let any_unprotected = model
            .databases
            .iter()
            .any(|d| d.kind == DatabaseKind::Rds && !d.deletion_protection);
        let _ = database;
        module_files(
            "database",
            &header,
            &DatabaseModule {
                database: DatabaseFlags {
                    log_retention_skip: retention_skip(model.operations.log_retention_days, "PostgreSQL logs", model),
                    multi_az_skip: any_single_az.then(|| {
                        format!(
                            "multi_az is a topology choice; the {} stage runs a single-AZ instance to halve its cost, recovering from automated backups",
                            model.project.environment
                        )
                    }),
                    deletion_protection_skip: any_unprotected.then(|| {
                        format!(
                            "deletion_protection is a topology choice; the {} stage turns it off so the environment can be torn down, and a final snapshot is still taken",
                            model.project.environment
                        )
                    }),
                },
            },
            &mut files,
        );
    }
    if model.amazon_mq().is_some() {
        module_files("broker", &header, &no_flags, &mut files);
    }
    if !root.credentials.is_empty() {
        module_files("secret", &header, &no_flags, &mut files);
    }
    module_files(
        "observability",
        &header,
        &ObservabilityModule {
            observability: ObservabilityFlags {
                dashboard: model.operations.dashboard,
            },
        },
        &mut files,
    );
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

// ------------------------------------------------------------ README view

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeModule {
    pub label: String,
    pub source: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeChoice {
    pub title: &'static str,
    pub text: String,
}

/// `README.md` of the output directory: diagram, module map, design choices.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeView {
    pub name: String,
    pub region: String,
    pub graph: String,
    pub modules: Vec<ReadmeModule>,
    pub choices: Vec<ReadmeChoice>,
}

fn readme_module(label: &str, source: &str, description: impl Into<String>) -> ReadmeModule {
    ReadmeModule {
        label: label.to_string(),
        source: format!("./modules/{source}"),
        description: description.into(),
    }
}

/// The README's view.
pub fn readme_view(model: &Model, root: &RootView) -> ReadmeView {
    let mut modules = vec![
        readme_module(
            "kms",
            "kms",
            "customer managed KMS key (rotation on) for logs, SNS, secrets, RDS, ECR",
        ),
        readme_module(
            "network",
            "network",
            format!(
                "VPC over {} AZs, public/private/isolated subnets, {}, S3 gateway endpoint, flow logs, closed default security group",
                model.network.zones.len(),
                match model.network.egress {
                    Egress::NatSingle => "one NAT gateway",
                    Egress::NatPerAz => "one NAT gateway per AZ",
                    Egress::VpcEndpoints =>
                        "interface endpoints (ECR API/DKR, Logs, Secrets Manager) instead of NAT",
                }
            ),
        ),
        readme_module(
            "auth",
            "auth",
            "Cognito user pool and public app client (USER_PASSWORD_AUTH, SRP)",
        ),
        readme_module(
            "edge",
            "edge",
            "HTTP API with JWT authorizer, throttled stage with JSON access logs, VPC link, internal ALB, target groups on the readiness path",
        ),
        readme_module(
            "cluster",
            "cluster",
            "ECS cluster (Container Insights), FARGATE and FARGATE_SPOT capacity providers",
        ),
        readme_module(
            "registry",
            "registry",
            "ECR repositories (immutable tags, scan on push, KMS, lifecycle), Inspector enhanced scanning",
        ),
    ];
    for database in &root.databases {
        modules.push(readme_module(
            &database.module,
            "database",
            format!(
                "RDS PostgreSQL `{}` (database `{}`)",
                database.identifier, database.db_name
            ),
        ));
    }
    if let Some(broker) = root.broker.as_ref().filter(|b| b.amazon_mq) {
        modules.push(readme_module(
            names::BROKER_MODULE,
            "broker",
            format!(
                "Amazon MQ for RabbitMQ `{}` ({})",
                broker.identifier, broker.deployment_mode
            ),
        ));
    }
    for credentials in &root.credentials {
        modules.push(readme_module(
            &credentials.module,
            "secret",
            format!("generated credentials of {}", credentials.description),
        ));
    }
    for service in &root.services {
        modules.push(readme_module(
            &service.module,
            "service",
            service.comment.clone(),
        ));
    }
    modules.push(readme_module(
        "observability",
        "observability",
        "SNS alarm topic, golden-signal alarms, dashboard, AWS Budgets alert",
    ));

    let choices = vec![
        ReadmeChoice {
            title: "HTTP API rather than REST API",
            text: "cheaper and faster, with a native JWT authorizer for Cognito; the REST API's extras (API keys, usage plans, request validation) are not needed here".into(),
        },
        ReadmeChoice {
            title: "VPC link to an internal ALB",
            text: "HTTP API private integrations need a VPC link to an ALB, NLB or Cloud Map; the ALB adds per-service health checks on the readiness path, connection draining, per-target metrics and request-count autoscaling".into(),
        },
        ReadmeChoice {
            title: "Service-to-service calls through the ALB, not Cloud Map",
            text: "each called service gets its own ALB listener that only its callers' security groups may reach; calls go to ready targets only and show up in the target group's metrics and alarms. Cloud Map is used only for the dev-stage PostgreSQL and RabbitMQ containers, which are not HTTP".into(),
        },
        ReadmeChoice {
            title: "Security groups chained by reference",
            text: "every rule between workloads names the other security group; the only CIDR rule is HTTPS to the internet through NAT when the topology chooses NAT egress".into(),
        },
        ReadmeChoice {
            title: "RDS and Amazon MQ, or containers",
            text: "managed services for real stages (backups, Multi-AZ, patching, TLS); Fargate containers for a cheap dev stage whose data may be lost when a task stops".into(),
        },
        ReadmeChoice {
            title: "NAT or VPC endpoints",
            text: match model.network.egress {
                Egress::VpcEndpoints => "this topology uses interface endpoints: no internet route at all, priced per endpoint-hour and GB; images must come from ECR".into(),
                _ => "this topology uses NAT: any registry and API are reachable, priced per gateway-hour and GB; the S3 gateway endpoint keeps image layers off the NAT".into(),
            },
        },
        ReadmeChoice {
            title: "Fargate Spot",
            text: "the capacity provider strategy mixes FARGATE (a guaranteed base) with FARGATE_SPOT for cheap, interruptible capacity; ARM64 tasks stay on FARGATE".into(),
        },
    ];

    ReadmeView {
        name: root.name.clone(),
        region: root.region.clone(),
        graph: crate::graph::mermaid(model),
        modules,
        choices,
    }
}
