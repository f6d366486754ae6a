//! `[project]`: name, environment, region and tags; the prefix of every name.
use super::checks::region_ok;
use super::fields::dns_name;
use super::regions::{region_exists, vpc_link_regions, vpc_link_zone_ids};
use crate::diagnostics::Problems;
use crate::model::{Project, STAGE_TAG};
use crate::parse::raw::RawTopology;
use std::collections::BTreeMap;

/// Tags infragen sets on every resource (besides each resource's `Name`).
pub const RESERVED_TAGS: &[&str] = &["Project", "Environment", "Stage", "ManagedBy"];

pub(super) fn project(raw: &RawTopology, p: &mut Problems) -> Project {
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
    } else if !region_exists(&r.region) {
        p.invalid(
            "project.region",
            format!("`{}` is not an AWS region", r.region),
            "use a region code such as `eu-west-3` or `us-east-1`",
        );
    } else if vpc_link_zone_ids(&r.region).is_none() {
        p.invalid(
            "project.region",
            format!(
                "API Gateway has no HTTP API VPC links in `{}`, and they are the API's only way to the internal ALB",
                r.region
            ),
            format!("use one of {}", vpc_link_regions().join(", ")),
        );
    }
    let mut tags = BTreeMap::new();
    for (k, v) in &r.tags {
        let path = crate::diagnostics::key_segment("project.tags", k);
        if RESERVED_TAGS.contains(&k.as_str()) {
            p.invalid(
                &path,
                format!("tag `{k}` is set by infragen"),
                "remove it: Project, Environment, Stage and ManagedBy come from the project table",
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
    // Every resource also gets its own `Name` tag.
    if tags.len() + RESERVED_TAGS.len() + 1 > 50 {
        p.invalid(
            "project.tags",
            format!(
                "{} tags plus infragen's {} and `Name` exceed AWS's 50 per resource",
                tags.len(),
                RESERVED_TAGS.len()
            ),
            "remove some tags",
        );
    }
    tags.insert("Project".into(), r.name.clone());
    tags.insert("Environment".into(), environment.clone());
    tags.insert("ManagedBy".into(), "infragen".into());
    let prefix = format!("{}-{}", r.name, environment);
    tags.insert(STAGE_TAG.into(), prefix.clone());
    Project {
        prefix,
        name: r.name.clone(),
        environment,
        region: r.region.clone(),
        tags,
    }
}
