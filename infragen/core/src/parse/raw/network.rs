//! `network`: the VPC, its subnets and egress.
use super::FlowLogDestination;
use super::FlowLogTraffic;
use schemars::JsonSchema;
use serde::Deserialize;

/// Egress from the private subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Egress {
    /// One NAT gateway in the first AZ (cheap; the AZ is a single point of failure for egress).
    NatSingle,
    /// One NAT gateway per AZ (highly available).
    NatPerAz,
    /// No internet egress: VPC interface endpoints for ECR, CloudWatch Logs,
    /// Secrets Manager (and the S3 gateway endpoint for image layers).
    VpcEndpoints,
}

/// Network settings: the VPC spans every listed AZ with a public, a private
/// and an isolated subnet in each.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawNetwork {
    /// VPC IPv4 CIDR block in canonical form (no host bits), /16 to /28; /20
    /// or larger when `subnets` is absent (the subnets are carved from it).
    /// Default: `10.0.0.0/16`.
    pub vpc_cidr: Option<String>,
    /// Availability zones, e.g. `["eu-west-3a", "eu-west-3b"]`: the region
    /// code and a letter, each listed once. At least two (the internal ALB and
    /// the RDS subnet group require two AZs, even for a single-AZ deployment);
    /// at most 15 when the subnets are carved automatically. Default: the
    /// region's `a` and `b` zones.
    pub azs: Option<Vec<String>>,
    /// Run tasks, NAT and data in the first AZ only (cheap dev stage). The
    /// network still spans every listed AZ because the ALB and the RDS subnet
    /// group need two. Default: `false`.
    pub single_az: Option<bool>,
    /// Egress choice: `nat_single`, `nat_per_az` or `vpc_endpoints`.
    /// `nat_per_az` is not allowed with `single_az = true`. Default: `nat_single`.
    pub egress: Option<Egress>,
    /// Retention of the VPC flow logs, days: a value CloudWatch Logs accepts
    /// (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
    /// 1827, 2192, 2557, 2922, 3288, 3653). Default: `operations.log_retention_days`.
    pub flow_logs_retention_days: Option<i64>,
    /// Flows the VPC flow logs record: `all` (accepted and rejected) or
    /// `reject` (rejected only: blocked traffic, a fraction of the volume).
    /// Default: `all` for a production stage (environment starting with
    /// `prod`), `reject` otherwise.
    pub flow_logs_traffic: Option<FlowLogTraffic>,
    /// Longest time a flow is aggregated into one record, seconds: `60` or
    /// `600` (fewer records, later). Default: `60` for a production stage,
    /// `600` otherwise.
    pub flow_logs_aggregation_seconds: Option<i64>,
    /// Where the flow logs go: `cloudwatch` (a KMS-encrypted log group,
    /// queryable with Logs Insights) or `s3` (a private KMS-encrypted
    /// bucket whose objects expire after `flow_logs_retention_days`;
    /// cheaper ingestion, query with Athena). Default: `cloudwatch`.
    pub flow_logs_destination: Option<FlowLogDestination>,
    /// Explicit subnet CIDRs, one per AZ and tier. Default: carved from
    /// `vpc_cidr`: private `/(p+4)` blocks first, then public and isolated
    /// `/(p+8)` blocks (p = VPC prefix length).
    pub subnets: Option<RawSubnets>,
}

/// Explicit subnet CIDRs: each list has exactly one CIDR per AZ, in the order
/// of `network.azs`. Every CIDR is in canonical form, inside `vpc_cidr`, and
/// overlaps no other subnet.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSubnets {
    /// Public subnets (NAT gateways only), /28 or larger. Default: none (all
    /// three lists are required in `[network.subnets]`).
    #[serde(default)]
    pub public: Vec<String>,
    /// Private subnets (ECS tasks, the internal ALB, VPC endpoints), /27 or
    /// larger, with enough addresses for the tasks at full scale plus 8 for the
    /// ALB (and 4 for VPC endpoints). Default: none (all three lists are
    /// required in `[network.subnets]`).
    #[serde(default)]
    pub private: Vec<String>,
    /// Isolated subnets, no route to the internet (RDS, Amazon MQ), /28 or
    /// larger. Default: none (all three lists are required in `[network.subnets]`).
    #[serde(default)]
    pub isolated: Vec<String>,
}
