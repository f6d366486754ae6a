//! `modules/kms`: the root module's call of the project's key (the module
//! has no flags and its call no inputs of its own).
use super::names;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct KmsCall {
    pub module: &'static str,
}

pub(super) fn kms_call() -> KmsCall {
    KmsCall {
        module: names::KMS_MODULE,
    }
}
