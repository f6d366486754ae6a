//! `modules/kms`: the module's flags (which services its key policy lets in).
use crate::model::{FlowLogDestination, Model};
use serde::Serialize;

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
