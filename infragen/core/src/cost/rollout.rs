//! What a deployment takes, per service: the rollout timeline of its
//! strategy (traffic steps, waits, bake), the peak task count, and the extra
//! Fargate cost of one deployment (the second set of tasks the traffic
//! shifting strategies run beside the first until the bake ends).
use crate::model::{Deploy, Service};
use serde::Serialize;

/// Minutes to start the new tasks and pass the target group's health checks
/// (2 healthy checks 15 s apart, plus image pull and start), and, with a
/// smoke test, to run it: an estimate added to every timeline.
pub const START_MINUTES: u32 = 2;

/// The rollout of one service's deployment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rollout {
    pub service: String,
    /// `rolling`, `blue_green`, `linear`, `canary`.
    pub strategy: &'static str,
    /// e.g. `canary 5.0 % for 10 min → 100 % → bake 15 min ≈ 27 min, peak 2× tasks`.
    pub timeline: String,
    /// Estimated minutes from start to the end of the bake.
    pub minutes: u32,
    /// Tasks running at the peak (desired count × 2: ECS starts the new
    /// revision at full size beside the old one; rolling may too, with a
    /// maximum of 200 %).
    pub peak_tasks: u32,
    /// Fargate cost of the extra tasks during one deployment.
    pub extra_per_deployment: f64,
}

/// The timeline of `service`; `task_hour` is the hourly price of one of its tasks.
pub fn rollout(service: &Service, task_hour: f64) -> Rollout {
    let (steps, minutes) = steps(&service.deployment.strategy);
    let smoke = if service.smoke_tested() {
        "smoke test → "
    } else {
        ""
    };
    let peak_tasks = service.desired * 2;
    let timeline = match &service.deployment.strategy {
        Deploy::Rolling => format!(
            "rolling: replace tasks up to 200 % ≈ {minutes} min, peak 2× tasks, circuit breaker"
        ),
        _ => format!(
            "{smoke}{steps} → bake {} min ≈ {minutes} min, peak 2× tasks",
            service.deployment.strategy.bake_minutes()
        ),
    };
    let extra_per_deployment = f64::from(service.desired) * task_hour * f64::from(minutes) / 60.0;
    Rollout {
        service: service.name.clone(),
        strategy: service.deployment.strategy.name(),
        timeline,
        minutes,
        peak_tasks,
        extra_per_deployment,
    }
}

/// The traffic steps as text, and the total minutes (start included).
fn steps(strategy: &Deploy) -> (String, u32) {
    match strategy {
        Deploy::Rolling => (String::new(), START_MINUTES),
        Deploy::BlueGreen { bake_minutes } => (
            "blue/green 100 % at once".into(),
            START_MINUTES + bake_minutes,
        ),
        Deploy::Canary {
            percent,
            canary_bake_minutes,
            bake_minutes,
        } => (
            format!("canary {percent} % for {canary_bake_minutes} min → 100 %"),
            START_MINUTES + canary_bake_minutes + bake_minutes,
        ),
        Deploy::Linear {
            step_percent,
            step_bake_minutes,
            bake_minutes,
        } => {
            let shifts = 1000u32.div_ceil(step_percent.0.max(1));
            let waits = shifts - 1;
            (
                format!(
                    "linear {step_percent} % every {step_bake_minutes} min ({shifts} steps) → 100 %"
                ),
                START_MINUTES + waits * step_bake_minutes + bake_minutes,
            )
        }
    }
}
