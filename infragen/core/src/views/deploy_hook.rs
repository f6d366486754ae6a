//! `modules/deploy_hook`: the smoke-test Lambda of traffic-shifting
//! deployments, called once for every service with `smoke_paths`.
use super::common::{retention_skip, subnets_expr};
use super::edge::test_listener_ports;
use crate::hcl::hcl_string;
use crate::model::Model;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DeployHookCall {
    pub function_name: String,
    pub log_group_name: String,
    pub log_retention_days: u32,
    pub image_expr: String,
    pub subnets_expr: String,
    /// Test listener ports the hook calls (one per smoke-tested service).
    pub test_listener_ports: Vec<u16>,
    /// Seconds the function may run: every path at its timeout, plus margin.
    pub timeout_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployHookFlags {
    pub log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeployHookModule {
    pub deploy_hook: DeployHookFlags,
}

pub(super) fn deploy_hook_call(model: &Model) -> Option<DeployHookCall> {
    let hook = model.deploy_hook.as_ref()?;
    let most_paths = model
        .services
        .iter()
        .filter(|s| s.smoke_tested())
        .map(|s| s.deployment.smoke_paths.len() as u32)
        .max()
        .unwrap_or(1);
    Some(DeployHookCall {
        function_name: hook.function_name.clone(),
        log_group_name: hook.log_group.clone(),
        log_retention_days: model.operations.log_retention_days,
        image_expr: format!(
            "\"${{module.registry.repository_urls[{repo}]}}:${{var.image_tags[{repo}]}}\"",
            repo = hcl_string(&hook.ecr_repository)
        ),
        subnets_expr: subnets_expr(model),
        test_listener_ports: test_listener_ports(model).into_values().collect(),
        timeout_seconds: (most_paths * hook.timeout_ms).div_ceil(1000) + 10,
    })
}

pub(super) fn deploy_hook_module(model: &Model) -> DeployHookModule {
    DeployHookModule {
        deploy_hook: DeployHookFlags {
            log_retention_skip: retention_skip(
                model.operations.log_retention_days,
                "deploy hook logs",
                model,
            ),
        },
    }
}
