//! The service deployment of one service as `infragen status` prints it:
//! strategy, lifecycle stage, traffic weights, rollback monitors, rollback
//! reason and lifecycle hooks.
use infragen_aws::ecs::ServiceStatus;
use infragen_aws::lifecycle::{breaker_count, traffic};
use infragen_aws::service_deployment::{Lifecycle, Monitor, is_active};

/// The lines under a service's deployments table (empty when ECS has no
/// service deployment for it).
pub fn render(s: &ServiceStatus) -> String {
    if let Some(err) = &s.lifecycle_error {
        return format!("  service deployment: unavailable ({err})\n");
    }
    let Some(l) = &s.lifecycle else {
        return String::new();
    };
    let mut rows: Vec<(&str, String)> = Vec::new();
    rows.push(("stage", stage_line(l)));
    if let Some(t) = traffic(l) {
        rows.push(("traffic", t));
    }
    if let Some(t) = &l.target {
        rows.push((
            "new revision",
            format!(
                "{}/{} running, {} pending",
                t.running, t.requested, t.pending
            ),
        ));
    }
    if let Some(cb) = &l.circuit_breaker {
        rows.push(("circuit breaker", monitor_line(cb, Some(breaker_count(cb)))));
    }
    if let Some(a) = &l.alarms {
        let watched = if a.alarm_names.is_empty() {
            None
        } else {
            Some(a.alarm_names.join(", "))
        };
        rows.push(("alarms", monitor_line(a, watched)));
        if !a.triggered_alarms.is_empty() {
            rows.push(("in ALARM", a.triggered_alarms.join(", ")));
        }
    }
    if let Some(reason) = l.rollback.as_ref().and_then(|r| r.reason.clone()) {
        rows.push(("rollback reason", reason));
    } else if let Some(reason) = &l.status_reason
        && !is_active(&l.status)
        && l.status != "SUCCESSFUL"
    {
        rows.push(("reason", reason.clone()));
    }
    for h in &l.hooks {
        rows.push(("hook", hook_line(h, &s.name)));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!("  service deployment {}: {}\n", l.id, l.status);
    for (k, v) in rows {
        out.push_str(&format!("    {k:<width$}  {v}\n"));
    }
    out
}

fn stage_line(l: &Lifecycle) -> String {
    let mut text = l.stage.clone().unwrap_or_else(|| "-".into());
    let mut how: Vec<String> = l.strategy.iter().cloned().collect();
    if let Some(b) = l.bake_minutes {
        how.push(format!("bake {b} min"));
    }
    if !how.is_empty() {
        text.push_str(&format!(" ({})", how.join(", ")));
    }
    text
}

fn monitor_line(m: &Monitor, detail: Option<String>) -> String {
    let status = m.status.clone().unwrap_or_else(|| "-".into());
    match detail {
        Some(d) => format!("{d} ({status})"),
        None => status,
    }
}

fn hook_line(h: &infragen_aws::service_deployment::Hook, service: &str) -> String {
    let mut text = format!(
        "{} {} {}",
        h.target_type.as_deref().unwrap_or("-"),
        h.hook_id.as_deref().unwrap_or("-"),
        h.status.as_deref().unwrap_or("-")
    );
    if h.status.as_deref() == Some("AWAITING_ACTION") {
        if let Some(at) = &h.expires_at {
            text.push_str(&format!(
                " until {at}, then {}",
                h.timeout_action.as_deref().unwrap_or("?")
            ));
        }
        text.push_str(&format!(
            "; `infragen deploy continue --service {service}` or `infragen deploy rollback --service {service}`"
        ));
    }
    text
}
