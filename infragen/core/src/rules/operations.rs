//! `[operations]`: log retention, alarms, budget, dashboard and ECR.
use super::checks::email_ok;
use super::fields::{ranged, retention};
use crate::diagnostics::Problems;
use crate::model::{Ecr, Operations, Project};
use crate::parse::raw::RawTopology;

pub(super) fn operations(raw: &RawTopology, p: &mut Problems) -> Operations {
    let r = &raw.operations;
    if let Some(email) = &r.alarm_email
        && !email_ok(email)
    {
        p.invalid(
            "operations.alarm_email",
            format!("`{email}` is not an e-mail address"),
            "use name@example.com",
        );
    }
    Operations {
        log_retention_days: retention(
            p,
            "operations.log_retention_days",
            r.log_retention_days,
            365,
        ),
        alarm_email: r.alarm_email.clone(),
        monthly_budget_usd: ranged(
            p,
            "operations.monthly_budget_usd",
            r.monthly_budget_usd,
            100,
            1,
            1_000_000,
            "a monthly budget in whole USD, above 0",
        ),
        dashboard: r.dashboard.unwrap_or(true),
        ecr: Ecr {
            scan_on_push: r.ecr.scan_on_push.unwrap_or(true),
            immutable_tags: r.ecr.immutable_tags.unwrap_or(true),
            keep_last_images: ranged(
                p,
                "operations.ecr.keep_last_images",
                r.ecr.keep_last_images,
                20,
                1,
                1000,
                "keep 1–1000 images",
            ),
            enhanced_scanning: r.ecr.enhanced_scanning.unwrap_or(true),
        },
    }
}

/// A production stage must reach someone: without a recipient its alarms
/// and budget alerts go nowhere.
pub(super) fn require_recipient(operations: &Operations, project: &Project, p: &mut Problems) {
    if project.is_production() && operations.alarm_email.is_none() {
        // At the environment: what makes the stage a production one (the
        // `[operations]` table may not exist).
        p.invalid(
            "project.environment",
            format!(
                "the production stage `{}` has no alarm recipient: its alarms and budget alerts would reach nobody",
                project.environment
            ),
            "set `operations.alarm_email` (an on-call address or a list that forwards to one)",
        );
    }
}
