//! `modules/observability`: what the alarms and the dashboard watch (every
//! ECS service, the queues that drive scaling, the RDS databases, the SLOs),
//! how the golden-signal alarms judge, and the module's flags.
use super::common::VHOST;
use super::module_outputs::{broker, cluster, database, edge, kms, service};
use super::names;
use super::service::ServiceCall;
use super::slo::{SloCall, slo_call};
use crate::hcl::Expr;
use crate::model::{AlarmKind, Model, Purpose};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct WatchedService {
    pub key: String,
    pub service_name: Expr,
    pub load_balanced: bool,
    /// Name of each of the service's alarms, by kind (`5xx`, `cpu`, ...).
    pub alarm_names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedQueue {
    pub key: String,
    pub broker: Expr,
    pub virtual_host: String,
    pub queue: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchedDatabase {
    pub key: String,
    pub identifier: Expr,
}

/// Thresholds and evaluation of the golden-signal alarms.
#[derive(Debug, Clone, Serialize)]
pub struct GoldenAlarms {
    /// 5xx share of requests, ratio.
    pub error_ratio: f64,
    pub min_requests: u32,
    pub latency_p99_seconds: f64,
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObservabilityCall {
    pub module: &'static str,
    pub kms_key_arn: Expr,
    pub cluster_name: Expr,
    pub alb_arn_suffix: Expr,
    pub target_group_arn_suffixes: Expr,
    pub alternate_target_group_arn_suffixes: Expr,
    pub api_id: Expr,
    pub api_stage: Expr,
    pub services: Vec<WatchedService>,
    pub queues: Vec<WatchedQueue>,
    pub databases: Vec<WatchedDatabase>,
    pub alarms: GoldenAlarms,
    pub slos: SloCall,
    /// The budget's `TagKeyValue` filter: `user:Stage$<prefix>`.
    pub budget_tag_filter: String,
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
            service_name: service::service_name(&call.module),
            load_balanced: call.load_balancer.is_some(),
            alarm_names: alarm_names(model, call),
        })
        .collect();
    watched_services.sort_by(|a, b| a.key.cmp(&b.key));
    ObservabilityCall {
        module: names::OBSERVABILITY_MODULE,
        kms_key_arn: kms::key_arn(),
        cluster_name: cluster::cluster_name(),
        alb_arn_suffix: edge::alb_arn_suffix(),
        target_group_arn_suffixes: edge::target_group_arn_suffixes(),
        alternate_target_group_arn_suffixes: edge::alternate_target_group_arn_suffixes(),
        api_id: edge::api_id(),
        api_stage: edge::stage_name(),
        services: watched_services,
        queues: watched_queues(model),
        databases: model
            .rds_databases()
            .map(|(database, _)| WatchedDatabase {
                key: database.name.clone(),
                identifier: database::identifier(&names::database_module(&database.name)),
            })
            .collect(),
        alarms: golden_alarms(model),
        slos: slo_call(model),
        budget_tag_filter: format!("user:{}${}", crate::model::STAGE_TAG, model.project.prefix),
    }
}

fn golden_alarms(model: &Model) -> GoldenAlarms {
    let alarms = &model.operations.alarms;
    GoldenAlarms {
        error_ratio: (alarms.error_rate_percent * 100.0).round() / 10_000.0,
        min_requests: alarms.min_requests,
        latency_p99_seconds: f64::from(alarms.latency_p99_ms) / 1000.0,
        period: alarms.shape.period,
        evaluation_periods: alarms.shape.evaluation_periods,
        datapoints_to_alarm: alarms.shape.datapoints_to_alarm,
    }
}

/// An application's alarms come from the model; a dependency container
/// (no load balancer) has the CPU alarm only.
fn alarm_names(model: &Model, call: &ServiceCall) -> BTreeMap<String, String> {
    match model
        .services
        .iter()
        .find(|s| model.names.service(&s.name, Purpose::EcsService) == call.name)
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
            broker: broker::broker_name(),
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
