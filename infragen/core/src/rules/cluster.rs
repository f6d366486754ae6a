//! `[cluster]`: Container Insights and the capacity provider strategy.
use super::fields::ranged;
use crate::diagnostics::Problems;
use crate::model::{Capacity, Cluster, ContainerInsights, Project};
use crate::parse::raw::RawTopology;

pub(super) fn cluster(raw: &RawTopology, project: &Project, p: &mut Problems) -> Cluster {
    let c = &raw.cluster.capacity;
    let capacity = Capacity {
        fargate_weight: ranged(
            p,
            "cluster.capacity.fargate_weight",
            c.fargate_weight,
            1,
            0,
            1000,
            "weights are 0–1000",
        ),
        fargate_base: ranged(
            p,
            "cluster.capacity.fargate_base",
            c.fargate_base,
            1,
            0,
            100000,
            "base is 0–100000",
        ),
        fargate_spot_weight: ranged(
            p,
            "cluster.capacity.fargate_spot_weight",
            c.fargate_spot_weight,
            0,
            0,
            1000,
            "weights are 0–1000",
        ),
    };
    if capacity.fargate_weight == 0 && capacity.fargate_spot_weight == 0 {
        p.invalid(
            "cluster.capacity",
            "both capacity provider weights are 0: no task could be placed",
            "set `fargate_weight` or `fargate_spot_weight` above 0",
        );
    }
    if capacity.fargate_weight == 0 && capacity.fargate_base > 0 {
        p.invalid(
            "cluster.capacity.fargate_base",
            "a base on FARGATE needs `fargate_weight` > 0",
            "set `fargate_base = 0` for a Spot-only cluster, or give FARGATE a weight",
        );
    }
    Cluster {
        name: project.prefix.clone(),
        container_insights: raw
            .cluster
            .container_insights
            .unwrap_or(if project.is_production() {
                ContainerInsights::Enhanced
            } else {
                ContainerInsights::Enabled
            }),
        capacity,
    }
}
