//! `[[slo]]`: the service it measures (an ALB target), the objective, the
//! window and the SLI; then the burn-rate alarms it becomes, with their
//! names, each checked against CloudWatch's limits.
use super::fields::{closest, ranged};
use crate::diagnostics::{Kind, Problems};
use crate::model::slo::{
    AlarmShape, BURN_PAIRS, BurnAlarm, BurnComposite, FASTEST_BURN, Sli, Slo, budget, window_name,
};
use crate::model::{Project, Service};
use crate::parse::raw::{RawSli, RawSlo, RawTopology};
use std::collections::BTreeMap;

/// SLO windows CloudWatch budgets are reckoned over, days.
pub const WINDOW_DAYS: [i64; 2] = [28, 30];

pub(super) fn slos(
    raw: &RawTopology,
    project: &Project,
    services: &[Service],
    p: &mut Problems,
) -> Vec<Slo> {
    let mut first_seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, s) in raw.slos.iter().enumerate() {
        let at = |f: &str| format!("slo[{i}].{f}");
        service_reference(s, services, &at("service"), p);
        let key = (s.service.as_str(), s.sli.name());
        match first_seen.get(&key) {
            Some(first) => p.push(
                Kind::Duplicate,
                at("sli"),
                format!(
                    "slo[{first}] already sets the {} objective of `{}`",
                    s.sli.name(),
                    s.service
                ),
                "one SLO per service and SLI: remove one, or change its `sli`",
            ),
            None => {
                first_seen.insert(key, i);
            }
        }
        out.push(slo(s, project, &at, p));
    }
    out
}

fn slo(s: &RawSlo, project: &Project, at: &dyn Fn(&str) -> String, p: &mut Problems) -> Slo {
    objective(s.objective, &at("objective"), p);
    let window_days = s.window_days.unwrap_or(30);
    if !WINDOW_DAYS.contains(&window_days) {
        p.invalid(
            at("window_days"),
            format!("{window_days} days is not an SLO window infragen alerts on"),
            "use 28 (four whole weeks) or 30: the burn-rate pairs are the SRE workbook's for these windows",
        );
    }
    let sli = sli(s, at, p);
    let min_requests = ranged(
        p,
        &at("min_requests"),
        s.min_requests,
        50,
        1,
        1_000_000,
        "requests a window must hold before it is judged, 1–1000000",
    );
    let base = format!("{}-{}-slo-{}", project.prefix, s.service, sli.name());
    let (alarms, composites) = burn_alarms(&base, s.objective);
    for alarm in &alarms {
        if let Some(why) = alarm.shape.limit_problem() {
            p.invalid(
                at("sli"),
                format!("the {} window alarm cannot be created: {why}", alarm.window),
                "this is a defect of infragen's burn-rate table; please report it",
            );
        }
    }
    // The short window of the fastest pair: it reacts within minutes.
    let deployment_gate = BURN_PAIRS
        .iter()
        .find(|pair| pair.factor == FASTEST_BURN)
        .and_then(|pair| {
            alarms
                .iter()
                .find(|a| a.severity == pair.severity && a.window_minutes == pair.short_minutes)
        })
        .map(|a| a.name.clone())
        .unwrap_or_default();
    Slo {
        service: s.service.clone(),
        sli,
        objective: s.objective,
        window_days: window_days.clamp(1, 365) as u32,
        min_requests,
        alarms,
        composites,
        deployment_gate,
    }
}

/// Above 0, below 100, at most three decimals, and a budget small enough
/// for the fast page to be reachable.
fn objective(objective: f64, path: &str, p: &mut Problems) {
    if !(objective > 0.0 && objective < 100.0) {
        p.invalid(
            path,
            format!("{objective} is not a percentage strictly between 0 and 100"),
            "e.g. 99.9 (a 0.1 % error budget); 100 leaves no budget to alert on",
        );
    } else if ((objective * 1000.0).round() - objective * 1000.0).abs() > 1e-6 {
        p.invalid(
            path,
            format!("{objective} has more than three decimals"),
            "use at most three decimals, e.g. 99.95 or 99.999",
        );
    } else if budget(objective) * FASTEST_BURN > 1.0 {
        p.invalid(
            path,
            format!(
                "an objective of {objective} % leaves a {:.1} % budget: a {FASTEST_BURN}× burn would need more than 100 % errors, so the fast-burn page could never fire",
                100.0 - objective
            ),
            "use an objective of at least 93.056 (a budget of at most 100 / 14.4 ≈ 6.94 %)",
        );
    }
}

fn sli(s: &RawSlo, at: &dyn Fn(&str) -> String, p: &mut Problems) -> Sli {
    match (s.sli, s.latency_ms) {
        (RawSli::Availability, None) => Sli::Availability,
        (RawSli::Availability, Some(_)) => {
            p.invalid(
                at("latency_ms"),
                "`latency_ms` only applies to `sli = \"latency\"`",
                "remove it, or set `sli = \"latency\"`",
            );
            Sli::Availability
        }
        (RawSli::Latency, None) => {
            p.push(
                Kind::Invalid,
                at("sli"),
                "a latency SLO needs `latency_ms`",
                "add e.g. `latency_ms = 300`: requests answered within it are good",
            );
            Sli::Latency { threshold_ms: 1 }
        }
        (RawSli::Latency, Some(ms)) => Sli::Latency {
            threshold_ms: ranged(
                p,
                &at("latency_ms"),
                Some(ms),
                ms,
                1,
                600_000,
                "a positive threshold in milliseconds, at most 600000",
            ),
        },
    }
}

fn service_reference(s: &RawSlo, services: &[Service], path: &str, p: &mut Problems) {
    match services.iter().find(|x| x.name == s.service) {
        None => p.push(
            Kind::Reference,
            path,
            format!("no service is named `{}`", s.service),
            closest(&s.service, services.iter().map(|x| x.name.as_str())),
        ),
        Some(service) if !service.load_balanced() => p.invalid(
            path,
            format!(
                "service `{}` is not behind the ALB, so it has no request metrics to measure",
                s.service
            ),
            "SLOs measure ALB target groups: give the service `routes`, a caller, or `internal = true`",
        ),
        Some(_) => {}
    }
}

/// Every window alarm of [`BURN_PAIRS`] and the page and ticket composites.
fn burn_alarms(base: &str, objective: f64) -> (Vec<BurnAlarm>, Vec<BurnComposite>) {
    let budget = budget(objective);
    let mut alarms = Vec::new();
    let mut composites: Vec<BurnComposite> = Vec::new();
    for pair in BURN_PAIRS {
        let mut names = Vec::new();
        for minutes in [pair.long_minutes, pair.short_minutes] {
            let window = window_name(minutes);
            let name = format!("{base}-{}-{window}", pair.severity.name());
            names.push(name.clone());
            alarms.push(BurnAlarm {
                name,
                severity: pair.severity,
                window,
                window_minutes: minutes,
                factor: pair.factor,
                threshold: (pair.factor * budget * 1e9).round() / 1e9,
                shape: AlarmShape::for_window(minutes),
            });
        }
        let pair_names = [names[0].clone(), names[1].clone()];
        match composites.iter_mut().find(|c| c.severity == pair.severity) {
            Some(c) => c.pairs.push(pair_names),
            None => composites.push(BurnComposite {
                name: format!("{base}-{}", pair.severity.name()),
                severity: pair.severity,
                pairs: vec![pair_names],
            }),
        }
    }
    (alarms, composites)
}
