//! Views: one `Serialize` struct per generated Terraform module, computed from
//! the validated [`Model`] by pure functions. Templates see only these.
//!
//! Values are either data (strings, numbers, lists: the templates print them
//! with the `hcl` helper, which quotes and escapes) or Terraform expressions,
//! typed [`crate::hcl::Expr`], printed as they are.
//!
//! The wiring rule, the same for every module call of the root module
//! (`root/main.tf`, the `service_call` partial) and the root outputs: a
//! template names no other module. Each call's view carries its label
//! (`module`, from [`names`]) and, for every input that is another module's
//! output, an `Expr` field named after that input (`vpc_id`, `kms_key_arn`,
//! `subnet_ids`, `load_balancer.target_group_arn`, an environment entry's
//! `value`, ...). Every such expression is built from `module_outputs`, the
//! one place that names other modules' outputs, with the labels of
//! [`names`]. Inside a module, templates reference only their own
//! resources and variables.
//!
//! [`plan`] lists every file; `root` is the root module's view, built from
//! one file per module (`kms`, `network`, `auth`, `edge`, `cluster`, `registry`,
//! `service` with `wiring`, `database`, `broker`, `secret`,
//! `observability` with `slo`), each with the module's own flags; `readme` is the
//! output's README; `common`, `module_outputs` and [`names`] serve them all. [`compose`] is
//! the local development stack, from the same model.
//!
//! RENDER-NEEDS (derived here until the model carries them):
//! - virtual host of the broker: `/`.
mod auth;
mod broker;
mod cluster;
mod common;
pub mod compose;
mod database;
mod deploy_hook;
mod deployment;
mod edge;
mod kms;
mod module_outputs;
pub mod names;
mod network;
mod observability;
mod readme;
mod registry;
mod root;
mod secret;
mod service;
mod slo;
mod wiring;

use crate::model::Model;
use common::{NoFlags, module_files};

pub use common::{FileView, Header, MODULE_FILES, files_of_module};
pub use readme::ReadmeView;
pub use root::RootView;

/// Every module infragen can generate.
pub const MODULES: [&str; 13] = [
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
    "named_secrets",
    "observability",
    "deploy_hook",
];

/// Every file to generate for a model, with its template and view, in a
/// deterministic order (root files, then modules by name). `diagram` is the
/// Mermaid source of the architecture, for the README.
pub fn plan(model: &Model, source: &str, diagram: String) -> Vec<FileView> {
    let header = Header::new(source);
    let root = root::root_view(model, &header);
    let root_context = serde_json::to_value(&root).expect("views serialize");
    let readme = readme::readme_view(model, &root, diagram);
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
        context: serde_json::to_value(readme).expect("views serialize"),
    });

    let files_of = &mut files;
    module_files("kms", &header, &kms::kms_module(model), files_of);
    module_files(
        "network",
        &header,
        &network::network_module(model),
        files_of,
    );
    module_files("auth", &header, &NoFlags {}, files_of);
    module_files("edge", &header, &edge::edge_module(model), files_of);
    let cluster = cluster::cluster_module(&root.cluster);
    module_files("cluster", &header, &cluster, files_of);
    let registry = registry::registry_module(model);
    module_files("registry", &header, &registry, files_of);
    module_files(
        "service",
        &header,
        &service::service_module(model),
        files_of,
    );
    if let Some(database) = database::database_module(model) {
        module_files("database", &header, &database, files_of);
    }
    if model.amazon_mq().is_some() {
        module_files("broker", &header, &broker::broker_module(model), files_of);
    }
    if !root.credentials.is_empty() {
        module_files("secret", &header, &NoFlags {}, files_of);
    }
    if !root.named_secrets.is_empty() {
        module_files("named_secrets", &header, &NoFlags {}, files_of);
    }
    if model.deploy_hook.is_some() {
        let hook = deploy_hook::deploy_hook_module(model);
        module_files("deploy_hook", &header, &hook, files_of);
    }
    let observability = observability::observability_module(model);
    module_files("observability", &header, &observability, files_of);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}
