//! The SLOs as `modules/observability` takes them: one entry per burn-rate
//! window alarm, per page/ticket composite and per error-budget dashboard
//! row, with the ALB metrics each SLI reads.
use crate::model::slo::{BURN_PAIRS, BurnComposite, Slo, window_name};
use crate::model::{Model, Sli};
use serde::Serialize;

/// The ALB target-group metrics of an SLI: bad events over all events.
#[derive(Debug, Clone, Serialize)]
pub struct SliMetrics {
    pub bad_metric: &'static str,
    pub bad_stat: String,
    pub total_metric: &'static str,
    pub total_stat: &'static str,
}

/// One burn-rate window alarm.
#[derive(Debug, Clone, Serialize)]
pub struct SloWindowAlarm {
    pub alarm_name: String,
    pub description: String,
    /// Key of the service's target group.
    pub service: String,
    #[serde(flatten)]
    pub metrics: SliMetrics,
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    /// Error ratio.
    pub threshold: f64,
    pub min_requests: u32,
    /// The alarm gates the service's deployments.
    pub deployment_gate: bool,
}

/// A page or ticket composite.
#[derive(Debug, Clone, Serialize)]
pub struct SloComposite {
    pub alarm_name: String,
    pub description: String,
    /// `(ALARM("long") AND ALARM("short")) OR (…)`.
    pub alarm_rule: String,
}

/// A burn-rate factor drawn on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct BurnLine {
    pub value: f64,
    pub label: String,
}

/// The error-budget widgets of one SLO.
#[derive(Debug, Clone, Serialize)]
pub struct SloBudget {
    pub title: String,
    pub service: String,
    #[serde(flatten)]
    pub metrics: SliMetrics,
    /// Error budget, ratio.
    pub budget: f64,
    pub window_days: u32,
    pub burn_lines: Vec<BurnLine>,
}

/// `key = value` of a Terraform map.
#[derive(Debug, Clone, Serialize)]
pub struct Keyed<T> {
    pub key: String,
    pub value: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct SloCall {
    pub windows: Vec<Keyed<SloWindowAlarm>>,
    pub composites: Vec<Keyed<SloComposite>>,
    pub budgets: Vec<Keyed<SloBudget>>,
}

pub(super) fn slo_call(model: &Model) -> SloCall {
    let mut call = SloCall {
        windows: Vec::new(),
        composites: Vec::new(),
        budgets: Vec::new(),
    };
    for slo in &model.slos {
        let metrics = sli_metrics(&slo.sli);
        for alarm in &slo.alarms {
            call.windows.push(Keyed {
                key: format!("{}-{}-{}", slo.key(), alarm.severity.name(), alarm.window),
                value: SloWindowAlarm {
                    alarm_name: alarm.name.clone(),
                    description: format!(
                        "{} {} SLO {} %: error ratio over {} above {}x the error budget (one window of the {})",
                        slo.service,
                        slo.sli.name(),
                        slo.objective,
                        alarm.window,
                        alarm.factor,
                        alarm.severity.name()
                    ),
                    service: slo.service.clone(),
                    metrics: metrics.clone(),
                    period: alarm.shape.period,
                    evaluation_periods: alarm.shape.evaluation_periods,
                    datapoints_to_alarm: alarm.shape.datapoints_to_alarm,
                    threshold: alarm.threshold,
                    min_requests: slo.min_requests,
                    deployment_gate: alarm.name == slo.deployment_gate,
                },
            });
        }
        for composite in &slo.composites {
            call.composites.push(Keyed {
                key: format!("{}-{}", slo.key(), composite.severity.name()),
                value: SloComposite {
                    alarm_name: composite.name.clone(),
                    description: composite_description(slo, composite),
                    alarm_rule: alarm_rule(composite),
                },
            });
        }
        call.budgets.push(Keyed {
            key: slo.key(),
            value: budget_widgets(slo, metrics),
        });
    }
    call
}

/// Availability: 5xx over requests. Latency: responses slower than the
/// threshold (trimmed count above it) over all responses.
fn sli_metrics(sli: &Sli) -> SliMetrics {
    match sli {
        Sli::Availability => SliMetrics {
            bad_metric: "HTTPCode_Target_5XX_Count",
            bad_stat: "Sum".into(),
            total_metric: "RequestCount",
            total_stat: "Sum",
        },
        Sli::Latency { threshold_ms } => SliMetrics {
            bad_metric: "TargetResponseTime",
            bad_stat: format!("TC({}:)", f64::from(*threshold_ms) / 1000.0),
            total_metric: "TargetResponseTime",
            total_stat: "SampleCount",
        },
    }
}

fn alarm_rule(composite: &BurnComposite) -> String {
    composite
        .pairs
        .iter()
        .map(|[long, short]| format!("(ALARM(\"{long}\") AND ALARM(\"{short}\"))"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn composite_description(slo: &Slo, composite: &BurnComposite) -> String {
    let what = match composite.severity {
        crate::model::Severity::Page => "page: the error budget is burning fast, act now",
        crate::model::Severity::Ticket => {
            "ticket: the error budget is burning slowly, act this week"
        }
    };
    format!(
        "{} {} SLO {} % over {} days, {what}",
        slo.service,
        slo.sli.name(),
        slo.objective,
        slo.window_days
    )
}

fn budget_widgets(slo: &Slo, metrics: SliMetrics) -> SloBudget {
    let title = match slo.sli {
        Sli::Availability => format!("{} availability {} %", slo.service, slo.objective),
        Sli::Latency { threshold_ms } => format!(
            "{} latency: {} % within {threshold_ms} ms",
            slo.service, slo.objective
        ),
    };
    SloBudget {
        title,
        service: slo.service.clone(),
        metrics,
        budget: slo.budget(),
        window_days: slo.window_days,
        burn_lines: BURN_PAIRS
            .iter()
            .map(|pair| BurnLine {
                value: pair.factor,
                label: format!(
                    "{} ({} / {})",
                    pair.severity.name(),
                    window_name(pair.long_minutes),
                    window_name(pair.short_minutes)
                ),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_slos_become_windows_composites_and_budgets() {
        let model = crate::load_default().unwrap();
        let call = slo_call(&model);
        assert_eq!(call.windows.len(), 16);
        let gates: Vec<&str> = call
            .windows
            .iter()
            .filter(|w| w.value.deployment_gate)
            .map(|w| w.value.alarm_name.as_str())
            .collect();
        assert_eq!(gates, model.deployment_alarm_names("api-gateway"));
        assert!(gates.iter().all(|g| g.ends_with("-page-5m")), "{gates:?}");
        let latency = call
            .windows
            .iter()
            .find(|w| w.key == "api-gateway-latency-page-5m")
            .unwrap();
        assert_eq!(latency.value.metrics.bad_stat, "TC(0.3:)");
        assert_eq!(latency.value.metrics.total_stat, "SampleCount");
        assert_eq!(latency.value.threshold, 0.144);
        let page = &call.composites[0].value;
        assert_eq!(
            page.alarm_rule,
            "(ALARM(\"crud-master-prod-api-gateway-slo-availability-page-1h\") AND ALARM(\"crud-master-prod-api-gateway-slo-availability-page-5m\")) OR (ALARM(\"crud-master-prod-api-gateway-slo-availability-page-6h\") AND ALARM(\"crud-master-prod-api-gateway-slo-availability-page-30m\"))"
        );
        assert_eq!(call.budgets.len(), 2);
        assert_eq!(call.budgets[0].value.budget, 0.001);
        assert_eq!(call.budgets[0].value.burn_lines.len(), 4);
    }
}
