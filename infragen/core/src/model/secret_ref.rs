//! Where an ECS secret (`[service.secrets]`) comes from.
use serde::Serialize;

/// A secret reference of the topology, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRef {
    pub source: SecretSource,
    /// `:json-key:version-stage:version-id` of a Secrets Manager secret
    /// (empty: the whole current value).
    pub selector: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum SecretSource {
    /// A Secrets Manager secret given by name: the plan resolves it to its
    /// ARN (ECS would read a bare name as an SSM parameter name).
    Name(String),
    /// A Secrets Manager secret ARN, without the selector.
    SecretArn(String),
    /// An SSM Parameter Store parameter ARN.
    Parameter(String),
}
