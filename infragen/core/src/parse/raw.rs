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
//!
//! One file per group of topology sections: `network`, `edge` (with
//! `auth`), `services` (with `cluster`), `data` (databases and the broker),
//! `operations` (with the SLOs); the topology and its project here.
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

mod data;
mod edge;
mod network;
mod operations;
mod services;

pub use data::*;
pub use edge::*;
pub use network::*;
pub use operations::*;
pub use services::*;

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
