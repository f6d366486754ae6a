//! The human-readable `infragen status`: one summary table, then per
//! service its deployments, its service deployment and recent events.
use super::table::table;
use infragen_aws::ecs::{ClusterStatus, ServiceStatus};

/// The human-readable status: one summary table (with the service
/// deployment's status and stage), then per service its deployments, its
/// service deployment and recent events.
pub fn render_status(status: &ClusterStatus) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "cluster {} ({})\n\n",
        status.cluster, status.region
    ));
    if status.services.is_empty() {
        out.push_str("no services\n");
    } else {
        let rows: Vec<Vec<String>> = status
            .services
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.status.clone(),
                    s.desired.to_string(),
                    s.running.to_string(),
                    s.pending.to_string(),
                    s.task_definition.clone(),
                    s.rollout_state.clone().unwrap_or_else(|| "-".into()),
                    s.deployments.len().to_string(),
                    s.lifecycle
                        .as_ref()
                        .map(|l| format!("{} {}", l.status, l.stage.as_deref().unwrap_or("-")))
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "SERVICE",
                "STATUS",
                "DESIRED",
                "RUNNING",
                "PENDING",
                "TASK DEFINITION",
                "ROLLOUT",
                "DEPLOYMENTS",
                "LIFECYCLE",
            ],
            &rows,
        ));
        for s in &status.services {
            out.push_str(&render_service_detail(s));
        }
    }
    for m in &status.missing {
        out.push_str(&format!(
            "\nwarning: service `{m}` from the outputs does not exist in the cluster\n"
        ));
    }
    out
}

fn render_service_detail(s: &ServiceStatus) -> String {
    let mut out = format!("\n{}\n", s.name);
    let rows: Vec<Vec<String>> = s
        .deployments
        .iter()
        .map(|d| {
            vec![
                format!("  {}", d.id),
                d.status.clone(),
                d.task_definition.clone(),
                format!("{}/{}", d.running, d.desired),
                d.pending.to_string(),
                d.failed_tasks.to_string(),
                d.rollout_state.clone().unwrap_or_else(|| "-".into()),
                d.created_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "  DEPLOYMENT",
            "STATUS",
            "TASK DEFINITION",
            "RUNNING",
            "PENDING",
            "FAILED",
            "ROLLOUT",
            "CREATED",
        ],
        &rows,
    ));
    for d in &s.deployments {
        if let (Some(state), Some(reason)) = (&d.rollout_state, &d.rollout_state_reason)
            && state == "FAILED"
        {
            out.push_str(&format!("  {}: {reason}\n", d.id));
        }
    }
    out.push_str(&super::lifecycle_view::render(s));
    if !s.events.is_empty() {
        out.push_str("  events (newest first):\n");
        for e in &s.events {
            out.push_str(&format!(
                "    {}  {}\n",
                e.at.as_deref().unwrap_or(""),
                e.message
            ));
        }
    }
    out
}
