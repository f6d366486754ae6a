//! `[[slo]]` and `[operations.alarms]`: the alarms an SLO becomes, and each rule.
use super::{BASE, fails, passes};
use crate::model::Sli;
use crate::model::slo::Severity;

const SLO: &str =
    "[broker]\n\n[[slo]]\nservice = \"gateway\"\nsli = \"availability\"\nobjective = 99.9\n";

fn with_slo(extra: &str) -> String {
    format!("{SLO}{extra}")
}

#[test]
fn an_slo_becomes_the_workbook_pairs() {
    let m = passes("[broker]\n", SLO);
    let slo = &m.slos[0];
    assert_eq!(slo.window_days, 30);
    assert_eq!(slo.min_requests, 50);
    assert_eq!(slo.budget(), 0.001);
    let windows: Vec<(&str, &str, f64)> = slo
        .alarms
        .iter()
        .map(|a| (a.severity.name(), a.window.as_str(), a.threshold))
        .collect();
    assert_eq!(
        windows,
        [
            ("page", "1h", 0.0144),
            ("page", "5m", 0.0144),
            ("page", "6h", 0.006),
            ("page", "30m", 0.006),
            ("ticket", "1d", 0.003),
            ("ticket", "2h", 0.003),
            ("ticket", "3d", 0.001),
            ("ticket", "6h", 0.001),
        ]
    );
    assert_eq!(
        slo.alarms[0].name,
        "shop-prod-gateway-slo-availability-page-1h"
    );
    let page = &slo.composites[0];
    assert_eq!(page.severity, Severity::Page);
    assert_eq!(page.name, "shop-prod-gateway-slo-availability-page");
    assert_eq!(page.pairs.len(), 2);
    assert_eq!(slo.composites[1].severity, Severity::Ticket);
    // The fast page's short window gates deployments; services without SLOs have none.
    assert_eq!(
        m.deployment_alarm_names("gateway"),
        ["shop-prod-gateway-slo-availability-page-5m"]
    );
    assert!(m.deployment_alarm_names("billing").is_empty());
}

#[test]
fn a_latency_slo_has_its_threshold() {
    let m = passes(
        "[broker]\n",
        "[broker]\n\n[[slo]]\nservice = \"gateway\"\nsli = \"latency\"\nlatency_ms = 250\nobjective = 99\nwindow_days = 28\n",
    );
    assert_eq!(m.slos[0].sli, Sli::Latency { threshold_ms: 250 });
    assert_eq!(m.slos[0].window_days, 28);
}

#[test]
fn slo_rules() {
    let base = "[broker]\n";
    assert!(BASE.contains(base));
    fails(
        base,
        &with_slo("window_days = 31\n"),
        "slo[0].window_days",
        "not an SLO window",
    );
    fails(
        base,
        &SLO.replace("99.9", "0"),
        "slo[0].objective",
        "strictly between 0 and 100",
    );
    fails(
        base,
        &SLO.replace("99.9", "99.0001"),
        "slo[0].objective",
        "more than three decimals",
    );
    fails(
        base,
        &SLO.replace("99.9", "93"),
        "slo[0].objective",
        "could never fire",
    );
    fails(
        base,
        &SLO.replace("gateway", "billing"),
        "slo[0].service",
        "not behind the ALB",
    );
    fails(
        base,
        &SLO.replace("gateway", "gatewy"),
        "slo[0].service",
        "no service is named",
    );
    fails(
        base,
        &with_slo("min_requests = 0\n"),
        "slo[0].min_requests",
        "out of range",
    );
    fails(
        base,
        &with_slo("latency_ms = 200\n"),
        "slo[0].latency_ms",
        "only applies",
    );
    let latency = SLO.replace("availability", "latency");
    fails(base, &latency, "slo[0].sli", "needs `latency_ms`");
    fails(
        base,
        &format!("{latency}latency_ms = 0\n"),
        "slo[0].latency_ms",
        "out of range",
    );
    let twice =
        format!("{SLO}\n[[slo]]\nservice = \"gateway\"\nsli = \"availability\"\nobjective = 99\n");
    fails(
        base,
        &twice,
        "slo[1].sli",
        "already sets the availability objective",
    );
}

#[test]
fn alarm_settings_rules() {
    let base = "[broker]\n";
    let alarms = |body: &str| format!("[broker]\n\n[operations.alarms]\n{body}");
    let m = passes(
        base,
        &alarms(
            "error_rate_percent = 0.5\nperiod_minutes = 60\nevaluation_periods = 168\ndatapoints_to_alarm = 100\n",
        ),
    );
    assert_eq!(m.operations.alarms.shape.period, 3600);
    assert_eq!(m.operations.alarms.error_rate_percent, 0.5);
    fails(
        base,
        &alarms("error_rate_percent = 0\n"),
        "operations.alarms.error_rate_percent",
        "above 0",
    );
    fails(
        base,
        &alarms("error_rate_percent = 1.005\n"),
        "operations.alarms.error_rate_percent",
        "two decimals",
    );
    fails(
        base,
        &alarms("evaluation_periods = 289\n"),
        "operations.alarms.evaluation_periods",
        "one-day limit",
    );
    fails(
        base,
        &alarms("period_minutes = 60\nevaluation_periods = 169\n"),
        "operations.alarms.evaluation_periods",
        "seven-day limit",
    );
    fails(
        base,
        &alarms("evaluation_periods = 2\ndatapoints_to_alarm = 3\n"),
        "operations.alarms.datapoints_to_alarm",
        "not between 1",
    );
    fails(
        base,
        &alarms("latency_p99_ms = 0\n"),
        "operations.alarms.latency_p99_ms",
        "out of range",
    );
}
