//! `modules/secret`: generated credentials of a container database or broker.
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CredentialsCall {
    pub module: String,
    pub name: String,
    pub description: String,
    pub username: String,
}
