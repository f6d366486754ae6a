//! `edge` and `auth`: the way in, API Gateway and the Cognito user pool.
use schemars::JsonSchema;
use serde::Deserialize;

/// Amazon API Gateway HTTP API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawEdge {
    /// Stage throttling: burst limit (requests). 1–5000. Default: `100`.
    pub throttling_burst_limit: Option<i64>,
    /// Stage throttling: steady-state rate (requests per second). 1–10000. Default: `50`.
    pub throttling_rate_limit: Option<i64>,
    /// Retention of the API access logs, days: a CloudWatch Logs value (see
    /// `network.flow_logs_retention_days`). Default: `operations.log_retention_days`.
    pub access_log_retention_days: Option<i64>,
    /// Optional custom domain with an ACM certificate. Default: none (the
    /// API's `execute-api` URL).
    pub domain: Option<RawDomain>,
}

/// Custom domain for the API. One of `hosted_zone_id` or `certificate_arn`
/// is required.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDomain {
    /// Fully qualified domain name, e.g. `api.example.com`: at least two
    /// labels of letters, digits and hyphens, at most 253 characters.
    pub name: String,
    /// Route 53 hosted zone id (`Z` then uppercase letters and digits, at
    /// most 32 characters): infragen creates the ACM certificate with DNS
    /// validation and the alias record. Default: none.
    pub hosted_zone_id: Option<String>,
    /// ARN of an existing ACM certificate in the project's region,
    /// `arn:aws:acm:<region>:<account>:certificate/<id>` (used instead of
    /// creating one). Default: none.
    pub certificate_arn: Option<String>,
}

/// Cognito user pool and app client.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAuth {
    /// User pool name: 1–128 letters, digits, spaces and `+ = , . @ - _`.
    /// Default: `<project>-<environment>-users`.
    pub user_pool_name: Option<String>,
    /// Password policy.
    #[serde(default)]
    pub password_policy: RawPasswordPolicy,
    /// Access token validity, minutes (5–1440). Default: `60`.
    pub access_token_validity_minutes: Option<i64>,
    /// ID token validity, minutes (5–1440). Default: `60`.
    pub id_token_validity_minutes: Option<i64>,
    /// Refresh token validity, days (1–3650). Default: `30`.
    pub refresh_token_validity_days: Option<i64>,
}

/// Cognito password policy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPasswordPolicy {
    /// Minimum length (8–99). Default: `12`.
    pub min_length: Option<i64>,
    /// Require a lowercase letter. Default: `true`.
    pub require_lowercase: Option<bool>,
    /// Require an uppercase letter. Default: `true`.
    pub require_uppercase: Option<bool>,
    /// Require a digit. Default: `true`.
    pub require_numbers: Option<bool>,
    /// Require a symbol. Default: `true`.
    pub require_symbols: Option<bool>,
}
