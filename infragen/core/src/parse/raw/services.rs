//! `cluster` and `[[service]]`: the ECS cluster, each service with its
//! deployment strategy and autoscaling.
use super::ContainerInsights;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

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
    /// Environment variables ECS fills at task start: variable name → a
    /// Secrets Manager secret name (resolved to its ARN at plan time: the
    /// plan fails if it does not exist) or ARN (`arn:aws:secretsmanager:…`),
    /// either followed by `:json-key:version-stage:version-id` to pick a JSON
    /// key or a version (`name:key::`), or an SSM parameter ARN
    /// (`arn:aws:ssm:…:parameter/…`). The execution role may read exactly
    /// these and decrypt them only through their service. Same name rules as
    /// `env`.
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
