//! `[[service]]`: image, task size, health, variables, references to the
//! database and broker, routes and exposure; then who calls whom, and what
//! load balancing needs. Scaling is in [`super::scaling`].
use super::checks::{env_name_ok, fargate_memory_hint, fargate_memory_options, route_problem};
use super::deploy::deployment;
use super::fields::{UniqueNames, closest, dns_name, ranged};
use super::scaling::{desired, scaling};
use super::secrets::secret_reference;
use crate::diagnostics::{Kind, Problems, key_segment};
use crate::model::{
    Broker, Cluster, ContainerInsights, Database, Exposure, Project, Service, ServiceNames,
};
use crate::parse::raw::{Architecture, RawService, RawTopology};
use std::collections::BTreeMap;

/// What a service's rules look up in the rest of the topology.
struct Context<'a> {
    /// Every service name, in file order.
    names: Vec<&'a str>,
    project: &'a Project,
    cluster: &'a Cluster,
    databases: &'a [Database],
    broker: Option<&'a Broker>,
}

pub(super) fn services(
    raw: &RawTopology,
    project: &Project,
    cluster: &Cluster,
    databases: &[Database],
    broker: Option<&Broker>,
    p: &mut Problems,
) -> Vec<Service> {
    let context = Context {
        names: raw.services.iter().map(|s| s.name.as_str()).collect(),
        project,
        cluster,
        databases,
        broker,
    };
    let mut names = UniqueNames::default();
    let mut route_owner: BTreeMap<&str, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, s) in raw.services.iter().enumerate() {
        let at = |f: &str| format!("service[{i}].{f}");
        dns_name(p, &at("name"), "service name", &s.name, 32);
        names.check(p, "service", i, &s.name, &at("name"));
        for (j, r) in s.routes.iter().enumerate() {
            route(r, &at(&format!("routes[{j}]")), i, &mut route_owner, p);
        }
        out.push(service(s, &at, &context, p));
    }
    if raw.services.is_empty() {
        p.push(
            Kind::Type,
            "",
            "the topology has no `[[service]]`",
            "add at least one `[[service]]` table with a `name`",
        );
    }
    out
}

/// One service, checked; `at` makes the path of one of its fields.
fn service(
    s: &RawService,
    at: &dyn Fn(&str) -> String,
    context: &Context<'_>,
    p: &mut Problems,
) -> Service {
    let image = s.image.clone().unwrap_or_else(|| s.name.clone());
    if !ecr_name_ok(&image) {
        p.invalid(
            at("image"),
            format!("`{image}` is not an ECR repository name"),
            "2–256 lowercase letters, digits, and . _ - / separators",
        );
    }
    let image_tag = s.image_tag.clone().unwrap_or_else(|| "0.1.0".into());
    if !image_tag_ok(&image_tag) {
        p.invalid(
            at("image_tag"),
            format!("`{image_tag}` is not a valid image tag"),
            "up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
        );
    }
    let port = ranged(p, &at("port"), s.port, 8080, 1, 65535, "ports are 1–65535") as u16;
    let (cpu, memory) = task_size(s, at, p);
    let architecture = s.architecture.unwrap_or(Architecture::X86_64);
    if architecture == Architecture::Arm64 && context.cluster.capacity.fargate_spot_weight > 0 {
        p.invalid(
            at("architecture"),
            "Fargate Spot does not run ARM64 tasks, and the cluster places tasks on FARGATE_SPOT",
            "use `x86_64` for this service, or set `cluster.capacity.fargate_spot_weight = 0`",
        );
    }
    let health_path = health_path(s, at, p);
    let scaling = scaling(
        s,
        context.broker,
        context.cluster.container_insights != ContainerInsights::Disabled,
        at,
        p,
    );
    let desired = desired(s, &scaling, at, p);
    variables(s, &context.names, at, p);
    database_reference(s, context.databases, at, p);
    let broker = broker_reference(s, context.broker, at, p);
    let prefix = &context.project.prefix;
    let mut routes = s.routes.clone();
    routes.sort();
    Service {
        names: ServiceNames {
            ecr_repository: format!("{prefix}/{image}"),
        },
        name: s.name.clone(),
        image,
        image_tag,
        port,
        cpu,
        memory,
        architecture,
        desired,
        health_path,
        env: s.env.clone(),
        secrets: s
            .secrets
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), secret_reference(v).ok()?)))
            .collect(),
        database: s.database.clone(),
        broker,
        upstreams: s.upstreams.clone(),
        routes,
        exposure: exposure(s, at, p),
        called_by: Vec::new(),
        scaling,
        deployment: deployment(s, at, p),
        alarms: Vec::new(),
        pg_pool_size: None,
    }
}

fn ecr_name_ok(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn image_tag_ok(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// CPU units and memory (MiB, twice the CPU by default): a Fargate task size.
fn task_size(s: &RawService, at: &dyn Fn(&str) -> String, p: &mut Problems) -> (u32, u32) {
    let cpu = s.cpu.unwrap_or(256);
    let memory = s.memory.unwrap_or(cpu.clamp(256, 1 << 20) * 2);
    match fargate_memory_options(cpu) {
        None => p.invalid(
            at("cpu"),
            format!("{cpu} is not a Fargate CPU value"),
            "use 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 = 1 vCPU)",
        ),
        Some(options) if !options.contains(&memory) => p.invalid(
            if s.memory.is_some() {
                at("memory")
            } else {
                at("cpu")
            },
            format!("Fargate has no task size with cpu = {cpu} and memory = {memory}"),
            format!(
                "with cpu = {cpu}, memory must be {} (MiB)",
                fargate_memory_hint(cpu)
            ),
        ),
        Some(_) => {}
    }
    (
        cpu.clamp(0, u32::MAX as i64) as u32,
        memory.clamp(0, u32::MAX as i64) as u32,
    )
}

/// The readiness path the ALB and health checks use (`/readyz` by default).
fn health_path(s: &RawService, at: &dyn Fn(&str) -> String, p: &mut Problems) -> String {
    let health_path = s
        .health_path
        .clone()
        .unwrap_or_else(|| runtime_contract::probes::READINESS_PATH.into());
    if !health_path.starts_with('/')
        || health_path.len() > 1024
        || health_path.contains(char::is_whitespace)
    {
        p.invalid(
            at("health_path"),
            format!("`{health_path}` is not an HTTP path"),
            "use an absolute path such as /readyz",
        );
    }
    health_path
}

/// `env`, `secrets` and `upstreams`: variable names, each set once and not
/// by infragen; secret references; upstreams naming another service.
fn variables(s: &RawService, names: &[&str], at: &dyn Fn(&str) -> String, p: &mut Problems) {
    let mut var_origin: BTreeMap<&str, &str> = BTreeMap::new();
    for (kind, map) in [
        ("env", &s.env),
        ("secrets", &s.secrets),
        ("upstreams", &s.upstreams),
    ] {
        for (k, v) in map.iter() {
            let path = key_segment(&at(kind), k);
            if !env_name_ok(k) {
                p.key(
                    Kind::Invalid,
                    &path,
                    format!("`{k}` is not an environment variable name"),
                    "use letters, digits and underscores, not starting with a digit",
                );
            } else if runtime_contract::variables::is_reserved(k) {
                p.key(
                    Kind::Invalid,
                    &path,
                    format!("`{k}` is set by infragen (see docs/contracts.md)"),
                    "remove it: HTTP_*, PG* and AMQP_* come from `port`, `database` and `broker`",
                );
            } else if let Some(other) = var_origin.get(k.as_str()) {
                p.key(
                    Kind::Duplicate,
                    &path,
                    format!("`{k}` is also set in `{other}`"),
                    "set each variable in one place only",
                );
            }
            var_origin.entry(k).or_insert(kind);
            match kind {
                "secrets" => {
                    if let Err(e) = secret_reference(v) {
                        p.invalid(&path, e.message, e.hint);
                    }
                }
                "upstreams" => upstream(&path, &s.name, v, names, p),
                _ => {}
            }
        }
    }
}

/// An upstream: another service of the topology.
fn upstream(path: &str, service: &str, v: &str, names: &[&str], p: &mut Problems) {
    if v == service {
        p.push(
            Kind::Reference,
            path,
            format!("service `{service}` lists itself as an upstream"),
            "an upstream is another service",
        );
    } else if !names.contains(&v) {
        p.push(
            Kind::Reference,
            path,
            format!("no service is named `{v}`"),
            closest(v, names.iter().copied()),
        );
    }
}

fn database_reference(
    s: &RawService,
    databases: &[Database],
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) {
    if let Some(db) = &s.database
        && !databases.iter().any(|d| &d.name == db)
    {
        p.push(
            Kind::Reference,
            at("database"),
            format!("no database is named `{db}`"),
            closest(db, databases.iter().map(|d| d.name.as_str())),
        );
    }
}

/// Whether the service uses the broker (which must be the one it names).
fn broker_reference(
    s: &RawService,
    broker: Option<&Broker>,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> bool {
    match (&s.broker, broker) {
        (None, _) => false,
        (Some(name), Some(b)) if name == &b.name => true,
        (Some(name), Some(b)) => {
            p.push(
                Kind::Reference,
                at("broker"),
                format!("no broker is named `{name}`"),
                format!("the broker is named `{}`", b.name),
            );
            false
        }
        (Some(name), None) => {
            p.push(
                Kind::Reference,
                at("broker"),
                format!("no broker is named `{name}`: the topology has no [broker]"),
                "add a [broker] table, or remove `broker` from the service",
            );
            false
        }
    }
}

/// One API Gateway route of service `i`: a valid path, routed to one service only.
fn route<'a>(
    r: &'a str,
    path: &str,
    i: usize,
    route_owner: &mut BTreeMap<&'a str, String>,
    p: &mut Problems,
) {
    if let Some(why) = route_problem(r) {
        p.invalid(
            path,
            format!("route `{r}` {why}"),
            "routes are API Gateway paths such as /api/{proxy+} or /api/movies",
        );
    } else if let Some(owner) = route_owner.get(r) {
        p.push(
            Kind::Duplicate,
            path,
            format!("route `{r}` is already routed to {owner}"),
            "each route goes to one service",
        );
    } else {
        route_owner.insert(r, format!("service[{i}]"));
    }
}

/// Public with routes, internal when asked; until callers are known
/// ([`link_callers`]), `None` otherwise.
fn exposure(s: &RawService, at: &dyn Fn(&str) -> String, p: &mut Problems) -> Exposure {
    let internal = s.internal.unwrap_or(false);
    if internal && !s.routes.is_empty() {
        p.invalid(
            at("internal"),
            "an internal service cannot have public `routes`",
            "remove `routes`, or set `internal = false`",
        );
    }
    if !s.routes.is_empty() {
        Exposure::Public
    } else if internal {
        Exposure::Internal
    } else {
        Exposure::None
    }
}

/// Each service's `called_by` (the services whose `upstreams` name it); a
/// called service is at least `Internal`.
pub(super) fn link_callers(services: &mut [Service]) {
    let callers: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            let mut c: Vec<String> = services
                .iter()
                .filter(|o| o.upstreams.values().any(|u| u == &s.name))
                .map(|o| o.name.clone())
                .collect();
            c.sort();
            c.dedup();
            c
        })
        .collect();
    for (s, c) in services.iter_mut().zip(callers) {
        s.called_by = c;
        if s.exposure == Exposure::None && !s.called_by.is_empty() {
            s.exposure = Exposure::Internal;
        }
    }
}

/// Once exposure is final: request-count scaling has a target group, and
/// some service has routes. (Target-group names are checked with every other
/// AWS name in [`super::names`].)
pub(super) fn check_load_balancing(services: &[Service], p: &mut Problems) {
    for (i, s) in services.iter().enumerate() {
        if s.scaling.requests_per_target.is_some() && s.exposure == Exposure::None {
            p.invalid(
                format!("service[{i}].scaling.requests_per_target"),
                "requests-per-target scaling needs an ALB target group, and this service has no routes and no callers",
                "give the service `routes`, set `internal = true`, or scale it on `cpu_target`",
            );
        }
    }
    if !services.is_empty() && !services.iter().any(|s| s.public()) {
        p.invalid(
            "service",
            "no service has `routes`: API Gateway would have nothing to route to",
            "add `routes = [\"/api/{proxy+}\"]` to the service the API should reach",
        );
    }
}
