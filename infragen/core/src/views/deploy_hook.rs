//! `modules/deploy_hook`: the smoke-test Lambda of traffic-shifting
//! deployments, called once for every service with `smoke_paths`.
use super::common::{retention_skip, task_subnet_ids};
use super::edge::test_listener_ports;
use super::module_outputs::{edge, kms, network};
use super::names;
use super::service::image;
use crate::hcl::Expr;
use crate::model::Model;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DeployHookCall {
    pub module: &'static str,
    pub function_name: String,
    pub log_group_name: String,
    pub log_retention_days: u32,
    pub image: Expr,
    pub vpc_id: Expr,
    pub subnet_ids: Expr,
    pub alb_security_group_id: Expr,
    pub kms_key_arn: Expr,
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
        module: names::DEPLOY_HOOK_MODULE,
        function_name: hook.function_name.clone(),
        log_group_name: hook.log_group.clone(),
        log_retention_days: model.operations.log_retention_days,
        image: image(&hook.ecr_repository),
        vpc_id: network::vpc_id(),
        subnet_ids: task_subnet_ids(model),
        alb_security_group_id: edge::alb_security_group_id(),
        kms_key_arn: kms::key_arn(),
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
