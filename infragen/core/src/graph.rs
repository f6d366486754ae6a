//! The architecture diagram (Mermaid `flowchart`) generated from the model:
//! client → API Gateway (Cognito JWT) → VPC link → internal ALB → services →
//! databases and broker, plus egress and operations. Deterministic output.
use crate::model::{Egress, Exposure, Model, Purpose};
use crate::views::names;
use std::fmt::Write;

fn node_id(prefix: &str, name: &str) -> String {
    format!("{prefix}_{}", names::ident(name))
}

/// Mermaid source of the architecture of `model`.
pub fn mermaid(model: &Model) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart LR");
    let _ = writeln!(out, "  client([Client])");
    let _ = writeln!(
        out,
        "  cognito[\"Cognito user pool<br/>{}\"]",
        model.auth.user_pool_name
    );
    let api_label = match &model.edge.domain {
        Some(domain) => format!("API Gateway HTTP API<br/>{} (ACM)", domain.name),
        None => "API Gateway HTTP API".to_string(),
    };
    let _ = writeln!(
        out,
        "  apigw[\"{api_label}<br/>JWT authorizer, throttling\"]"
    );
    out.push_str(concat!(
        "  client -->|HTTPS + JWT| apigw\n",
        "  client -.->|sign in| cognito\n",
        "  apigw -.->|verifies tokens| cognito\n",
    ));
    vpc(&mut out, model);
    egress(&mut out, model);
    wires(&mut out, model);
    out.push_str(concat!(
        "  ecs -->|images, logs, secrets| egress\n",
        "  ops[\"CloudWatch dashboard, alarms → SNS, Budgets\"]\n",
        "  ecr[\"ECR + Inspector scanning\"]\n",
        "  ecs -.-> ops\n",
        "  ecr -.->|pull| ecs\n",
    ));
    out
}

/// The VPC: the ALB, the ECS cluster with the services (and container
/// dependencies), the RDS databases and Amazon MQ.
fn vpc(out: &mut String, model: &Model) {
    let _ = writeln!(
        out,
        "  subgraph vpc[\"VPC {} ({} AZs)\"]",
        model.network.vpc_cidr,
        model.network.zones.len()
    );
    let _ = writeln!(out, "    vpclink[VPC link]");
    let _ = writeln!(
        out,
        "    alb[\"Internal ALB<br/>{}\"]",
        model.names.stage(Purpose::LoadBalancer)
    );
    let _ = writeln!(
        out,
        "    subgraph ecs[\"ECS cluster {} (Fargate)\"]",
        model.cluster.name
    );
    for service in &model.services {
        let smoke = if service.smoke_tested() {
            " + smoke test"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "      {}[\"{}<br/>{} CPU / {} MiB, {}–{} tasks<br/>deploy: {}{smoke}\"]",
            node_id("svc", &service.name),
            service.name,
            service.cpu,
            service.memory,
            service.scaling.min,
            service.scaling.max,
            service.deployment.strategy.summary()
        );
    }
    for (database, _) in model.container_databases() {
        let _ = writeln!(
            out,
            "      {}[(\"PostgreSQL container<br/>{}\")]",
            node_id("db", &database.name),
            database.db_name
        );
    }
    if let Some((broker, _)) = model.container_broker() {
        let _ = writeln!(
            out,
            "      {}[[\"RabbitMQ container<br/>{}\"]]",
            node_id("mq", &broker.name),
            broker.name
        );
    }
    let _ = writeln!(out, "    end");
    for (database, rds) in model.rds_databases() {
        let _ = writeln!(
            out,
            "    {}[(\"RDS PostgreSQL {}<br/>{}{}\")]",
            node_id("db", &database.name),
            database.engine_version,
            database.db_name,
            if rds.multi_az { ", Multi-AZ" } else { "" }
        );
    }
    if let Some((broker, _)) = model.amazon_mq() {
        let _ = writeln!(
            out,
            "    {}[[\"Amazon MQ RabbitMQ {}<br/>AMQPS\"]]",
            node_id("mq", &broker.name),
            broker.engine_version
        );
    }
}

/// NAT gateways or VPC endpoints, closing the VPC.
fn egress(out: &mut String, model: &Model) {
    let egress = match model.network.egress {
        Egress::NatSingle => "NAT gateway (1)".to_string(),
        Egress::NatPerAz => format!("NAT gateways ({})", model.network.nat_gateways),
        Egress::VpcEndpoints => "VPC endpoints<br/>ECR, Logs, Secrets Manager, S3".to_string(),
    };
    let _ = writeln!(out, "    egress[\"{egress}\"]");
    let _ = writeln!(out, "  end");
}

/// Arrows: the edge to the ALB, the ALB to services, services to their
/// upstreams, database and broker.
fn wires(out: &mut String, model: &Model) {
    let _ = writeln!(out, "  apigw --> vpclink --> alb");
    for service in &model.services {
        let id = node_id("svc", &service.name);
        match service.exposure {
            Exposure::Public => {
                let _ = writeln!(out, "  alb -->|\"{}\"| {id}", service.routes.join(" "));
            }
            Exposure::Internal => {
                let _ = writeln!(out, "  alb -->|internal listener| {id}");
            }
            Exposure::None => {}
        }
        for upstream in service.upstreams.values() {
            let _ = writeln!(out, "  {id} -.->|via ALB| {}", node_id("svc", upstream));
        }
        if let Some(database) = &service.database {
            let _ = writeln!(out, "  {id} -->|TLS 5432| {}", node_id("db", database));
        }
        if service.broker
            && let Some(broker) = &model.broker
        {
            let _ = writeln!(
                out,
                "  {id} -->|AMQP{} {}| {}",
                if broker.tls() { "S" } else { "" },
                broker.port(),
                node_id("mq", &broker.name)
            );
        }
    }
}
