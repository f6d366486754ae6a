//! `modules/secret`: generated credentials of a container database or broker.
use crate::hcl::Expr;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CredentialsCall {
    pub module: String,
    pub kms_key_arn: Expr,
    pub name: String,
    pub description: String,
    pub username: String,
}
