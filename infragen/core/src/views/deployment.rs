//! The deployment inputs of an application's `modules/service` call: the
//! strategy with its traffic steps, the rollback alarms, and the smoke-test
//! hook with the JSON it receives (`hookDetails`).
use super::edge::test_listener_ports;
use super::module_outputs::deploy_hook;
use super::wiring::listener_url;
use crate::hcl::Expr;
use crate::model::{Deploy, Model, Service};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CanaryCall {
    /// Percent with one decimal, e.g. `5.0`.
    pub percent: String,
    pub bake_minutes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinearCall {
    /// Percent with one decimal, e.g. `10.0`.
    pub step_percent: String,
    pub step_bake_minutes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentCall {
    /// `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY`.
    pub strategy: &'static str,
    pub bake_time_in_minutes: Option<u32>,
    pub canary: Option<CanaryCall>,
    pub linear: Option<LinearCall>,
    /// Alarms that stop and roll back a deployment.
    pub alarm_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HookCall {
    pub function_arn: Expr,
    pub role_arn: Expr,
    /// `jsonencode({...})` of the hook details; the shape is the contract
    /// with `apps/deploy-hook`: `base_url`, `paths`, `timeout_ms`.
    pub hook_details: Expr,
}

/// The deployment of a service: its strategy, and the alarms that roll it
/// back (its own rollback alarms, then the fast-burn windows of its SLOs).
pub(super) fn deployment_call(model: &Model, service: &Service) -> DeploymentCall {
    let deployment = &service.deployment;
    let strategy = &deployment.strategy;
    DeploymentCall {
        strategy: strategy.ecs_strategy(),
        bake_time_in_minutes: strategy.shifts_traffic().then(|| strategy.bake_minutes()),
        canary: match strategy {
            Deploy::Canary {
                percent,
                canary_bake_minutes,
                ..
            } => Some(CanaryCall {
                percent: percent.to_string(),
                bake_minutes: *canary_bake_minutes,
            }),
            _ => None,
        },
        linear: match strategy {
            Deploy::Linear {
                step_percent,
                step_bake_minutes,
                ..
            } => Some(LinearCall {
                step_percent: step_percent.to_string(),
                step_bake_minutes: *step_bake_minutes,
            }),
            _ => None,
        },
        alarm_names: deployment
            .rollback_alarms
            .iter()
            .map(|a| a.name.clone())
            .chain(model.deployment_alarm_names(&service.name))
            .collect(),
    }
}

/// The smoke test of a service: requests through its test listener.
pub(super) fn hook_call(model: &Model, service: &Service) -> Option<HookCall> {
    let hook = model.deploy_hook.as_ref()?;
    let port = *test_listener_ports(model).get(&service.name)?;
    let paths = service
        .deployment
        .smoke_paths
        .iter()
        .map(|p| Expr::string(p))
        .collect();
    let details = Expr::Object(vec![
        ("base_url".into(), listener_url(port)),
        ("paths".into(), Expr::List(paths)),
        ("timeout_ms".into(), Expr::number(hook.timeout_ms)),
    ]);
    Some(HookCall {
        function_arn: deploy_hook::function_arn(),
        role_arn: deploy_hook::invoke_role_arn(),
        hook_details: Expr::Call("jsonencode", vec![details]),
    })
}
