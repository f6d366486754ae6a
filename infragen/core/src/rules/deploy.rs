//! `[service.deploy]`: the strategy and its settings against the ECS API's
//! ranges, the smoke-test paths, the rollback alarms; then, once exposure is
//! final, what a traffic-shifting strategy needs (an ALB target, one
//! production listener, a rollback alarm; the alternate target group's name
//! is checked with every other name in `names.rs`).
use super::fields::ranged;
use crate::diagnostics::{Kind, Problems};
use crate::model::{
    AlarmKind, AwsNames, DEPLOY_HOOK_IMAGE, Deploy, DeployHook, Deployment, Exposure, Percent,
    Project, Purpose, Service, ServiceAlarm,
};
use crate::parse::raw::{RawDeploy, RawService, RawTopology, Strategy};

/// ECS limits: minutes are 0–1440; percents multiples of 0.1 up to 100.
const MAX_MINUTES: i64 = 1440;
/// At most this many smoke paths (the hook's time budget).
const MAX_SMOKE_PATHS: usize = 10;

/// The deployment of a service as written; rollback alarms are resolved by
/// [`finish`] once the service's exposure (and so its alarms) is known.
pub(super) fn deployment(
    s: &RawService,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> Deployment {
    let d = s.deploy.clone().unwrap_or_default();
    let at = |f: &str| at(&format!("deploy.{f}"));
    let strategy = strategy(&d, &at, p);
    let smoke_paths = d.smoke_paths.clone().unwrap_or_default();
    if d.smoke_paths.is_some() {
        smoke(&smoke_paths, &strategy, &at, p);
    }
    Deployment {
        strategy,
        smoke_paths,
        rollback_alarms: Vec::new(),
    }
}

/// The strategy and exactly its settings; a setting of another strategy is an error.
fn strategy(d: &RawDeploy, at: &dyn Fn(&str) -> String, p: &mut Problems) -> Deploy {
    let kind = d.strategy.unwrap_or(Strategy::Rolling);
    foreign_settings(d, kind, at, p);
    let minutes = |p: &mut Problems, key: &str, v: Option<i64>, default: i64| {
        ranged(
            p,
            &at(key),
            v,
            default,
            0,
            MAX_MINUTES,
            "ECS takes 0–1440 minutes (24 hours)",
        )
    };
    match kind {
        Strategy::Rolling => Deploy::Rolling,
        Strategy::BlueGreen => {
            if d.bake_minutes.is_none() {
                p.invalid(
                    at("strategy"),
                    "blue_green needs `bake_minutes`: how long the old revision stays ready for an instant rollback",
                    "add `bake_minutes = 15` (0–1440) to [service.deploy]",
                );
            }
            Deploy::BlueGreen {
                bake_minutes: minutes(p, "bake_minutes", d.bake_minutes, 0),
            }
        }
        Strategy::Linear => Deploy::Linear {
            step_percent: percent(
                p,
                &at("linear_step_percent"),
                d.linear_step_percent,
                100,
                30,
            ),
            step_bake_minutes: minutes(
                p,
                "linear_step_bake_minutes",
                d.linear_step_bake_minutes,
                6,
            ),
            bake_minutes: minutes(p, "bake_minutes", d.bake_minutes, 10),
        },
        Strategy::Canary => Deploy::Canary {
            percent: percent(p, &at("canary_percent"), d.canary_percent, 50, 1),
            canary_bake_minutes: minutes(p, "canary_bake_minutes", d.canary_bake_minutes, 10),
            bake_minutes: minutes(p, "bake_minutes", d.bake_minutes, 10),
        },
    }
}

/// A setting that belongs to another strategy than `kind` has no effect: an error.
fn foreign_settings(d: &RawDeploy, kind: Strategy, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    let name = kind_name(kind);
    let foreign: [(&str, bool, &[Strategy]); 5] = [
        (
            "bake_minutes",
            d.bake_minutes.is_some(),
            &[Strategy::BlueGreen, Strategy::Linear, Strategy::Canary],
        ),
        (
            "canary_percent",
            d.canary_percent.is_some(),
            &[Strategy::Canary],
        ),
        (
            "canary_bake_minutes",
            d.canary_bake_minutes.is_some(),
            &[Strategy::Canary],
        ),
        (
            "linear_step_percent",
            d.linear_step_percent.is_some(),
            &[Strategy::Linear],
        ),
        (
            "linear_step_bake_minutes",
            d.linear_step_bake_minutes.is_some(),
            &[Strategy::Linear],
        ),
    ];
    for (key, set, allowed) in foreign {
        if set && !allowed.contains(&kind) {
            let owners: Vec<&str> = allowed.iter().map(|k| kind_name(*k)).collect();
            p.key(
                Kind::Invalid,
                at(key),
                format!("`{key}` has no effect with strategy = \"{name}\""),
                format!("remove it, or use strategy = \"{}\"", owners.join("\", \"")),
            );
        }
    }
}

fn kind_name(kind: Strategy) -> &'static str {
    match kind {
        Strategy::Rolling => "rolling",
        Strategy::BlueGreen => "blue_green",
        Strategy::Linear => "linear",
        Strategy::Canary => "canary",
    }
}

/// A percent in tenths (`default` and `lo` too): a multiple of 0.1 in `lo`–100.
fn percent(p: &mut Problems, path: &str, value: Option<f64>, default: u32, lo: u32) -> Percent {
    let Some(v) = value else {
        return Percent(default);
    };
    let tenths = v * 10.0;
    let lo_text = Percent(lo).to_string();
    if !v.is_finite() || tenths < f64::from(lo) - 1e-9 || tenths > 1000.0 + 1e-9 {
        p.invalid(
            path,
            format!("{v} is out of range {lo_text}–100"),
            format!("ECS takes a percentage from {lo_text} to 100.0"),
        );
    } else if (tenths - tenths.round()).abs() > 1e-6 {
        p.invalid(
            path,
            format!("{v} is not a multiple of 0.1"),
            format!("ECS takes percentages in steps of 0.1, e.g. {:.1}", v),
        );
    }
    Percent(tenths.round().clamp(f64::from(lo), 1000.0) as u32)
}

/// Smoke paths: absolute HTTP paths, 1–10 of them, with a strategy that has a test stage.
fn smoke(paths: &[String], strategy: &Deploy, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    if !strategy.shifts_traffic() {
        p.key(
            Kind::Invalid,
            at("smoke_paths"),
            "a smoke test runs at the test-traffic stage, which rolling deployments do not have",
            "use strategy = \"blue_green\", \"linear\" or \"canary\", or remove `smoke_paths`",
        );
    }
    if paths.is_empty() || paths.len() > MAX_SMOKE_PATHS {
        p.invalid(
            at("smoke_paths"),
            format!("{} smoke paths; the hook takes 1–{MAX_SMOKE_PATHS}", paths.len()),
            "list the readiness path and one real read, e.g. [\"/readyz\", \"/api/movies?limit=1\"]",
        );
    }
    for (j, path) in paths.iter().enumerate() {
        if !path.starts_with('/') || path.len() > 1024 || path.contains(char::is_whitespace) {
            p.invalid(
                at(&format!("smoke_paths[{j}]")),
                format!("`{path}` is not an HTTP path"),
                "use an absolute path with an optional query, e.g. /api/movies?limit=1",
            );
        }
    }
}

/// Once exposure is final: each service's alarms, its rollback alarms (the
/// ones asked for, or all it has), and what traffic shifting needs.
pub(super) fn finish(
    raw: &RawTopology,
    services: &mut [Service],
    names: &AwsNames,
    p: &mut Problems,
) {
    for (i, (s, r)) in services.iter_mut().zip(&raw.services).enumerate() {
        let at = |f: &str| format!("service[{i}].deploy.{f}");
        s.alarms = AlarmKind::ALL
            .into_iter()
            .filter(|k| s.load_balanced() || !k.needs_load_balancer())
            .map(|kind| ServiceAlarm {
                kind,
                name: names.service(&s.name, kind.purpose()).into(),
            })
            .collect();
        let asked = r.deploy.as_ref().and_then(|d| d.rollback_alarms.clone());
        if let Some(kinds) = &asked {
            rollback_kinds(kinds, s, &at, p);
        }
        let kinds = asked.unwrap_or_else(|| s.alarms.iter().map(|a| a.kind).collect());
        s.deployment.rollback_alarms = s
            .alarms
            .iter()
            .filter(|a| kinds.contains(&a.kind))
            .cloned()
            .collect();
        if s.deployment.strategy.shifts_traffic() {
            traffic_shifting(s, &at, p);
        }
    }
}

/// Rollback alarms asked for: each once, each one the service has.
fn rollback_kinds(kinds: &[AlarmKind], s: &Service, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    for (j, kind) in kinds.iter().enumerate() {
        let path = at(&format!("rollback_alarms[{j}]"));
        if kinds[..j].contains(kind) {
            p.push(
                Kind::Duplicate,
                path,
                format!("`{}` is listed twice", kind.key()),
                "list each alarm once",
            );
        } else if kind.needs_load_balancer() && !s.load_balanced() {
            p.invalid(
                path,
                format!(
                    "`{}` watches the ALB target group, and this service has none",
                    kind.key()
                ),
                "a worker has only the `cpu` alarm",
            );
        }
    }
}

/// A traffic-shifting strategy: an ALB target reached through one listener
/// rule, a rollback alarm, and room for the alternate target group's name.
fn traffic_shifting(s: &Service, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    let name = s.deployment.strategy.name();
    if s.exposure == Exposure::None {
        p.invalid(
            at("strategy"),
            format!("{name} shifts ALB traffic between two target groups, and this service has no load balancer"),
            "give the service `routes`, callers or `internal = true`, or use strategy = \"rolling\"",
        );
        return;
    }
    if s.public() && !s.called_by.is_empty() {
        p.invalid(
            at("strategy"),
            format!(
                "{name} shifts one production listener rule, and this service is reached through two (API routes and calls from {})",
                s.called_by.join(", ")
            ),
            "use strategy = \"rolling\" for a service that is both public and called by other services",
        );
    }
    if s.deployment.rollback_alarms.is_empty() {
        p.invalid(
            at("rollback_alarms"),
            format!(
                "{name} without a rollback alarm would shift all traffic to a failing revision"
            ),
            "list at least one of \"5xx\", \"latency_p99\", \"unhealthy_targets\", \"cpu\"",
        );
    }
}

/// The smoke-test Lambda, when some service runs it.
pub(super) fn hook(
    project: &Project,
    services: &[Service],
    names: &AwsNames,
) -> Option<DeployHook> {
    services
        .iter()
        .any(Service::smoke_tested)
        .then(|| DeployHook {
            log_group: names.stage(Purpose::DeployHookLogGroup).into(),
            function_name: names.stage(Purpose::DeployHookRole).into(),
            ecr_repository: format!("{}/{DEPLOY_HOOK_IMAGE}", project.prefix),
            image_tag: env!("CARGO_PKG_VERSION").to_string(),
            timeout_ms: HOOK_TIMEOUT_MS,
        })
}

/// Milliseconds the hook waits for each smoke request.
const HOOK_TIMEOUT_MS: u32 = 2000;
