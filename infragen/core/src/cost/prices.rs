//! What the estimate multiplies: the embedded, dated price table
//! (`prices.toml`) and the usage assumptions it cannot know.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded price table, as text.
pub const PRICES_TOML: &str = include_str!("../prices.toml");

/// Price table metadata: where and when the prices hold.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PriceMeta {
    pub region: String,
    pub as_of: String,
    pub currency: String,
    pub source: String,
    pub fargate_spot_discount: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FargatePrices {
    pub x86_vcpu_hour: f64,
    pub x86_gb_hour: f64,
    pub arm_vcpu_hour: f64,
    pub arm_gb_hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AlbPrices {
    pub hour: f64,
    pub lcu_hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NatPrices {
    pub hour: f64,
    pub gb_processed: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HourPrice {
    pub hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EndpointPrices {
    pub hour_per_az: f64,
    pub gb_processed: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RdsPrices {
    pub gp3_gb_month: f64,
    pub multi_az_factor: f64,
    pub postgres_hour: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MqPrices {
    pub storage_gb_month: f64,
    pub cluster_nodes: u32,
    pub rabbitmq_hour: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApiGatewayPrices {
    pub http_per_million: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CognitoPrices {
    pub essentials_per_mau: f64,
    pub free_mau: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CloudWatchPrices {
    pub logs_ingest_gb: f64,
    pub logs_storage_gb_month: f64,
    pub dashboard_month: f64,
    /// Per metric an alarm reads.
    pub alarm_month: f64,
    pub composite_alarm_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SecretsPrices {
    pub secret_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KmsPrices {
    pub key_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EcrPrices {
    pub storage_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InspectorPrices {
    pub image_initial_scan: f64,
    pub image_rescan: f64,
}

/// The whole price table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Prices {
    pub meta: PriceMeta,
    pub fargate: FargatePrices,
    pub alb: AlbPrices,
    pub nat_gateway: NatPrices,
    pub public_ipv4: HourPrice,
    pub vpc_endpoint: EndpointPrices,
    pub rds: RdsPrices,
    pub amazon_mq: MqPrices,
    pub api_gateway: ApiGatewayPrices,
    pub cognito: CognitoPrices,
    pub cloudwatch: CloudWatchPrices,
    pub secrets_manager: SecretsPrices,
    pub kms: KmsPrices,
    pub ecr: EcrPrices,
    pub inspector: InspectorPrices,
}

impl Prices {
    /// The embedded table.
    pub fn embedded() -> Prices {
        toml::from_str(PRICES_TOML)
            .expect("the embedded prices.toml is valid (checked by a unit test)")
    }
}

/// Usage assumptions: what the price table cannot know.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// Hours a month everything runs (730 = always on).
    pub hours: f64,
    /// API requests a month, in millions.
    pub requests_millions: f64,
    /// Monthly active users of the user pool.
    pub mau: u64,
    /// Application and access logs ingested a month, GB.
    pub log_gb: f64,
    /// VPC flow logs ingested a month, GB.
    pub flow_log_gb: f64,
    /// Data processed by the NAT gateways a month, GB.
    pub nat_gb: f64,
    /// Data processed by the interface endpoints a month, GB.
    pub endpoint_gb: f64,
    /// Average load balancer capacity units.
    pub alb_lcu: f64,
    /// Container images stored in ECR, GB.
    pub ecr_gb: f64,
    /// Images pushed a month (each scanned by Inspector).
    pub images_pushed: u32,
    /// Amazon MQ storage, GB.
    pub mq_storage_gb: f64,
    /// vCPU and memory (GB) of a database or broker run as a container.
    pub container_vcpu: f64,
    pub container_gb: f64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            hours: 730.0,
            requests_millions: 10.0,
            mau: 1_000,
            log_gb: 20.0,
            flow_log_gb: 10.0,
            nat_gb: 50.0,
            endpoint_gb: 50.0,
            alb_lcu: 1.0,
            ecr_gb: 5.0,
            images_pushed: 30,
            mq_storage_gb: 20.0,
            container_vcpu: 0.5,
            container_gb: 1.0,
        }
    }
}
