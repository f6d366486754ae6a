//! What the views of several modules share: the header, one generated file
//! and its module view, `key = value` entries, the capacity provider
//! strategy, the task subnets, security-group peers and skip rationales.
use super::module_outputs::{kms, network};
use crate::hcl::Expr;
use crate::model::{Egress, Model};
use serde::Serialize;
use std::collections::BTreeMap;

/// Terraform version constraint of every `versions.tf`.
pub const TERRAFORM_VERSION: &str = ">= 1.9";

/// hashicorp/aws version constraint of every `versions.tf`.
pub const AWS_PROVIDER_VERSION: &str = "~> 6.21";

/// CloudWatch Logs retention below which checkov's CKV_AWS_338 fails.
const CHECKOV_MIN_RETENTION: u32 = 365;

/// RabbitMQ virtual host the services use (the runtime contract's).
pub(super) use runtime_contract::variables::DEFAULT_AMQP_VHOST as VHOST;

/// What every template's header and `versions.tf` need.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// Name of the topology file the output comes from.
    pub source: String,
    pub terraform_version: &'static str,
    pub aws_provider_version: &'static str,
}

impl Header {
    /// The header of every file rendered from `source`.
    pub fn new(source: &str) -> Self {
        Header {
            source: source.to_string(),
            terraform_version: TERRAFORM_VERSION,
            aws_provider_version: AWS_PROVIDER_VERSION,
        }
    }
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

/// A `key = value` entry; `value` is a Terraform expression.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub key: String,
    pub value: Expr,
}

/// A `key = "value"` entry with a literal value.
#[derive(Debug, Clone, Serialize)]
pub struct Literal {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapacityProvider {
    pub capacity_provider: &'static str,
    pub weight: u32,
    pub base: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerCall {
    pub key: String,
    pub security_group_id: Expr,
    pub port: u16,
}

/// Where a database or the broker lives: the VPC's isolated subnets, encrypted
/// with the project's key.
#[derive(Debug, Clone, Serialize)]
pub struct DataPlacement {
    pub vpc_id: Expr,
    pub subnet_ids: Expr,
    pub kms_key_arn: Expr,
}

impl DataPlacement {
    pub(super) fn isolated() -> Self {
        DataPlacement {
            vpc_id: network::vpc_id(),
            subnet_ids: network::isolated_subnet_ids(),
            kms_key_arn: kms::key_arn(),
        }
    }
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
pub struct NoFlags {}

/// Files of a Terraform module, in the order the templates share.
pub const MODULE_FILES: [&str; 4] = ["main.tf", "variables.tf", "outputs.tf", "versions.tf"];

/// Concerns some modules keep beside their `main.tf`, one file each.
const SPLIT_FILES: [(&str, &[&str]); 2] =
    [("service", &["iam.tf"]), ("observability", &["slo.tf"])];

/// Every file of a module: [`MODULE_FILES`], then its split-out concerns.
pub fn files_of_module(module: &str) -> impl Iterator<Item = &'static str> {
    let split = SPLIT_FILES
        .iter()
        .find(|(name, _)| *name == module)
        .map_or(&[][..], |(_, files)| *files);
    MODULE_FILES.into_iter().chain(split.iter().copied())
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

pub(super) fn module_files<T: Serialize>(
    module: &str,
    header: &Header,
    flags: &T,
    out: &mut Vec<FileView>,
) {
    for file in files_of_module(module) {
        out.push(module_file(module, file, header, flags));
    }
}

pub(super) fn retention_skip(days: u32, what: &str, model: &Model) -> Option<String> {
    (days < CHECKOV_MIN_RETENTION).then(|| {
        format!(
            "The topology keeps {what} {days} days for the {} stage (cost control); one year of retention is not needed there",
            model.project.environment
        )
    })
}

pub(super) fn capacity(model: &Model, arm64: bool) -> Vec<CapacityProvider> {
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

/// The private subnets tasks run in: the first only for a single-AZ network.
pub(super) fn task_subnet_ids(model: &Model) -> Expr {
    if model.network.single_az {
        Expr::Call(
            "slice",
            vec![
                network::private_subnet_ids(),
                Expr::number(0),
                Expr::number(1),
            ],
        )
    } else {
        network::private_subnet_ids()
    }
}

pub(super) fn entries(map: BTreeMap<String, Expr>) -> Vec<Entry> {
    map.into_iter()
        .map(|(key, value)| Entry { key, value })
        .collect()
}

pub(super) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// The peer every task needs when egress goes through interface endpoints.
pub(super) fn endpoint_peers(model: &Model) -> Vec<PeerCall> {
    if model.network.egress == Egress::VpcEndpoints {
        vec![PeerCall {
            key: "vpc-endpoints".into(),
            security_group_id: network::endpoints_security_group_id(),
            port: 443,
        }]
    } else {
        Vec::new()
    }
}

/// ECS secret `valueFrom` of the `password` key of a JSON secret.
pub(super) fn password_value_from(secret_arn: &Expr) -> Expr {
    secret_arn.clone().followed_by(":password::")
}

/// `key = "value"` literals of a map, sorted by key.
pub(super) fn literals(map: &BTreeMap<String, String>) -> Vec<Literal> {
    map.iter()
        .map(|(key, value)| Literal {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}
