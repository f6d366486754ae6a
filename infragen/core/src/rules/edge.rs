//! `[edge]`: API Gateway throttling, access logs and the custom domain.
use super::checks::domain_ok;
use super::fields::{ranged, retention};
use crate::diagnostics::Problems;
use crate::model::{Domain, Edge, Project};
use crate::parse::raw::{RawDomain, RawTopology};

pub(super) fn edge(raw: &RawTopology, project: &Project, log_days: u32, p: &mut Problems) -> Edge {
    let r = &raw.edge;
    let domain = r.domain.as_ref().map(|d| domain(d, project, p));
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

fn domain(d: &RawDomain, project: &Project, p: &mut Problems) -> Domain {
    if !domain_ok(&d.name) {
        p.invalid(
            "edge.domain.name",
            format!("`{}` is not a domain name", d.name),
            "use a fully qualified name such as api.example.com",
        );
    }
    if d.hosted_zone_id.is_none() && d.certificate_arn.is_none() {
        p.invalid(
            "edge.domain",
            "a custom domain needs `hosted_zone_id` (infragen creates and validates the certificate) or `certificate_arn`",
            "add one of the two",
        );
    }
    if let Some(z) = &d.hosted_zone_id
        && !hosted_zone_id_ok(z)
    {
        p.invalid(
            "edge.domain.hosted_zone_id",
            format!("`{z}` is not a Route 53 hosted zone id"),
            "hosted zone ids look like Z0123456789ABCDEFGHIJ",
        );
    }
    if let Some(arn) = &d.certificate_arn {
        let prefix = format!("arn:aws:acm:{}:", project.region);
        if !arn.starts_with(&prefix) || !arn.contains(":certificate/") {
            p.invalid(
                "edge.domain.certificate_arn",
                format!(
                    "`{arn}` is not an ACM certificate ARN in {}",
                    project.region
                ),
                format!(
                    "a regional HTTP API custom domain needs a certificate in the API's region: {prefix}<account>:certificate/<id>"
                ),
            );
        }
    }
    Domain {
        name: d.name.clone(),
        hosted_zone_id: d.hosted_zone_id.clone(),
        certificate_arn: d.certificate_arn.clone(),
    }
}

/// `Z0123456789ABCDEFGHIJ`: a `Z`, uppercase letters and digits, at most 32.
fn hosted_zone_id_ok(id: &str) -> bool {
    id.starts_with('Z')
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}
