use super::report::{round2, signed};
use super::*;
use crate::model::{Architecture, Model};

fn model(src: &str) -> Model {
    crate::load(src, "test.toml").unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

fn line<'a>(e: &'a Estimate, key: &str) -> &'a Line {
    e.lines
        .iter()
        .find(|l| l.key == key)
        .unwrap_or_else(|| panic!("no line {key}"))
}

#[test]
fn embedded_prices_parse_and_are_dated() {
    let p = Prices::embedded();
    assert_eq!(p.meta.region, "us-east-1");
    assert!(!p.meta.as_of.is_empty());
    assert!(p.rds.postgres_hour.contains_key("db.t4g.micro"));
    assert!(p.amazon_mq.rabbitmq_hour.contains_key("mq.m5.large"));
}

#[test]
fn a_missing_price_names_the_class_and_the_known_ones() {
    let m = crate::load_default().unwrap();
    let mut p = Prices::embedded();
    p.rds.postgres_hour.remove("db.t4g.micro");
    let e = estimate(&m, &p, &Usage::default()).unwrap_err().0;
    assert!(
        e.starts_with(
            "no price for RDS instance class `db.t4g.micro` (database `inventory`); known: "
        ),
        "{e}"
    );
    assert!(e.contains("db.t4g.small"), "{e}");

    let mut p = Prices::embedded();
    p.amazon_mq.rabbitmq_hour.remove("mq.t3.micro");
    let e = estimate(&m, &p, &Usage::default()).unwrap_err().0;
    assert!(
        e.starts_with("no price for Amazon MQ instance type `mq.t3.micro`; known: "),
        "{e}"
    );
    assert!(e.contains("mq.m5.large"), "{e}");
}

#[test]
fn spot_share_follows_base_and_weights() {
    close(spot_share(4, 1, 1, 0, Architecture::X86_64), 0.0);
    // 1 base on FARGATE, 3 more split 1:3 → 2.25 on Spot of 4.
    close(spot_share(4, 1, 1, 3, Architecture::X86_64), 2.25 / 4.0);
    close(spot_share(4, 0, 1, 1, Architecture::Arm64), 0.0);
}

#[test]
fn default_topology_arithmetic() {
    let m = crate::load_default().expect("default topology loads");
    let p = Prices::embedded();
    let u = Usage::default();
    let e = estimate(&m, &p, &u).unwrap();
    // Every service: desired × (0.25 vCPU × 0.04048 + 0.5 GB × 0.004445) × 730.
    let per_task = 0.25 * 0.04048 + 0.5 * 0.004445;
    for s in &m.services {
        close(
            line(&e, &format!("fargate:{}", s.name)).monthly,
            s.desired as f64 * per_task * 730.0,
        );
    }
    // db.t4g.micro Multi-AZ: 2 × (730 × 0.016 + 20 × 0.115).
    close(
        line(&e, "rds:inventory").monthly,
        2.0 * (730.0 * 0.016 + 20.0 * 0.115),
    );
    // Two NAT gateways (one per AZ) with their Elastic IPs, plus 50 GB.
    close(
        line(&e, "nat").monthly,
        2.0 * 730.0 * (0.045 + 0.005) + 50.0 * 0.045,
    );
    close(line(&e, "alb").monthly, 730.0 * (0.0225 + 0.008));
    close(line(&e, "broker").monthly, 730.0 * 0.03 + 20.0 * 0.10);
    close(line(&e, "api_gateway").monthly, 10.0);
    close(line(&e, "cognito").monthly, 0.0);
    close(line(&e, "kms").monthly, 1.0);
    close(e.total, e.lines.iter().map(|l| l.monthly).sum::<f64>());
    assert!(e.lines.iter().all(|l| l.monthly >= 0.0));
}

#[test]
fn usage_flags_change_the_numbers() {
    let m = crate::load_default().unwrap();
    let p = Prices::embedded();
    let u = Usage {
        hours: 365.0,
        mau: 25_000,
        requests_millions: 2.5,
        ..Usage::default()
    };
    let e = estimate(&m, &p, &u).unwrap();
    close(line(&e, "cognito").monthly, 15_000.0 * 0.015);
    close(line(&e, "api_gateway").monthly, 2.5);
    close(line(&e, "alb").monthly, 365.0 * (0.0225 + 0.008));
}

const SMALL: &str = r#"
[project]
name = "shop"
environment = "dev"
region = "us-east-1"

[network]
vpc_cidr = "10.1.0.0/16"
azs = ["us-east-1a", "us-east-1b"]
egress = "vpc_endpoints"

[cluster.capacity]
fargate_base = 0
fargate_weight = 1
fargate_spot_weight = 1

[[service]]
name = "api"
image = "api"
port = 3000
cpu = 512
memory = 1024
routes = ["/api/{proxy+}"]

[service.scaling]
min = 2
max = 2
"#;

#[test]
fn spot_endpoints_and_comparison() {
    let p = Prices::embedded();
    let u = Usage::default();
    let small = model(SMALL);
    let e = estimate(&small, &p, &u).unwrap();
    // 2 tasks, half on Spot at 30 % of the price.
    let per_task = 0.5 * 0.04048 + 1.0 * 0.004445;
    close(
        line(&e, "fargate:api").monthly,
        2.0 * 730.0 * per_task * (0.5 + 0.5 * 0.3),
    );
    // 4 interface endpoints × 2 AZ × 730 h × 0.01 + 50 GB × 0.01.
    close(
        line(&e, "vpc_endpoints").monthly,
        4.0 * 2.0 * 730.0 * 0.01 + 0.5,
    );
    assert!(e.lines.iter().all(|l| l.key != "nat"));

    let default = estimate(&crate::load_default().unwrap(), &p, &u).unwrap();
    let text = render(&p, &u, &e, Some(&default), Format::Table);
    assert!(text.contains("NAT gateways"), "{text}");
    assert!(text.contains(&signed(default.total - e.total)), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&render(&p, &u, &e, Some(&default), Format::Json)).unwrap();
    close(
        json["difference"].as_f64().unwrap(),
        round2(default.total - e.total),
    );
}

#[test]
fn markdown_names_region_date_and_source() {
    let p = Prices::embedded();
    let u = Usage::default();
    let e = estimate(&crate::load_default().unwrap(), &p, &u).unwrap();
    let md = render(&p, &u, &e, None, Format::Markdown);
    assert!(md.contains("us-east-1") && md.contains(&p.meta.as_of) && md.contains("pricing"));
    assert!(md.contains("| **Total** |"), "{md}");
}

const SHIFTING: &str = r#"
[project]
name = "shop"
region = "us-east-1"
environment = "staging"

[[service]]
name = "web"
routes = ["/api/{proxy+}"]
desired = 4
upstreams = { A = "aa", B = "bb" }
[service.deploy]
strategy = "canary"
canary_percent = 5
canary_bake_minutes = 10
bake_minutes = 15
smoke_paths = ["/readyz"]

[[service]]
name = "aa"
internal = true
[service.deploy]
strategy = "linear"
linear_step_percent = 12.5
linear_step_bake_minutes = 3

[[service]]
name = "bb"
internal = true
[service.deploy]
strategy = "blue_green"
bake_minutes = 0
rollback_alarms = ["5xx"]
"#;

#[test]
fn rollout_timelines_follow_each_strategy() {
    let m = model(SHIFTING);
    let e = estimate(&m, &Prices::embedded(), &Usage::default()).unwrap();
    let r = |name: &str| e.rollouts.iter().find(|r| r.service == name).unwrap();
    assert_eq!(
        r("web").timeline,
        "smoke test → canary 5.0 % for 10 min → 100 % → bake 15 min ≈ 27 min, peak 2× tasks"
    );
    assert_eq!((r("web").minutes, r("web").peak_tasks), (27, 8));
    // 8 shifts of 12.5 %, 7 waits of 3 min, the default 10-minute bake.
    assert_eq!(r("aa").minutes, START_MINUTES + 7 * 3 + 10);
    assert!(
        r("aa")
            .timeline
            .starts_with("linear 12.5 % every 3 min (8 steps)")
    );
    assert_eq!(r("bb").minutes, START_MINUTES);
    // The extra tasks: desired × one task-hour × the deployment's hours.
    let p = Prices::embedded();
    let task_hour = 0.25 * p.fargate.x86_vcpu_hour + 0.5 * p.fargate.x86_gb_hour;
    close(r("web").extra_per_deployment, 4.0 * task_hour * 27.0 / 60.0);
}

#[test]
fn alarm_metrics_count_both_target_groups_of_a_shifting_service() {
    let m = model(SHIFTING);
    // API 5xx ratio; web, aa and bb each: the 5xx ratio (errors and requests)
    // plus latency and unhealthy targets over 2 target groups, and CPU (bb's
    // rollback alarms are a subset of the alarms it has); no policies.
    let count = alarm_count(&m);
    assert_eq!(count.metric, 1 + 3 * 4);
    assert_eq!(count.billed_metrics, 2 + 3 * ((2 + 1 + 1) * 2 + 1));
}

#[test]
fn alarms_are_counted_from_the_model_with_slos() {
    let model = crate::load_default().unwrap();
    let count = super::alarm_count(&model);
    // 3 CPU + 2 × 2 (latency, unhealthy) + 2 queue + 2 × 4 autoscaling
    // single-metric alarms; API and 2 service 5xx ratios and 2 SLOs × 8
    // burn-rate windows read two metrics each.
    assert_eq!(count.slo_windows, 16);
    assert_eq!(count.metric, 17 + 3 + 16);
    assert_eq!(count.billed_metrics, 17 + 2 * (3 + 16));
    assert_eq!(count.composite, 4);
    let mut without = model.clone();
    without.slos.clear();
    assert_eq!(super::alarm_count(&without).composite, 0);
    assert_eq!(super::alarm_count(&without).metric, 20);
}
