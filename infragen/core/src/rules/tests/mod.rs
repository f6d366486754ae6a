//! One test per rule: a valid base topology with one change, and the
//! problem (path and message) it must produce.
use crate::model::{Exposure, Model};

mod network;
mod slos;
mod stage_scope;

const BASE: &str = r#"
[project]
name = "shop"
region = "eu-west-3"

[[service]]
name = "gateway"
routes = ["/api/{proxy+}"]
broker = "rabbitmq"
[service.upstreams]
INVENTORY_URL = "inventory"

[[service]]
name = "inventory"
database = "inventory"

[[service]]
name = "billing"
database = "billing"
broker = "rabbitmq"

[[database]]
name = "inventory"

[[database]]
name = "billing"

[broker]

[operations]
alarm_email = "oncall@example.com"
"#;

fn load(text: &str) -> Result<Model, Vec<(String, String)>> {
    crate::load(text, "t.toml").map_err(|e| {
        e.problems
            .iter()
            .map(|p| (p.path.clone(), p.message.clone()))
            .collect()
    })
}

/// The base with `from` replaced by `to` must fail at `path` with a message containing `needle`.
fn fails(from: &str, to: &str, path: &str, needle: &str) {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    let text = BASE.replacen(from, to, 1);
    match load(&text) {
        Ok(_) => panic!("expected {path} ~ {needle:?}, but it is valid:\n{text}"),
        Err(problems) => assert!(
            !problems.iter().any(|(_, m)| m.starts_with("unknown key"))
                || needle.starts_with("unknown key"),
            "the change broke the structure of the base: {problems:#?}"
        ),
    }
    match load(&text) {
        Ok(_) => unreachable!(),
        Err(problems) => assert!(
            problems
                .iter()
                .any(|(p, m)| p == path && m.contains(needle)),
            "expected {path} ~ {needle:?} in {problems:#?}"
        ),
    }
}

/// The base with `from` replaced by `to` is valid.
fn passes(from: &str, to: &str) -> Model {
    let text = BASE.replacen(from, to, 1);
    load(&text).unwrap_or_else(|p| panic!("expected valid, got {p:#?}\n{text}"))
}

#[test]
fn base_is_valid_and_defaults_are_filled() {
    let m = passes("", "");
    assert_eq!(m.project.environment, "prod");
    assert_eq!(m.project.prefix, "shop-prod");
    assert_eq!(m.project.tags["ManagedBy"], "infragen");
    assert_eq!(m.network.vpc_cidr.to_string(), "10.0.0.0/16");
    assert_eq!(m.network.zones[0].name, "eu-west-3a");
    assert_eq!(m.network.zones[0].private.to_string(), "10.0.0.0/20");
    assert_eq!(m.network.zones[1].private.to_string(), "10.0.16.0/20");
    assert_eq!(m.network.zones[0].public.to_string(), "10.0.32.0/24");
    assert_eq!(m.network.zones[1].isolated.to_string(), "10.0.41.0/24");
    assert_eq!(m.network.nat_gateways, 1);
    let inv = m.service("inventory").unwrap();
    assert_eq!((inv.cpu, inv.memory, inv.port), (256, 512, 8080));
    assert_eq!(inv.health_path, "/readyz");
    assert_eq!(inv.exposure, Exposure::Internal);
    assert_eq!(inv.called_by, ["gateway"]);
    assert_eq!(m.service("billing").unwrap().exposure, Exposure::None);
    assert_eq!(
        m.names
            .service("inventory", crate::model::Purpose::TargetGroup),
        "shop-prod-inventory"
    );
    let db = m.database("inventory").unwrap();
    assert_eq!(db.db_name, "inventory");
    assert_eq!(db.used_by, ["inventory"]);
    assert!(db.rds().expect("RDS by default").deletion_protection);
    let b = m.broker.as_ref().unwrap();
    assert_eq!((b.port(), b.tls()), (5671, true));
    assert_eq!(b.used_by, ["billing", "gateway"]);
    assert_eq!(m.operations.log_retention_days, 365);
}

#[test]
fn missing_required_keys_and_empty_files() {
    let problems = load("[project]\nname = \"x\"\n").unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(p, m)| p == "project" && m.contains("missing field `region`")),
        "{problems:#?}"
    );
    let problems = load("").unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(_, m)| m.contains("missing field `project`")),
        "{problems:#?}"
    );
    let problems = load(&BASE.replace(
        "[[service]]\nname = \"billing\"",
        "[[service]]\nimage = \"billing\"",
    ))
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(p, m)| p == "service[2]" && m.contains("missing field `name`")),
        "{problems:#?}"
    );
}

#[test]
fn fargate_cpu_memory() {
    fails(
        "name = \"inventory\"\n",
        "name = \"inventory\"\ncpu = 1024\nmemory = 1024\n",
        "service[1].memory",
        "cpu = 1024 and memory = 1024",
    );
    fails(
        "name = \"inventory\"\n",
        "name = \"inventory\"\ncpu = 100\n",
        "service[1].cpu",
        "not a Fargate CPU",
    );
    passes(
        "name = \"inventory\"\n",
        "name = \"inventory\"\ncpu = 16384\nmemory = 122880\n",
    );
    // memory defaults to twice the CPU, always a valid pair
    let m = passes(
        "name = \"inventory\"\n",
        "name = \"inventory\"\ncpu = 4096\n",
    );
    assert_eq!(m.service("inventory").unwrap().memory, 8192);
}

#[test]
fn scaling_bounds() {
    fails(
        "database = \"inventory\"\n",
        "database = \"inventory\"\n[service.scaling]\nmin = 3\nmax = 1\ncpu_target = 50\n",
        "service[1].scaling.max",
        "less than min",
    );
    fails(
        "database = \"inventory\"\n",
        "database = \"inventory\"\ndesired = 5\n[service.scaling]\nmin = 1\nmax = 3\ncpu_target = 50\n",
        "service[1].desired",
        "outside",
    );
    fails(
        "database = \"inventory\"\n",
        "database = \"inventory\"\n[service.scaling]\nmax = 3\n",
        "service[1].scaling",
        "no scaling policy",
    );
    fails(
        "database = \"inventory\"\n",
        "database = \"inventory\"\n[service.scaling]\nmax = 3\ncpu_target = 150\n",
        "service[1].scaling.cpu_target",
        "out of range",
    );
    let m = passes(
        "database = \"inventory\"\n",
        "database = \"inventory\"\n[service.scaling]\nmin = 2\nmax = 3\ncpu_target = 50\n",
    );
    assert_eq!(m.service("inventory").unwrap().desired, 2);
}

#[test]
fn names_are_dns_safe_unique_and_fit_aws_limits() {
    fails(
        "name = \"billing\"\n",
        "name = \"Billing\"\n",
        "service[2].name",
        "lowercase",
    );
    fails(
        "name = \"billing\"\n",
        "name = \"inventory\"\n",
        "service[2].name",
        "already used",
    );
    fails(
        "name = \"shop\"",
        "name = \"a-long-project-name-here\"",
        "service[1].name",
        "target group name",
    );
    fails(
        "[[database]]\nname = \"billing\"",
        "[[database]]\nname = \"inventory\"",
        "database[1].name",
        "already used",
    );
    fails(
        "[broker]\n",
        "[broker]\nname = \"Rabbit\"\n",
        "broker.name",
        "lowercase",
    );
}

#[test]
fn more_references() {
    fails(
        "database = \"billing\"",
        "database = \"orders\"",
        "service[2].database",
        "no database is named `orders`",
    );
    fails(
        "INVENTORY_URL = \"inventory\"",
        "INVENTORY_URL = \"gateway\"",
        "service[0].upstreams.INVENTORY_URL",
        "itself",
    );
    fails(
        "INVENTORY_URL = \"inventory\"",
        "INVENTORY_URL = \"stock\"",
        "service[0].upstreams.INVENTORY_URL",
        "no service",
    );
    fails("[broker]\n", "", "service[0].broker", "has no [broker]");
    fails(
        "[broker]\n",
        "[broker]\nname = \"mq\"\n",
        "service[0].broker",
        "no broker is named `rabbitmq`",
    );
}

#[test]
fn ports_retention_and_ranges() {
    fails(
        "name = \"billing\"\n",
        "name = \"billing\"\nport = 0\n",
        "service[2].port",
        "out of range 1–65535",
    );
    fails(
        "name = \"billing\"\n",
        "name = \"billing\"\nport = 65536\n",
        "service[2].port",
        "out of range",
    );
    fails(
        "[operations]\n",
        "[operations]\nlog_retention_days = 10\n",
        "operations.log_retention_days",
        "not a CloudWatch Logs retention",
    );
    fails(
        "[broker]\n",
        "[broker]\n[edge]\naccess_log_retention_days = 400000\n",
        "edge.access_log_retention_days",
        "retention",
    );
    fails(
        "[broker]\n",
        "[broker]\n[edge]\nthrottling_burst_limit = 0\n",
        "edge.throttling_burst_limit",
        "out of range",
    );
    fails(
        "[[database]]\nname = \"billing\"",
        "[[database]]\nname = \"billing\"\nbackup_retention_days = 0",
        "database[1].backup_retention_days",
        "out of range",
    );
    fails(
        "[[database]]\nname = \"billing\"",
        "[[database]]\nname = \"billing\"\nstorage_gb = 10",
        "database[1].storage_gb",
        "out of range",
    );
    fails(
        "[[database]]\nname = \"billing\"",
        "[[database]]\nname = \"billing\"\nengine_version = \"11\"",
        "database[1].engine_version",
        "not a supported PostgreSQL version",
    );
    fails(
        "[[database]]\nname = \"billing\"",
        "[[database]]\nname = \"billing\"\ndb_name = \"postgres\"",
        "database[1].db_name",
        "reserved",
    );
}

#[test]
fn broker_rules() {
    fails(
        "[broker]\n",
        "[broker]\ndeployment_mode = \"cluster_multi_az\"\n",
        "broker.deployment_mode",
        "mq.t3.micro runs SINGLE_INSTANCE only",
    );
    passes(
        "[broker]\n",
        "[broker]\ninstance_type = \"mq.m5.large\"\ndeployment_mode = \"cluster_multi_az\"\n",
    );
    fails(
        "[broker]\n",
        "[broker]\nengine_version = \"3.8\"\n",
        "broker.engine_version",
        "not a RabbitMQ version",
    );
    let backlog = BASE
        .replacen("database = \"billing\"\nbroker = \"rabbitmq\"\n", "database = \"billing\"\nbroker = \"rabbitmq\"\n[service.scaling]\nmax = 4\nqueue_backlog = { queue = \"q\", target = 10 }\n", 1);
    load(&backlog).unwrap();
    let problems =
        load(&backlog.replacen("[broker]\n", "[broker]\nkind = \"container\"\n", 1)).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|(p, m)| p == "service[2].scaling.queue_backlog"
                && m.contains("container broker")),
        "{problems:#?}"
    );
    fails(
        "database = \"inventory\"\n",
        "database = \"inventory\"\n[service.scaling]\nmax = 4\nqueue_backlog = { queue = \"q\", target = 10 }\n",
        "service[1].scaling.queue_backlog",
        "needs the service to use the broker",
    );
}

#[test]
fn exposure_rules() {
    fails(
        "name = \"billing\"\n",
        "name = \"billing\"\ninternal = true\nroutes = [\"/x\"]\n",
        "service[2].internal",
        "cannot have public `routes`",
    );
    fails(
        "name = \"billing\"\n",
        "name = \"billing\"\nroutes = [\"/api/{proxy+}\"]\n",
        "service[2].routes[0]",
        "already routed",
    );
    fails(
        "broker = \"rabbitmq\"\n\n[[database]]",
        "broker = \"rabbitmq\"\n[service.scaling]\nmax = 3\nrequests_per_target = 100\n[[database]]",
        "service[2].scaling.requests_per_target",
        "needs an ALB target group",
    );
    fails(
        "routes = [\"/api/{proxy+}\"]\n",
        "",
        "service",
        "no service has `routes`",
    );
}

#[test]
fn variables_and_tags() {
    fails(
        "INVENTORY_URL = \"inventory\"",
        "INVENTORY_URL = \"inventory\"\n[service.env]\nINVENTORY_URL = \"x\"",
        "service[0].upstreams.INVENTORY_URL",
        "also set",
    );
    fails(
        "broker = \"rabbitmq\"\n\n[[database]]",
        "broker = \"rabbitmq\"\n[service.env]\nPGHOST = \"x\"\n[[database]]",
        "service[2].env.PGHOST",
        "set by infragen",
    );
    fails(
        "broker = \"rabbitmq\"\n\n[[database]]",
        "broker = \"rabbitmq\"\n[service.env]\n\"9X\" = \"x\"\n[[database]]",
        "service[2].env.9X",
        "not an environment variable name",
    );
    fails(
        "broker = \"rabbitmq\"\n\n[[database]]",
        "broker = \"rabbitmq\"\n[service.secrets]\nTOKEN = \"arn:aws:s3:::bucket\"\n[[database]]",
        "service[2].secrets.TOKEN",
        "neither",
    );
    fails(
        "region = \"eu-west-3\"\n",
        "region = \"eu-west-3\"\ntags = { Project = \"x\" }\n",
        "project.tags.Project",
        "set by infragen",
    );
    fails(
        "region = \"eu-west-3\"\n",
        "region = \"eu-west-3\"\ntags = { \"aws:x\" = \"x\" }\n",
        "project.tags.\"aws:x\"",
        "reserved",
    );
    fails(
        "region = \"eu-west-3\"\n",
        "region = \"europe\"\n",
        "project.region",
        "not an AWS region",
    );
}

#[test]
fn edge_domain_and_operations() {
    fails(
        "[broker]\n",
        "[broker]\n[edge.domain]\nname = \"api.example.com\"\n",
        "edge.domain",
        "hosted_zone_id",
    );
    fails(
        "[broker]\n",
        "[broker]\n[edge.domain]\nname = \"api\"\nhosted_zone_id = \"Z123\"\n",
        "edge.domain.name",
        "not a domain name",
    );
    fails(
        "[broker]\n",
        "[broker]\n[edge.domain]\nname = \"api.example.com\"\ncertificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"\n",
        "edge.domain.certificate_arn",
        "eu-west-3",
    );
    passes(
        "[broker]\n",
        "[broker]\n[edge.domain]\nname = \"api.example.com\"\nhosted_zone_id = \"Z0123456789ABC\"\n",
    );
    fails(
        "alarm_email = \"oncall@example.com\"",
        "alarm_email = \"nobody\"",
        "operations.alarm_email",
        "not an e-mail",
    );
    fails(
        "[operations]\n",
        "[operations]\nmonthly_budget_usd = 0\n",
        "operations.monthly_budget_usd",
        "out of range",
    );
    fails(
        "alarm_email = \"oncall@example.com\"\n",
        "",
        "project.environment",
        "has no alarm recipient",
    );
    // Only production requires a recipient.
    let staging = BASE
        .replacen("[project]\n", "[project]\nenvironment = \"staging\"\n", 1)
        .replacen("alarm_email = \"oncall@example.com\"\n", "", 1);
    assert!(
        load(&staging).is_ok(),
        "staging without a recipient is valid"
    );
    fails(
        "[broker]\n",
        "[broker]\n[auth.password_policy]\nmin_length = 4\n",
        "auth.password_policy.min_length",
        "out of range",
    );
}

#[test]
fn rabbitmq_4_and_queue_backlog_metrics() {
    // RabbitMQ 4.x runs on mq.m7g only.
    fails(
        "[broker]\n",
        "[broker]\nengine_version = \"4.2\"\n",
        "broker.instance_type",
        "mq.m7g instance types only",
    );
    passes(
        "[broker]\n",
        "[broker]\nengine_version = \"4.2\"\ninstance_type = \"mq.m7g.medium\"\n",
    );
    let billing = "name = \"billing\"\ndatabase = \"billing\"\nbroker = \"rabbitmq\"\n";
    let backlog = format!(
        "{billing}[service.scaling]\nmin = 1\nmax = 3\nqueue_backlog = {{ queue = \"billing_queue\", target = 100 }}\n"
    );
    passes(billing, &backlog);
    // RabbitMQ 4.x brokers publish no per-queue metrics.
    let text = BASE.replacen(billing, &backlog, 1).replacen(
        "[broker]\n",
        "[broker]\nengine_version = \"4.2\"\ninstance_type = \"mq.m7g.medium\"\n",
        1,
    );
    let problems = load(&text).expect_err("queue backlog on RabbitMQ 4");
    assert!(
        problems
            .iter()
            .any(|(path, m)| path == "service[2].scaling.queue_backlog"
                && m.contains("do not publish")),
        "{problems:#?}"
    );
    // The task count comes from Container Insights.
    let text = BASE.replacen(billing, &backlog, 1).replacen(
        "[broker]\n",
        "[cluster]\ncontainer_insights = \"disabled\"\n\n[broker]\n",
        1,
    );
    let problems = load(&text).expect_err("queue backlog without Container Insights");
    assert!(
        problems
            .iter()
            .any(|(path, m)| path == "service[2].scaling.queue_backlog"
                && m.contains("Container Insights")),
        "{problems:#?}"
    );
}

#[test]
fn database_connections_fit_a_rollout_at_200_percent() {
    // db.t4g.micro takes about 84 connections (79 for applications):
    // inventory at up to 2 × 4 tasks gets a pool of 9.
    let scaled = "name = \"inventory\"\ndatabase = \"inventory\"\n[service.scaling]\nmin = 1\nmax = 4\ncpu_target = 60\n";
    let m = passes("name = \"inventory\"\ndatabase = \"inventory\"\n", scaled);
    assert_eq!(m.service("inventory").unwrap().pg_pool_size, Some(9));
    // Fixed counts keep the services' default pool.
    let m = passes("", "");
    assert_eq!(m.service("billing").unwrap().pg_pool_size, Some(16));
    assert_eq!(m.service("gateway").unwrap().pg_pool_size, None);
    // 2 × 40 tasks cannot each have 2 connections.
    fails(
        "name = \"inventory\"\ndatabase = \"inventory\"\n",
        &scaled.replace("max = 4", "max = 40"),
        "database[0].instance_class",
        "not enough for inventory (up to 80 tasks)",
    );
}
