//! The fallback judgment of a rollout when the endpoint has no
//! ServiceDeployment API (local emulators): the rollout state and task counts
//! of the deployments `DescribeServices` lists. Only "steady or not" can be
//! told this way; lifecycle stages need `lifecycle`.
use crate::ecs::ServiceStatus;

/// How waiting for a deployment is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Steady state reached.
    Done,
    /// Still rolling out; the text describes the progress.
    Pending(String),
    /// Another revision took over (a rollback).
    RolledBack(String),
    /// The deployment failed without (yet) a rollback.
    Failed(String),
}

/// Judges a service against the deployment `deploy` started, from the
/// deployments `DescribeServices` lists (never from event text). Pure, so
/// the rollback rules are unit-tested.
pub fn assess(s: &ServiceStatus, deployment_id: Option<&str>, task_definition: &str) -> Verdict {
    let primary = s.primary();
    let ours = deployment_id
        .and_then(|id| s.deployments.iter().find(|d| d.id == id))
        .or_else(|| {
            s.deployments
                .iter()
                .find(|d| d.task_definition == task_definition && d.status == "PRIMARY")
        });

    let Some(ours) = ours else {
        let back_on = primary
            .map(|p| p.task_definition.clone())
            .unwrap_or_else(|| s.task_definition.clone());
        return Verdict::RolledBack(format!(
            "the deployment is gone; the service runs {back_on} again"
        ));
    };
    if ours.rollout_state.as_deref() == Some("FAILED") {
        let reason = ours
            .rollout_state_reason
            .clone()
            .unwrap_or_else(|| "no reason given".to_string());
        return if primary.is_some_and(|p| p.id != ours.id) {
            Verdict::RolledBack(reason)
        } else {
            Verdict::Failed(reason)
        };
    }
    if ours.status != "PRIMARY" {
        let back_on = primary
            .map(|p| p.task_definition.clone())
            .unwrap_or_default();
        return Verdict::RolledBack(format!(
            "deployment {} was replaced; the service runs {back_on}",
            ours.id
        ));
    }
    let rollout_done = ours
        .rollout_state
        .as_deref()
        .is_none_or(|r| r == "COMPLETED");
    if rollout_done
        && s.deployments.len() == 1
        && ours.running == ours.desired
        && s.running == s.desired
    {
        return Verdict::Done;
    }
    Verdict::Pending(format!(
        "running {}/{} · pending {} · rollout {}{}",
        ours.running,
        ours.desired,
        ours.pending,
        ours.rollout_state.as_deref().unwrap_or("-"),
        if s.deployments.len() > 1 {
            let n = s.deployments.len() - 1;
            format!(
                " · {n} older deployment{} draining",
                if n == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::{DeploymentStatus, EventInfo};

    fn dep(
        id: &str,
        status: &str,
        td: &str,
        running: i32,
        desired: i32,
        rollout: Option<&str>,
    ) -> DeploymentStatus {
        DeploymentStatus {
            id: id.into(),
            status: status.into(),
            task_definition: td.into(),
            revision: None,
            desired,
            running,
            pending: 0,
            failed_tasks: 0,
            rollout_state: rollout.map(str::to_string),
            rollout_state_reason: Some("tasks failed to start".into()),
            created_at: None,
            updated_at: None,
        }
    }

    fn svc(deployments: Vec<DeploymentStatus>, running: i32, events: &[&str]) -> ServiceStatus {
        ServiceStatus {
            name: "inv".into(),
            status: "ACTIVE".into(),
            desired: 2,
            running,
            pending: 0,
            task_definition: deployments[0].task_definition.clone(),
            task_definition_arn: String::new(),
            revision: None,
            rollout_state: None,
            deployments,
            events: events
                .iter()
                .map(|m| EventInfo {
                    id: None,
                    at: None,
                    message: m.to_string(),
                })
                .collect(),
            lifecycle: None,
            lifecycle_error: None,
        }
    }

    #[test]
    fn steady_state_needs_completed_rollout_and_all_tasks() {
        let done = svc(
            vec![dep("d2", "PRIMARY", "inv:2", 2, 2, Some("COMPLETED"))],
            2,
            &[],
        );
        assert_eq!(assess(&done, Some("d2"), "inv:2"), Verdict::Done);
        let rolling = svc(
            vec![
                dep("d2", "PRIMARY", "inv:2", 1, 2, Some("IN_PROGRESS")),
                dep("d1", "ACTIVE", "inv:1", 1, 0, Some("COMPLETED")),
            ],
            2,
            &[],
        );
        assert!(
            matches!(assess(&rolling, Some("d2"), "inv:2"), Verdict::Pending(t) if t.contains("running 1/2"))
        );
        let never_started = svc(vec![dep("d2", "PRIMARY", "inv:2", 0, 2, None)], 0, &[]);
        assert!(matches!(
            assess(&never_started, Some("d2"), "inv:2"),
            Verdict::Pending(_)
        ));
    }

    #[test]
    fn circuit_breaker_rollback_is_a_failure() {
        // Our deployment FAILED and an older revision is PRIMARY again.
        let rolled = svc(
            vec![
                dep("d3", "PRIMARY", "inv:1", 0, 2, Some("IN_PROGRESS")),
                dep("d2", "ACTIVE", "inv:2", 0, 0, Some("FAILED")),
            ],
            2,
            &[],
        );
        assert_eq!(
            assess(&rolled, Some("d2"), "inv:2"),
            Verdict::RolledBack("tasks failed to start".into())
        );
        // Our deployment disappeared.
        let gone = svc(
            vec![dep("d3", "PRIMARY", "inv:1", 2, 2, Some("COMPLETED"))],
            2,
            &[],
        );
        assert!(
            matches!(assess(&gone, Some("d2"), "inv:2"), Verdict::RolledBack(t) if t.contains("inv:1"))
        );
        // An event alone proves nothing: the deployment is still in progress.
        let by_event = svc(
            vec![dep("d2", "PRIMARY", "inv:2", 0, 2, Some("IN_PROGRESS"))],
            0,
            &[
                "(service inv) deployment ecs-svc/1 deployment failed: circuit breaker triggered, rolling back.",
            ],
        );
        assert!(matches!(
            assess(&by_event, Some("d2"), "inv:2"),
            Verdict::Pending(_)
        ));
        // FAILED while still primary: failure without rollback.
        let failed = svc(
            vec![dep("d2", "PRIMARY", "inv:2", 0, 2, Some("FAILED"))],
            0,
            &[],
        );
        assert!(matches!(
            assess(&failed, Some("d2"), "inv:2"),
            Verdict::Failed(_)
        ));
    }
}
