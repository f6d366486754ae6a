//! `[network]`: the VPC, its AZs and subnets, egress and flow logs; and
//! whether the private subnets hold every task at full scale.
use super::checks::{parse_cidr, usable_addresses};
use super::fields::retention;
use crate::diagnostics::{Kind, Problems};
use crate::model::{Broker, Database, INTERFACE_ENDPOINTS, Network, Project, Service, Zone};
use crate::parse::raw::{
    Egress, FlowLogDestination, FlowLogTraffic, RawNetwork, RawSubnets, RawTopology,
};
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn network(
    raw: &RawTopology,
    project: &Project,
    log_days: u32,
    p: &mut Problems,
) -> Network {
    let r = &raw.network;
    let vpc = vpc_cidr(r.vpc_cidr.as_deref(), p);
    let single_az = r.single_az.unwrap_or(false);
    let azs = azs(r, project, single_az, p);
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

    let (flow_logs_traffic, flow_logs_aggregation_seconds) = flow_log_shape(r, project, p);

    let zones = zones(r, &vpc, &azs, p);
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
        flow_logs_traffic,
        flow_logs_aggregation_seconds,
        flow_logs_destination: r
            .flow_logs_destination
            .unwrap_or(FlowLogDestination::Cloudwatch),
        vpc_link_zone_ids: super::regions::vpc_link_zone_ids(&project.region)
            .unwrap_or_default()
            .iter()
            .map(|z| z.to_string())
            .collect(),
    }
}

/// What the flow logs record and how often: every flow each minute for a
/// production stage, rejected flows every ten minutes elsewhere (cheaper).
fn flow_log_shape(r: &RawNetwork, project: &Project, p: &mut Problems) -> (FlowLogTraffic, u32) {
    let production = project.is_production();
    let traffic = r.flow_logs_traffic.unwrap_or(if production {
        FlowLogTraffic::All
    } else {
        FlowLogTraffic::Reject
    });
    let seconds = match r.flow_logs_aggregation_seconds {
        None => {
            if production {
                60
            } else {
                600
            }
        }
        Some(s @ (60 | 600)) => s as u32,
        Some(s) => {
            p.invalid(
                "network.flow_logs_aggregation_seconds",
                format!("{s} seconds is not a flow-log aggregation interval"),
                "VPC flow logs aggregate over 60 or 600 seconds",
            );
            600
        }
    };
    (traffic, seconds)
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
                    check_subnet(&path, tier, net, vpc, &parsed, p);
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

/// A listed subnet: inside the VPC, large enough for its tier, overlapping
/// none listed before it.
fn check_subnet(
    path: &str,
    tier: &str,
    net: Ipv4Net,
    vpc: &Ipv4Net,
    parsed: &[(String, Ipv4Net)],
    p: &mut Problems,
) {
    if !vpc.contains(&net) {
        p.invalid(
            path,
            format!("{net} is outside the VPC {vpc}"),
            format!("choose a block inside {vpc}"),
        );
    } else if tier == "private" && net.prefix_len() > 27 {
        p.invalid(
            path,
            format!(
                "/{} is too small for the internal ALB, which needs /27 or larger subnets",
                net.prefix_len()
            ),
            "use a /27 or larger private subnet (tasks need room too)",
        );
    } else if net.prefix_len() > 28 {
        p.invalid(
            path,
            format!(
                "/{} is smaller than AWS's smallest subnet (/28)",
                net.prefix_len()
            ),
            "use /28 or larger (the ALB needs /27 or larger)",
        );
    }
    for (other_path, other) in parsed {
        if other.contains(&net.network()) || net.contains(&other.network()) {
            p.invalid(
                path,
                format!("{net} overlaps {other} ({other_path})"),
                "subnets of a VPC must not overlap; pick a free block",
            );
        }
    }
}

/// The VPC block: canonical, /16 to /28 (10.0.0.0/16 when absent or unreadable).
fn vpc_cidr(text: Option<&str>, p: &mut Problems) -> Ipv4Net {
    let vpc_text = text.unwrap_or("10.0.0.0/16");
    match parse_cidr(vpc_text) {
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
    }
}

/// The listed AZs (the region's `a` and `b` by default): each of the region, once, at least two.
fn azs(r: &RawNetwork, project: &Project, single_az: bool, p: &mut Problems) -> Vec<String> {
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
    azs
}

/// The zones with their subnets: listed, or carved from the VPC.
fn zones(r: &RawNetwork, vpc: &Ipv4Net, azs: &[String], p: &mut Problems) -> Vec<Zone> {
    let n = azs.len().max(1);
    match &r.subnets {
        Some(s) => explicit_subnets(s, vpc, azs, p),
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
                carve(vpc, azs)
            }
        }
    }
}

/// Enough addresses in each workload zone's private subnet for the tasks at
/// full scale, the ALB (8 per subnet) and the interface endpoints.
pub(super) fn capacity_check(
    raw: &RawTopology,
    network: &Network,
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
        + databases.iter().filter_map(Database::container).count() as u64
        + broker.and_then(Broker::container).map_or(0, |_| 1);
    let per_zone = tasks.div_ceil(zones as u64);
    let endpoints = if network.egress == Egress::VpcEndpoints {
        INTERFACE_ENDPOINTS.len() as u64
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
            let for_endpoints = if endpoints > 0 {
                format!(", {endpoints} for VPC endpoints")
            } else {
                String::new()
            };
            p.invalid(
                path,
                format!(
                    "private subnet {} has {have} usable addresses; {need} are needed in {} ({per_zone} tasks at full scale, 8 for the ALB{for_endpoints})",
                    z.private, z.name
                ),
                "use a larger private subnet, or lower the services' scaling.max",
            );
        }
    }
}
