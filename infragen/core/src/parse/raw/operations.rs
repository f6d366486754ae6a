//! `operations` and `[[slo]]`: logs, alarms, dashboard, budget, registry
//! and the service level objectives.
use schemars::JsonSchema;
use serde::Deserialize;

/// Operations: logs, alarms, dashboard, budget, registry.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawOperations {
    /// Retention of every CloudWatch log group, days (a value CloudWatch
    /// accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    /// 1096, 1827, 2192, 2557, 2922, 3288, 3653). Default: `365`.
    pub log_retention_days: Option<i64>,
    /// E-mail address (`name@domain.tld`) subscribed to the alarm SNS topic
    /// (confirmation required). Default: none (no subscription).
    pub alarm_email: Option<String>,
    /// Monthly AWS Budgets limit, whole USD (1–1000000). Default: `100`.
    pub monthly_budget_usd: Option<i64>,
    /// Golden-signals CloudWatch dashboard. Default: `true`.
    pub dashboard: Option<bool>,
    /// Thresholds and evaluation of the golden-signal alarms (5xx ratio,
    /// p99 latency).
    #[serde(default)]
    pub alarms: RawAlarms,
    /// ECR repositories.
    #[serde(default)]
    pub ecr: RawEcr,
}

/// ECR repository settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEcr {
    /// Basic scan on push. Default: `true`.
    pub scan_on_push: Option<bool>,
    /// Immutable image tags. Default: `true`.
    pub immutable_tags: Option<bool>,
    /// Lifecycle policy: keep the last N images (1–1000). Default: `20`.
    pub keep_last_images: Option<i64>,
    /// This stage owns the account's registry scanning in its region: the
    /// Amazon Inspector enabler for ECR and the registry scanning
    /// configuration (enhanced, continuous scanning of the project's
    /// repositories, `<project>-*`). Both are account-and-region
    /// singletons: set it in one stage per account and region (destroying
    /// that stage turns enhanced scanning off for every stage), and only in
    /// an account where nobody else manages registry scanning (enhanced
    /// scanning replaces basic scan-on-push for every repository of the
    /// registry; those matching no rule are no longer scanned). Default:
    /// `false` (each repository's basic `scan_on_push`).
    pub account_scanning: Option<bool>,
}

/// The golden-signal alarms: a 5xx *ratio* (not a count, so a busy service
/// and a quiet one are judged alike) and the p99 latency. Every alarm must
/// fit CloudWatch's limits: `period_minutes × evaluation_periods` at most one
/// day when the period is under an hour, else at most seven days.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAlarms {
    /// Share of requests answered 5xx above which the API's and each load
    /// balanced service's error alarm fires, percent (above 0, at most 100,
    /// at most two decimals). Default: `5.0`.
    pub error_rate_percent: Option<f64>,
    /// Requests a period must hold before the error ratio is judged (1–1000000):
    /// 1 failure in 3 requests pages nobody. Default: `20`.
    pub min_requests: Option<i64>,
    /// p99 target response time above which the latency alarm fires,
    /// milliseconds (1–600000). Default: `1000`.
    pub latency_p99_ms: Option<i64>,
    /// Length of one evaluated period, minutes (1–1440). Default: `5`.
    pub period_minutes: Option<i64>,
    /// Periods evaluated (1–1440, within CloudWatch's evaluation range).
    /// Default: `3`.
    pub evaluation_periods: Option<i64>,
    /// Breaching periods among `evaluation_periods` that raise the alarm
    /// (1–`evaluation_periods`). Default: `evaluation_periods`.
    pub datapoints_to_alarm: Option<i64>,
}

/// What an SLO measures (its service level indicator), on the service's ALB
/// target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawSli {
    /// Share of requests not answered 5xx by the service
    /// (`HTTPCode_Target_5XX_Count` / `RequestCount`).
    Availability,
    /// Share of requests answered within `latency_ms` (the bad ones:
    /// `TargetResponseTime` above the threshold, over all responses): with
    /// `objective = 99`, "p99 below `latency_ms`".
    Latency,
}

impl RawSli {
    /// As written in the topology.
    pub fn name(&self) -> &'static str {
        match self {
            RawSli::Availability => "availability",
            RawSli::Latency => "latency",
        }
    }
}

/// A service level objective.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSlo {
    /// Name of the `[[service]]` it measures; the service must be an ALB
    /// target (have `routes`, callers or `internal = true`). One SLO per
    /// service and `sli`.
    pub service: String,
    /// `availability` or `latency`.
    pub sli: RawSli,
    /// Target share of good requests, percent: above 0 and below 100, at
    /// most three decimals, e.g. `99.9`. At least 93.056 (a budget of at
    /// most 100 / 14.4 ≈ 6.94 %), or the fast-burn page could never fire.
    pub objective: f64,
    /// Rolling window of the SLO (and of its error budget), days: `28` or
    /// `30`. Default: `30`.
    pub window_days: Option<i64>,
    /// Latency threshold for `sli = "latency"`, milliseconds (1–600000);
    /// required there, not allowed for `availability`. Default: none.
    pub latency_ms: Option<i64>,
    /// Requests a burn-rate window must hold before it is judged
    /// (1–1000000), so that one failure among three requests pages nobody.
    /// Default: `50`.
    pub min_requests: Option<i64>,
}
