//! The AWS regions infragen knows, and where API Gateway HTTP API VPC links
//! exist in each (by zone ID: zone names map to zone IDs differently in
//! every account). Source: API Gateway developer guide, "Set up VPC links
//! for HTTP APIs", availability by Region.

/// Commercial and GovCloud regions (the ISO partitions are not supported).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Zone IDs where HTTP API VPC links exist, per region.
const VPC_LINK_ZONES: &[(&str, &[&str])] = &[
    ("us-east-2", &["use2-az1", "use2-az2", "use2-az3"]),
    (
        "us-east-1",
        &["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"],
    ),
    ("us-west-1", &["usw1-az1", "usw1-az3"]),
    (
        "us-west-2",
        &["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
    ),
    ("ap-east-1", &["ape1-az2", "ape1-az3"]),
    ("ap-south-1", &["aps1-az1", "aps1-az2", "aps1-az3"]),
    ("ap-northeast-2", &["apne2-az1", "apne2-az2", "apne2-az3"]),
    ("ap-southeast-1", &["apse1-az1", "apse1-az2", "apse1-az3"]),
    ("ap-southeast-2", &["apse2-az1", "apse2-az2", "apse2-az3"]),
    ("ap-northeast-1", &["apne1-az1", "apne1-az2", "apne1-az4"]),
    ("ca-central-1", &["cac1-az1", "cac1-az2"]),
    ("eu-central-1", &["euc1-az1", "euc1-az2", "euc1-az3"]),
    ("eu-west-1", &["euw1-az1", "euw1-az2", "euw1-az3"]),
    ("eu-west-2", &["euw2-az1", "euw2-az2", "euw2-az3"]),
    ("eu-west-3", &["euw3-az1", "euw3-az3"]),
    ("eu-south-2", &["eus2-az1", "eus2-az2", "eus2-az3"]),
    ("eu-north-1", &["eun1-az1", "eun1-az2", "eun1-az3"]),
    ("me-south-1", &["mes1-az1", "mes1-az2", "mes1-az3"]),
    ("sa-east-1", &["sae1-az1", "sae1-az2", "sae1-az3"]),
    ("us-gov-west-1", &["usgw1-az1", "usgw1-az2", "usgw1-az3"]),
];

/// Is this a region AWS has?
pub fn region_exists(region: &str) -> bool {
    REGIONS.contains(&region)
}

/// AWS partition of a region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The zone IDs of `region` where HTTP API VPC links exist, or None when
/// the region has none.
pub fn vpc_link_zone_ids(region: &str) -> Option<&'static [&'static str]> {
    VPC_LINK_ZONES
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, zones)| *zones)
}

/// The regions with HTTP API VPC links, for hints.
pub fn vpc_link_regions() -> Vec<&'static str> {
    let mut regions: Vec<&str> = VPC_LINK_ZONES.iter().map(|(r, _)| *r).collect();
    regions.sort();
    regions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition("eu-west-3"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn every_vpc_link_region_exists() {
        for region in vpc_link_regions() {
            assert!(region_exists(region), "{region}");
        }
        assert!(!region_exists("eu-west-9"));
    }

    #[test]
    fn paris_has_two_vpc_link_zones() {
        assert_eq!(
            vpc_link_zone_ids("eu-west-3"),
            Some(&["euw3-az1", "euw3-az3"][..])
        );
        assert!(
            !vpc_link_zone_ids("us-east-1")
                .unwrap()
                .contains(&"use1-az3")
        );
        assert_eq!(vpc_link_zone_ids("af-south-1"), None);
    }
}
