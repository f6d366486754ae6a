//! The operating modes a topology chooses by name: what the flow logs
//! record and where they go, the Container Insights and Database Insights
//! modes. Each knows the value the AWS API (and so the provider) takes.
use schemars::JsonSchema;
use serde::Deserialize;

/// Which flows the VPC flow logs record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowLogTraffic {
    /// Accepted and rejected flows (`ALL`).
    All,
    /// Rejected flows only (`REJECT`).
    Reject,
}

impl FlowLogTraffic {
    /// The EC2 API's `TrafficType`.
    pub fn api_value(self) -> &'static str {
        match self {
            FlowLogTraffic::All => "ALL",
            FlowLogTraffic::Reject => "REJECT",
        }
    }
}

/// Where the VPC flow logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowLogDestination {
    /// A KMS-encrypted CloudWatch Logs group.
    Cloudwatch,
    /// A private, KMS-encrypted S3 bucket with expiring objects.
    S3,
}

/// The cluster's `containerInsights` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerInsights {
    /// Container Insights with enhanced observability.
    Enhanced,
    /// Standard Container Insights.
    Enabled,
    /// Off.
    Disabled,
}

impl ContainerInsights {
    /// The ECS cluster setting's value.
    pub fn api_value(self) -> &'static str {
        match self {
            ContainerInsights::Enhanced => "enhanced",
            ContainerInsights::Enabled => "enabled",
            ContainerInsights::Disabled => "disabled",
        }
    }
}

/// CloudWatch Database Insights mode of an RDS instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseInsights {
    /// Standard mode: Performance Insights with 7 days of history (free).
    Standard,
    /// Advanced mode: 15 months of history, execution plans, fleet views;
    /// billed per vCPU-hour.
    Advanced,
}

impl DatabaseInsights {
    /// `database_insights_mode`.
    pub fn api_value(self) -> &'static str {
        match self {
            DatabaseInsights::Standard => "standard",
            DatabaseInsights::Advanced => "advanced",
        }
    }

    /// Performance Insights retention the mode requires, days.
    pub fn retention_days(self) -> u32 {
        match self {
            DatabaseInsights::Standard => 7,
            DatabaseInsights::Advanced => 465,
        }
    }
}
