//! The topology file as written: every key optional where a default exists,
//! numbers kept wide (`i64`) so that out-of-range values become validation
//! errors reported together with every other problem instead of aborting the
//! parse.
//!
//! These types are the single source of the JSON Schema (`infragen schema`)
//! and of the set of known keys. Unknown keys are rejected, but not through
//! serde's `deny_unknown_fields` (which stops at the first one): the loader
//! collects *every* ignored key with `serde_ignored` and reports them all with
//! their location. The schema still says `additionalProperties: false`
//! through `#[schemars(deny_unknown_fields)]`.
//!
//! Templates never see these types: [`crate::model::Model`] is what the views
//! consume.
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

pub use super::modes::{ContainerInsights, DatabaseInsights, FlowLogDestination, FlowLogTraffic};

/// A deployment topology: one AWS environment of one project.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "infragen topology")]
pub struct RawTopology {
    /// Project identity: name, environment, region and tags.
    pub project: RawProject,
    /// VPC, subnets and egress.
    #[serde(default)]
    pub network: RawNetwork,
    /// Amazon API Gateway HTTP API in front of the internal ALB.
    #[serde(default)]
    pub edge: RawEdge,
    /// Cognito user pool and app client guarding the API.
    #[serde(default)]
    pub auth: RawAuth,
    /// The ECS cluster.
    #[serde(default)]
    pub cluster: RawCluster,
    /// The services, one `[[service]]` table each. Each becomes an ECS
    /// service on Fargate in the private subnets. At least one is required,
    /// and at least one must have `routes`.
    #[serde(default, rename = "service")]
    pub services: Vec<RawService>,
    /// PostgreSQL databases, one `[[database]]` table each.
    #[serde(default, rename = "database")]
    pub databases: Vec<RawDatabase>,
    /// The RabbitMQ message broker (at most one). Default: none (no broker).
    #[serde(default)]
    pub broker: Option<RawBroker>,
    /// Logs, alarms, dashboard, budget and container registry settings.
    #[serde(default)]
    pub operations: RawOperations,
    /// Service level objectives, one `[[slo]]` table each: rendered as
    /// multi-window multi-burn-rate CloudWatch alarms (a page and a ticket
    /// per SLO) and error-budget widgets on the dashboard; the fast-burn
    /// alarm gates the service's deployments. Default: none.
    #[serde(default, rename = "slo")]
    pub slos: Vec<RawSlo>,
}

/// Project identity.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawProject {
    /// Project name: 1–32 lowercase letters, digits and hyphens, starting with
    /// a letter, not ending with a hyphen, no `--`. Prefix of every resource
    /// name (`<name>-<environment>-…`); the derived names must fit AWS limits
    /// (ALB target group 32 characters, RDS identifier 63, Amazon MQ broker 50).
    pub name: String,
    /// Environment (stage) name, e.g. `prod`, `dev`: 1–16 lowercase letters,
    /// digits and hyphens, same rules as `name`. Default: `prod`.
    pub environment: Option<String>,
    /// AWS region code, e.g. `eu-west-3`, `us-east-1`.
    pub region: String,
    /// Tags applied to every resource (the provider's `default_tags`),
    /// merged with `Project`, `Environment`, `Stage =
    /// "<name>-<environment>"` and `ManagedBy = "infragen"` (which cannot be
    /// set here, nor keys starting with `aws:`). Keys 1–128 characters,
    /// values at most 256; at most 45 tags (AWS allows 50 per resource, with
    /// infragen's four and each resource's `Name`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Egress from the private subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Egress {
    /// One NAT gateway in the first AZ (cheap; the AZ is a single point of failure for egress).
    NatSingle,
    /// One NAT gateway per AZ (highly available).
    NatPerAz,
    /// No internet egress: VPC interface endpoints for ECR, CloudWatch Logs,
    /// Secrets Manager (and the S3 gateway endpoint for image layers).
    VpcEndpoints,
}

/// Network settings: the VPC spans every listed AZ with a public, a private
/// and an isolated subnet in each.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawNetwork {
    /// VPC IPv4 CIDR block in canonical form (no host bits), /16 to /28; /20
    /// or larger when `subnets` is absent (the subnets are carved from it).
    /// Default: `10.0.0.0/16`.
    pub vpc_cidr: Option<String>,
    /// Availability zones, e.g. `["eu-west-3a", "eu-west-3b"]`: the region
    /// code and a letter, each listed once. At least two (the internal ALB and
    /// the RDS subnet group require two AZs, even for a single-AZ deployment);
    /// at most 15 when the subnets are carved automatically. Default: the
    /// region's `a` and `b` zones.
    pub azs: Option<Vec<String>>,
    /// Run tasks, NAT and data in the first AZ only (cheap dev stage). The
    /// network still spans every listed AZ because the ALB and the RDS subnet
    /// group need two. Default: `false`.
    pub single_az: Option<bool>,
    /// Egress choice: `nat_single`, `nat_per_az` or `vpc_endpoints`.
    /// `nat_per_az` is not allowed with `single_az = true`. Default: `nat_single`.
    pub egress: Option<Egress>,
    /// Retention of the VPC flow logs, days: a value CloudWatch Logs accepts
    /// (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
    /// 1827, 2192, 2557, 2922, 3288, 3653). Default: `operations.log_retention_days`.
    pub flow_logs_retention_days: Option<i64>,
    /// Flows the VPC flow logs record: `all` (accepted and rejected) or
    /// `reject` (rejected only: blocked traffic, a fraction of the volume).
    /// Default: `all` for a production stage (environment starting with
    /// `prod`), `reject` otherwise.
    pub flow_logs_traffic: Option<FlowLogTraffic>,
    /// Longest time a flow is aggregated into one record, seconds: `60` or
    /// `600` (fewer records, later). Default: `60` for a production stage,
    /// `600` otherwise.
    pub flow_logs_aggregation_seconds: Option<i64>,
    /// Where the flow logs go: `cloudwatch` (a KMS-encrypted log group,
    /// queryable with Logs Insights) or `s3` (a private KMS-encrypted
    /// bucket whose objects expire after `flow_logs_retention_days`;
    /// cheaper ingestion, query with Athena). Default: `cloudwatch`.
    pub flow_logs_destination: Option<FlowLogDestination>,
    /// Explicit subnet CIDRs, one per AZ and tier. Default: carved from
    /// `vpc_cidr`: private `/(p+4)` blocks first, then public and isolated
    /// `/(p+8)` blocks (p = VPC prefix length).
    pub subnets: Option<RawSubnets>,
}

/// Explicit subnet CIDRs: each list has exactly one CIDR per AZ, in the order
/// of `network.azs`. Every CIDR is in canonical form, inside `vpc_cidr`, and
/// overlaps no other subnet.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSubnets {
    /// Public subnets (NAT gateways only), /28 or larger. Default: none (all
    /// three lists are required in `[network.subnets]`).
    #[serde(default)]
    pub public: Vec<String>,
    /// Private subnets (ECS tasks, the internal ALB, VPC endpoints), /27 or
    /// larger, with enough addresses for the tasks at full scale plus 8 for the
    /// ALB (and 4 for VPC endpoints). Default: none (all three lists are
    /// required in `[network.subnets]`).
    #[serde(default)]
    pub private: Vec<String>,
    /// Isolated subnets, no route to the internet (RDS, Amazon MQ), /28 or
    /// larger. Default: none (all three lists are required in `[network.subnets]`).
    #[serde(default)]
    pub isolated: Vec<String>,
}

/// Amazon API Gateway HTTP API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEdge {
    /// Stage throttling: burst limit (requests). 1–5000. Default: `100`.
    pub throttling_burst_limit: Option<i64>,
    /// Stage throttling: steady-state rate (requests per second). 1–10000. Default: `50`.
    pub throttling_rate_limit: Option<i64>,
    /// Retention of the API access logs, days: a CloudWatch Logs value (see
    /// `network.flow_logs_retention_days`). Default: `operations.log_retention_days`.
    pub access_log_retention_days: Option<i64>,
    /// Optional custom domain with an ACM certificate. Default: none (the
    /// API's `execute-api` URL).
    pub domain: Option<RawDomain>,
}

/// Custom domain for the API. One of `hosted_zone_id` or `certificate_arn`
/// is required.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDomain {
    /// Fully qualified domain name, e.g. `api.example.com`: at least two
    /// labels of letters, digits and hyphens, at most 253 characters.
    pub name: String,
    /// Route 53 hosted zone id (`Z` then uppercase letters and digits, at
    /// most 32 characters): infragen creates the ACM certificate with DNS
    /// validation and the alias record. Default: none.
    pub hosted_zone_id: Option<String>,
    /// ARN of an existing ACM certificate in the project's region,
    /// `arn:aws:acm:<region>:<account>:certificate/<id>` (used instead of
    /// creating one). Default: none.
    pub certificate_arn: Option<String>,
}

/// Cognito user pool and app client.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAuth {
    /// User pool name: 1–128 letters, digits, spaces and `+ = , . @ - _`.
    /// Default: `<project>-<environment>-users`.
    pub user_pool_name: Option<String>,
    /// Password policy.
    #[serde(default)]
    pub password_policy: RawPasswordPolicy,
    /// Access token validity, minutes (5–1440). Default: `60`.
    pub access_token_validity_minutes: Option<i64>,
    /// ID token validity, minutes (5–1440). Default: `60`.
    pub id_token_validity_minutes: Option<i64>,
    /// Refresh token validity, days (1–3650). Default: `30`.
    pub refresh_token_validity_days: Option<i64>,
}

/// Cognito password policy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPasswordPolicy {
    /// Minimum length (8–99). Default: `12`.
    pub min_length: Option<i64>,
    /// Require a lowercase letter. Default: `true`.
    pub require_lowercase: Option<bool>,
    /// Require an uppercase letter. Default: `true`.
    pub require_uppercase: Option<bool>,
    /// Require a digit. Default: `true`.
    pub require_numbers: Option<bool>,
    /// Require a symbol. Default: `true`.
    pub require_symbols: Option<bool>,
}

/// ECS cluster.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCluster {
    /// CloudWatch Container Insights: `enhanced` (task- and
    /// container-level metrics, curated dashboards; billed per
    /// observation), `enabled` (cluster- and service-level metrics) or
    /// `disabled` (queue-backlog scaling needs it on: it reads
    /// `RunningTaskCount`). Default: `enhanced` for a production stage
    /// (environment starting with `prod`), `enabled` otherwise.
    pub container_insights: Option<ContainerInsights>,
    /// Default capacity provider strategy for every service.
    #[serde(default)]
    pub capacity: RawCapacity,
}

/// Capacity provider strategy (FARGATE and FARGATE_SPOT).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCapacity {
    /// Relative weight of FARGATE (0–1000); `fargate_weight` and
    /// `fargate_spot_weight` cannot both be 0. Default: `1`.
    pub fargate_weight: Option<i64>,
    /// Tasks always placed on FARGATE before weights apply (0–100000); must be
    /// 0 when `fargate_weight` is 0. Default: `1`.
    pub fargate_base: Option<i64>,
    /// Relative weight of FARGATE_SPOT (0–1000). Spot tasks can be stopped with
    /// two minutes' notice and do not run ARM64: must be 0 when a service has
    /// `architecture = "arm64"`. Default: `0`.
    pub fargate_spot_weight: Option<i64>,
}

/// CPU architecture of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
pub enum Architecture {
    /// Intel/AMD (`X86_64`).
    #[serde(rename = "x86_64")]
    X86_64,
    /// Graviton (`ARM64`): cheaper per vCPU, not available on Fargate Spot.
    #[serde(rename = "arm64")]
    Arm64,
}

/// One ECS service.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawService {
    /// Service name: 1–32 lowercase letters, digits and hyphens, starting with
    /// a letter, not ending with a hyphen, no `--`; unique. Used in the ECS
    /// service, target group and log group names; for a service behind the ALB
    /// `<project>-<environment>-<name>` must fit 32 characters.
    pub name: String,
    /// ECR repository name of the image: 2–256 characters, `/`-separated
    /// parts of lowercase letters, digits, `.`, `_` and `-`, each starting and
    /// ending with a letter or digit. Default: `<name>`.
    pub image: Option<String>,
    /// Image tag of the task definition revisions Terraform registers (root
    /// variable `image_tags`; the first service of an ECR repository sets
    /// it). The service runs it until the first `infragen deploy`, which
    /// copies the family's latest ACTIVE revision with a new tag; Terraform
    /// ignores the service's `task_definition`, so an apply never rolls a
    /// deployed tag back. 1–128 letters, digits, `_`, `.` and `-`, not
    /// starting with `.` or `-`. Default: `0.1.0`.
    pub image_tag: Option<String>,
    /// Container port (1–65535), also `HTTP_PORT`. Default: `8080`.
    pub port: Option<i64>,
    /// Task CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or
    /// 16384. Default: `256`.
    pub cpu: Option<i64>,
    /// Task memory, MiB; must form a Fargate task size with `cpu`:
    /// cpu 256 → 512, 1024 or 2048;
    /// cpu 512 → 1024–4096 in steps of 1024;
    /// cpu 1024 → 2048–8192 in steps of 1024;
    /// cpu 2048 → 4096–16384 in steps of 1024;
    /// cpu 4096 → 8192–30720 in steps of 1024;
    /// cpu 8192 → 16384–61440 in steps of 4096;
    /// cpu 16384 → 32768–122880 in steps of 8192.
    /// Default: `2 × cpu` (`512` with the default cpu).
    pub memory: Option<i64>,
    /// CPU architecture: `x86_64` or `arm64` (not with Fargate Spot: needs
    /// `cluster.capacity.fargate_spot_weight = 0`). Default: `x86_64`.
    pub architecture: Option<Architecture>,
    /// Desired task count at creation (0–1000); with `scaling`, between
    /// `scaling.min` and `scaling.max`. Default: `scaling.min` with `scaling`,
    /// else `1`.
    pub desired: Option<i64>,
    /// Readiness path checked by the ALB target group: absolute, no
    /// whitespace, at most 1024 characters. Default: `/readyz`.
    pub health_path: Option<String>,
    /// Plain environment variables (no secrets here). Names are letters,
    /// digits and underscores, not starting with a digit; the variables
    /// infragen sets (`HTTP_HOST`, `HTTP_PORT`, `PG*`, `AMQP_*`, see
    /// docs/contracts.md) are not allowed, and a name appears in only one of
    /// `env`, `secrets` and `upstreams`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Environment variables filled from Secrets Manager: variable name →
    /// secret name or ARN (`arn:aws:secretsmanager:…` or `arn:aws:ssm:…`;
    /// append `:json-key::` to pick a JSON key). Same name rules as `env`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Name of the `[[database]]` this service uses (gets `PG*` variables and
    /// the password secret, and network access to it). Default: none.
    pub database: Option<String>,
    /// Name of the `[broker]` this service uses (gets `AMQP_*` variables and
    /// the password secret, and network access to it). Default: none.
    pub broker: Option<String>,
    /// Other services this one calls through the internal ALB: environment
    /// variable name → service name, e.g. `INVENTORY_URL = "inventory"`. Each
    /// names another service; same name rules as `env`.
    #[serde(default)]
    pub upstreams: BTreeMap<String, String>,
    /// Public API Gateway routes to this service (JWT-protected), e.g.
    /// `["/api/{proxy+}"]`: each starts with `/`, has no empty segment, a
    /// greedy `{name+}` segment only last, and goes to one service only.
    /// Empty: not reachable from the internet.
    #[serde(default)]
    pub routes: Vec<String>,
    /// Reachable only from inside the VPC (an ALB target for other services'
    /// upstreams); must not have `routes`. Default: `false`.
    pub internal: Option<bool>,
    /// Autoscaling. Default: none (a fixed count of `desired` tasks).
    pub scaling: Option<RawScaling>,
    /// How a new revision replaces the running one (ECS deployment
    /// strategy, traffic shifting, bake time, smoke test, rollback alarms).
    /// Default: `rolling` with the circuit breaker, rolled back by the
    /// service's own alarms.
    pub deploy: Option<RawDeploy>,
}

/// ECS deployment strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Replace tasks in place (`ROLLING`): no extra target group; the
    /// circuit breaker and the rollback alarms stop a bad revision.
    Rolling,
    /// Start the whole new revision beside the old one, shift all
    /// production traffic at once, keep the old one for `bake_minutes`
    /// (`BLUE_GREEN`).
    BlueGreen,
    /// Shift production traffic in equal steps of `linear_step_percent`,
    /// waiting `linear_step_bake_minutes` after each (`LINEAR`).
    Linear,
    /// Shift `canary_percent` of production traffic, wait
    /// `canary_bake_minutes`, then shift the rest (`CANARY`).
    Canary,
}

/// An alarm of the service that can roll a deployment back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema, serde::Serialize,
)]
pub enum AlarmKind {
    /// `<service>-5xx`: the target groups answered 5xx more than 10 times in
    /// 5 minutes (ALB targets only).
    #[serde(rename = "5xx")]
    Errors5xx,
    /// `<service>-latency-p99`: p99 response time above 1 s for 15 minutes
    /// (ALB targets only).
    #[serde(rename = "latency_p99")]
    LatencyP99,
    /// `<service>-unhealthy-targets`: targets failing the readiness check
    /// for 3 minutes (ALB targets only).
    #[serde(rename = "unhealthy_targets")]
    UnhealthyTargets,
    /// `<service>-cpu`: average CPU above 85 % for 15 minutes.
    #[serde(rename = "cpu")]
    Cpu,
}

/// `[service.deploy]`: the deployment strategy of a service. The traffic
/// shifting strategies (`blue_green`, `linear`, `canary`) need an ALB target
/// (`routes`, callers or `internal = true`), at least one rollback alarm,
/// and a service that is not both public and called by other services
/// (ECS shifts one production listener rule per target group).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDeploy {
    /// `rolling`, `blue_green`, `linear` or `canary`. Default: `rolling`.
    pub strategy: Option<Strategy>,
    /// Minutes both revisions keep running after all production traffic
    /// has shifted, so a rollback is instant (0–1440; `blue_green`,
    /// `linear` and `canary` only); required with `blue_green`. Default:
    /// `10` (`linear` and `canary`).
    pub bake_minutes: Option<i64>,
    /// Share of production traffic the canary receives, percent: a
    /// multiple of 0.1 from 0.1 to 100 (`canary` only). Default: `5`.
    pub canary_percent: Option<f64>,
    /// Minutes the canary runs before the rest of the traffic shifts
    /// (0–1440; `canary` only). Default: `10`.
    pub canary_bake_minutes: Option<i64>,
    /// Share of production traffic shifted per step, percent: a multiple of
    /// 0.1 from 3 to 100 (`linear` only). Default: `10`.
    pub linear_step_percent: Option<f64>,
    /// Minutes between two steps (0–1440; `linear` only). Default: `6`.
    pub linear_step_bake_minutes: Option<i64>,
    /// Smoke test at the test-traffic stage: paths (with an optional query)
    /// the `deploy-hook` Lambda requests from the new revision through the
    /// test listener before any production traffic shifts, e.g.
    /// `["/readyz", "/api/movies?limit=1"]`; every one must answer 2xx.
    /// 1–10 absolute paths, no whitespace, at most 1024 characters; only
    /// with `blue_green`, `linear` or `canary`. Default: none (no hook).
    pub smoke_paths: Option<Vec<String>>,
    /// The service's alarms that stop and roll back a deployment while they
    /// fire: `5xx`, `latency_p99`, `unhealthy_targets` (ALB targets only)
    /// and `cpu`, each once. Must not be empty with `blue_green`, `linear`
    /// or `canary`. Default: every alarm the service has.
    pub rollback_alarms: Option<Vec<AlarmKind>>,
}

/// Target-tracking autoscaling of a service. When `min` < `max`, at least one
/// policy (`cpu_target`, `requests_per_target` or `queue_backlog`) is required.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawScaling {
    /// Minimum task count (0–1000). Default: `1`.
    pub min: Option<i64>,
    /// Maximum task count (1–1000), ≥ `min`. Default: `min`.
    pub max: Option<i64>,
    /// Target average CPU utilisation, percent (1–100). Default: none (no CPU
    /// policy).
    pub cpu_target: Option<i64>,
    /// Target ALB requests per task per minute (1–1000000); the service must
    /// be an ALB target (have `routes`, callers or `internal = true`).
    /// Default: none (no request policy).
    pub requests_per_target: Option<i64>,
    /// Target queue backlog per task (messages); the service must use the
    /// broker, and the broker must be `amazon_mq`. Default: none (no backlog
    /// policy).
    pub queue_backlog: Option<RawQueueBacklog>,
}

/// Queue-backlog target tracking: messages waiting divided by running tasks.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawQueueBacklog {
    /// Queue name (not empty), e.g. `billing_queue`.
    pub queue: String,
    /// Target messages per task (1–100000).
    pub target: i64,
}

/// Where a database or the broker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    /// Amazon RDS for PostgreSQL (private, KMS-encrypted, managed password).
    Rds,
    /// A PostgreSQL container on Fargate (cheap dev stage; data is ephemeral).
    Container,
}

/// A PostgreSQL database.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDatabase {
    /// Database name in the model: 1–32 lowercase letters, digits and
    /// hyphens, starting with a letter, not ending with a hyphen, no `--`;
    /// unique. The RDS identifier `<project>-<environment>-<name>` must fit 63
    /// characters.
    pub name: String,
    /// `rds` or `container`. A container pulls its image from outside the
    /// VPC: with `egress = "vpc_endpoints"` its `container_image` must be in a
    /// private ECR repository of the region. Default: `rds`.
    pub kind: Option<DatabaseKind>,
    /// PostgreSQL major version (13–18), optionally with a minor: `"17"` or
    /// `"17.4"`. Default: `17`.
    pub engine_version: Option<String>,
    /// PostgreSQL database name inside the instance: 1–63 letters, digits and
    /// underscores, starting with a letter; not `postgres`, `template0`,
    /// `template1` or `rdsadmin`. Default: `name` with `-` → `_`.
    pub db_name: Option<String>,
    /// RDS instance class, `db.<family>.<size>`. Default: `db.t4g.micro`.
    pub instance_class: Option<String>,
    /// Allocated storage, GiB (20–65536). Default: `20`.
    pub storage_gb: Option<i64>,
    /// Storage autoscaling ceiling, GiB (`storage_gb`–65536; equal to
    /// `storage_gb` disables storage autoscaling). Default: `storage_gb × 5`,
    /// at most 65536.
    pub max_storage_gb: Option<i64>,
    /// Standby in a second AZ (RDS only; not with `network.single_az`).
    /// Default: `false`.
    pub multi_az: Option<bool>,
    /// Automated backup retention, days (1–35). Default: `7`.
    pub backup_retention_days: Option<i64>,
    /// Deletion protection. Default: `true`.
    pub deletion_protection: Option<bool>,
    /// CloudWatch Database Insights mode (RDS only): `standard`
    /// (Performance Insights, 7 days, free) or `advanced` (15 months of
    /// history, execution plans; billed per vCPU-hour). Default: `standard`.
    pub database_insights: Option<DatabaseInsights>,
    /// Container image for `kind = "container"`. Default:
    /// `public.ecr.aws/docker/library/postgres:<major>-alpine` (ECR Public).
    pub container_image: Option<String>,
}

/// Broker flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerKind {
    /// Amazon MQ for RabbitMQ (private, AMQPS).
    AmazonMq,
    /// A RabbitMQ container on Fargate (cheap dev stage; messages are ephemeral).
    Container,
}

/// Amazon MQ deployment mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentMode {
    /// One broker instance (`SINGLE_INSTANCE`).
    SingleInstance,
    /// Three nodes across AZs (`CLUSTER_MULTI_AZ`); needs an `mq.m5`/`mq.m7g` instance type.
    ClusterMultiAz,
}

/// The RabbitMQ broker.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawBroker {
    /// Broker name in the model, referenced by services' `broker`: 1–32
    /// lowercase letters, digits and hyphens, same rules as service names; the
    /// Amazon MQ name `<project>-<environment>-<name>` must fit 50 characters.
    /// Default: `rabbitmq`.
    pub name: Option<String>,
    /// `amazon_mq` or `container`. A container pulls its image from outside
    /// the VPC: with `egress = "vpc_endpoints"` its `container_image` must be
    /// in a private ECR repository of the region. Default: `amazon_mq`.
    pub kind: Option<BrokerKind>,
    /// RabbitMQ engine version: `3.13`, a `3.13.x` or a `4.x` release.
    /// Default: `3.13`.
    pub engine_version: Option<String>,
    /// Amazon MQ instance type, `mq.<family>.<size>`. Default: `mq.t3.micro`.
    pub instance_type: Option<String>,
    /// `single_instance` or `cluster_multi_az`. A cluster needs
    /// `kind = "amazon_mq"`, an instance type other than `mq.t3.micro`, and
    /// not `network.single_az`. Default: `single_instance`.
    pub deployment_mode: Option<DeploymentMode>,
    /// Terraform adopts the broker's CloudWatch Logs group
    /// (`/aws/amazonmq/broker/<id>/general`) and gives it the log retention
    /// and the stage's KMS key (`amazon_mq` only). Amazon MQ creates that
    /// group itself, with the caller's permissions, while it creates the
    /// broker, under an id known only then: set this after the broker's
    /// first apply (an `import` block brings the group in); unset it for
    /// the one apply that replaces the broker. Default: `false` (the group
    /// keeps Amazon MQ's defaults: no expiry, no customer managed key).
    pub adopt_log_groups: Option<bool>,
    /// Container image for `kind = "container"`. Default:
    /// `public.ecr.aws/docker/library/rabbitmq:3.13-alpine` (ECR Public).
    pub container_image: Option<String>,
}

/// Operations: logs, alarms, dashboard, budget, registry.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawOperations {
    /// Retention of every CloudWatch log group, days (a value CloudWatch
    /// accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    /// 1096, 1827, 2192, 2557, 2922, 3288, 3653). Default: `365`.
    pub log_retention_days: Option<i64>,
    /// E-mail address (`name@domain.tld`) subscribed to the alarm SNS topic
    /// (confirmation required). Default: none (no subscription).
    pub alarm_email: Option<String>,
    /// Monthly AWS Budgets limit, whole USD (1–1000000). Default: `100`.
    pub monthly_budget_usd: Option<i64>,
    /// Golden-signals CloudWatch dashboard. Default: `true`.
    pub dashboard: Option<bool>,
    /// Thresholds and evaluation of the golden-signal alarms (5xx ratio,
    /// p99 latency).
    #[serde(default)]
    pub alarms: RawAlarms,
    /// ECR repositories.
    #[serde(default)]
    pub ecr: RawEcr,
}

/// ECR repository settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEcr {
    /// Basic scan on push. Default: `true`.
    pub scan_on_push: Option<bool>,
    /// Immutable image tags. Default: `true`.
    pub immutable_tags: Option<bool>,
    /// Lifecycle policy: keep the last N images (1–1000). Default: `20`.
    pub keep_last_images: Option<i64>,
    /// This stage owns the account's registry scanning in its region: the
    /// Amazon Inspector enabler for ECR and the registry scanning
    /// configuration (enhanced, continuous scanning of the project's
    /// repositories, `<project>-*`). Both are account-and-region
    /// singletons: set it in one stage per account and region (destroying
    /// that stage turns enhanced scanning off for every stage), and only in
    /// an account where nobody else manages registry scanning (enhanced
    /// scanning replaces basic scan-on-push for every repository of the
    /// registry; those matching no rule are no longer scanned). Default:
    /// `false` (each repository's basic `scan_on_push`).
    pub account_scanning: Option<bool>,
}

/// The golden-signal alarms: a 5xx *ratio* (not a count, so a busy service
/// and a quiet one are judged alike) and the p99 latency. Every alarm must
/// fit CloudWatch's limits: `period_minutes × evaluation_periods` at most one
/// day when the period is under an hour, else at most seven days.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAlarms {
    /// Share of requests answered 5xx above which the API's and each load
    /// balanced service's error alarm fires, percent (above 0, at most 100,
    /// at most two decimals). Default: `5.0`.
    pub error_rate_percent: Option<f64>,
    /// Requests a period must hold before the error ratio is judged (1–1000000):
    /// 1 failure in 3 requests pages nobody. Default: `20`.
    pub min_requests: Option<i64>,
    /// p99 target response time above which the latency alarm fires,
    /// milliseconds (1–600000). Default: `1000`.
    pub latency_p99_ms: Option<i64>,
    /// Length of one evaluated period, minutes (1–1440). Default: `5`.
    pub period_minutes: Option<i64>,
    /// Periods evaluated (1–1440, within CloudWatch's evaluation range).
    /// Default: `3`.
    pub evaluation_periods: Option<i64>,
    /// Breaching periods among `evaluation_periods` that raise the alarm
    /// (1–`evaluation_periods`). Default: `evaluation_periods`.
    pub datapoints_to_alarm: Option<i64>,
}

/// What an SLO measures (its service level indicator), on the service's ALB
/// target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawSli {
    /// Share of requests not answered 5xx by the service
    /// (`HTTPCode_Target_5XX_Count` / `RequestCount`).
    Availability,
    /// Share of requests answered within `latency_ms` (the bad ones:
    /// `TargetResponseTime` above the threshold, over all responses): with
    /// `objective = 99`, "p99 below `latency_ms`".
    Latency,
}

impl RawSli {
    /// As written in the topology.
    pub fn name(&self) -> &'static str {
        match self {
            RawSli::Availability => "availability",
            RawSli::Latency => "latency",
        }
    }
}

/// A service level objective.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSlo {
    /// Name of the `[[service]]` it measures; the service must be an ALB
    /// target (have `routes`, callers or `internal = true`). One SLO per
    /// service and `sli`.
    pub service: String,
    /// `availability` or `latency`.
    pub sli: RawSli,
    /// Target share of good requests, percent: above 0 and below 100, at
    /// most three decimals, e.g. `99.9`. At least 93.056 (a budget of at
    /// most 100 / 14.4 ≈ 6.94 %), or the fast-burn page could never fire.
    pub objective: f64,
    /// Rolling window of the SLO (and of its error budget), days: `28` or
    /// `30`. Default: `30`.
    pub window_days: Option<i64>,
    /// Latency threshold for `sli = "latency"`, milliseconds (1–600000);
    /// required there, not allowed for `availability`. Default: none.
    pub latency_ms: Option<i64>,
    /// Requests a burn-rate window must hold before it is judged
    /// (1–1000000), so that one failure among three requests pages nobody.
    /// Default: `50`.
    pub min_requests: Option<i64>,
}
