//! `modules/service`: one call per application, and per container
//! alternative of a database or the broker; and the module's flags.
use super::common::{
    CapacityProvider, Entry, PeerCall, VHOST, capacity, endpoint_peers, entries,
    password_value_from, retention_skip, strings, task_subnet_ids,
};
use super::deployment::{DeploymentCall, HookCall, deployment_call, hook_call};
use super::module_outputs::{broker, cluster, edge, kms, network, registry, secret};
use super::names;
use super::wiring::Wiring;
use crate::hcl::{Expr, Part};
use crate::model::{Architecture, AwsNames, Egress, Exposure, Model, Owner, Purpose, Service};
use serde::Serialize;
use std::collections::BTreeMap;

/// The service's target groups and listener rules on the internal ALB.
#[derive(Debug, Clone, Serialize)]
pub struct LoadBalancerCall {
    pub target_group_arn: Expr,
    pub security_group_id: Expr,
    /// With the production listener rule, when deployments shift traffic.
    pub alternate_target_group_arn: Option<Expr>,
    pub production_listener_rule_arn: Option<Expr>,
    /// When deployments are smoke-tested.
    pub test_listener_rule_arn: Option<Expr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryCall {
    pub namespace_id: Expr,
    pub namespace_name: Expr,
    pub hostname: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueBacklogCall {
    pub broker: Expr,
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

/// The AWS names of one service's resources besides the ECS service itself.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceNames {
    pub task_family: String,
    pub execution_role: String,
    pub task_role: String,
    pub security_group: String,
}

impl ResourceNames {
    fn of(names: &AwsNames, owner: &Owner) -> Self {
        ResourceNames {
            task_family: names.get(owner, Purpose::TaskFamily).into(),
            execution_role: names.get(owner, Purpose::ExecutionRole).into(),
            task_role: names.get(owner, Purpose::TaskRole).into(),
            security_group: names.get(owner, Purpose::TaskSecurityGroup).into(),
        }
    }
}

/// What every service runs on: the other modules' outputs it is given.
#[derive(Debug, Clone, Serialize)]
pub struct Platform {
    pub cluster_arn: Expr,
    pub cluster_name: Expr,
    pub vpc_id: Expr,
    pub subnet_ids: Expr,
    pub kms_key_arn: Expr,
    pub s3_prefix_list_id: Expr,
}

impl Platform {
    fn of(model: &Model) -> Self {
        Platform {
            cluster_arn: cluster::cluster_arn(),
            cluster_name: cluster::cluster_name(),
            vpc_id: network::vpc_id(),
            subnet_ids: task_subnet_ids(model),
            kms_key_arn: kms::key_arn(),
            s3_prefix_list_id: network::s3_prefix_list_id(),
        }
    }
}

/// One instance of `modules/service` (an application, or the container
/// alternative of a database or the broker).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceCall {
    pub module: String,
    pub comment: String,
    /// The ECS service.
    pub name: String,
    #[serde(flatten)]
    pub platform: Platform,
    pub resource_names: ResourceNames,
    pub container_name: String,
    pub image: Expr,
    pub cpu: u32,
    pub memory: u32,
    pub cpu_architecture: &'static str,
    pub port: u16,
    pub user: Option<String>,
    pub health_check_command: Vec<String>,
    /// Seconds, when the module's 5 are too short.
    pub health_check_timeout: Option<u32>,
    pub writable_paths: Vec<String>,
    pub log_group_name: String,
    pub log_retention_days: u32,
    pub desired_count: u32,
    /// A stateful dependency: one task, never two at once, never on Spot.
    pub single_task: bool,
    pub internet_egress: bool,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
    pub environment: Vec<Entry>,
    pub secrets: Vec<Entry>,
    pub secret_arns: Vec<Expr>,
    /// SSM parameters given as secrets (the execution role may read them).
    pub parameter_arns: Vec<Expr>,
    /// Secrets the application reads itself (its task role may).
    pub task_secret_arns: Vec<Expr>,
    pub load_balancer: Option<LoadBalancerCall>,
    pub peers: Vec<PeerCall>,
    pub service_discovery: Option<DiscoveryCall>,
    pub scaling: Option<ScalingCall>,
    /// `ALB/target group` of request-count scaling.
    pub request_count_resource_label: Option<Expr>,
    /// `None`: the module's default (rolling, no alarms).
    pub deployment: Option<DeploymentCall>,
    pub lifecycle_hook: Option<HookCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionFlags {
    pub log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceModule {
    pub service: RetentionFlags,
}

impl ServiceCall {
    /// Key of the service in root maps (outputs, observability): the
    /// topology name for applications, the container role for dependencies.
    pub(super) fn container_name_key(&self) -> String {
        self.module
            .strip_prefix("service_")
            .unwrap_or(&self.module)
            .replace('_', "-")
    }
}

/// The call of an application; `ports` are the service-to-service listener ports.
pub(super) fn app_service_call(
    model: &Model,
    service: &Service,
    ports: &BTreeMap<String, u16>,
) -> ServiceCall {
    let internet_egress = model.network.egress != Egress::VpcEndpoints;
    let Wiring {
        env,
        secrets,
        secret_arns,
        parameter_arns,
        task_secret_arns,
        peers,
    } = app_wiring(model, service, ports, internet_egress);
    let scaling = scaling_call(model, service);
    let owner = Owner::Service(service.name.clone());
    ServiceCall {
        module: names::service_module(&service.name),
        comment: service_comment(service),
        name: model.names.get(&owner, Purpose::EcsService).into(),
        platform: Platform::of(model),
        resource_names: ResourceNames::of(&model.names, &owner),
        container_name: service.name.clone(),
        image: image(&service.names.ecr_repository),
        cpu: service.cpu,
        memory: service.memory,
        cpu_architecture: architecture(service.architecture),
        port: service.port,
        user: Some(runtime_contract::container::USER.into()),
        health_check_command: health_check_command(service),
        health_check_timeout: None,
        writable_paths: vec![runtime_contract::container::WRITABLE_PATH.into()],
        log_group_name: model.names.get(&owner, Purpose::ContainerLogGroup).into(),
        log_retention_days: model.operations.log_retention_days,
        desired_count: service.desired,
        single_task: false,
        internet_egress,
        capacity_provider_strategy: capacity(model, service.architecture == Architecture::Arm64),
        environment: entries(env),
        secrets: entries(secrets),
        secret_arns,
        parameter_arns,
        task_secret_arns,
        load_balancer: service.load_balanced().then(|| load_balancer_call(service)),
        peers,
        service_discovery: None,
        request_count_resource_label: scaling
            .as_ref()
            .and_then(|s| s.requests_per_target)
            .map(|_| request_count_resource_label(&service.name)),
        scaling,
        deployment: Some(deployment_call(model, service)),
        lifecycle_hook: hook_call(model, service),
    }
}

/// An application's environment, secrets and peers, from its dependencies;
/// secret ARNs deduplicated, peers sorted.
fn app_wiring(
    model: &Model,
    service: &Service,
    ports: &BTreeMap<String, u16>,
    internet_egress: bool,
) -> Wiring {
    let mut wiring = Wiring::new(service.port);
    if let Some(database) = service
        .database
        .as_deref()
        .and_then(|name| model.database(name))
    {
        wiring.database(database);
    }
    if let (true, Some(broker)) = (service.broker, model.broker.as_ref()) {
        wiring.broker(broker);
    }
    wiring.upstreams(service, ports);
    if service.public() {
        wiring.auth(internet_egress);
    }
    wiring.pool(service);
    wiring.own(service);
    wiring.secret_arns.sort_by_key(Expr::to_string);
    wiring.secret_arns.dedup();
    wiring.parameter_arns.sort_by_key(Expr::to_string);
    wiring.parameter_arns.dedup();
    wiring.peers.extend(endpoint_peers(model));
    wiring.peers.sort_by(|a, b| a.key.cmp(&b.key));
    wiring
}

/// `"${REPOSITORY_URL}:${var.image_tags[REPOSITORY]}"`: an image of the
/// registry at the tag the deployment gives.
pub(super) fn image(repository: &str) -> Expr {
    Expr::Template(vec![
        Part::Interpolation(registry::repository_url(repository)),
        Part::Text(":".into()),
        Part::Interpolation(Expr::var("image_tags").at(repository)),
    ])
}

/// The binary's own health check (`BINARY --healthcheck`).
fn health_check_command(service: &Service) -> Vec<String> {
    vec![
        "CMD".into(),
        format!(
            "{}/{}",
            runtime_contract::apps::BINARY_DIR,
            binary_name(service)
        ),
        runtime_contract::apps::HEALTHCHECK_ARG.into(),
    ]
}

/// The service's target groups and listener rules, keyed by its name.
fn load_balancer_call(service: &Service) -> LoadBalancerCall {
    let name = &service.name;
    let shifts_traffic = service.shifts_traffic();
    LoadBalancerCall {
        target_group_arn: edge::target_group_arn(name),
        security_group_id: edge::alb_security_group_id(),
        alternate_target_group_arn: shifts_traffic.then(|| edge::alternate_target_group_arn(name)),
        production_listener_rule_arn: shifts_traffic
            .then(|| edge::production_listener_rule_arn(name)),
        test_listener_rule_arn: service
            .smoke_tested()
            .then(|| edge::test_listener_rule_arn(name)),
    }
}

/// `"${ALB suffix}/${target group suffix}"`: what request-count scaling counts.
fn request_count_resource_label(service: &str) -> Expr {
    Expr::Template(vec![
        Part::Interpolation(edge::alb_arn_suffix()),
        Part::Text("/".into()),
        Part::Interpolation(edge::target_group_arn_suffix(service)),
    ])
}

/// Autoscaling, when the count may change or a policy is set. Request-count
/// scaling needs the ALB, queue-backlog scaling Amazon MQ's metrics.
fn scaling_call(model: &Model, service: &Service) -> Option<ScalingCall> {
    let scaling = &service.scaling;
    let queue_backlog = scaling
        .queue_backlog
        .as_ref()
        .filter(|_| service.broker && model.amazon_mq().is_some())
        .map(|q| QueueBacklogCall {
            broker: broker::broker_name(),
            queue: q.queue.clone(),
            virtual_host: VHOST.into(),
            target: q.target,
        });
    let requests_per_target = scaling
        .requests_per_target
        .filter(|_| service.load_balanced());
    let has_policy =
        scaling.cpu_target.is_some() || requests_per_target.is_some() || queue_backlog.is_some();
    (scaling.min != scaling.max || has_policy).then_some(ScalingCall {
        min: scaling.min,
        max: scaling.max,
        cpu_target: scaling.cpu_target,
        requests_per_target,
        queue_backlog,
    })
}

fn architecture(service_arch: Architecture) -> &'static str {
    match service_arch {
        Architecture::X86_64 => "X86_64",
        Architecture::Arm64 => "ARM64",
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

/// What sets the container alternative of a database apart from the
/// broker's; the rest of its [`ServiceCall`] is shared.
pub(super) struct InfraContainer {
    pub module: String,
    pub comment: String,
    /// Whose names it takes from the registry.
    pub owner: Owner,
    pub container_name: &'static str,
    pub image: String,
    pub port: u16,
    /// Cloud Map hostname.
    pub hostname: String,
    pub health_check_command: Vec<String>,
    pub health_check_timeout: Option<u32>,
    pub writable_paths: &'static [&'static str],
    pub environment: BTreeMap<String, Expr>,
    /// Root module label of the generated credentials.
    pub credentials: String,
    /// Variable that receives the generated password.
    pub password_variable: &'static str,
}

/// A dev-stage dependency as a Fargate container, reached through Cloud Map.
/// Its official image starts as root and drops privileges itself, so no `user`.
pub(super) fn infra_container_call(model: &Model, c: InfraContainer) -> ServiceCall {
    let secret = secret::secret_arn(&c.credentials);
    let mut secrets = BTreeMap::new();
    secrets.insert(c.password_variable.into(), password_value_from(&secret));
    ServiceCall {
        module: c.module,
        comment: c.comment,
        name: model.names.get(&c.owner, Purpose::EcsService).into(),
        platform: Platform::of(model),
        resource_names: ResourceNames::of(&model.names, &c.owner),
        container_name: c.container_name.into(),
        image: Expr::string(&c.image),
        cpu: 512,
        memory: 1024,
        cpu_architecture: "X86_64",
        port: c.port,
        user: None,
        health_check_command: c.health_check_command,
        health_check_timeout: c.health_check_timeout,
        writable_paths: strings(c.writable_paths),
        log_group_name: model.names.get(&c.owner, Purpose::ContainerLogGroup).into(),
        log_retention_days: model.operations.log_retention_days,
        desired_count: 1,
        single_task: true,
        internet_egress: model.network.egress != Egress::VpcEndpoints,
        // Not on Spot: an interruption loses the data in task storage.
        capacity_provider_strategy: vec![CapacityProvider {
            capacity_provider: "FARGATE",
            weight: 1,
            base: 0,
        }],
        environment: entries(c.environment),
        secrets: entries(secrets),
        secret_arns: vec![secret],
        parameter_arns: Vec::new(),
        task_secret_arns: Vec::new(),
        load_balancer: None,
        peers: endpoint_peers(model),
        service_discovery: Some(DiscoveryCall {
            namespace_id: cluster::namespace_id(),
            namespace_name: cluster::namespace_name(),
            hostname: c.hostname,
        }),
        scaling: None,
        request_count_resource_label: None,
        deployment: None,
        lifecycle_hook: None,
    }
}

pub(super) fn service_module(model: &Model) -> ServiceModule {
    ServiceModule {
        service: RetentionFlags {
            log_retention_skip: retention_skip(
                model.operations.log_retention_days,
                "container logs",
                model,
            ),
        },
    }
}
