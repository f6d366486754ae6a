//! The malformed-topology suite: each file under tests/fixtures/invalid/ must
//! fail with every expected problem (path and line:column) in one run. The
//! full graphical report (no colour, fixed width) is snapshotted as well.
use infragen_core::TopologyError;
use std::path::Path;

fn load_fixture(name: &str) -> TopologyError {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    match infragen_core::load(&text, name) {
        Ok(_) => panic!("{name} should be invalid"),
        Err(e) => e,
    }
}

/// `(line, column, path)` of every problem, in report order.
fn located(e: &TopologyError) -> Vec<(usize, usize, String)> {
    e.problems
        .iter()
        .map(|p| (p.line, p.column, p.path.clone()))
        .collect()
}

fn snapshot(name: &str, e: &TopologyError) {
    let report = format!("{}\n{}", e.to_plain(), e.render_plain());
    insta::assert_snapshot!(name.trim_end_matches(".toml"), report);
}

fn has(e: &TopologyError, line: usize, column: usize, path: &str, needle: &str) {
    assert!(
        e.problems.iter().any(|p| p.line == line
            && p.column == column
            && p.path == path
            && p.message.contains(needle)),
        "expected {line}:{column} {path} ~ {needle:?} in\n{}",
        e.to_plain()
    );
}

#[test]
fn unknown_keys_all_reported() {
    let e = load_fixture("unknown_keys.toml");
    assert_eq!(
        located(&e),
        vec![
            (5, 1, "project.enviroment".into()),
            (9, 1, "network.nat".into()),
            (17, 1, "service[0].scaling.mx".into()),
        ]
    );
    assert!(
        e.problems[0]
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `environment`")
    );
    assert!(
        e.problems[2]
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `max`")
    );
    snapshot("unknown_keys.toml", &e);
}

#[test]
fn bad_references_all_reported() {
    let e = load_fixture("bad_references.toml");
    has(
        &e,
        9,
        10,
        "service[0].broker",
        "no broker is named `rabbit`",
    );
    has(
        &e,
        12,
        17,
        "service[0].upstreams.INVENTORY_URL",
        "no service is named `inventroy`",
    );
    has(
        &e,
        17,
        12,
        "service[1].database",
        "no database is named `inventory-db`",
    );
    assert_eq!(e.problems.len(), 3, "{}", e.to_plain());
    snapshot("bad_references.toml", &e);
}

#[test]
fn min_greater_than_max() {
    let e = load_fixture("min_greater_than_max.toml");
    has(
        &e,
        12,
        7,
        "service[0].scaling.max",
        "max (2) is less than min (4)",
    );
    has(
        &e,
        17,
        11,
        "service[1].desired",
        "desired (9) is outside scaling min–max (1–3)",
    );
    has(&e, 19, 1, "service[1].scaling", "no scaling policy");
    assert_eq!(e.problems.len(), 3, "{}", e.to_plain());
    snapshot("min_greater_than_max.toml", &e);
}

#[test]
fn cpu_memory_pairs() {
    let e = load_fixture("cpu_memory.toml");
    has(
        &e,
        10,
        10,
        "service[0].memory",
        "cpu = 256 and memory = 4096",
    );
    has(
        &e,
        15,
        10,
        "service[1].memory",
        "cpu = 8192 and memory = 17408",
    );
    has(
        &e,
        19,
        7,
        "service[2].cpu",
        "300 is not a Fargate CPU value",
    );
    assert_eq!(e.problems.len(), 3, "{}", e.to_plain());
    snapshot("cpu_memory.toml", &e);
}

#[test]
fn overlapping_subnets() {
    let e = load_fixture("overlapping_subnets.toml");
    has(
        &e,
        12,
        12,
        "network.subnets.private[0]",
        "overlaps 10.0.0.0/24",
    );
    has(
        &e,
        12,
        12,
        "network.subnets.private[0]",
        "overlaps 10.0.1.0/24",
    );
    has(&e, 12, 27, "network.subnets.private[1]", "outside the VPC");
    has(
        &e,
        13,
        12,
        "network.subnets.isolated",
        "1 isolated subnet for 2 AZs",
    );
    snapshot("overlapping_subnets.toml", &e);
}

#[test]
fn duplicate_names() {
    let e = load_fixture("duplicate_names.toml");
    has(&e, 11, 8, "service[1].name", "already used by service[0]");
    has(
        &e,
        12,
        11,
        "service[1].routes[0]",
        "already routed to service[0]",
    );
    has(&e, 18, 8, "database[1].name", "already used by database[0]");
    snapshot("duplicate_names.toml", &e);
}

#[test]
fn syntax_errors() {
    let e = load_fixture("syntax_error.toml");
    assert!(e.problems.len() >= 2, "{}", e.to_plain());
    assert!(
        e.problems
            .iter()
            .all(|p| p.message.starts_with("TOML syntax"))
    );
    assert_eq!(e.problems[0].line, 3);
    assert!(e.problems.iter().any(|p| p.line == 8), "{}", e.to_plain());
    snapshot("syntax_error.toml", &e);
}

#[test]
fn wrong_types_all_reported_with_unknown_keys() {
    let e = load_fixture("wrong_type.toml");
    has(&e, 6, 1, "project.colour", "unknown key `colour`");
    has(&e, 9, 10, "network.egress", "unknown variant `nat_gateway`");
    has(&e, 10, 7, "network.azs", "expected an array");
    has(&e, 14, 8, "service[0].port", "expected an integer");
    has(&e, 15, 10, "service[0].routes", "expected an array");
    has(&e, 19, 7, "service[0].scaling.max", "expected an integer");
    assert_eq!(e.problems.len(), 6, "{}", e.to_plain());
    snapshot("wrong_type.toml", &e);
}

#[test]
fn names_ranges_and_combinations() {
    let e = load_fixture("names_and_ranges.toml");
    for (path, needle) in [
        ("project.name", "only lowercase letters"),
        ("network.azs", "at least 2 availability zones"),
        ("network.flow_logs_retention_days", "31 days"),
        ("service[0].name", "target group name"),
        ("service[0].routes[0]", "must start with `/`"),
        ("service[0].port", "70000 is out of range"),
        ("service[0].architecture", "Fargate Spot does not run ARM64"),
        ("service[0].health_path", "not an HTTP path"),
        ("service[0].env.HTTP_PORT", "set by infragen"),
        ("database[0].kind", "vpc_endpoints"),
        ("database[0].multi_az", "RDS only"),
        ("operations.log_retention_days", "0 days"),
        ("operations.alarm_email", "not an e-mail"),
    ] {
        assert!(
            e.problems
                .iter()
                .any(|p| p.path == path && p.message.contains(needle)),
            "expected {path} ~ {needle:?} in\n{}",
            e.to_plain()
        );
    }
    snapshot("names_and_ranges.toml", &e);
}

#[test]
fn combined_problems_in_one_run() {
    let e = load_fixture("combined.toml");
    has(
        &e,
        13,
        13,
        "network.subnets.isolated[0]",
        "overlaps 10.0.1.0/24",
    );
    has(
        &e,
        19,
        10,
        "service[0].memory",
        "cpu = 512 and memory = 512",
    );
    has(&e, 20, 1, "service[0].timeout", "unknown key `timeout`");
    has(
        &e,
        23,
        17,
        "service[0].upstreams.INVENTORY_URL",
        "no service is named `inventroy`",
    );
    has(
        &e,
        32,
        7,
        "service[1].scaling.max",
        "max (2) is less than min (3)",
    );
    has(&e, 36, 8, "service[2].name", "already used by service[1]");
    snapshot("combined.toml", &e);
}

#[test]
fn every_fixture_fails_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let e = load_fixture(path.file_name().unwrap().to_str().unwrap());
            assert!(!e.problems.is_empty());
            assert!(
                e.problems
                    .iter()
                    .all(|p| p.span.is_some() && p.help.is_some())
            );
            n += 1;
        }
    }
    assert!(n >= 8);
}

#[test]
fn deploy_strategies_against_ecs_limits() {
    let e = load_fixture("deploy_strategies.toml");
    let s0 = "service[0].deploy";
    has(
        &e,
        12,
        12,
        &format!("{s0}.strategy"),
        "blue_green needs `bake_minutes`",
    );
    has(&e, 12, 12, &format!("{s0}.strategy"), "calls from jobs");
    has(
        &e,
        13,
        1,
        &format!("{s0}.canary_percent"),
        "no effect with strategy = \"blue_green\"",
    );
    let s1 = "service[1].deploy";
    has(
        &e,
        21,
        18,
        &format!("{s1}.canary_percent"),
        "5.05 is not a multiple of 0.1",
    );
    has(
        &e,
        22,
        23,
        &format!("{s1}.canary_bake_minutes"),
        "2000 is out of range 0–1440",
    );
    has(
        &e,
        23,
        27,
        &format!("{s1}.rollback_alarms[1]"),
        "`5xx` is listed twice",
    );
    let s2 = "service[2].deploy";
    has(
        &e,
        31,
        23,
        &format!("{s2}.linear_step_percent"),
        "2 is out of range 3.0–100",
    );
    has(
        &e,
        32,
        19,
        &format!("{s2}.rollback_alarms"),
        "without a rollback alarm",
    );
    has(
        &e,
        33,
        16,
        &format!("{s2}.smoke_paths[0]"),
        "`readyz` is not an HTTP path",
    );
    let s3 = "service[3].deploy";
    has(
        &e,
        39,
        12,
        &format!("{s3}.strategy"),
        "has no load balancer",
    );
    has(
        &e,
        40,
        20,
        &format!("{s3}.rollback_alarms[0]"),
        "`latency_p99` watches the ALB",
    );
    has(
        &e,
        47,
        1,
        "service[4].deploy.smoke_paths",
        "rolling deployments do not have",
    );
    assert_eq!(e.problems.len(), 12, "{}", e.to_plain());
    snapshot("deploy_strategies.toml", &e);
}

#[test]
fn deploy_alternate_target_group_name_fits_32_characters() {
    let e = load_fixture("deploy_alternate_name.toml");
    has(
        &e,
        10,
        8,
        "service[0].name",
        "would be `bookshop-staging-storefront-api-alt`, 35 characters long",
    );
    assert_eq!(e.problems.len(), 1, "{}", e.to_plain());
}

#[test]
fn deploy_strategy_must_be_known() {
    let source = "[project]\nname = \"shop\"\nregion = \"eu-west-3\"\n\n[[service]]\nname = \"web\"\nroutes = [\"/api/{proxy+}\"]\n\n[service.deploy]\nstrategy = \"bluegreen\"\n";
    let e = infragen_core::load(source, "inline.toml").expect_err("unknown strategy");
    has(
        &e,
        10,
        12,
        "service[0].deploy.strategy",
        "unknown variant `bluegreen`",
    );
}

#[test]
fn slos_and_alarm_settings_all_reported() {
    let e = load_fixture("slos.toml");
    has(
        &e,
        15,
        22,
        "operations.alarms.error_rate_percent",
        "more than two decimals",
    );
    has(
        &e,
        17,
        22,
        "operations.alarms.evaluation_periods",
        "one-day limit",
    );
    has(
        &e,
        18,
        23,
        "operations.alarms.datapoints_to_alarm",
        "not between 1 and evaluation_periods",
    );
    has(&e, 21, 11, "slo[0].service", "no service is named `apii`");
    has(&e, 26, 11, "slo[1].service", "not behind the ALB");
    has(&e, 33, 13, "slo[2].objective", "strictly between 0 and 100");
    has(&e, 34, 15, "slo[2].window_days", "not an SLO window");
    has(
        &e,
        38,
        7,
        "slo[3].sli",
        "slo[2] already sets the availability objective",
    );
    has(&e, 39, 13, "slo[3].objective", "more than three decimals");
    has(&e, 43, 7, "slo[4].sli", "needs `latency_ms`");
    has(&e, 44, 13, "slo[4].objective", "could never fire");
    has(
        &e,
        50,
        14,
        "slo[5].latency_ms",
        "only applies to `sli = \"latency\"`",
    );
    assert_eq!(e.problems.len(), 13, "{}", e.to_plain());
    snapshot("slos.toml", &e);
}

#[test]
fn colliding_aws_names_reported_with_both_owners() {
    let e = load_fixture("name_collisions.toml");
    // The container database's ECS service, family, roles, security group,
    // log group and alarm are the second service's: one problem, every name.
    let clash = e
        .problems
        .iter()
        .find(|p| p.path == "database[0].name")
        .unwrap_or_else(|| panic!("no collision reported:\n{}", e.to_plain()));
    assert_eq!((clash.line, clash.column), (25, 8));
    for needle in [
        "database \"inventory\" and service \"inventory-postgres\" would give AWS resources the same names",
        "the ECS service `shop-dev-inventory-postgres`",
        "the security group `shop-dev-inventory-postgres`",
        "the IAM role `shop-dev-inventory-postgres-execution`",
        "the IAM role `shop-dev-inventory-postgres-task`",
        "the task-definition family `shop-dev-inventory-postgres`",
        "the log group `/ecs/shop-dev/inventory-postgres`",
        "the CloudWatch alarm `shop-dev-inventory-postgres-cpu`",
        // The other side, located.
        "(the other: `service[1].name` at name_collisions.toml:19:8)",
    ] {
        assert!(
            clash.message.contains(needle),
            "{needle:?} in {}",
            clash.message
        );
    }
    // A service named `vpc-link` takes the VPC link's security group.
    has(
        &e,
        22,
        8,
        "service[2].name",
        "the security group `shop-dev-vpc-link` (task security group of the one, VPC link security group of the other; unique per VPC)",
    );
    // A service named `api` is fine: the API's own alarm is not `<prefix>-api-5xx`.
    assert!(
        !e.problems.iter().any(|p| p.path == "service[0].name"),
        "{}",
        e.to_plain()
    );
    assert_eq!(e.problems.len(), 2, "{}", e.to_plain());
    snapshot("name_collisions.toml", &e);
}

#[test]
fn regions_that_do_not_exist_or_lack_vpc_links_are_rejected() {
    let e = load_fixture("unknown_region.toml");
    has(
        &e,
        5,
        10,
        "project.region",
        "`eu-west-9` is not an AWS region",
    );
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/unknown_region.toml"),
    )
    .unwrap()
    .replace("eu-west-9", "af-south-1");
    let e = infragen_core::load(&text, "af.toml").expect_err("no VPC links in af-south-1");
    assert!(
        e.problems
            .iter()
            .any(|p| p.path == "project.region" && p.message.contains("no HTTP API VPC links")),
        "{}",
        e.to_plain()
    );
}

#[test]
fn queues_whose_alarm_names_coincide_are_reported() {
    let e = load_fixture("queue_alarm_collision.toml");
    has(
        &e,
        33,
        17,
        "service[1].scaling.queue_backlog",
        "queue \"orders-q\" and queue \"orders_q\" would give AWS resources the same names: the CloudWatch alarm `shop-staging-orders-q-depth`",
    );
    has(
        &e,
        33,
        17,
        "service[1].scaling.queue_backlog",
        "the CloudWatch alarm `shop-staging-orders-q-dead-letters`",
    );
    assert_eq!(e.problems.len(), 1, "{}", e.to_plain());
    snapshot("queue_alarm_collision.toml", &e);
}

#[test]
fn malformed_secret_references_are_rejected_where_written() {
    let e = load_fixture("secret_references.toml");
    snapshot("secret_references.toml", &e);
    has(
        &e,
        12,
        17,
        "service[0].secrets.NO_KEY_FIELDS",
        "json-key:version-stage:version-id",
    );
    has(
        &e,
        13,
        12,
        "service[0].secrets.BAD_NAME",
        "not a Secrets Manager secret name",
    );
    has(
        &e,
        14,
        20,
        "service[0].secrets.ACCOUNT_WILDCARD",
        "12-digit account ID",
    );
    has(
        &e,
        15,
        19,
        "service[0].secrets.WRONG_PARTITION",
        "partition `aws-cn`",
    );
    has(
        &e,
        16,
        18,
        "service[0].secrets.UNKNOWN_REGION",
        "not an AWS region",
    );
    has(
        &e,
        17,
        19,
        "service[0].secrets.NOT_A_PARAMETER",
        "not an SSM parameter ARN",
    );
    has(&e, 18, 13, "service[0].secrets.S3_OBJECT", "neither");
}
