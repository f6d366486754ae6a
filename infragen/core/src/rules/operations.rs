//! `[operations]`: log retention, alarms, budget, dashboard and ECR.
use super::checks::email_ok;
use super::fields::{ranged, retention};
use crate::diagnostics::Problems;
use crate::model::{AlarmShape, Alarms, Ecr, Operations, Project};
use crate::parse::raw::{RawAlarms, RawTopology};

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
        alarms: alarms(&r.alarms, p),
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
            account_scanning: r.ecr.account_scanning.unwrap_or(false),
        },
    }
}

/// `[operations.alarms]`: the 5xx ratio, the traffic guard, the latency
/// threshold and an evaluation CloudWatch accepts.
fn alarms(r: &RawAlarms, p: &mut Problems) -> Alarms {
    let at = |f: &str| format!("operations.alarms.{f}");
    let error_rate_percent = error_rate_percent(r, &at("error_rate_percent"), p);
    let min_requests = ranged(
        p,
        &at("min_requests"),
        r.min_requests,
        20,
        1,
        1_000_000,
        "requests per period, 1–1000000",
    );
    let latency_p99_ms = ranged(
        p,
        &at("latency_p99_ms"),
        r.latency_p99_ms,
        1000,
        1,
        600_000,
        "milliseconds, 1–600000",
    );
    let period_minutes = ranged(
        p,
        &at("period_minutes"),
        r.period_minutes,
        5,
        1,
        1440,
        "minutes, 1–1440 (one day)",
    );
    let evaluation_periods = ranged(
        p,
        &at("evaluation_periods"),
        r.evaluation_periods,
        3,
        1,
        1440,
        "1–1440 periods",
    );
    let datapoints_to_alarm = r
        .datapoints_to_alarm
        .unwrap_or(i64::from(evaluation_periods));
    if datapoints_to_alarm < 1 || datapoints_to_alarm > i64::from(evaluation_periods) {
        p.invalid(
            at("datapoints_to_alarm"),
            format!("{datapoints_to_alarm} is not between 1 and evaluation_periods ({evaluation_periods})"),
            "an alarm fires on M breaching periods out of N: M must be 1–N",
        );
    }
    let shape = AlarmShape {
        period: period_minutes * 60,
        evaluation_periods,
        datapoints_to_alarm: datapoints_to_alarm.clamp(1, i64::from(evaluation_periods)) as u32,
    };
    if let Some(why) = shape.limit_problem() {
        p.invalid(
            at("evaluation_periods"),
            format!("CloudWatch would refuse these alarms: {why}"),
            "period × evaluation periods must be at most one day for periods under an hour, else at most seven days",
        );
    }
    Alarms {
        error_rate_percent: error_rate_percent.clamp(0.01, 100.0),
        min_requests,
        latency_p99_ms,
        shape,
    }
}

/// The 5xx share that fires the alarm: a percentage with at most two decimals.
fn error_rate_percent(r: &RawAlarms, at: &str, p: &mut Problems) -> f64 {
    let error_rate_percent = r.error_rate_percent.unwrap_or(5.0);
    if !(error_rate_percent > 0.0 && error_rate_percent <= 100.0) {
        p.invalid(
            at,
            format!("{error_rate_percent} is not a percentage above 0 and at most 100"),
            "e.g. 5: the alarm fires when more than 5 % of requests fail",
        );
    } else if ((error_rate_percent * 100.0).round() - error_rate_percent * 100.0).abs() > 1e-6 {
        p.invalid(
            at,
            format!("{error_rate_percent} has more than two decimals"),
            "use at most two decimals, e.g. 0.5 or 2.25",
        );
    }
    error_rate_percent
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
