//! What the views of several modules share: the header, one generated file
//! and its module view, `key = value` entries, the capacity provider
//! strategy, the task subnets, security-group peers and skip rationales.
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
    pub value: String,
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
    pub security_group_expr: String,
    pub port_expr: String,
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
    for file in MODULE_FILES {
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

pub(super) fn subnets_expr(model: &Model) -> String {
    if model.network.single_az {
        "slice(module.network.private_subnet_ids, 0, 1)".to_string()
    } else {
        "module.network.private_subnet_ids".to_string()
    }
}

pub(super) fn entries(map: BTreeMap<String, String>) -> Vec<Entry> {
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
            security_group_expr: "module.network.endpoints_security_group_id".into(),
            port_expr: "443".into(),
        }]
    } else {
        Vec::new()
    }
}

/// ECS secret `valueFrom` of the `password` key of a JSON secret.
pub(super) fn password_value_from(secret_arn_expr: &str) -> String {
    format!("\"${{{secret_arn_expr}}}:password::\"")
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
