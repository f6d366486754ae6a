//! `modules/kms`: the root module's call of the project's key (its call has
//! no inputs of its own) and the module's flags (which services its key
//! policy lets in).
use super::names;
use crate::model::{FlowLogDestination, Model};
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

#[derive(Debug, Clone, Serialize)]
pub struct KmsFlags {
    /// VPC Flow Logs delivers to an S3 bucket encrypted with the key.
    pub flow_logs_s3: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct KmsModule {
    pub kms: KmsFlags,
}

pub(super) fn kms_module(model: &Model) -> KmsModule {
    KmsModule {
        kms: KmsFlags {
            flow_logs_s3: model.network.flow_logs_destination == FlowLogDestination::S3,
        },
    }
}
