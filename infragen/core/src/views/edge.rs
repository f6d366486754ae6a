//! `modules/edge`: the root module's call (routes, target groups, the
//! service-to-service listeners, the custom domain) and the module's flags.
use super::common::retention_skip;
use super::module_outputs::{auth, kms, network};
use super::names;
use crate::hcl::Expr;
use crate::model::{Model, Purpose};
use serde::Serialize;
use std::collections::BTreeMap;

/// First port of the service-to-service ALB listeners.
pub const FIRST_INTERNAL_LISTENER_PORT: u16 = 8080;

/// First port of the test listeners of smoke-tested services.
pub const FIRST_TEST_LISTENER_PORT: u16 = 9080;

#[derive(Debug, Clone, Serialize)]
pub struct TargetCall {
    pub key: String,
    pub target_group_name: String,
    /// Second target group of a traffic-shifting deployment; `None` renders `null`.
    pub alternate_target_group_name: Option<String>,
    pub port: u16,
    pub health_check_path: String,
    pub path_patterns: Vec<String>,
    pub priority: u32,
    /// Service-to-service listener port; `None` renders `null`.
    pub listener_port: Option<u16>,
    /// Test listener port of a smoke-tested service; `None` renders `null`.
    pub test_listener_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainCall {
    pub name: String,
    pub hosted_zone: bool,
    pub hosted_zone_id: Option<String>,
    pub create_certificate: bool,
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeCall {
    pub module: &'static str,
    pub vpc_id: Expr,
    pub subnet_ids: Expr,
    pub vpc_link_subnet_ids: Expr,
    pub jwt_issuer: Expr,
    pub jwt_audience: Expr,
    pub kms_key_arn: Expr,
    pub alb_name: String,
    pub deletion_protection: bool,
    pub routes: Vec<String>,
    pub throttling_burst_limit: u32,
    pub throttling_rate_limit: u32,
    pub access_log_retention_days: u32,
    pub targets: Vec<TargetCall>,
    pub domain: Option<DomainCall>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeDomainFlags {
    pub name: String,
    pub create_certificate: bool,
    pub hosted_zone: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeFlags {
    pub domain: Option<EdgeDomainFlags>,
    pub deletion_protection_skip: Option<String>,
    pub access_log_retention_skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdgeModule {
    pub edge: EdgeFlags,
}

/// Service-to-service listener port per called service, in file order.
pub(super) fn listener_ports(model: &Model) -> BTreeMap<String, u16> {
    let mut ports = BTreeMap::new();
    let mut next = FIRST_INTERNAL_LISTENER_PORT;
    for service in &model.services {
        if !service.called_by.is_empty() {
            ports.insert(service.name.clone(), next);
            next += 1;
        }
    }
    ports
}

/// Test listener port per smoke-tested service, in file order.
pub(super) fn test_listener_ports(model: &Model) -> BTreeMap<String, u16> {
    (FIRST_TEST_LISTENER_PORT..)
        .zip(model.services.iter().filter(|s| s.smoke_tested()))
        .map(|(port, service)| (service.name.clone(), port))
        .collect()
}

pub(super) fn edge_call(model: &Model) -> EdgeCall {
    let ports = listener_ports(model);
    let test_ports = test_listener_ports(model);
    let mut targets = Vec::new();
    let mut routes = Vec::new();
    let mut priority = 0;
    for service in model.services.iter().filter(|s| s.load_balanced()) {
        let mut path_patterns: Vec<String> = service
            .routes
            .iter()
            .map(|r| names::path_pattern(r))
            .collect();
        path_patterns.sort();
        path_patterns.dedup();
        if !path_patterns.is_empty() {
            priority += 10;
        }
        routes.extend(service.routes.iter().map(|r| names::route_key(r)));
        targets.push(TargetCall {
            key: service.name.clone(),
            target_group_name: model
                .names
                .service(&service.name, Purpose::TargetGroup)
                .into(),
            alternate_target_group_name: service.shifts_traffic().then(|| {
                model
                    .names
                    .service(&service.name, Purpose::AlternateTargetGroup)
                    .into()
            }),
            port: service.port,
            health_check_path: service.health_path.clone(),
            priority: if path_patterns.is_empty() {
                0
            } else {
                priority
            },
            path_patterns,
            listener_port: ports.get(&service.name).copied(),
            test_listener_port: test_ports.get(&service.name).copied(),
        });
    }
    routes.sort();
    routes.dedup();
    let domain = model.edge.domain.as_ref().map(|domain| DomainCall {
        name: domain.name.clone(),
        hosted_zone: domain.hosted_zone_id.is_some(),
        hosted_zone_id: domain.hosted_zone_id.clone(),
        create_certificate: domain.certificate_arn.is_none(),
        certificate_arn: domain.certificate_arn.clone(),
    });
    EdgeCall {
        module: names::EDGE_MODULE,
        vpc_id: network::vpc_id(),
        subnet_ids: network::private_subnet_ids(),
        vpc_link_subnet_ids: network::vpc_link_subnet_ids(),
        jwt_issuer: auth::issuer(),
        jwt_audience: Expr::List(vec![auth::client_id()]),
        kms_key_arn: kms::key_arn(),
        alb_name: model.names.stage(Purpose::LoadBalancer).into(),
        deletion_protection: model.project.is_production(),
        routes,
        throttling_burst_limit: model.edge.throttling_burst_limit,
        throttling_rate_limit: model.edge.throttling_rate_limit,
        access_log_retention_days: model.edge.access_log_retention_days,
        targets,
        domain,
    }
}

pub(super) fn edge_module(model: &Model) -> EdgeModule {
    EdgeModule {
        edge: EdgeFlags {
            domain: model.edge.domain.as_ref().map(|d| EdgeDomainFlags {
                name: d.name.clone(),
                create_certificate: d.certificate_arn.is_none(),
                hosted_zone: d.hosted_zone_id.is_some(),
            }),
            access_log_retention_skip: retention_skip(
                model.edge.access_log_retention_days,
                "API access logs",
                model,
            ),
            deletion_protection_skip: (!model.project.is_production()).then(|| {
                format!(
                    "The internal ALB of the {} stage holds no state and is recreated by Terraform; deletion protection stays on in production",
                    model.project.environment
                )
            }),
        },
    }
}
