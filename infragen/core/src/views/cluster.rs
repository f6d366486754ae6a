//! `modules/cluster`: the root module's call and the module's flags.
use super::common::{CapacityProvider, capacity};
use super::module_outputs::network;
use super::names;
use crate::hcl::Expr;
use crate::model::Model;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ClusterCall {
    pub module: &'static str,
    pub name: String,
    /// `enhanced`, `enabled` or `disabled`.
    pub container_insights: &'static str,
    pub service_discovery: bool,
    /// The VPC of the Cloud Map namespace.
    pub vpc_id: Expr,
    pub service_discovery_namespace: String,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterFlags {
    pub service_discovery: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterModule {
    pub cluster: ClusterFlags,
}

/// `service_discovery`: whether any service registers in Cloud Map.
pub(super) fn cluster_call(model: &Model, service_discovery: bool) -> ClusterCall {
    ClusterCall {
        module: names::CLUSTER_MODULE,
        name: model.cluster.name.clone(),
        container_insights: model.cluster.container_insights.api_value(),
        service_discovery,
        vpc_id: network::vpc_id(),
        service_discovery_namespace: names::discovery_namespace(&model.project.prefix),
        capacity_provider_strategy: capacity(model, false),
    }
}

pub(super) fn cluster_module(call: &ClusterCall) -> ClusterModule {
    ClusterModule {
        cluster: ClusterFlags {
            service_discovery: call.service_discovery,
        },
    }
}
