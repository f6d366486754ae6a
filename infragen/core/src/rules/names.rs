//! Every AWS name the rendered Terraform creates, derived once into the
//! model's [`AwsNames`] registry, then checked: no two names of one
//! namespace alike, none longer than AWS allows. A collision is reported at
//! the topology field of the second owner and names both.
use crate::diagnostics::Problems;
use crate::model::{
    AlarmKind, AwsName, AwsNames, Broker, DEPLOY_HOOK_IMAGE, Database, Egress, Namespace, Owner,
    Project, Purpose, Service,
};
use std::collections::{BTreeMap, BTreeSet};

/// Container name (and suffix of the ECS service) of a container database.
pub const POSTGRES_CONTAINER: &str = "postgres";

/// Container name (and suffix of the ECS service) of a container broker.
pub const RABBITMQ_CONTAINER: &str = "rabbitmq";

/// What the names are derived from.
pub(super) struct Inputs<'a> {
    pub project: &'a Project,
    pub egress: Egress,
    /// The flow-log group and its role exist (not with an S3 destination,
    /// whose bucket gets a generated, globally unique name).
    pub flow_logs_to_cloudwatch: bool,
    pub services: &'a [Service],
    pub databases: &'a [Database],
    pub broker: Option<&'a Broker>,
}

/// Collects names with their owner and the topology field they come from.
struct Registry {
    entries: Vec<AwsName>,
    owner: Owner,
    path: String,
}

impl Registry {
    fn owned(&mut self, owner: Owner, path: impl Into<String>) {
        self.owner = owner;
        self.path = path.into();
    }

    fn add(&mut self, namespace: Namespace, purpose: Purpose, name: String) {
        self.entries.push(AwsName {
            namespace,
            owner: self.owner.clone(),
            purpose,
            name,
            path: self.path.clone(),
        });
    }

    /// An ECS service with its family, roles, security group and log group.
    fn ecs_service(&mut self, service: String, log_group: String) {
        self.add(Namespace::EcsService, Purpose::EcsService, service.clone());
        self.add(Namespace::TaskFamily, Purpose::TaskFamily, service.clone());
        let execution = format!("{service}-execution");
        self.add(Namespace::IamRole, Purpose::ExecutionRole, execution);
        let load_balancers = format!("{service}-ecs-lb");
        self.add(
            Namespace::IamRole,
            Purpose::LoadBalancerRole,
            load_balancers,
        );
        let task = format!("{service}-task");
        self.add(Namespace::IamRole, Purpose::TaskRole, task);
        self.add(Namespace::LogGroup, Purpose::ContainerLogGroup, log_group);
        let cpu = AlarmKind::Cpu.alarm_name(&service);
        self.add(Namespace::Alarm, Purpose::AlarmCpu, cpu);
        self.add(
            Namespace::SecurityGroup,
            Purpose::TaskSecurityGroup,
            service,
        );
    }
}

/// Derive every name, then check the registry.
pub(super) fn names(inputs: &Inputs<'_>, p: &mut Problems) -> AwsNames {
    let mut r = Registry {
        entries: Vec::new(),
        owner: Owner::Stage,
        path: "project.name".into(),
    };
    stage_names(&mut r, inputs);
    service_names(&mut r, inputs);
    database_names(&mut r, inputs);
    broker_names(&mut r, inputs);
    deploy_hook_names(&mut r, inputs);
    queue_names(&mut r, inputs);
    check(&r.entries, p);
    AwsNames { entries: r.entries }
}

/// Names of each service: its ECS service and what comes with it, target
/// groups and the alarms that need the load balancer.
fn service_names(r: &mut Registry, inputs: &Inputs<'_>) {
    let prefix = &inputs.project.prefix;
    for (i, s) in inputs.services.iter().enumerate() {
        r.owned(Owner::Service(s.name.clone()), format!("service[{i}].name"));
        let ecs = format!("{prefix}-{}", s.name);
        r.ecs_service(ecs.clone(), format!("/ecs/{prefix}/{}", s.name));
        if s.load_balanced() {
            r.add(Namespace::TargetGroup, Purpose::TargetGroup, ecs.clone());
            for kind in AlarmKind::ALL
                .into_iter()
                .filter(|k| k.needs_load_balancer())
            {
                r.add(Namespace::Alarm, kind.purpose(), kind.alarm_name(&ecs));
            }
        }
        if s.shifts_traffic() {
            let alternate = format!("{ecs}-alt");
            r.add(
                Namespace::TargetGroup,
                Purpose::AlternateTargetGroup,
                alternate,
            );
        }
    }
}

/// Names of each database: the RDS instance's, or its container's.
fn database_names(r: &mut Registry, inputs: &Inputs<'_>) {
    let prefix = &inputs.project.prefix;
    for (i, d) in inputs.databases.iter().enumerate() {
        r.owned(
            Owner::Database(d.name.clone()),
            format!("database[{i}].name"),
        );
        let id = &d.identifier;
        if d.rds().is_some() {
            let sg = format!("{id}-rds");
            r.add(Namespace::SecurityGroup, Purpose::DataSecurityGroup, sg);
            let role = format!("{id}-monitoring");
            r.add(Namespace::IamRole, Purpose::RdsMonitoringRole, role);
            let logs = format!("/aws/rds/instance/{id}/postgresql");
            r.add(Namespace::LogGroup, Purpose::RdsLogGroup, logs);
            let upgrade = format!("/aws/rds/instance/{id}/upgrade");
            r.add(Namespace::LogGroup, Purpose::RdsUpgradeLogGroup, upgrade);
        } else {
            let hostname = database_hostname(&d.name);
            r.ecs_service(
                format!("{id}-{POSTGRES_CONTAINER}"),
                format!("/ecs/{prefix}/{hostname}"),
            );
            let secret = format!("{prefix}/{}/postgres", d.name);
            r.add(Namespace::Secret, Purpose::CredentialsSecret, secret);
        }
    }
}

/// Names of the broker: Amazon MQ's, or its container's.
fn broker_names(r: &mut Registry, inputs: &Inputs<'_>) {
    let prefix = &inputs.project.prefix;
    if let Some(b) = inputs.broker {
        r.owned(Owner::Broker, "broker.name");
        let id = &b.identifier;
        if b.amazon_mq().is_some() {
            r.add(
                Namespace::SecurityGroup,
                Purpose::DataSecurityGroup,
                id.clone(),
            );
            let secret = format!("{id}/amqp");
            r.add(Namespace::Secret, Purpose::CredentialsSecret, secret);
        } else {
            r.ecs_service(
                format!("{id}-{RABBITMQ_CONTAINER}"),
                format!("/ecs/{prefix}/{}", b.name),
            );
            let secret = format!("{prefix}/{}/amqp", b.name);
            r.add(Namespace::Secret, Purpose::CredentialsSecret, secret);
        }
    }
}

/// Names of the smoke-test function, when any service is smoke-tested.
fn deploy_hook_names(r: &mut Registry, inputs: &Inputs<'_>) {
    let prefix = &inputs.project.prefix;
    if inputs.services.iter().any(Service::smoke_tested) {
        r.owned(Owner::Stage, "service.deploy.smoke_paths");
        let function = format!("{prefix}-{DEPLOY_HOOK_IMAGE}");
        r.add(
            Namespace::IamRole,
            Purpose::DeployHookRole,
            function.clone(),
        );
        let sg = function.clone();
        r.add(
            Namespace::SecurityGroup,
            Purpose::DeployHookSecurityGroup,
            sg,
        );
        let invoke = format!("{function}-invoke");
        r.add(Namespace::IamRole, Purpose::DeployHookInvokeRole, invoke);
        let logs = format!("/aws/lambda/{function}");
        r.add(Namespace::LogGroup, Purpose::DeployHookLogGroup, logs);
    }
}

/// Names of the stage: load balancer, edge and endpoint security groups,
/// flow logs, API logs and alarm, budget.
fn stage_names(r: &mut Registry, inputs: &Inputs<'_>) {
    let prefix = &inputs.project.prefix;
    r.add(
        Namespace::LoadBalancer,
        Purpose::LoadBalancer,
        alb_name(prefix),
    );
    let sg = |suffix: &str| format!("{prefix}-{suffix}");
    r.add(
        Namespace::SecurityGroup,
        Purpose::AlbSecurityGroup,
        sg("alb"),
    );
    let link = sg("vpc-link");
    r.add(
        Namespace::SecurityGroup,
        Purpose::VpcLinkSecurityGroup,
        link,
    );
    if inputs.egress == Egress::VpcEndpoints {
        let endpoints = sg("endpoints");
        r.add(
            Namespace::SecurityGroup,
            Purpose::EndpointsSecurityGroup,
            endpoints,
        );
    }
    if inputs.flow_logs_to_cloudwatch {
        r.add(Namespace::IamRole, Purpose::FlowLogRole, sg("flow-logs"));
        let flow_logs = format!("/vpc/{prefix}/flow-logs");
        r.add(Namespace::LogGroup, Purpose::FlowLogGroup, flow_logs);
    }
    let access = format!("/apigateway/{prefix}/access");
    r.add(Namespace::LogGroup, Purpose::ApiAccessLogGroup, access);
    // Not `-api-5xx`: that is the 5xx alarm of a service named `api`.
    let api_alarm = sg("api-5xx-errors");
    r.add(Namespace::Alarm, Purpose::ApiAlarm5xx, api_alarm);
    r.add(Namespace::Budget, Purpose::Budget, sg("monthly"));
}

/// Alarms of the queues that drive scaling on Amazon MQ (a container
/// broker publishes no metrics), keyed like the observability module's map.
fn queue_names(r: &mut Registry, inputs: &Inputs<'_>) {
    if inputs.broker.is_none_or(|b| b.amazon_mq().is_none()) {
        return;
    }
    let prefix = &inputs.project.prefix;
    let mut queues = BTreeSet::new();
    for (i, s) in inputs.services.iter().enumerate().filter(|(_, s)| s.broker) {
        let Some(q) = &s.scaling.queue_backlog else {
            continue;
        };
        // One queue scaled by several services has one set of alarms; two
        // queues whose keys coincide (`a_b`, `a-b`) collide in the registry.
        if !queues.insert(q.queue.as_str()) {
            continue;
        }
        let key = q.queue.replace('_', "-");
        let path = format!("service[{i}].scaling.queue_backlog");
        r.owned(Owner::Queue(q.queue.clone()), path);
        let depth = format!("{prefix}-{key}-depth");
        r.add(Namespace::Alarm, Purpose::AlarmQueueDepth, depth);
        let dead = format!("{prefix}-{key}-dead-letters");
        r.add(Namespace::Alarm, Purpose::AlarmDeadLetters, dead);
    }
}

/// Name of the internal ALB: `<prefix>-internal`, or `<prefix>` alone when
/// that would pass the 32-character limit (the check reports a prefix that
/// is itself too long).
pub fn alb_name(prefix: &str) -> String {
    let full = format!("{prefix}-internal");
    if full.len() <= Namespace::LoadBalancer.max_len() {
        full
    } else {
        prefix.to_string()
    }
}

/// Cloud Map hostname of a container database.
pub fn database_hostname(database: &str) -> String {
    format!("{database}-postgres")
}

/// No two names of a namespace alike, none too long. The collisions of two
/// owners are reported once, at the second owner's field, listing every name
/// they share; an owner colliding with itself is a duplicate topology name,
/// reported where names are checked unique.
fn check(entries: &[AwsName], p: &mut Problems) {
    let mut seen: BTreeMap<(Namespace, &str), &AwsName> = BTreeMap::new();
    // (second, first) -> the names they share
    let mut shared: Vec<(&AwsName, &AwsName, Vec<String>)> = Vec::new();
    for entry in entries {
        let max = entry.namespace.max_len();
        if entry.name.len() > max {
            p.invalid(
                &entry.path,
                format!(
                    "{} would be `{}`, {} characters long; a {} name has at most {max}",
                    entry.describe(),
                    entry.name,
                    entry.name.len(),
                    entry.namespace.noun(),
                ),
                "shorten this name, project.name or project.environment",
            );
        }
        let Some(first) = seen.get(&(entry.namespace, entry.name.as_str())).copied() else {
            seen.insert((entry.namespace, entry.name.as_str()), entry);
            continue;
        };
        if first.owner == entry.owner {
            continue;
        }
        let item = format!(
            "the {} `{}` ({} of the one, {} of the other; unique {})",
            entry.namespace.noun(),
            entry.name,
            entry.purpose.describe(),
            first.purpose.describe(),
            entry.namespace.scope(),
        );
        match shared
            .iter_mut()
            .find(|(e, f, _)| e.owner == entry.owner && f.owner == first.owner)
        {
            Some((_, _, items)) => items.push(item),
            None => shared.push((entry, first, vec![item])),
        }
    }
    for (entry, first, items) in shared {
        p.invalid(
            &entry.path,
            format!(
                "{} and {} would give AWS resources the same names: {}",
                entry.owner_name(),
                first.owner_name(),
                items.join("; "),
            ),
            "rename one of them: AWS refuses the second resource of a name at apply time",
        );
        p.other(&first.path);
    }
}
