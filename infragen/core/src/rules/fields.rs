//! Checks of one field that several sections share: a number in a range
//! (with its default), a log retention, a DNS-safe name, a reference by name.
use super::checks::{
    dns_name_problem, pulls_from_private_ecr, retention_hint, retention_ok, suggest_dns_name,
};
use crate::diagnostics::{Kind, Problems, nearest};
use crate::model::{Egress, Network, Project};
use std::collections::BTreeMap;

/// Check `value` (or `default` when absent) is in `lo..=hi`; returns it clamped.
pub(super) fn ranged(
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

pub(super) fn retention(p: &mut Problems, path: &str, value: Option<i64>, default: u32) -> u32 {
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

pub(super) fn dns_name(p: &mut Problems, path: &str, what: &str, name: &str, max: usize) {
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

pub(super) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = candidates.collect();
    all.sort_unstable();
    all.dedup();
    match (nearest(name, all.iter().copied()), all.is_empty()) {
        (Some(c), _) => format!("did you mean `{c}`? Defined: {}", all.join(", ")),
        (None, false) => format!("defined: {}", all.join(", ")),
        (None, true) => "none is defined".to_string(),
    }
}

/// Names of one kind of table (`service`, `database`), each used once: the
/// first table that takes a name keeps it.
#[derive(Default)]
pub(super) struct UniqueNames<'a> {
    first_seen: BTreeMap<&'a str, usize>,
}

impl<'a> UniqueNames<'a> {
    /// Table `table[i]` is named `name`; `path` is the path of its `name`.
    pub fn check(&mut self, p: &mut Problems, table: &str, i: usize, name: &'a str, path: &str) {
        if let Some(first) = self.first_seen.get(name) {
            p.push(
                Kind::Duplicate,
                path,
                format!("{table} name `{name}` is already used by {table}[{first}]"),
                format!("{table} names must be unique"),
            );
        } else {
            self.first_seen.insert(name, i);
        }
    }
}

/// A dependency's container image (a database's, the broker's) must be
/// reachable: without internet egress, only from the region's private ECR.
pub(super) fn container_image_reachable(
    p: &mut Problems,
    path: &str,
    what: &str,
    image: &str,
    project: &Project,
    network: &Network,
) {
    if network.egress == Egress::VpcEndpoints && !pulls_from_private_ecr(image, &project.region) {
        p.invalid(
            path,
            format!(
                "a container {what} pulls `{image}` from outside the VPC, but egress = \"vpc_endpoints\" gives no internet access"
            ),
            format!(
                "use egress = \"nat_single\", or copy the image to a private ECR repository in {} and set `container_image` to it",
                project.region
            ),
        );
    }
}
