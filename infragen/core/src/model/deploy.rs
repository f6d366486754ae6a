//! How a service's new revision replaces the running one: the ECS deployment
//! strategy with its traffic shifting, the smoke-test hook and the alarms
//! that roll a deployment back.
use super::Purpose;
use serde::Serialize;
use std::fmt;

pub use crate::parse::raw::AlarmKind;

/// A traffic share in tenths of a percent (ECS accepts multiples of 0.1 %):
/// `Percent(50)` is 5.0 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Percent(pub u32);

impl fmt::Display for Percent {
    /// `5.0`, `12.5`, `100.0`: the number as HCL and the ECS API take it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The ECS deployment strategy, with exactly the settings each one has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Deploy {
    /// `ROLLING`: tasks replaced in place, up to twice the desired count at
    /// once (minimum healthy 100 %, maximum 200 %).
    Rolling,
    /// `BLUE_GREEN`: the whole new revision beside the old, then all
    /// traffic at once.
    BlueGreen { bake_minutes: u32 },
    /// `LINEAR`: `step_percent` of production traffic every `step_bake_minutes`.
    Linear {
        step_percent: Percent,
        step_bake_minutes: u32,
        bake_minutes: u32,
    },
    /// `CANARY`: `percent` for `canary_bake_minutes`, then the rest.
    Canary {
        percent: Percent,
        canary_bake_minutes: u32,
        bake_minutes: u32,
    },
}

impl Deploy {
    /// The ECS `deploymentConfiguration.strategy` value.
    pub fn ecs_strategy(&self) -> &'static str {
        match self {
            Deploy::Rolling => "ROLLING",
            Deploy::BlueGreen { .. } => "BLUE_GREEN",
            Deploy::Linear { .. } => "LINEAR",
            Deploy::Canary { .. } => "CANARY",
        }
    }

    /// The topology's name of the strategy.
    pub fn name(&self) -> &'static str {
        match self {
            Deploy::Rolling => "rolling",
            Deploy::BlueGreen { .. } => "blue_green",
            Deploy::Linear { .. } => "linear",
            Deploy::Canary { .. } => "canary",
        }
    }

    /// Shifts production traffic between two target groups (everything but rolling).
    pub fn shifts_traffic(&self) -> bool {
        !matches!(self, Deploy::Rolling)
    }

    /// A short description: `rolling`, `blue/green, bake 15 min`,
    /// `canary 5.0 % for 10 min, bake 15 min`, `linear 10.0 % every 6 min, bake 10 min`.
    pub fn summary(&self) -> String {
        match self {
            Deploy::Rolling => "rolling".into(),
            Deploy::BlueGreen { bake_minutes } => format!("blue/green, bake {bake_minutes} min"),
            Deploy::Canary {
                percent,
                canary_bake_minutes,
                bake_minutes,
            } => {
                format!("canary {percent} % for {canary_bake_minutes} min, bake {bake_minutes} min")
            }
            Deploy::Linear {
                step_percent,
                step_bake_minutes,
                bake_minutes,
            } => format!(
                "linear {step_percent} % every {step_bake_minutes} min, bake {bake_minutes} min"
            ),
        }
    }

    /// Minutes both revisions run after the last traffic shift.
    pub fn bake_minutes(&self) -> u32 {
        match self {
            Deploy::Rolling => 0,
            Deploy::BlueGreen { bake_minutes }
            | Deploy::Linear { bake_minutes, .. }
            | Deploy::Canary { bake_minutes, .. } => *bake_minutes,
        }
    }
}

/// One alarm of a service, named as the observability module creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAlarm {
    pub kind: AlarmKind,
    /// `<ecs service>-<suffix>`, e.g. `crud-master-prod-inventory-5xx`.
    pub name: String,
}

impl AlarmKind {
    /// Every kind, in the order alarms are listed.
    pub const ALL: [AlarmKind; 4] = [
        AlarmKind::Errors5xx,
        AlarmKind::LatencyP99,
        AlarmKind::UnhealthyTargets,
        AlarmKind::Cpu,
    ];

    /// The topology's name (`5xx`, `latency_p99`, ...).
    pub fn key(self) -> &'static str {
        match self {
            AlarmKind::Errors5xx => "5xx",
            AlarmKind::LatencyP99 => "latency_p99",
            AlarmKind::UnhealthyTargets => "unhealthy_targets",
            AlarmKind::Cpu => "cpu",
        }
    }

    /// Suffix of the alarm name after the ECS service name.
    pub fn name_suffix(self) -> &'static str {
        match self {
            AlarmKind::Errors5xx => "5xx",
            AlarmKind::LatencyP99 => "latency-p99",
            AlarmKind::UnhealthyTargets => "unhealthy-targets",
            AlarmKind::Cpu => "cpu",
        }
    }

    /// The alarm's name for an ECS service: `<ecs service>-<suffix>`.
    pub fn alarm_name(self, ecs_service: &str) -> String {
        format!("{ecs_service}-{}", self.name_suffix())
    }

    /// Its name in the AWS name registry.
    pub fn purpose(self) -> Purpose {
        match self {
            AlarmKind::Errors5xx => Purpose::Alarm5xx,
            AlarmKind::LatencyP99 => Purpose::AlarmLatency,
            AlarmKind::UnhealthyTargets => Purpose::AlarmUnhealthyTargets,
            AlarmKind::Cpu => Purpose::AlarmCpu,
        }
    }

    /// Watches the ALB target groups (exists only for load-balanced services).
    pub fn needs_load_balancer(self) -> bool {
        self != AlarmKind::Cpu
    }
}

/// A service's deployment: strategy, smoke test and rollback alarms.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    pub strategy: Deploy,
    /// Paths the smoke-test hook requests through the test listener; empty:
    /// no hook (only with a traffic-shifting strategy).
    pub smoke_paths: Vec<String>,
    /// Names of the service's alarms that roll a deployment back (in
    /// [`AlarmKind::ALL`] order).
    pub rollback_alarms: Vec<ServiceAlarm>,
}

/// The smoke-test Lambda shared by every service with `smoke_paths`.
#[derive(Debug, Clone, Serialize)]
pub struct DeployHook {
    /// `<prefix>-deploy-hook` (Lambda function, IAM role, security group).
    pub function_name: String,
    /// `/aws/lambda/<function_name>`.
    pub log_group: String,
    /// `<prefix>/deploy-hook`.
    pub ecr_repository: String,
    /// Tag of the image the function runs: the workspace version.
    pub image_tag: String,
    /// Milliseconds the hook waits for each smoke request.
    pub timeout_ms: u32,
}

/// Name of the hook's image (ECR repository after the prefix, and the crate).
pub const DEPLOY_HOOK_IMAGE: &str = "deploy-hook";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_rolling_rolled_back_by_the_services_own_alarms() {
        let model = crate::load_default().unwrap();
        assert!(model.deploy_hook.is_none());
        for service in &model.services {
            assert_eq!(service.deployment.strategy, Deploy::Rolling);
            assert!(service.deployment.smoke_paths.is_empty());
            assert_eq!(service.deployment.rollback_alarms, service.alarms);
        }
        let names: Vec<&str> = model.services[1]
            .alarms
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "crud-master-prod-inventory-5xx",
                "crud-master-prod-inventory-latency-p99",
                "crud-master-prod-inventory-unhealthy-targets",
                "crud-master-prod-inventory-cpu",
            ]
        );
        // billing is a worker: no ALB alarms.
        assert_eq!(model.services[2].alarms.len(), 1);
    }

    #[test]
    fn percents_print_one_decimal() {
        assert_eq!(Percent(50).to_string(), "5.0");
        assert_eq!(Percent(125).to_string(), "12.5");
        assert_eq!(Percent(1000).to_string(), "100.0");
        assert_eq!(Percent(1).to_string(), "0.1");
    }
}
