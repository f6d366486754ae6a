//! `modules/registry`: the root module's call (one repository per image,
//! the deploy hook's included, and each image's tag) and the module's flags.
use super::common::Literal;
use super::module_outputs::kms;
use super::names;
use crate::hcl::Expr;
use crate::model::Model;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct RegistryCall {
    pub module: &'static str,
    pub kms_key_arn: Expr,
    pub repositories: Vec<String>,
    pub immutable_tags: bool,
    pub scan_on_push: bool,
    pub keep_last_images: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryFlags {
    pub account_scanning: bool,
    /// The enhanced-scanning rule's repository filter: the project's
    /// repositories (`<project>-*`, every stage's `<project>-<stage>/…`).
    pub scan_filter: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegistryModule {
    pub registry: RegistryFlags,
}

pub(super) fn registry_call(model: &Model) -> RegistryCall {
    let mut repositories: Vec<String> = model
        .services
        .iter()
        .map(|s| s.names.ecr_repository.clone())
        .chain(model.deploy_hook.iter().map(|h| h.ecr_repository.clone()))
        .collect();
    repositories.sort();
    repositories.dedup();
    RegistryCall {
        module: names::REGISTRY_MODULE,
        kms_key_arn: kms::key_arn(),
        repositories,
        immutable_tags: model.operations.ecr.immutable_tags,
        scan_on_push: model.operations.ecr.scan_on_push,
        keep_last_images: model.operations.ecr.keep_last_images,
    }
}

/// The tag of each repository: the first service's that uses it.
pub(super) fn image_tags(model: &Model) -> Vec<Literal> {
    let mut image_tags: BTreeMap<String, String> = BTreeMap::new();
    for service in &model.services {
        image_tags
            .entry(service.names.ecr_repository.clone())
            .or_insert_with(|| service.image_tag.clone());
    }
    if let Some(hook) = &model.deploy_hook {
        image_tags
            .entry(hook.ecr_repository.clone())
            .or_insert_with(|| hook.image_tag.clone());
    }
    image_tags
        .into_iter()
        .map(|(key, value)| Literal { key, value })
        .collect()
}

pub(super) fn registry_module(model: &Model) -> RegistryModule {
    RegistryModule {
        registry: RegistryFlags {
            account_scanning: model.operations.ecr.account_scanning,
            scan_filter: format!("{}-*", model.project.name),
        },
    }
}
