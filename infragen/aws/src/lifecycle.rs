//! Judging a service deployment against the lifecycle stage a caller waits
//! for: reached, still on its way, rolled back, or failed. Pure, so every
//! rule is unit-tested; the polling lives in `deploy_wait`.
use crate::service_deployment::{Lifecycle, Monitor, Revision};

/// The lifecycle stages in the order ECS walks them.
const STAGES: [&str; 10] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

/// What `deploy --wait-until` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStage {
    /// The new revision's tasks are up (POST_SCALE_UP).
    ScaleUp,
    /// Test traffic goes to the new revision (TEST_TRAFFIC_SHIFT).
    TestTrafficShift,
    /// Production traffic moves to the new revision (PRODUCTION_TRAFFIC_SHIFT).
    ProductionTrafficShift,
    /// All production traffic is on the new revision, baking (BAKE_TIME).
    Bake,
    /// The deployment is SUCCESSFUL (the old revision is gone).
    Steady,
}

impl WaitStage {
    /// The ECS lifecycle stage that counts as reaching this one (none for steady).
    pub fn ecs_stage(self) -> Option<&'static str> {
        match self {
            WaitStage::ScaleUp => Some("POST_SCALE_UP"),
            WaitStage::TestTrafficShift => Some("TEST_TRAFFIC_SHIFT"),
            WaitStage::ProductionTrafficShift => Some("PRODUCTION_TRAFFIC_SHIFT"),
            WaitStage::Bake => Some("BAKE_TIME"),
            WaitStage::Steady => None,
        }
    }

    /// How messages name it.
    pub fn describe(self) -> String {
        match self.ecs_stage() {
            Some(stage) => format!("the {stage} stage"),
            None => "a steady state".to_string(),
        }
    }

    /// Reached: SUCCESSFUL reaches every stage; an IN_PROGRESS deployment
    /// reaches the stages up to its current one.
    pub fn reached_by(self, l: &Lifecycle) -> bool {
        if l.status == "SUCCESSFUL" {
            return true;
        }
        match (self.ecs_stage(), l.stage.as_deref()) {
            (Some(wanted), Some(now)) if l.status == "IN_PROGRESS" => {
                rank(now).zip(rank(wanted)).is_some_and(|(n, w)| n >= w)
            }
            _ => false,
        }
    }
}

/// Where a deployment stands relative to the stage waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Reached,
    /// Still on its way; the text describes the progress.
    Pending(String),
    /// Rolled back (or rolling back) before the stage; the text says why.
    RolledBack(String),
    /// Stopped, aborted, or its rollback failed; the text says why.
    Failed(String),
}

/// Judges `l` against `until`.
pub fn judge(l: &Lifecycle, until: WaitStage) -> Verdict {
    if until.reached_by(l) {
        return Verdict::Reached;
    }
    match l.status.as_str() {
        "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" | "ROLLBACK_SUCCESSFUL" => {
            Verdict::RolledBack(reason(l))
        }
        "ROLLBACK_FAILED" => Verdict::Failed(format!("the rollback failed: {}", reason(l))),
        "STOPPED" | "STOP_REQUESTED" => Verdict::Failed(format!(
            "the deployment was stopped ({}): {}",
            l.status,
            reason(l)
        )),
        // Past the stage and finished without SUCCESSFUL cannot happen;
        // anything else is still moving.
        _ => Verdict::Pending(summary(l)),
    }
}

/// Why a deployment rolled back or failed: the rollback reason (or the
/// status reason), the alarms that fired, the circuit breaker's count.
pub fn reason(l: &Lifecycle) -> String {
    let mut parts: Vec<String> = Vec::new();
    let text = l
        .rollback
        .as_ref()
        .and_then(|r| r.reason.clone())
        .or_else(|| l.status_reason.clone());
    parts.extend(text);
    if let Some(a) = &l.alarms
        && !a.triggered_alarms.is_empty()
    {
        parts.push(format!("alarm in ALARM: {}", a.triggered_alarms.join(", ")));
    }
    if let Some(cb) = &l.circuit_breaker
        && cb.status.as_deref() == Some("TRIGGERED")
    {
        parts.push(format!("circuit breaker {}", breaker_count(cb)));
    }
    if parts.is_empty() {
        "no reason given".to_string()
    } else {
        parts.join("; ")
    }
}

/// `2/3 failed tasks` (failures against the threshold that trips the breaker).
pub fn breaker_count(cb: &Monitor) -> String {
    format!(
        "{}/{} failed tasks",
        cb.failure_count.unwrap_or(0),
        cb.threshold
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into())
    )
}

fn percent(w: f64) -> String {
    if w.fract() == 0.0 {
        format!("{w:.0}%")
    } else {
        format!("{w:.1}%")
    }
}

/// `production 90% old / 10% new · test 100% new`, when ECS reports weights.
pub fn traffic(l: &Lifecycle) -> Option<String> {
    let target = l.target.as_ref()?;
    let old = |pick: fn(&Revision) -> Option<f64>| -> Option<f64> {
        let weights: Vec<f64> = l.sources.iter().filter_map(pick).collect();
        (!weights.is_empty()).then(|| weights.iter().sum())
    };
    let mut parts = Vec::new();
    if let Some(new) = target.production_weight {
        let old = old(|r| r.production_weight).unwrap_or(100.0 - new);
        parts.push(format!(
            "production {} old / {} new",
            percent(old),
            percent(new)
        ));
    }
    if let Some(new) = target.test_weight {
        parts.push(format!("test {} new", percent(new)));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// One line of progress: stage, traffic, new tasks, monitors.
pub fn summary(l: &Lifecycle) -> String {
    let mut parts = vec![format!(
        "{} · stage {}",
        l.status,
        l.stage.as_deref().unwrap_or("-")
    )];
    parts.extend(traffic(l));
    if let Some(t) = &l.target {
        parts.push(format!("new tasks {}/{}", t.running, t.requested));
    }
    if let Some(cb) = &l.circuit_breaker
        && cb.status.as_deref() != Some("DISABLED")
    {
        parts.push(format!("circuit breaker {}", breaker_count(cb)));
    }
    if let Some(a) = &l.alarms
        && !a.triggered_alarms.is_empty()
    {
        parts.push(format!("alarm {}", a.triggered_alarms.join(", ")));
    }
    if let Some(h) = l.paused_hook() {
        parts.push(format!(
            "paused at hook {} (`infragen deploy continue`)",
            h.hook_id.as_deref().unwrap_or("?")
        ));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_deployment::{Hook, RollbackInfo};

    fn rev(weight: Option<f64>, test: Option<f64>, running: i32) -> Revision {
        Revision {
            arn: "arn:aws:ecs:us-east-1:123456789012:service-revision/shop/inv/1".into(),
            requested: 2,
            running,
            pending: 0,
            production_weight: weight,
            test_weight: test,
        }
    }

    fn dep(status: &str, stage: Option<&str>) -> Lifecycle {
        Lifecycle {
            arn: "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/inv/abc".into(),
            id: "abc".into(),
            status: status.into(),
            status_reason: None,
            stage: stage.map(str::to_string),
            strategy: Some("CANARY".into()),
            bake_minutes: Some(10),
            target: Some(rev(Some(10.0), Some(100.0), 1)),
            sources: vec![rev(Some(90.0), Some(0.0), 2)],
            circuit_breaker: Some(Monitor {
                status: Some("MONITORING".into()),
                failure_count: Some(1),
                threshold: Some(3),
                alarm_names: vec![],
                triggered_alarms: vec![],
            }),
            alarms: None,
            rollback: None,
            hooks: vec![],
            created_at: None,
            finished_at: None,
            created_epoch: None,
        }
    }

    #[test]
    fn stages_are_reached_in_order() {
        let at_test = dep("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"));
        assert!(WaitStage::ScaleUp.reached_by(&at_test));
        assert!(WaitStage::TestTrafficShift.reached_by(&at_test));
        assert!(!WaitStage::ProductionTrafficShift.reached_by(&at_test));
        assert!(!WaitStage::Steady.reached_by(&at_test));
        let done = dep("SUCCESSFUL", Some("CLEAN_UP"));
        assert!(WaitStage::Steady.reached_by(&done));
        // A rolling deployment reports no traffic stages: SUCCESSFUL is past them all.
        assert!(WaitStage::Bake.reached_by(&dep("SUCCESSFUL", None)));
        // A rollback in BAKE_TIME has not reached anything.
        assert!(!WaitStage::ScaleUp.reached_by(&dep("ROLLBACK_IN_PROGRESS", Some("BAKE_TIME"))));
    }

    #[test]
    fn progress_shows_stage_traffic_and_breaker() {
        let l = dep("IN_PROGRESS", Some("PRODUCTION_TRAFFIC_SHIFT"));
        let Verdict::Pending(text) = judge(&l, WaitStage::Bake) else {
            panic!("pending expected");
        };
        assert_eq!(
            text,
            "IN_PROGRESS · stage PRODUCTION_TRAFFIC_SHIFT · production 90% old / 10% new · \
             test 100% new · new tasks 1/2 · circuit breaker 1/3 failed tasks"
        );
    }

    #[test]
    fn alarm_rollback_names_the_alarm_and_reason() {
        let mut l = dep("ROLLBACK_SUCCESSFUL", Some("BAKE_TIME"));
        l.alarms = Some(Monitor {
            status: Some("TRIGGERED".into()),
            failure_count: None,
            threshold: None,
            alarm_names: vec!["shop-inventory-5xx".into(), "shop-inventory-p99".into()],
            triggered_alarms: vec!["shop-inventory-5xx".into()],
        });
        l.rollback = Some(RollbackInfo {
            reason: Some("Alarm shop-inventory-5xx triggered".into()),
            started_at: None,
            service_revision_arn: None,
        });
        assert_eq!(
            judge(&l, WaitStage::Steady),
            Verdict::RolledBack(
                "Alarm shop-inventory-5xx triggered; alarm in ALARM: shop-inventory-5xx".into()
            )
        );
    }

    #[test]
    fn circuit_breaker_and_failures() {
        let mut l = dep("ROLLBACK_IN_PROGRESS", Some("SCALE_UP"));
        l.circuit_breaker.as_mut().unwrap().status = Some("TRIGGERED".into());
        l.circuit_breaker.as_mut().unwrap().failure_count = Some(3);
        l.status_reason = Some("circuit breaker tripped".into());
        assert_eq!(
            judge(&l, WaitStage::TestTrafficShift),
            Verdict::RolledBack("circuit breaker tripped; circuit breaker 3/3 failed tasks".into())
        );
        assert!(matches!(
            judge(&dep("ROLLBACK_FAILED", None), WaitStage::Steady),
            Verdict::Failed(t) if t.starts_with("the rollback failed: ")
        ));
        assert!(matches!(
            judge(&dep("STOPPED", None), WaitStage::Steady),
            Verdict::Failed(t) if t.contains("stopped (STOPPED)")
        ));
    }

    #[test]
    fn a_paused_hook_is_shown() {
        let mut l = dep("IN_PROGRESS", Some("POST_TEST_TRAFFIC_SHIFT"));
        l.hooks.push(Hook {
            hook_id: Some("ecs-pause-1".into()),
            target_type: Some("PAUSE".into()),
            target_arn: None,
            status: Some("AWAITING_ACTION".into()),
            expires_at: None,
            timeout_action: Some("ROLLBACK".into()),
        });
        assert!(summary(&l).ends_with("paused at hook ecs-pause-1 (`infragen deploy continue`)"));
    }
}
