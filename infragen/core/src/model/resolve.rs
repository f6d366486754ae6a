//! Defaults, rules and references: raw topology → [`super::Model`].
//!
//! One pass over the raw topology fills every default, checks every rule and
//! resolves every reference, pushing each problem (with its field path) to
//! [`Problems`] instead of stopping. The returned model is only handed out by
//! [`crate::load`] when no problem was found.
use super::raw::*;
use super::*;
use crate::diagnostics::{Kind, Problems};
use crate::validate::*;
use std::collections::{BTreeMap, BTreeSet};

/// ALB target group names: at most 32 characters.
pub const TARGET_GROUP_NAME_MAX: usize = 32;
/// RDS DB instance identifiers: at most 63 characters.
pub const RDS_IDENTIFIER_MAX: usize = 63;
/// Amazon MQ broker names: at most 50 characters.
pub const MQ_BROKER_NAME_MAX: usize = 50;
/// Variables infragen sets itself (contracts.md); a topology cannot set them.
pub const RESERVED_ENV: &[&str] = &[
    "HTTP_HOST",
    "HTTP_PORT",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "AMQP_HOST",
    "AMQP_PORT",
    "AMQP_USER",
    "AMQP_PASSWORD",
    "AMQP_VHOST",
    "AMQP_TLS",
];
/// Tags infragen sets on every resource.
pub const RESERVED_TAGS: &[&str] = &["Project", "Environment", "ManagedBy"];

/// Check `value` (or `default` when absent) is in `lo..=hi`; returns it clamped.
fn ranged(
    p: &mut Problems,
    path: &str,
    value: Option<i64>,
    default: i64,
    lo: i64,
    hi: i64,
    help: &str,
) -> u32 {
    let v = value.unwrap_or(default);
    if v < lo || v > hi {
        p.invalid(path, format!("{v} is out of range {lo}–{hi}"), help);
    }
    v.clamp(lo.max(0), hi.min(u32::MAX as i64)) as u32
}

fn retention(p: &mut Problems, path: &str, value: Option<i64>, default: u32) -> u32 {
    let v = value.unwrap_or(default as i64);
    if value.is_some() && !retention_ok(v) {
        p.invalid(
            path,
            format!("{v} days is not a CloudWatch Logs retention value"),
            retention_hint(v),
        );
    }
    v.clamp(1, 3653) as u32
}

fn dns_name(p: &mut Problems, path: &str, what: &str, name: &str, max: usize) {
    if let Some(why) = dns_name_problem(name, max) {
        let suggestion = suggest_dns_name(name);
        let help = if !suggestion.is_empty() && suggestion != name && suggestion.len() <= max {
            format!("names become parts of AWS resource names; try `{suggestion}`")
        } else {
            format!(
                "use lowercase letters, digits and hyphens, starting with a letter, at most {max} characters"
            )
        };
        p.invalid(path, format!("{what} `{name}` {why}"), help);
    }
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = candidates.collect();
    all.sort_unstable();
    all.dedup();
    let best = all
        .iter()
        .map(|c| (strsim::damerau_levenshtein(c, name), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min();
    match (best, all.is_empty()) {
        (Some((_, c)), _) => format!("did you mean `{c}`? Defined: {}", all.join(", ")),
        (None, false) => format!("defined: {}", all.join(", ")),
        (None, true) => "none is defined".to_string(),
    }
}

/// Resolve and check a raw topology.
pub(crate) fn resolve(raw: &RawTopology, p: &mut Problems) -> Model {
    let operations = operations(raw, p);
    let project = project(raw, p);
    let broker_raw = raw.broker.as_ref();
    let mut network = network(raw, &project, operations.log_retention_days, p);
    let edge = edge(raw, &project, operations.log_retention_days, p);
    let auth = auth(raw, &project, p);
    let cluster = cluster(raw, &project, p);
    let databases = databases(raw, &project, &network, p);
    let broker = broker_raw.map(|b| broker(b, &project, &network, p));
    let mut services = services(raw, &project, &cluster, &databases, broker.as_ref(), p);

    // Back references.
    let mut databases = databases;
    for db in &mut databases {
        db.used_by = services
            .iter()
            .filter(|s| s.database.as_deref() == Some(db.name.as_str()))
            .map(|s| s.name.clone())
            .collect();
        db.used_by.sort();
    }
    let broker = broker.map(|mut b| {
        b.used_by = services
            .iter()
            .filter(|s| s.broker)
            .map(|s| s.name.clone())
            .collect();
        b.used_by.sort();
        b
    });
    let callers: Vec<(String, Vec<String>)> = services
        .iter()
        .map(|s| {
            let mut c: Vec<String> = services
                .iter()
                .filter(|o| o.upstreams.values().any(|u| u == &s.name))
                .map(|o| o.name.clone())
                .collect();
            c.sort();
            c.dedup();
            (s.name.clone(), c)
        })
        .collect();
    for (s, (_, c)) in services.iter_mut().zip(callers) {
        s.called_by = c;
        if s.exposure == Exposure::None && !s.called_by.is_empty() {
            s.exposure = Exposure::Internal;
        }
    }
    // Names of load-balanced services must fit a target group name.
    for (i, s) in services.iter().enumerate() {
        if s.load_balanced() && s.names.target_group.len() > TARGET_GROUP_NAME_MAX {
            p.invalid(
                format!("service[{i}].name"),
                format!(
                    "the derived ALB target group name `{}` is {} characters; AWS allows at most {TARGET_GROUP_NAME_MAX}",
                    s.names.target_group,
                    s.names.target_group.len()
                ),
                "shorten the service name, project.name or project.environment (target groups are named <project>-<environment>-<service>)",
            );
        }
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
    if raw.services.is_empty() {
        p.push(
            Kind::Type,
            "",
            "the topology has no `[[service]]`",
            "add at least one `[[service]]` table with a `name`",
        );
    }
    capacity_check(raw, &mut network, &services, &databases, broker.as_ref(), p);

    Model {
        project,
        network,
        edge,
        auth,
        cluster,
        services,
        databases,
        broker,
        operations,
    }
}

fn project(raw: &RawTopology, p: &mut Problems) -> Project {
    let r = &raw.project;
    dns_name(p, "project.name", "project name", &r.name, 32);
    let environment = r.environment.clone().unwrap_or_else(|| "prod".into());
    dns_name(p, "project.environment", "environment", &environment, 16);
    if !region_ok(&r.region) {
        p.invalid(
            "project.region",
            format!("`{}` is not an AWS region name", r.region),
            "use a region code such as `eu-west-3` or `us-east-1`",
        );
    }
    let mut tags = BTreeMap::new();
    for (k, v) in &r.tags {
        let path = crate::diagnostics::key_segment("project.tags", k);
        if RESERVED_TAGS.contains(&k.as_str()) {
            p.invalid(
                &path,
                format!("tag `{k}` is set by infragen"),
                "remove it: Project, Environment and ManagedBy come from the project table",
            );
        } else if k.to_ascii_lowercase().starts_with("aws:") {
            p.invalid(
                &path,
                format!("tag key `{k}` uses the reserved `aws:` prefix"),
                "choose another key",
            );
        } else if k.is_empty() || k.chars().count() > 128 {
            p.invalid(&path, "tag keys have 1–128 characters", "shorten the key");
        } else if v.chars().count() > 256 {
            p.invalid(
                &path,
                "tag values have at most 256 characters",
                "shorten the value",
            );
        }
        tags.insert(k.clone(), v.clone());
    }
    if tags.len() + RESERVED_TAGS.len() > 50 {
        p.invalid(
            "project.tags",
            format!(
                "{} tags plus infragen's 3 exceed AWS's 50 per resource",
                tags.len()
            ),
            "remove some tags",
        );
    }
    tags.insert("Project".into(), r.name.clone());
    tags.insert("Environment".into(), environment.clone());
    tags.insert("ManagedBy".into(), "infragen".into());
    Project {
        prefix: format!("{}-{}", r.name, environment),
        name: r.name.clone(),
        environment,
        region: r.region.clone(),
        tags,
    }
}

fn network(raw: &RawTopology, project: &Project, log_days: u32, p: &mut Problems) -> Network {
    let r = &raw.network;
    let vpc_text = r.vpc_cidr.clone().unwrap_or_else(|| "10.0.0.0/16".into());
    let vpc = match parse_cidr(&vpc_text) {
        Ok(v) => {
            if !(16..=28).contains(&v.prefix_len()) {
                p.invalid(
                    "network.vpc_cidr",
                    format!(
                        "a VPC CIDR must be between /16 and /28, not /{}",
                        v.prefix_len()
                    ),
                    "use e.g. 10.0.0.0/16",
                );
            }
            v
        }
        Err(e) => {
            p.invalid("network.vpc_cidr", e, "write it like 10.0.0.0/16");
            "10.0.0.0/16".parse().expect("valid literal")
        }
    };
    let single_az = r.single_az.unwrap_or(false);
    let azs = r.azs.clone().unwrap_or_else(|| {
        vec![
            format!("{}a", project.region),
            format!("{}b", project.region),
        ]
    });
    let mut seen = BTreeSet::new();
    for (i, az) in azs.iter().enumerate() {
        let path = format!("network.azs[{i}]");
        let suffix = az.strip_prefix(project.region.as_str());
        if !matches!(suffix, Some(s) if s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase())) {
            p.invalid(
                &path,
                format!("`{az}` is not an availability zone of {}", project.region),
                format!(
                    "AZ names are the region and a letter, e.g. `{}a`",
                    project.region
                ),
            );
        }
        if !seen.insert(az.clone()) {
            p.push(
                Kind::Duplicate,
                &path,
                format!("AZ `{az}` is listed twice"),
                "list each AZ once",
            );
        }
    }
    if azs.len() < 2 {
        let (msg, help) = if single_az {
            (
                "even a single-AZ stage needs 2 AZs listed: the internal ALB and the RDS DB subnet group require subnets in two AZs",
                "list a second AZ; with single_az = true tasks, NAT and data still stay in the first one",
            )
        } else {
            (
                "at least 2 availability zones are required",
                "list 2 or more AZs; for a cheap stage set `single_az = true` (a second AZ is still listed for the ALB and RDS subnet group)",
            )
        };
        p.invalid(
            if r.azs.is_some() {
                "network.azs"
            } else {
                "network"
            },
            msg,
            help,
        );
    }
    let egress = r.egress.unwrap_or(Egress::NatSingle);
    if single_az && egress == Egress::NatPerAz {
        p.invalid(
            "network.egress",
            "`nat_per_az` with `single_az = true` buys NAT gateways for AZs that run nothing",
            "use `nat_single` (or `vpc_endpoints`)",
        );
    }
    let flow_logs_retention_days = retention(
        p,
        "network.flow_logs_retention_days",
        r.flow_logs_retention_days,
        log_days,
    );

    let n = azs.len().max(1);
    let zones = match &r.subnets {
        Some(s) => explicit_subnets(s, &vpc, &azs, p),
        None => {
            if vpc.prefix_len() > 20 {
                p.invalid(
                    "network.vpc_cidr",
                    format!(
                        "/{} is too small to carve subnets automatically (needs /20 or larger)",
                        vpc.prefix_len()
                    ),
                    "use a larger VPC (e.g. /16) or list the subnets under [network.subnets]",
                );
                Vec::new()
            } else if n > 15 {
                p.invalid(
                    "network.azs",
                    "at most 15 AZs can be carved automatically",
                    "list fewer AZs",
                );
                Vec::new()
            } else {
                carve(&vpc, &azs)
            }
        }
    };
    let nat_gateways = match egress {
        Egress::VpcEndpoints => 0,
        Egress::NatSingle => 1,
        Egress::NatPerAz => zones.len(),
    };
    Network {
        vpc_cidr: vpc,
        zones,
        single_az,
        egress,
        nat_gateways,
        flow_logs_retention_days,
    }
}

/// Automatic layout: private `/(p+4)` blocks first (one per AZ), then in the
/// next block public `/(p+8)`s from its start and isolated `/(p+8)`s from its middle.
pub fn carve(vpc: &Ipv4Net, azs: &[String]) -> Vec<Zone> {
    let p = vpc.prefix_len();
    let blocks: Vec<Ipv4Net> = vpc.subnets(p + 4).map(|s| s.collect()).unwrap_or_default();
    let n = azs.len();
    if blocks.len() <= n {
        return Vec::new();
    }
    let small: Vec<Ipv4Net> = blocks[n]
        .subnets(p + 8)
        .map(|s| s.collect())
        .unwrap_or_default();
    azs.iter()
        .enumerate()
        .map(|(i, az)| Zone {
            name: az.clone(),
            private: blocks[i],
            public: small[i],
            isolated: small[8 + i],
        })
        .collect()
}

fn explicit_subnets(s: &RawSubnets, vpc: &Ipv4Net, azs: &[String], p: &mut Problems) -> Vec<Zone> {
    let tiers: [(&str, &Vec<String>); 3] = [
        ("public", &s.public),
        ("private", &s.private),
        ("isolated", &s.isolated),
    ];
    let mut parsed: Vec<(String, Ipv4Net)> = Vec::new();
    let mut by_tier: BTreeMap<&str, Vec<Option<Ipv4Net>>> = BTreeMap::new();
    for (tier, list) in tiers {
        let tier_path = format!("network.subnets.{tier}");
        if list.len() != azs.len() {
            p.invalid(
                &tier_path,
                format!(
                    "{} {tier} subnet{} for {} AZs",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" },
                    azs.len()
                ),
                "list exactly one subnet per AZ, in the order of `network.azs`",
            );
        }
        let mut nets = Vec::new();
        for (i, text) in list.iter().enumerate() {
            let path = format!("{tier_path}[{i}]");
            match parse_cidr(text) {
                Ok(net) => {
                    if !vpc.contains(&net) {
                        p.invalid(
                            &path,
                            format!("{net} is outside the VPC {vpc}"),
                            format!("choose a block inside {vpc}"),
                        );
                    } else if tier == "private" && net.prefix_len() > 27 {
                        p.invalid(
                            &path,
                            format!("/{} is too small for the internal ALB, which needs /27 or larger subnets", net.prefix_len()),
                            "use a /27 or larger private subnet (tasks need room too)",
                        );
                    } else if net.prefix_len() > 28 {
                        p.invalid(
                            &path,
                            format!(
                                "/{} is smaller than AWS's smallest subnet (/28)",
                                net.prefix_len()
                            ),
                            "use /28 or larger (the ALB needs /27 or larger)",
                        );
                    }
                    for (other_path, other) in &parsed {
                        if other.contains(&net.network()) || net.contains(&other.network()) {
                            p.invalid(
                                &path,
                                format!("{net} overlaps {other} ({other_path})"),
                                "subnets of a VPC must not overlap; pick a free block",
                            );
                        }
                    }
                    parsed.push((path, net));
                    nets.push(Some(net));
                }
                Err(e) => {
                    p.invalid(&path, e, "write it like 10.0.1.0/24");
                    nets.push(None);
                }
            }
        }
        by_tier.insert(tier, nets);
    }
    azs.iter()
        .enumerate()
        .filter_map(|(i, az)| {
            let get = |t: &str| by_tier.get(t).and_then(|v| v.get(i).copied().flatten());
            Some(Zone {
                name: az.clone(),
                public: get("public")?,
                private: get("private")?,
                isolated: get("isolated")?,
            })
        })
        .collect()
}

fn edge(raw: &RawTopology, project: &Project, log_days: u32, p: &mut Problems) -> Edge {
    let r = &raw.edge;
    let domain = r.domain.as_ref().map(|d| {
        if !domain_ok(&d.name) {
            p.invalid("edge.domain.name", format!("`{}` is not a domain name", d.name), "use a fully qualified name such as api.example.com");
        }
        if d.hosted_zone_id.is_none() && d.certificate_arn.is_none() {
            p.invalid("edge.domain", "a custom domain needs `hosted_zone_id` (infragen creates and validates the certificate) or `certificate_arn`", "add one of the two");
        }
        if let Some(z) = &d.hosted_zone_id
            && !(z.starts_with('Z') && z.len() <= 32 && z.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())) {
                p.invalid("edge.domain.hosted_zone_id", format!("`{z}` is not a Route 53 hosted zone id"), "hosted zone ids look like Z0123456789ABCDEFGHIJ");
            }
        if let Some(arn) = &d.certificate_arn {
            let prefix = format!("arn:aws:acm:{}:", project.region);
            if !arn.starts_with(&prefix) || !arn.contains(":certificate/") {
                p.invalid("edge.domain.certificate_arn", format!("`{arn}` is not an ACM certificate ARN in {}", project.region), format!("a regional HTTP API custom domain needs a certificate in the API's region: {prefix}<account>:certificate/<id>"));
            }
        }
        Domain { name: d.name.clone(), hosted_zone_id: d.hosted_zone_id.clone(), certificate_arn: d.certificate_arn.clone() }
    });
    Edge {
        throttling_burst_limit: ranged(
            p,
            "edge.throttling_burst_limit",
            r.throttling_burst_limit,
            100,
            1,
            5000,
            "API Gateway's account default burst is 5000",
        ),
        throttling_rate_limit: ranged(
            p,
            "edge.throttling_rate_limit",
            r.throttling_rate_limit,
            50,
            1,
            10000,
            "API Gateway's account default rate is 10000 requests per second",
        ),
        access_log_retention_days: retention(
            p,
            "edge.access_log_retention_days",
            r.access_log_retention_days,
            log_days,
        ),
        domain,
    }
}

fn auth(raw: &RawTopology, project: &Project, p: &mut Problems) -> Auth {
    let r = &raw.auth;
    let user_pool_name = r
        .user_pool_name
        .clone()
        .unwrap_or_else(|| format!("{}-users", project.prefix));
    if user_pool_name.is_empty()
        || user_pool_name.chars().count() > 128
        || !user_pool_name
            .chars()
            .all(|c| c.is_alphanumeric() || " +=,.@-_".contains(c))
    {
        p.invalid(
            "auth.user_pool_name",
            format!("`{user_pool_name}` is not a valid Cognito user pool name"),
            "1–128 letters, digits, spaces and + = , . @ - _",
        );
    }
    let pp = &r.password_policy;
    Auth {
        user_pool_name,
        password_policy: PasswordPolicy {
            min_length: ranged(
                p,
                "auth.password_policy.min_length",
                pp.min_length,
                12,
                8,
                99,
                "Cognito accepts up to 99; fewer than 8 is too weak",
            ),
            require_lowercase: pp.require_lowercase.unwrap_or(true),
            require_uppercase: pp.require_uppercase.unwrap_or(true),
            require_numbers: pp.require_numbers.unwrap_or(true),
            require_symbols: pp.require_symbols.unwrap_or(true),
        },
        access_token_validity_minutes: ranged(
            p,
            "auth.access_token_validity_minutes",
            r.access_token_validity_minutes,
            60,
            5,
            1440,
            "Cognito accepts 5 minutes to 1 day",
        ),
        id_token_validity_minutes: ranged(
            p,
            "auth.id_token_validity_minutes",
            r.id_token_validity_minutes,
            60,
            5,
            1440,
            "Cognito accepts 5 minutes to 1 day",
        ),
        refresh_token_validity_days: ranged(
            p,
            "auth.refresh_token_validity_days",
            r.refresh_token_validity_days,
            30,
            1,
            3650,
            "Cognito accepts 1 day to 10 years",
        ),
    }
}

fn cluster(raw: &RawTopology, project: &Project, p: &mut Problems) -> Cluster {
    let c = &raw.cluster.capacity;
    let capacity = Capacity {
        fargate_weight: ranged(
            p,
            "cluster.capacity.fargate_weight",
            c.fargate_weight,
            1,
            0,
            1000,
            "weights are 0–1000",
        ),
        fargate_base: ranged(
            p,
            "cluster.capacity.fargate_base",
            c.fargate_base,
            1,
            0,
            100000,
            "base is 0–100000",
        ),
        fargate_spot_weight: ranged(
            p,
            "cluster.capacity.fargate_spot_weight",
            c.fargate_spot_weight,
            0,
            0,
            1000,
            "weights are 0–1000",
        ),
    };
    if capacity.fargate_weight == 0 && capacity.fargate_spot_weight == 0 {
        p.invalid(
            "cluster.capacity",
            "both capacity provider weights are 0: no task could be placed",
            "set `fargate_weight` or `fargate_spot_weight` above 0",
        );
    }
    if capacity.fargate_weight == 0 && capacity.fargate_base > 0 {
        p.invalid(
            "cluster.capacity.fargate_base",
            "a base on FARGATE needs `fargate_weight` > 0",
            "set `fargate_base = 0` for a Spot-only cluster, or give FARGATE a weight",
        );
    }
    Cluster {
        name: project.prefix.clone(),
        container_insights: raw.cluster.container_insights.unwrap_or(true),
        capacity,
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

fn services(
    raw: &RawTopology,
    project: &Project,
    cluster: &Cluster,
    databases: &[Database],
    broker: Option<&Broker>,
    p: &mut Problems,
) -> Vec<Service> {
    let names: Vec<&str> = raw.services.iter().map(|s| s.name.as_str()).collect();
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut route_owner: BTreeMap<&str, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, s) in raw.services.iter().enumerate() {
        let at = |f: &str| format!("service[{i}].{f}");
        dns_name(p, &at("name"), "service name", &s.name, 32);
        if let Some(first) = first_seen.get(s.name.as_str()) {
            p.push(
                Kind::Duplicate,
                at("name"),
                format!(
                    "service name `{}` is already used by service[{first}]",
                    s.name
                ),
                "service names must be unique",
            );
        } else {
            first_seen.insert(&s.name, i);
        }
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
        let architecture = s.architecture.unwrap_or(Architecture::X86_64);
        if architecture == Architecture::Arm64 && cluster.capacity.fargate_spot_weight > 0 {
            p.invalid(at("architecture"), "Fargate Spot does not run ARM64 tasks, and the cluster places tasks on FARGATE_SPOT", "use `x86_64` for this service, or set `cluster.capacity.fargate_spot_weight = 0`");
        }
        let health_path = s.health_path.clone().unwrap_or_else(|| "/readyz".into());
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
        // Scaling.
        let scaling = match &s.scaling {
            None => {
                let d = ranged(
                    p,
                    &at("desired"),
                    s.desired,
                    1,
                    0,
                    1000,
                    "desired is 0–1000",
                );
                Scaling {
                    min: d,
                    max: d,
                    cpu_target: None,
                    requests_per_target: None,
                    queue_backlog: None,
                }
            }
            Some(sc) => {
                let min = ranged(p, &at("scaling.min"), sc.min, 1, 0, 1000, "min is 0–1000");
                let max = ranged(
                    p,
                    &at("scaling.max"),
                    sc.max,
                    min as i64,
                    1,
                    1000,
                    "max is 1–1000",
                );
                if min > max {
                    p.invalid(
                        at("scaling.max"),
                        format!("max ({max}) is less than min ({min})"),
                        "set max ≥ min",
                    );
                }
                let queue_backlog = sc.queue_backlog.as_ref().map(|q| {
                    if q.queue.is_empty() {
                        p.invalid(at("scaling.queue_backlog.queue"), "the queue name is empty", "name the queue whose depth drives scaling, e.g. billing_queue");
                    }
                    match broker {
                        _ if s.broker.is_none() => p.invalid(at("scaling.queue_backlog"), "queue-backlog scaling needs the service to use the broker", "add `broker = \"<broker name>\"` to the service"),
                        Some(b) if b.kind == BrokerKind::Container => p.invalid(at("scaling.queue_backlog"), "queue-backlog scaling reads Amazon MQ's CloudWatch metrics; a container broker publishes none", "use `kind = \"amazon_mq\"` for the broker or scale this service on `cpu_target`"),
                        _ => {}
                    }
                    QueueBacklog { queue: q.queue.clone(), target: ranged(p, &at("scaling.queue_backlog.target"), Some(q.target), 1, 1, 100000, "target is 1–100000 messages per task") }
                });
                let sc = Scaling {
                    min,
                    max,
                    cpu_target: sc.cpu_target.map(|v| {
                        ranged(
                            p,
                            &at("scaling.cpu_target"),
                            Some(v),
                            60,
                            1,
                            100,
                            "a CPU utilisation target is a percentage, 1–100",
                        )
                    }),
                    requests_per_target: sc.requests_per_target.map(|v| {
                        ranged(
                            p,
                            &at("scaling.requests_per_target"),
                            Some(v),
                            1000,
                            1,
                            1_000_000,
                            "1–1000000 requests per target per minute",
                        )
                    }),
                    queue_backlog,
                };
                if sc.min < sc.max
                    && sc.cpu_target.is_none()
                    && sc.requests_per_target.is_none()
                    && sc.queue_backlog.is_none()
                {
                    p.invalid(at("scaling"), format!("min ({}) < max ({}) but no scaling policy", sc.min, sc.max), "add `cpu_target`, `requests_per_target` or `queue_backlog`, or set min = max");
                }
                sc
            }
        };
        let desired = match (&s.scaling, s.desired) {
            (Some(_), Some(d)) => {
                let d = ranged(p, &at("desired"), Some(d), 1, 0, 1000, "desired is 0–1000");
                if scaling.min <= scaling.max && (d < scaling.min || d > scaling.max) {
                    p.invalid(
                        at("desired"),
                        format!(
                            "desired ({d}) is outside scaling min–max ({}–{})",
                            scaling.min, scaling.max
                        ),
                        "set min ≤ desired ≤ max",
                    );
                }
                d
            }
            (Some(_), None) => scaling.min,
            (None, _) => scaling.min,
        };
        // Variables.
        let mut var_origin: BTreeMap<&str, &str> = BTreeMap::new();
        for (kind, map) in [
            ("env", &s.env),
            ("secrets", &s.secrets),
            ("upstreams", &s.upstreams),
        ] {
            for (k, v) in map.iter() {
                let path = crate::diagnostics::key_segment(&at(kind), k);
                if !env_name_ok(k) {
                    p.key(
                        Kind::Invalid,
                        &path,
                        format!("`{k}` is not an environment variable name"),
                        "use letters, digits and underscores, not starting with a digit",
                    );
                } else if RESERVED_ENV.contains(&k.as_str()) {
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
                if kind == "secrets" && (v.is_empty() || v.contains(char::is_whitespace)) {
                    p.invalid(
                        &path,
                        format!("`{v}` is not a Secrets Manager secret name or ARN"),
                        "use the secret's name or ARN (optionally `:json-key::`)",
                    );
                }
                if kind == "secrets"
                    && v.starts_with("arn:")
                    && !(v.starts_with("arn:aws:secretsmanager:") || v.starts_with("arn:aws:ssm:"))
                {
                    p.invalid(
                        &path,
                        format!(
                            "`{v}` is neither a Secrets Manager secret nor an SSM parameter ARN"
                        ),
                        "use arn:aws:secretsmanager:… or arn:aws:ssm:…",
                    );
                }
                if kind == "upstreams" {
                    if v == &s.name {
                        p.push(
                            Kind::Reference,
                            &path,
                            format!("service `{}` lists itself as an upstream", s.name),
                            "an upstream is another service",
                        );
                    } else if !names.contains(&v.as_str()) {
                        p.push(
                            Kind::Reference,
                            &path,
                            format!("no service is named `{v}`"),
                            closest(v, names.iter().copied()),
                        );
                    }
                }
            }
        }
        // References.
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
        let uses_broker = match (&s.broker, broker) {
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
        };
        // Routes and exposure.
        let internal = s.internal.unwrap_or(false);
        if internal && !s.routes.is_empty() {
            p.invalid(
                at("internal"),
                "an internal service cannot have public `routes`",
                "remove `routes`, or set `internal = false`",
            );
        }
        for (j, r) in s.routes.iter().enumerate() {
            let path = at(&format!("routes[{j}]"));
            if let Some(why) = route_problem(r) {
                p.invalid(
                    &path,
                    format!("route `{r}` {why}"),
                    "routes are API Gateway paths such as /api/{proxy+} or /api/movies",
                );
            } else if let Some(owner) = route_owner.get(r.as_str()) {
                p.push(
                    Kind::Duplicate,
                    &path,
                    format!("route `{r}` is already routed to {owner}"),
                    "each route goes to one service",
                );
            } else {
                route_owner.insert(r, format!("service[{i}]"));
            }
        }
        let mut routes = s.routes.clone();
        routes.sort();
        let exposure = if !s.routes.is_empty() {
            Exposure::Public
        } else if internal {
            Exposure::Internal
        } else {
            Exposure::None
        };
        let prefix = &project.prefix;
        out.push(Service {
            names: ServiceNames {
                ecs_service: format!("{prefix}-{}", s.name),
                target_group: format!("{prefix}-{}", s.name),
                log_group: format!("/ecs/{prefix}/{}", s.name),
                ecr_repository: format!("{prefix}/{image}"),
            },
            name: s.name.clone(),
            image,
            image_tag,
            port,
            cpu: cpu.clamp(0, u32::MAX as i64) as u32,
            memory: memory.clamp(0, u32::MAX as i64) as u32,
            architecture,
            desired,
            health_path,
            env: s.env.clone(),
            secrets: s.secrets.clone(),
            database: s.database.clone(),
            broker: uses_broker,
            upstreams: s.upstreams.clone(),
            routes,
            exposure,
            called_by: Vec::new(),
            scaling,
        });
    }
    out
}

fn pulls_from_private_ecr(image: &str, region: &str) -> bool {
    image.contains(&format!(".dkr.ecr.{region}.amazonaws.com/"))
}

fn databases(
    raw: &RawTopology,
    project: &Project,
    network: &Network,
    p: &mut Problems,
) -> Vec<Database> {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, d) in raw.databases.iter().enumerate() {
        let at = |f: &str| format!("database[{i}].{f}");
        dns_name(p, &at("name"), "database name", &d.name, 32);
        if let Some(first) = first_seen.get(d.name.as_str()) {
            p.push(
                Kind::Duplicate,
                at("name"),
                format!(
                    "database name `{}` is already used by database[{first}]",
                    d.name
                ),
                "database names must be unique",
            );
        } else {
            first_seen.insert(&d.name, i);
        }
        let kind = d.kind.unwrap_or(DatabaseKind::Rds);
        let engine_version = d.engine_version.clone().unwrap_or_else(|| "17".into());
        let engine_major = engine_version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        let engine_major = match engine_major {
            Some(m)
                if (13..=18).contains(&m)
                    && engine_version.split('.').count() <= 2
                    && engine_version.split('.').all(|x| x.parse::<u32>().is_ok()) =>
            {
                m
            }
            _ => {
                p.invalid(
                    at("engine_version"),
                    format!("`{engine_version}` is not a supported PostgreSQL version"),
                    "use a major version 13–18, optionally with a minor (e.g. \"17\" or \"17.4\")",
                );
                17
            }
        };
        let db_name = d
            .db_name
            .clone()
            .unwrap_or_else(|| d.name.replace('-', "_"));
        let db_name_valid = !db_name.is_empty()
            && db_name.len() <= 63
            && db_name.starts_with(|c: char| c.is_ascii_alphabetic())
            && db_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !db_name_valid {
            p.invalid(
                at("db_name"),
                format!("`{db_name}` is not a valid PostgreSQL database name for RDS"),
                "1–63 letters, digits and underscores, starting with a letter",
            );
        } else if ["postgres", "template0", "template1", "rdsadmin"].contains(&db_name.as_str()) {
            p.invalid(
                at("db_name"),
                format!("`{db_name}` is reserved"),
                "choose an application database name such as `movies`",
            );
        }
        let instance_class = d
            .instance_class
            .clone()
            .unwrap_or_else(|| "db.t4g.micro".into());
        if !(instance_class.starts_with("db.") && instance_class.split('.').count() == 3) {
            p.invalid(
                at("instance_class"),
                format!("`{instance_class}` is not an RDS instance class"),
                "e.g. db.t4g.micro, db.m7g.large",
            );
        }
        let storage_gb = ranged(
            p,
            &at("storage_gb"),
            d.storage_gb,
            20,
            20,
            65536,
            "RDS for PostgreSQL (gp3) accepts 20–65536 GiB",
        );
        let max_storage_gb = d
            .max_storage_gb
            .unwrap_or((storage_gb as i64 * 5).min(65536));
        if max_storage_gb < storage_gb as i64 || max_storage_gb > 65536 {
            p.invalid(
                at("max_storage_gb"),
                format!("{max_storage_gb} GiB must be between storage_gb ({storage_gb}) and 65536"),
                "set it to at least storage_gb (equal disables storage autoscaling)",
            );
        }
        let multi_az = d.multi_az.unwrap_or(false);
        if multi_az && network.single_az {
            p.invalid(
                at("multi_az"),
                "a Multi-AZ database in a single-AZ topology",
                "set `multi_az = false`, or `network.single_az = false`",
            );
        }
        if multi_az && kind == DatabaseKind::Container {
            p.invalid(
                at("multi_az"),
                "`multi_az` applies to RDS only; a container database is a single task",
                "remove `multi_az` or use `kind = \"rds\"`",
            );
        }
        let container_image = d.container_image.clone().unwrap_or_else(|| {
            format!("public.ecr.aws/docker/library/postgres:{engine_major}-alpine")
        });
        if kind == DatabaseKind::Container
            && network.egress == Egress::VpcEndpoints
            && !pulls_from_private_ecr(&container_image, &project.region)
        {
            p.invalid(at("kind"), format!("a container database pulls `{container_image}` from outside the VPC, but egress = \"vpc_endpoints\" gives no internet access"), format!("use egress = \"nat_single\", or copy the image to a private ECR repository in {} and set `container_image` to it", project.region));
        }
        let identifier = format!("{}-{}", project.prefix, d.name);
        if identifier.len() > RDS_IDENTIFIER_MAX {
            p.invalid(at("name"), format!("the derived RDS identifier `{identifier}` is {} characters; AWS allows at most {RDS_IDENTIFIER_MAX}", identifier.len()), "shorten the database name, project.name or project.environment");
        }
        out.push(Database {
            name: d.name.clone(),
            kind,
            engine_version,
            engine_major,
            db_name,
            instance_class,
            storage_gb,
            max_storage_gb: max_storage_gb.clamp(0, 65536) as u32,
            multi_az,
            backup_retention_days: ranged(
                p,
                &at("backup_retention_days"),
                d.backup_retention_days,
                7,
                1,
                35,
                "RDS keeps automated backups 1–35 days",
            ),
            deletion_protection: d.deletion_protection.unwrap_or(true),
            container_image,
            identifier,
            used_by: Vec::new(),
            port: 5432,
        });
    }
    out
}

fn broker(b: &RawBroker, project: &Project, network: &Network, p: &mut Problems) -> Broker {
    let name = b.name.clone().unwrap_or_else(|| "rabbitmq".into());
    dns_name(p, "broker.name", "broker name", &name, 32);
    let kind = b.kind.unwrap_or(BrokerKind::AmazonMq);
    let engine_version = b.engine_version.clone().unwrap_or_else(|| "3.13".into());
    if !(engine_version == "3.13"
        || engine_version.starts_with("3.13.")
        || engine_version.starts_with("4."))
    {
        p.invalid(
            "broker.engine_version",
            format!("`{engine_version}` is not a RabbitMQ version Amazon MQ supports"),
            "use \"3.13\" (or a 4.x release)",
        );
    }
    let instance_type = b
        .instance_type
        .clone()
        .unwrap_or_else(|| "mq.t3.micro".into());
    if !(instance_type.starts_with("mq.") && instance_type.split('.').count() == 3) {
        p.invalid(
            "broker.instance_type",
            format!("`{instance_type}` is not an Amazon MQ instance type"),
            "e.g. mq.t3.micro, mq.m5.large, mq.m7g.large",
        );
    }
    let deployment_mode = b.deployment_mode.unwrap_or(DeploymentMode::SingleInstance);
    if deployment_mode == DeploymentMode::ClusterMultiAz {
        if instance_type == "mq.t3.micro" {
            p.invalid(
                "broker.deployment_mode",
                "mq.t3.micro runs SINGLE_INSTANCE only",
                "use an mq.m5.large (or larger) instance type for a cluster, or `single_instance`",
            );
        }
        if network.single_az {
            p.invalid(
                "broker.deployment_mode",
                "a multi-AZ cluster in a single-AZ topology",
                "use `single_instance`, or `network.single_az = false`",
            );
        }
        if kind == BrokerKind::Container {
            p.invalid(
                "broker.deployment_mode",
                "`cluster_multi_az` applies to Amazon MQ only",
                "remove it or use `kind = \"amazon_mq\"`",
            );
        }
    }
    let container_image = b
        .container_image
        .clone()
        .unwrap_or_else(|| "public.ecr.aws/docker/library/rabbitmq:3.13-alpine".into());
    if kind == BrokerKind::Container
        && network.egress == Egress::VpcEndpoints
        && !pulls_from_private_ecr(&container_image, &project.region)
    {
        p.invalid("broker.kind", format!("a container broker pulls `{container_image}` from outside the VPC, but egress = \"vpc_endpoints\" gives no internet access"), format!("use egress = \"nat_single\", or copy the image to a private ECR repository in {} and set `container_image` to it", project.region));
    }
    let identifier = format!("{}-{}", project.prefix, name);
    if identifier.len() > MQ_BROKER_NAME_MAX {
        p.invalid("broker.name", format!("the derived Amazon MQ broker name `{identifier}` is {} characters; AWS allows at most {MQ_BROKER_NAME_MAX}", identifier.len()), "shorten the broker name, project.name or project.environment");
    }
    let amazon = kind == BrokerKind::AmazonMq;
    Broker {
        name,
        kind,
        engine_version,
        instance_type,
        deployment_mode,
        container_image,
        identifier,
        used_by: Vec::new(),
        port: if amazon { 5671 } else { 5672 },
        tls: amazon,
    }
}

fn operations(raw: &RawTopology, p: &mut Problems) -> Operations {
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

/// Enough addresses in each workload zone's private subnet for the tasks at
/// full scale, the ALB (8 per subnet) and the interface endpoints.
fn capacity_check(
    raw: &RawTopology,
    network: &mut Network,
    services: &[Service],
    databases: &[Database],
    broker: Option<&Broker>,
    p: &mut Problems,
) {
    let zones = if network.single_az {
        1
    } else {
        network.zones.len()
    };
    if zones == 0 {
        return;
    }
    let tasks: u64 = services.iter().map(|s| s.scaling.max as u64).sum::<u64>()
        + databases
            .iter()
            .filter(|d| d.kind == DatabaseKind::Container)
            .count() as u64
        + broker
            .filter(|b| b.kind == BrokerKind::Container)
            .map_or(0, |_| 1);
    let per_zone = tasks.div_ceil(zones as u64);
    let endpoints = if network.egress == Egress::VpcEndpoints {
        4
    } else {
        0
    };
    let need = per_zone + 8 + endpoints;
    for (i, z) in network.zones.iter().enumerate().take(zones) {
        let have = usable_addresses(&z.private);
        if have < need {
            let path = if raw.network.subnets.is_some() {
                format!("network.subnets.private[{i}]")
            } else {
                "network.vpc_cidr".into()
            };
            p.invalid(path, format!("private subnet {} has {have} usable addresses; {need} are needed in {} ({per_zone} tasks at full scale, 8 for the ALB{})", z.private, z.name, if endpoints > 0 { ", 4 for VPC endpoints" } else { "" }), "use a larger private subnet, or lower the services' scaling.max");
        }
    }
}

#[cfg(test)]
mod tests {
    //! One test per rule: a valid base topology with one change, and the
    //! problem (path and message) it must produce.
    use crate::model::{Exposure, Model};

    const BASE: &str = r#"
[project]
name = "shop"
region = "eu-west-3"

[[service]]
name = "gateway"
routes = ["/api/{proxy+}"]
broker = "rabbitmq"
[service.upstreams]
INVENTORY_URL = "inventory"

[[service]]
name = "inventory"
database = "inventory"

[[service]]
name = "billing"
database = "billing"
broker = "rabbitmq"

[[database]]
name = "inventory"

[[database]]
name = "billing"

[broker]
"#;

    fn load(text: &str) -> Result<Model, Vec<(String, String)>> {
        crate::load(text, "t.toml").map_err(|e| {
            e.problems
                .iter()
                .map(|p| (p.path.clone(), p.message.clone()))
                .collect()
        })
    }

    /// The base with `from` replaced by `to` must fail at `path` with a message containing `needle`.
    fn fails(from: &str, to: &str, path: &str, needle: &str) {
        assert!(BASE.contains(from), "{from:?} not in BASE");
        let text = BASE.replacen(from, to, 1);
        match load(&text) {
            Ok(_) => panic!("expected {path} ~ {needle:?}, but it is valid:\n{text}"),
            Err(problems) => assert!(
                !problems.iter().any(|(_, m)| m.starts_with("unknown key"))
                    || needle.starts_with("unknown key"),
                "the change broke the structure of the base: {problems:#?}"
            ),
        }
        match load(&text) {
            Ok(_) => unreachable!(),
            Err(problems) => assert!(
                problems
                    .iter()
                    .any(|(p, m)| p == path && m.contains(needle)),
                "expected {path} ~ {needle:?} in {problems:#?}"
            ),
        }
    }

    /// The base with `from` replaced by `to` is valid.
    fn passes(from: &str, to: &str) -> Model {
        let text = BASE.replacen(from, to, 1);
        load(&text).unwrap_or_else(|p| panic!("expected valid, got {p:#?}\n{text}"))
    }

    #[test]
    fn base_is_valid_and_defaults_are_filled() {
        let m = passes("", "");
        assert_eq!(m.project.environment, "prod");
        assert_eq!(m.project.prefix, "shop-prod");
        assert_eq!(m.project.tags["ManagedBy"], "infragen");
        assert_eq!(m.network.vpc_cidr.to_string(), "10.0.0.0/16");
        assert_eq!(m.network.zones[0].name, "eu-west-3a");
        assert_eq!(m.network.zones[0].private.to_string(), "10.0.0.0/20");
        assert_eq!(m.network.zones[1].private.to_string(), "10.0.16.0/20");
        assert_eq!(m.network.zones[0].public.to_string(), "10.0.32.0/24");
        assert_eq!(m.network.zones[1].isolated.to_string(), "10.0.41.0/24");
        assert_eq!(m.network.nat_gateways, 1);
        let inv = m.service("inventory").unwrap();
        assert_eq!((inv.cpu, inv.memory, inv.port), (256, 512, 8080));
        assert_eq!(inv.health_path, "/readyz");
        assert_eq!(inv.exposure, Exposure::Internal);
        assert_eq!(inv.called_by, ["gateway"]);
        assert_eq!(m.service("billing").unwrap().exposure, Exposure::None);
        assert_eq!(inv.names.target_group, "shop-prod-inventory");
        let db = m.database("inventory").unwrap();
        assert_eq!(db.db_name, "inventory");
        assert_eq!(db.used_by, ["inventory"]);
        assert!(db.deletion_protection);
        let b = m.broker.as_ref().unwrap();
        assert_eq!((b.port, b.tls), (5671, true));
        assert_eq!(b.used_by, ["billing", "gateway"]);
        assert_eq!(m.operations.log_retention_days, 365);
    }

    #[test]
    fn missing_required_keys_and_empty_files() {
        let problems = load("[project]\nname = \"x\"\n").unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(p, m)| p == "project" && m.contains("missing field `region`")),
            "{problems:#?}"
        );
        let problems = load("").unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(_, m)| m.contains("missing field `project`")),
            "{problems:#?}"
        );
        let problems = load(&BASE.replace(
            "[[service]]\nname = \"billing\"",
            "[[service]]\nimage = \"billing\"",
        ))
        .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(p, m)| p == "service[2]" && m.contains("missing field `name`")),
            "{problems:#?}"
        );
    }

    #[test]
    fn fargate_cpu_memory() {
        fails(
            "name = \"inventory\"\n",
            "name = \"inventory\"\ncpu = 1024\nmemory = 1024\n",
            "service[1].memory",
            "cpu = 1024 and memory = 1024",
        );
        fails(
            "name = \"inventory\"\n",
            "name = \"inventory\"\ncpu = 100\n",
            "service[1].cpu",
            "not a Fargate CPU",
        );
        passes(
            "name = \"inventory\"\n",
            "name = \"inventory\"\ncpu = 16384\nmemory = 122880\n",
        );
        // memory defaults to twice the CPU, always a valid pair
        let m = passes(
            "name = \"inventory\"\n",
            "name = \"inventory\"\ncpu = 4096\n",
        );
        assert_eq!(m.service("inventory").unwrap().memory, 8192);
    }

    #[test]
    fn scaling_bounds() {
        fails(
            "database = \"inventory\"\n",
            "database = \"inventory\"\n[service.scaling]\nmin = 3\nmax = 1\ncpu_target = 50\n",
            "service[1].scaling.max",
            "less than min",
        );
        fails(
            "database = \"inventory\"\n",
            "database = \"inventory\"\ndesired = 5\n[service.scaling]\nmin = 1\nmax = 3\ncpu_target = 50\n",
            "service[1].desired",
            "outside",
        );
        fails(
            "database = \"inventory\"\n",
            "database = \"inventory\"\n[service.scaling]\nmax = 3\n",
            "service[1].scaling",
            "no scaling policy",
        );
        fails(
            "database = \"inventory\"\n",
            "database = \"inventory\"\n[service.scaling]\nmax = 3\ncpu_target = 150\n",
            "service[1].scaling.cpu_target",
            "out of range",
        );
        let m = passes(
            "database = \"inventory\"\n",
            "database = \"inventory\"\n[service.scaling]\nmin = 2\nmax = 3\ncpu_target = 50\n",
        );
        assert_eq!(m.service("inventory").unwrap().desired, 2);
    }

    #[test]
    fn names_are_dns_safe_unique_and_fit_aws_limits() {
        fails(
            "name = \"billing\"\n",
            "name = \"Billing\"\n",
            "service[2].name",
            "lowercase",
        );
        fails(
            "name = \"billing\"\n",
            "name = \"inventory\"\n",
            "service[2].name",
            "already used",
        );
        fails(
            "name = \"shop\"",
            "name = \"a-long-project-name-here\"",
            "service[1].name",
            "target group name",
        );
        fails(
            "[[database]]\nname = \"billing\"",
            "[[database]]\nname = \"inventory\"",
            "database[1].name",
            "already used",
        );
        fails(
            "[broker]\n",
            "[broker]\nname = \"Rabbit\"\n",
            "broker.name",
            "lowercase",
        );
    }

    #[test]
    fn more_references() {
        fails(
            "database = \"billing\"",
            "database = \"orders\"",
            "service[2].database",
            "no database is named `orders`",
        );
        fails(
            "INVENTORY_URL = \"inventory\"",
            "INVENTORY_URL = \"gateway\"",
            "service[0].upstreams.INVENTORY_URL",
            "itself",
        );
        fails(
            "INVENTORY_URL = \"inventory\"",
            "INVENTORY_URL = \"stock\"",
            "service[0].upstreams.INVENTORY_URL",
            "no service",
        );
        fails("[broker]\n", "", "service[0].broker", "has no [broker]");
        fails(
            "[broker]\n",
            "[broker]\nname = \"mq\"\n",
            "service[0].broker",
            "no broker is named `rabbitmq`",
        );
    }

    #[test]
    fn subnets() {
        let net = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n[network.subnets]\npublic = [\"10.0.0.0/24\", \"10.0.1.0/24\"]\nprivate = [\"10.0.16.0/20\", \"10.0.32.0/20\"]\nisolated = [\"10.0.2.0/24\", \"10.0.3.0/24\"]\n";
        let m = passes("[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n", net);
        assert_eq!(m.network.zones[1].private.to_string(), "10.0.32.0/20");
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &net.replace("10.0.3.0/24", "10.0.2.128/25"),
            "network.subnets.isolated[1]",
            "overlaps 10.0.2.0/24",
        );
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &net.replace("10.0.3.0/24", "10.9.3.0/24"),
            "network.subnets.isolated[1]",
            "outside the VPC",
        );
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &net.replace("10.0.3.0/24", "10.0.3.1/24"),
            "network.subnets.isolated[1]",
            "host bits",
        );
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &net.replace(", \"10.0.3.0/24\"", ""),
            "network.subnets.isolated",
            "1 isolated subnet for 2 AZs",
        );
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &net.replace("10.0.16.0/20", "10.0.16.0/28"),
            "network.subnets.private[0]",
            "/27 or larger",
        );
        // 60 tasks at full scale over 2 AZs do not fit /27s (27 usable addresses each).
        let crowded = net
            .replace("10.0.16.0/20", "10.0.16.0/27")
            .replace("10.0.32.0/20", "10.0.32.0/27")
            + "[[service]]\nname = \"many\"\n[service.scaling]\nmax = 60\ncpu_target = 50\n";
        fails(
            "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n",
            &crowded,
            "network.subnets.private[0]",
            "usable addresses",
        );
    }

    #[test]
    fn vpc_and_azs() {
        let p = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n";
        fails(
            p,
            &format!("{p}[network]\nvpc_cidr = \"10.0.0.0/24\"\n"),
            "network.vpc_cidr",
            "too small to carve",
        );
        fails(
            p,
            &format!("{p}[network]\nvpc_cidr = \"10.0.0.0/8\"\n"),
            "network.vpc_cidr",
            "between /16 and /28",
        );
        fails(
            p,
            &format!("{p}[network]\nazs = [\"eu-west-3a\"]\n"),
            "network.azs",
            "at least 2 availability zones",
        );
        fails(
            p,
            &format!("{p}[network]\nazs = [\"eu-west-3a\"]\nsingle_az = true\n"),
            "network.azs",
            "RDS DB subnet group",
        );
        fails(
            p,
            &format!("{p}[network]\nazs = [\"eu-west-3a\", \"us-east-1b\"]\n"),
            "network.azs[1]",
            "not an availability zone of eu-west-3",
        );
        fails(
            p,
            &format!("{p}[network]\nazs = [\"eu-west-3a\", \"eu-west-3a\"]\n"),
            "network.azs[1]",
            "twice",
        );
        fails(
            p,
            &format!("{p}[network]\nsingle_az = true\negress = \"nat_per_az\"\n"),
            "network.egress",
            "nat_per_az",
        );
        let m = passes(
            p,
            &format!(
                "{p}[network]\nazs = [\"eu-west-3a\", \"eu-west-3b\", \"eu-west-3c\"]\negress = \"nat_per_az\"\n"
            ),
        );
        assert_eq!(m.network.nat_gateways, 3);
        let m = passes(p, &format!("{p}[network]\nsingle_az = true\n"));
        assert_eq!(m.workload_zones().len(), 1);
    }

    #[test]
    fn ports_retention_and_ranges() {
        fails(
            "name = \"billing\"\n",
            "name = \"billing\"\nport = 0\n",
            "service[2].port",
            "out of range 1–65535",
        );
        fails(
            "name = \"billing\"\n",
            "name = \"billing\"\nport = 65536\n",
            "service[2].port",
            "out of range",
        );
        fails(
            "[broker]\n",
            "[broker]\n[operations]\nlog_retention_days = 10\n",
            "operations.log_retention_days",
            "not a CloudWatch Logs retention",
        );
        fails(
            "[broker]\n",
            "[broker]\n[edge]\naccess_log_retention_days = 400000\n",
            "edge.access_log_retention_days",
            "retention",
        );
        fails(
            "[broker]\n",
            "[broker]\n[edge]\nthrottling_burst_limit = 0\n",
            "edge.throttling_burst_limit",
            "out of range",
        );
        fails(
            "[[database]]\nname = \"billing\"",
            "[[database]]\nname = \"billing\"\nbackup_retention_days = 0",
            "database[1].backup_retention_days",
            "out of range",
        );
        fails(
            "[[database]]\nname = \"billing\"",
            "[[database]]\nname = \"billing\"\nstorage_gb = 10",
            "database[1].storage_gb",
            "out of range",
        );
        fails(
            "[[database]]\nname = \"billing\"",
            "[[database]]\nname = \"billing\"\nengine_version = \"11\"",
            "database[1].engine_version",
            "not a supported PostgreSQL version",
        );
        fails(
            "[[database]]\nname = \"billing\"",
            "[[database]]\nname = \"billing\"\ndb_name = \"postgres\"",
            "database[1].db_name",
            "reserved",
        );
    }

    #[test]
    fn egress_and_container_combinations() {
        let p = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n";
        let endpoints = format!("{p}[network]\negress = \"vpc_endpoints\"\n");
        load(&BASE.replacen(p, &endpoints, 1)).unwrap();
        let with_container = BASE.replacen(p, &endpoints, 1).replacen(
            "[broker]\n",
            "[broker]\nkind = \"container\"\n",
            1,
        );
        let problems = load(&with_container).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(path, m)| path == "broker.kind" && m.contains("vpc_endpoints")),
            "{problems:#?}"
        );
        // an image in the region's private ECR is fine
        let ecr = with_container.replacen("kind = \"container\"\n", "kind = \"container\"\ncontainer_image = \"123456789012.dkr.ecr.eu-west-3.amazonaws.com/rabbitmq:3.13\"\n", 1);
        load(&ecr).unwrap();
    }

    #[test]
    fn broker_rules() {
        fails(
            "[broker]\n",
            "[broker]\ndeployment_mode = \"cluster_multi_az\"\n",
            "broker.deployment_mode",
            "mq.t3.micro runs SINGLE_INSTANCE only",
        );
        passes(
            "[broker]\n",
            "[broker]\ninstance_type = \"mq.m5.large\"\ndeployment_mode = \"cluster_multi_az\"\n",
        );
        fails(
            "[broker]\n",
            "[broker]\nengine_version = \"3.8\"\n",
            "broker.engine_version",
            "not a RabbitMQ version",
        );
        let backlog = BASE
            .replacen("database = \"billing\"\nbroker = \"rabbitmq\"\n", "database = \"billing\"\nbroker = \"rabbitmq\"\n[service.scaling]\nmax = 4\nqueue_backlog = { queue = \"q\", target = 10 }\n", 1);
        load(&backlog).unwrap();
        let problems = load(&backlog.replacen("[broker]\n", "[broker]\nkind = \"container\"\n", 1))
            .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(p, m)| p == "service[2].scaling.queue_backlog"
                    && m.contains("container broker")),
            "{problems:#?}"
        );
        fails(
            "database = \"inventory\"\n",
            "database = \"inventory\"\n[service.scaling]\nmax = 4\nqueue_backlog = { queue = \"q\", target = 10 }\n",
            "service[1].scaling.queue_backlog",
            "needs the service to use the broker",
        );
    }

    #[test]
    fn exposure_rules() {
        fails(
            "name = \"billing\"\n",
            "name = \"billing\"\ninternal = true\nroutes = [\"/x\"]\n",
            "service[2].internal",
            "cannot have public `routes`",
        );
        fails(
            "name = \"billing\"\n",
            "name = \"billing\"\nroutes = [\"/api/{proxy+}\"]\n",
            "service[2].routes[0]",
            "already routed",
        );
        fails(
            "broker = \"rabbitmq\"\n\n[[database]]",
            "broker = \"rabbitmq\"\n[service.scaling]\nmax = 3\nrequests_per_target = 100\n[[database]]",
            "service[2].scaling.requests_per_target",
            "needs an ALB target group",
        );
        fails(
            "routes = [\"/api/{proxy+}\"]\n",
            "",
            "service",
            "no service has `routes`",
        );
    }

    #[test]
    fn capacity_and_architecture() {
        let t = BASE.replacen(
            "name = \"billing\"\n",
            "name = \"billing\"\narchitecture = \"arm64\"\n",
            1,
        ) + "[cluster.capacity]\nfargate_spot_weight = 2\n";
        let problems = load(&t).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(p, m)| p == "service[2].architecture" && m.contains("Fargate Spot")),
            "{problems:#?}"
        );
        let t = BASE.to_string() + "[cluster.capacity]\nfargate_weight = 0\nfargate_base = 0\n";
        let problems = load(&t).unwrap_err();
        assert!(
            problems.iter().any(|(p, _)| p == "cluster.capacity"),
            "{problems:#?}"
        );
    }

    #[test]
    fn variables_and_tags() {
        fails(
            "INVENTORY_URL = \"inventory\"",
            "INVENTORY_URL = \"inventory\"\n[service.env]\nINVENTORY_URL = \"x\"",
            "service[0].upstreams.INVENTORY_URL",
            "also set",
        );
        fails(
            "broker = \"rabbitmq\"\n\n[[database]]",
            "broker = \"rabbitmq\"\n[service.env]\nPGHOST = \"x\"\n[[database]]",
            "service[2].env.PGHOST",
            "set by infragen",
        );
        fails(
            "broker = \"rabbitmq\"\n\n[[database]]",
            "broker = \"rabbitmq\"\n[service.env]\n\"9X\" = \"x\"\n[[database]]",
            "service[2].env.9X",
            "not an environment variable name",
        );
        fails(
            "broker = \"rabbitmq\"\n\n[[database]]",
            "broker = \"rabbitmq\"\n[service.secrets]\nTOKEN = \"arn:aws:s3:::bucket\"\n[[database]]",
            "service[2].secrets.TOKEN",
            "neither",
        );
        fails(
            "region = \"eu-west-3\"\n",
            "region = \"eu-west-3\"\ntags = { Project = \"x\" }\n",
            "project.tags.Project",
            "set by infragen",
        );
        fails(
            "region = \"eu-west-3\"\n",
            "region = \"eu-west-3\"\ntags = { \"aws:x\" = \"x\" }\n",
            "project.tags.\"aws:x\"",
            "reserved",
        );
        fails(
            "region = \"eu-west-3\"\n",
            "region = \"europe\"\n",
            "project.region",
            "not an AWS region",
        );
    }

    #[test]
    fn edge_domain_and_operations() {
        fails(
            "[broker]\n",
            "[broker]\n[edge.domain]\nname = \"api.example.com\"\n",
            "edge.domain",
            "hosted_zone_id",
        );
        fails(
            "[broker]\n",
            "[broker]\n[edge.domain]\nname = \"api\"\nhosted_zone_id = \"Z123\"\n",
            "edge.domain.name",
            "not a domain name",
        );
        fails(
            "[broker]\n",
            "[broker]\n[edge.domain]\nname = \"api.example.com\"\ncertificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"\n",
            "edge.domain.certificate_arn",
            "eu-west-3",
        );
        passes(
            "[broker]\n",
            "[broker]\n[edge.domain]\nname = \"api.example.com\"\nhosted_zone_id = \"Z0123456789ABC\"\n",
        );
        fails(
            "[broker]\n",
            "[broker]\n[operations]\nalarm_email = \"nobody\"\n",
            "operations.alarm_email",
            "not an e-mail",
        );
        fails(
            "[broker]\n",
            "[broker]\n[operations]\nmonthly_budget_usd = 0\n",
            "operations.monthly_budget_usd",
            "out of range",
        );
        fails(
            "[broker]\n",
            "[broker]\n[auth.password_policy]\nmin_length = 4\n",
            "auth.password_policy.min_length",
            "out of range",
        );
    }
}
