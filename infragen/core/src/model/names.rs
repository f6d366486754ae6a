//! The registry of every AWS name the rendered Terraform gives a resource:
//! each name with its namespace (where AWS requires it to be unique), its
//! owner (the stage, a service, a database, the broker, a queue) and what it
//! names. The rules fill it and reject any collision or over-long name; the
//! views read names from it and from nowhere else.
//!
//! IAM names are unique per account and carry no region: one AWS account
//! holds one stage of a project (the README says so), so `<project>-<stage>`
//! is unique there.
use serde::Serialize;

/// Where AWS requires a name to be unique, and how long it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    SecurityGroup,
    IamRole,
    EcsService,
    TaskFamily,
    LogGroup,
    Alarm,
    Secret,
    TargetGroup,
    LoadBalancer,
    Budget,
}

impl Namespace {
    /// What the name names, e.g. `security group`.
    pub fn noun(self) -> &'static str {
        match self {
            Namespace::SecurityGroup => "security group",
            Namespace::IamRole => "IAM role",
            Namespace::EcsService => "ECS service",
            Namespace::TaskFamily => "task-definition family",
            Namespace::LogGroup => "log group",
            Namespace::Alarm => "CloudWatch alarm",
            Namespace::Secret => "secret",
            Namespace::TargetGroup => "target group",
            Namespace::LoadBalancer => "load balancer",
            Namespace::Budget => "budget",
        }
    }

    /// Where AWS requires the name to be unique.
    pub fn scope(self) -> &'static str {
        match self {
            Namespace::SecurityGroup => "per VPC",
            Namespace::IamRole | Namespace::Budget => "per account",
            Namespace::EcsService => "per cluster",
            _ => "per account and region",
        }
    }

    /// The longest name AWS accepts.
    pub fn max_len(self) -> usize {
        match self {
            Namespace::SecurityGroup | Namespace::EcsService | Namespace::TaskFamily => 255,
            Namespace::Alarm => 255,
            Namespace::IamRole => 64,
            Namespace::LogGroup | Namespace::Secret => 512,
            Namespace::TargetGroup | Namespace::LoadBalancer => 32,
            Namespace::Budget => 100,
        }
    }
}

/// Who a name belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Owner {
    /// The stage itself (ALB, VPC endpoints, flow logs, budget, API alarms).
    Stage,
    /// An application service, by topology name.
    Service(String),
    /// A database (RDS, or its container alternative), by topology name.
    Database(String),
    /// The broker (Amazon MQ, or its container alternative).
    Broker,
    /// A queue watched by alarms, by queue name.
    Queue(String),
}

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// ECS service of an application or of a container dependency.
    EcsService,
    TaskFamily,
    ExecutionRole,
    TaskRole,
    TaskSecurityGroup,
    ContainerLogGroup,
    /// ECS infrastructure role for a traffic-shifting deployment's load balancer.
    LoadBalancerRole,
    DeployHookRole,
    DeployHookSecurityGroup,
    /// Role ECS assumes to invoke the deploy hook.
    DeployHookInvokeRole,
    DeployHookLogGroup,
    TargetGroup,
    /// Second target group of a traffic-shifting deployment.
    AlternateTargetGroup,
    Alarm5xx,
    AlarmLatency,
    AlarmUnhealthyTargets,
    AlarmCpu,
    /// Security group of an RDS instance or an Amazon MQ broker.
    DataSecurityGroup,
    RdsMonitoringRole,
    RdsLogGroup,
    RdsUpgradeLogGroup,
    /// Credentials secret of a container database or of the broker.
    CredentialsSecret,
    LoadBalancer,
    AlbSecurityGroup,
    VpcLinkSecurityGroup,
    EndpointsSecurityGroup,
    FlowLogRole,
    FlowLogGroup,
    ApiAccessLogGroup,
    ApiAlarm5xx,
    AlarmQueueDepth,
    AlarmDeadLetters,
    Budget,
}

impl Purpose {
    /// In words, e.g. `task security group`.
    pub fn describe(self) -> &'static str {
        match self {
            Purpose::EcsService => "ECS service",
            Purpose::TaskFamily => "task-definition family",
            Purpose::ExecutionRole => "execution role",
            Purpose::TaskRole => "task role",
            Purpose::TaskSecurityGroup => "task security group",
            Purpose::ContainerLogGroup => "container log group",
            Purpose::LoadBalancerRole => "load-balancer infrastructure role",
            Purpose::DeployHookRole => "deploy-hook role",
            Purpose::DeployHookSecurityGroup => "deploy-hook security group",
            Purpose::DeployHookInvokeRole => "deploy-hook invoke role",
            Purpose::DeployHookLogGroup => "deploy-hook log group",
            Purpose::TargetGroup => "target group",
            Purpose::AlternateTargetGroup => "alternate target group",
            Purpose::Alarm5xx => "5xx alarm",
            Purpose::AlarmLatency => "latency alarm",
            Purpose::AlarmUnhealthyTargets => "unhealthy-targets alarm",
            Purpose::AlarmCpu => "CPU alarm",
            Purpose::DataSecurityGroup => "security group",
            Purpose::RdsMonitoringRole => "enhanced-monitoring role",
            Purpose::RdsLogGroup => "PostgreSQL log group",
            Purpose::RdsUpgradeLogGroup => "upgrade log group",
            Purpose::CredentialsSecret => "credentials secret",
            Purpose::LoadBalancer => "internal ALB",
            Purpose::AlbSecurityGroup => "ALB security group",
            Purpose::VpcLinkSecurityGroup => "VPC link security group",
            Purpose::EndpointsSecurityGroup => "VPC endpoints security group",
            Purpose::FlowLogRole => "flow-log role",
            Purpose::FlowLogGroup => "flow-log group",
            Purpose::ApiAccessLogGroup => "API access log group",
            Purpose::ApiAlarm5xx => "API 5xx alarm",
            Purpose::AlarmQueueDepth => "queue-depth alarm",
            Purpose::AlarmDeadLetters => "dead-letter alarm",
            Purpose::Budget => "budget",
        }
    }
}

/// One derived AWS name.
#[derive(Debug, Clone, Serialize)]
pub struct AwsName {
    pub namespace: Namespace,
    pub owner: Owner,
    pub purpose: Purpose,
    pub name: String,
    /// Topology field the name derives from (for messages).
    pub path: String,
}

impl AwsName {
    /// e.g. `the task security group of service "inventory"`.
    pub fn describe(&self) -> String {
        format!("the {} of {}", self.purpose.describe(), self.owner_name())
    }

    /// e.g. `service "inventory"`, `the stage`.
    pub fn owner_name(&self) -> String {
        match &self.owner {
            Owner::Stage => "the stage".to_string(),
            Owner::Service(name) => format!("service \"{name}\""),
            Owner::Database(name) => format!("database \"{name}\""),
            Owner::Broker => "the broker".to_string(),
            Owner::Queue(name) => format!("queue \"{name}\""),
        }
    }
}

/// Every derived AWS name of a topology.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AwsNames {
    pub entries: Vec<AwsName>,
}

impl AwsNames {
    /// The name of `owner`'s `purpose`. The rules register every name the
    /// views ask for, so a miss is a bug in the rules, not in the topology.
    pub fn get(&self, owner: &Owner, purpose: Purpose) -> &str {
        self.entries
            .iter()
            .find(|e| e.purpose == purpose && &e.owner == owner)
            .map(|e| e.name.as_str())
            .unwrap_or_else(|| panic!("no {purpose:?} name registered for {owner:?}"))
    }

    /// Shorthand for a service's name.
    pub fn service(&self, service: &str, purpose: Purpose) -> &str {
        self.get(&Owner::Service(service.into()), purpose)
    }

    /// Shorthand for a database's name.
    pub fn database(&self, database: &str, purpose: Purpose) -> &str {
        self.get(&Owner::Database(database.into()), purpose)
    }

    /// Shorthand for a stage name.
    pub fn stage(&self, purpose: Purpose) -> &str {
        self.get(&Owner::Stage, purpose)
    }
}
