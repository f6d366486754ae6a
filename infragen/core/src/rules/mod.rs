//! The rules: raw topology → [`Model`], one file per topology section.
//!
//! One pass over the raw topology fills every default, checks every rule and
//! resolves every reference, pushing each problem (with its field path) to
//! `Problems` instead of stopping. The returned model is only handed out by
//! [`crate::load`] when no problem was found.
use crate::diagnostics::Problems;
use crate::model::Model;
use crate::parse::raw::RawTopology;

mod auth;
mod broker;
pub mod checks;
mod cluster;
mod connections;
mod databases;
mod deploy;
mod edge;
mod fields;
pub mod names;
mod network;
mod operations;
mod project;
pub mod regions;
mod scaling;
mod secrets;
mod services;
mod slos;
#[cfg(test)]
mod tests;

/// Resolve and check a raw topology: each section, then the references
/// between them (who uses a database or the broker, who calls a service),
/// then what needs the whole (load balancing, subnet capacity).
pub(crate) fn resolve(raw: &RawTopology, p: &mut Problems) -> Model {
    let operations = operations::operations(raw, p);
    let project = project::project(raw, p);
    operations::require_recipient(&operations, &project, p);
    let network = network::network(raw, &project, operations.log_retention_days, p);
    let edge = edge::edge(raw, &project, operations.log_retention_days, p);
    let auth = auth::auth(raw, &project, p);
    let cluster = cluster::cluster(raw, &project, p);
    let mut databases = databases::databases(raw, &project, &network, p);
    let mut broker = raw
        .broker
        .as_ref()
        .map(|b| broker::broker(b, &project, &network, p));
    let mut services = services::services(raw, &project, &cluster, &databases, broker.as_ref(), p);

    databases::link_users(&mut databases, &services);
    if let Some(broker) = &mut broker {
        broker::link_users(broker, &services);
    }
    services::link_callers(&mut services);
    connections::pools(
        &mut services,
        &databases,
        runtime_contract::variables::DEFAULT_PG_POOL_SIZE as u32,
        runtime_contract::variables::PG_POOL_SIZE,
        p,
    );
    services::check_load_balancing(&services, p);
    let names = names::names(
        &names::Inputs {
            project: &project,
            egress: network.egress,
            flow_logs_to_cloudwatch: network.flow_logs_destination
                == crate::model::FlowLogDestination::Cloudwatch,
            services: &services,
            databases: &databases,
            broker: broker.as_ref(),
        },
        p,
    );
    deploy::finish(raw, &mut services, &names, p);
    let deploy_hook = deploy::hook(&project, &services, &names);
    network::capacity_check(raw, &network, &services, &databases, broker.as_ref(), p);
    let slos = slos::slos(raw, &project, &services, p);

    Model {
        project,
        network,
        edge,
        auth,
        cluster,
        services,
        databases,
        broker,
        operations,
        deploy_hook,
        slos,
        names,
    }
}
