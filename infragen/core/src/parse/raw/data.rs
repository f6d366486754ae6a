//! `[[database]]` and `broker`: where the state lives.
use super::DatabaseInsights;
use schemars::JsonSchema;
use serde::Deserialize;

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
