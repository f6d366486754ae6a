//! `modules/observability`: what the alarms and the dashboard watch (every
//! ECS service, the queues that drive scaling, the RDS databases), and the
//! module's flags.
use super::common::VHOST;
use super::names;
use super::service::ServiceCall;
use crate::model::{AlarmKind, Model};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct WatchedService {
    pub key: String,
    pub service_name_expr: String,
    pub load_balanced: bool,
    /// Name of each of the service's alarms, by kind (`5xx`, `cpu`, ...).
    pub alarm_names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedQueue {
    pub key: String,
    pub virtual_host: String,
    pub queue: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedDatabase {
    pub key: String,
    pub identifier_expr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityCall {
    pub services: Vec<WatchedService>,
    pub queues: Vec<WatchedQueue>,
    pub databases: Vec<WatchedDatabase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityFlags {
    pub dashboard: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityModule {
    pub observability: ObservabilityFlags,
}

/// `services`: every `modules/service` call of the root module.
pub(super) fn observability_call(model: &Model, services: &[ServiceCall]) -> ObservabilityCall {
    let mut watched_services: Vec<WatchedService> = services
        .iter()
        .map(|call| WatchedService {
            key: call.container_name_key(),
            service_name_expr: format!("module.{}.service_name", call.module),
            load_balanced: call.load_balancer.is_some(),
            alarm_names: alarm_names(model, call),
        })
        .collect();
    watched_services.sort_by(|a, b| a.key.cmp(&b.key));
    ObservabilityCall {
        services: watched_services,
        queues: watched_queues(model),
        databases: model
            .rds_databases()
            .map(|(database, _)| WatchedDatabase {
                key: database.name.clone(),
                identifier_expr: format!(
                    "module.{}.identifier",
                    names::database_module(&database.name)
                ),
            })
            .collect(),
    }
}

/// An application's alarms come from the model; a dependency container
/// (no load balancer) has the CPU alarm only.
fn alarm_names(model: &Model, call: &ServiceCall) -> BTreeMap<String, String> {
    match model
        .services
        .iter()
        .find(|s| s.names.ecs_service == call.name)
    {
        Some(service) => service
            .alarms
            .iter()
            .map(|a| (a.kind.key().to_string(), a.name.clone()))
            .collect(),
        None => BTreeMap::from([(
            AlarmKind::Cpu.key().to_string(),
            AlarmKind::Cpu.alarm_name(&call.name),
        )]),
    }
}

/// The queues that drive scaling, on Amazon MQ (a container broker has no metrics).
fn watched_queues(model: &Model) -> Vec<WatchedQueue> {
    if model.amazon_mq().is_none() {
        return Vec::new();
    }
    let mut queues: Vec<WatchedQueue> = model
        .services
        .iter()
        .filter(|s| s.broker)
        .filter_map(|s| s.scaling.queue_backlog.as_ref())
        .map(|q| WatchedQueue {
            key: q.queue.replace('_', "-"),
            virtual_host: VHOST.into(),
            queue: q.queue.clone(),
        })
        .collect();
    queues.sort_by(|a, b| a.key.cmp(&b.key));
    queues.dedup_by(|a, b| a.key == b.key);
    queues
}

pub(super) fn observability_module(model: &Model) -> ObservabilityModule {
    ObservabilityModule {
        observability: ObservabilityFlags {
            dashboard: model.operations.dashboard,
        },
    }
}
