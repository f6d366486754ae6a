//! `modules/network`: the root module's call and the module's own flags.
use super::common::retention_skip;
use super::module_outputs::kms;
use super::names;
use crate::hcl::Expr;
use crate::model::{Egress, FlowLogDestination, FlowLogTraffic, INTERFACE_ENDPOINTS, Model};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct NetworkCall {
    pub module: &'static str,
    pub kms_key_arn: Expr,
    pub cidr_block: String,
    pub azs: Vec<String>,
    pub public_subnet_cidrs: Vec<String>,
    pub private_subnet_cidrs: Vec<String>,
    pub isolated_subnet_cidrs: Vec<String>,
    pub nat_gateway_count: usize,
    pub interface_endpoints: Vec<String>,
    pub flow_logs_retention_days: u32,
    /// `ALL` or `REJECT`.
    pub flow_logs_traffic_type: &'static str,
    /// `max_aggregation_interval`, seconds.
    pub flow_logs_interval: u32,
    /// Non-production S3 destinations may be destroyed with their objects.
    pub flow_logs_force_destroy: bool,
    pub vpc_link_zone_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkFlags {
    pub zones: Vec<String>,
    pub nat: bool,
    pub vpc_endpoints: bool,
    pub egress_description: &'static str,
    pub flow_logs_retention_skip: Option<String>,
    /// Flow logs go to an S3 bucket (else a CloudWatch Logs group).
    pub flow_logs_s3: bool,
    /// What the flow logs record, how often, where.
    pub flow_logs_description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkModule {
    pub network: NetworkFlags,
}

pub(super) fn network_call(model: &Model) -> NetworkCall {
    let network = &model.network;
    NetworkCall {
        module: names::NETWORK_MODULE,
        kms_key_arn: kms::key_arn(),
        cidr_block: network.vpc_cidr.to_string(),
        azs: network.zones.iter().map(|z| z.name.clone()).collect(),
        public_subnet_cidrs: network.zones.iter().map(|z| z.public.to_string()).collect(),
        private_subnet_cidrs: network
            .zones
            .iter()
            .map(|z| z.private.to_string())
            .collect(),
        isolated_subnet_cidrs: network
            .zones
            .iter()
            .map(|z| z.isolated.to_string())
            .collect(),
        nat_gateway_count: network.nat_gateways,
        interface_endpoints: if network.egress == Egress::VpcEndpoints {
            INTERFACE_ENDPOINTS.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
        flow_logs_retention_days: network.flow_logs_retention_days,
        flow_logs_traffic_type: network.flow_logs_traffic.api_value(),
        flow_logs_interval: network.flow_logs_aggregation_seconds,
        flow_logs_force_destroy: !model.project.is_production(),
        vpc_link_zone_ids: network.vpc_link_zone_ids.clone(),
    }
}

pub(super) fn network_module(model: &Model) -> NetworkModule {
    NetworkModule {
        network: NetworkFlags {
            zones: model.network.zones.iter().map(|z| z.name.clone()).collect(),
            nat: model.network.nat_gateways > 0,
            vpc_endpoints: model.network.egress == Egress::VpcEndpoints,
            egress_description: match model.network.egress {
                Egress::NatSingle => "one NAT gateway shared by every AZ",
                Egress::NatPerAz => "one NAT gateway per AZ",
                Egress::VpcEndpoints => {
                    "no internet route; VPC endpoints for ECR, CloudWatch Logs, Secrets Manager and S3"
                }
            },
            flow_logs_retention_skip: retention_skip(
                model.network.flow_logs_retention_days,
                "VPC flow logs",
                model,
            ),
            flow_logs_s3: model.network.flow_logs_destination == FlowLogDestination::S3,
            flow_logs_description: flow_logs_description(model),
        },
    }
}

fn flow_logs_description(model: &Model) -> String {
    let network = &model.network;
    format!(
        "{} flows, aggregated over {} s, to {}",
        match network.flow_logs_traffic {
            FlowLogTraffic::All => "accepted and rejected",
            FlowLogTraffic::Reject => "rejected",
        },
        network.flow_logs_aggregation_seconds,
        match network.flow_logs_destination {
            FlowLogDestination::Cloudwatch => "a KMS-encrypted log group",
            FlowLogDestination::S3 => "a KMS-encrypted S3 bucket",
        }
    )
}
