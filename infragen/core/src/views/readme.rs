//! `README.md` of the output directory: the architecture diagram, the map
//! of the root module's calls, and the design choices of this topology.
use super::names;
use super::root::RootView;
use crate::model::{Egress, Model};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeModule {
    pub label: String,
    pub source: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadmeChoice {
    pub title: &'static str,
    pub text: String,
}

/// `README.md` of the output directory: diagram, module map, design choices.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeView {
    pub name: String,
    pub region: String,
    pub graph: String,
    /// Label of the registry's module call, applied first.
    pub registry_module: &'static str,
    pub modules: Vec<ReadmeModule>,
    pub choices: Vec<ReadmeChoice>,
}

fn readme_module(label: &str, source: &str, description: impl Into<String>) -> ReadmeModule {
    ReadmeModule {
        label: label.to_string(),
        source: format!("./modules/{source}"),
        description: description.into(),
    }
}

/// The README's view; `diagram` is the Mermaid source of the architecture.
pub fn readme_view(model: &Model, root: &RootView, diagram: String) -> ReadmeView {
    ReadmeView {
        name: root.name.clone(),
        region: root.region.clone(),
        graph: diagram,
        registry_module: names::REGISTRY_MODULE,
        modules: modules(model, root),
        choices: choices(model),
    }
}

/// The root module's calls, in the order of `main.tf`.
fn modules(model: &Model, root: &RootView) -> Vec<ReadmeModule> {
    let mut modules = shared_modules(model);
    for database in &root.databases {
        modules.push(readme_module(
            &database.module,
            "database",
            format!(
                "RDS PostgreSQL `{}` (database `{}`)",
                database.identifier, database.db_name
            ),
        ));
    }
    if let Some(broker) = &root.broker {
        modules.push(readme_module(
            names::BROKER_MODULE,
            "broker",
            format!(
                "Amazon MQ for RabbitMQ `{}` ({})",
                broker.identifier, broker.deployment_mode
            ),
        ));
    }
    for credentials in &root.credentials {
        modules.push(readme_module(
            &credentials.module,
            "secret",
            format!("generated credentials of {}", credentials.description),
        ));
    }
    for service in &root.services {
        modules.push(readme_module(
            &service.module,
            "service",
            service.comment.clone(),
        ));
    }
    modules.push(readme_module(
        names::OBSERVABILITY_MODULE,
        "observability",
        "SNS alarm topic, golden-signal alarms, dashboard, AWS Budgets alert",
    ));
    modules
}

/// The modules every topology calls, whatever its databases and broker.
fn shared_modules(model: &Model) -> Vec<ReadmeModule> {
    vec![
        readme_module(
            names::KMS_MODULE,
            "kms",
            "customer managed KMS key (rotation on) for logs, SNS, secrets, RDS, ECR",
        ),
        readme_module(
            names::NETWORK_MODULE,
            "network",
            format!(
                "VPC over {} AZs, public/private/isolated subnets, {}, S3 gateway endpoint, flow logs, closed default security group",
                model.network.zones.len(),
                match model.network.egress {
                    Egress::NatSingle => "one NAT gateway",
                    Egress::NatPerAz => "one NAT gateway per AZ",
                    Egress::VpcEndpoints =>
                        "interface endpoints (ECR API/DKR, Logs, Secrets Manager) instead of NAT",
                }
            ),
        ),
        readme_module(
            names::AUTH_MODULE,
            "auth",
            "Cognito user pool and public app client (SRP; operators sign in with ADMIN_USER_PASSWORD_AUTH)",
        ),
        readme_module(
            names::EDGE_MODULE,
            "edge",
            "HTTP API with JWT authorizer, throttled stage with JSON access logs, VPC link, internal ALB, target groups on the readiness path",
        ),
        readme_module(
            names::CLUSTER_MODULE,
            "cluster",
            format!(
                "ECS cluster (Container Insights `{}`), FARGATE and FARGATE_SPOT capacity providers",
                model.cluster.container_insights.api_value()
            ),
        ),
        readme_module(
            names::REGISTRY_MODULE,
            "registry",
            if model.operations.ecr.account_scanning {
                "ECR repositories (immutable tags, scan on push, KMS, lifecycle); the account's registry scanning (Inspector enhanced scanning of the project's repositories)"
            } else {
                "ECR repositories (immutable tags, basic scan on push, KMS, lifecycle)"
            },
        ),
    ]
}

fn choices(model: &Model) -> Vec<ReadmeChoice> {
    vec![
        ReadmeChoice {
            title: "HTTP API rather than REST API",
            text: "cheaper and faster, with a native JWT authorizer for Cognito; the REST API's extras (API keys, usage plans, request validation) are not needed here".into(),
        },
        ReadmeChoice {
            title: "VPC link to an internal ALB",
            text: "HTTP API private integrations need a VPC link to an ALB, NLB or Cloud Map; the ALB adds per-service health checks on the readiness path, connection draining, per-target metrics and request-count autoscaling".into(),
        },
        ReadmeChoice {
            title: "Service-to-service calls through the ALB, not Cloud Map",
            text: "each called service gets its own ALB listener that only its callers' security groups may reach; calls go to ready targets only and show up in the target group's metrics and alarms. Cloud Map is used only for the dev-stage PostgreSQL and RabbitMQ containers, which are not HTTP".into(),
        },
        ReadmeChoice {
            title: "Security groups chained by reference",
            text: "every rule between workloads names the other security group; the only CIDR rule is HTTPS to the internet through NAT when the topology chooses NAT egress".into(),
        },
        ReadmeChoice {
            title: "RDS and Amazon MQ, or containers",
            text: "managed services for real stages (backups, Multi-AZ, patching, TLS); Fargate containers for a cheap dev stage whose data may be lost when a task stops".into(),
        },
        ReadmeChoice {
            title: "NAT or VPC endpoints",
            text: match model.network.egress {
                Egress::VpcEndpoints => "this topology uses interface endpoints: no internet route at all, priced per endpoint-hour and GB; images must come from ECR".into(),
                _ => "this topology uses NAT: any registry and API are reachable, priced per gateway-hour and GB; the S3 gateway endpoint keeps image layers off the NAT".into(),
            },
        },
        ReadmeChoice {
            title: "Fargate Spot",
            text: "the capacity provider strategy mixes FARGATE (a guaranteed base) with FARGATE_SPOT for cheap, interruptible capacity; ARM64 tasks stay on FARGATE".into(),
        },
    ]
}
