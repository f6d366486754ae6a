//! Monthly cost estimate of a topology from an embedded, dated price table
//! (`prices.toml`) and explicit usage assumptions.
//!
//! Only the resolved [`Model`] is needed: no AWS access. Every line says what
//! it counts, so the numbers can be checked by hand.
use crate::model::{Architecture, BrokerKind, DatabaseHosting, DeploymentMode, Egress, Model};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The embedded price table, as text.
pub const PRICES_TOML: &str = include_str!("prices.toml");

/// Price table metadata: where and when the prices hold.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PriceMeta {
    pub region: String,
    pub as_of: String,
    pub currency: String,
    pub source: String,
    pub fargate_spot_discount: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FargatePrices {
    pub x86_vcpu_hour: f64,
    pub x86_gb_hour: f64,
    pub arm_vcpu_hour: f64,
    pub arm_gb_hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AlbPrices {
    pub hour: f64,
    pub lcu_hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NatPrices {
    pub hour: f64,
    pub gb_processed: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HourPrice {
    pub hour: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EndpointPrices {
    pub hour_per_az: f64,
    pub gb_processed: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RdsPrices {
    pub gp3_gb_month: f64,
    pub multi_az_factor: f64,
    pub postgres_hour: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MqPrices {
    pub storage_gb_month: f64,
    pub cluster_nodes: u32,
    pub rabbitmq_hour: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApiGatewayPrices {
    pub http_per_million: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CognitoPrices {
    pub essentials_per_mau: f64,
    pub free_mau: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CloudWatchPrices {
    pub logs_ingest_gb: f64,
    pub logs_storage_gb_month: f64,
    pub dashboard_month: f64,
    pub alarm_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SecretsPrices {
    pub secret_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KmsPrices {
    pub key_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EcrPrices {
    pub storage_gb_month: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InspectorPrices {
    pub image_initial_scan: f64,
    pub image_rescan: f64,
}

/// The whole price table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Prices {
    pub meta: PriceMeta,
    pub fargate: FargatePrices,
    pub alb: AlbPrices,
    pub nat_gateway: NatPrices,
    pub public_ipv4: HourPrice,
    pub vpc_endpoint: EndpointPrices,
    pub rds: RdsPrices,
    pub amazon_mq: MqPrices,
    pub api_gateway: ApiGatewayPrices,
    pub cognito: CognitoPrices,
    pub cloudwatch: CloudWatchPrices,
    pub secrets_manager: SecretsPrices,
    pub kms: KmsPrices,
    pub ecr: EcrPrices,
    pub inspector: InspectorPrices,
}

impl Prices {
    /// The embedded table.
    pub fn embedded() -> Prices {
        toml::from_str(PRICES_TOML)
            .expect("the embedded prices.toml is valid (checked by a unit test)")
    }
}

/// Usage assumptions: what the price table cannot know.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// Hours a month everything runs (730 = always on).
    pub hours: f64,
    /// API requests a month, in millions.
    pub requests_millions: f64,
    /// Monthly active users of the user pool.
    pub mau: u64,
    /// Application and access logs ingested a month, GB.
    pub log_gb: f64,
    /// VPC flow logs ingested a month, GB.
    pub flow_log_gb: f64,
    /// Data processed by the NAT gateways a month, GB.
    pub nat_gb: f64,
    /// Data processed by the interface endpoints a month, GB.
    pub endpoint_gb: f64,
    /// Average load balancer capacity units.
    pub alb_lcu: f64,
    /// Container images stored in ECR, GB.
    pub ecr_gb: f64,
    /// Images pushed a month (each scanned by Inspector).
    pub images_pushed: u32,
    /// Amazon MQ storage, GB.
    pub mq_storage_gb: f64,
    /// vCPU and memory (GB) of a database or broker run as a container.
    pub container_vcpu: f64,
    pub container_gb: f64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            hours: 730.0,
            requests_millions: 10.0,
            mau: 1_000,
            log_gb: 20.0,
            flow_log_gb: 10.0,
            nat_gb: 50.0,
            endpoint_gb: 50.0,
            alb_lcu: 1.0,
            ecr_gb: 5.0,
            images_pushed: 30,
            mq_storage_gb: 20.0,
            container_vcpu: 0.5,
            container_gb: 1.0,
        }
    }
}

/// One cost line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    /// Stable key, used to match lines when comparing (`fargate:inventory`).
    pub key: String,
    /// Group: compute, network, data, edge, operations.
    pub category: &'static str,
    pub component: String,
    /// How the number was computed.
    pub detail: String,
    pub monthly: f64,
}

/// The estimate of one topology.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// `<project>-<environment>`.
    pub topology: String,
    /// The topology's own region (prices are for `prices.region`).
    pub region: String,
    pub lines: Vec<Line>,
    pub total: f64,
}

/// Why an estimate cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostError(pub String);

impl std::fmt::Display for CostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CostError {}

/// Interface endpoints the network module creates with `egress = "vpc_endpoints"`.
pub const INTERFACE_ENDPOINTS: &[&str] = &["ecr.api", "ecr.dkr", "logs", "secretsmanager"];

fn money(x: f64) -> String {
    format!("{x:.2}")
}

fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x}")
    }
}

struct Builder<'a> {
    prices: &'a Prices,
    usage: &'a Usage,
    lines: Vec<Line>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        key: String,
        category: &'static str,
        component: String,
        detail: String,
        monthly: f64,
    ) {
        self.lines.push(Line {
            key,
            category,
            component,
            detail,
            monthly,
        });
    }

    /// A database or the broker run as one Fargate container (the dev-stage
    /// alternative): its cost line.
    fn container(&mut self, key: String, component: String) {
        let (vcpu, gb) = (self.usage.container_vcpu, self.usage.container_gb);
        let monthly = self.fargate(1.0, vcpu, gb, Architecture::X86_64, 0.0);
        let detail = format!(
            "1 Fargate task × {} vCPU / {} GB, {} h (ephemeral)",
            fmt_num(vcpu),
            fmt_num(gb),
            fmt_num(self.usage.hours)
        );
        self.add(key, "data", component, detail, monthly);
    }

    /// Fargate cost of `tasks` tasks of `vcpu`/`gb`, `spot_share` of them on Spot.
    fn fargate(&self, tasks: f64, vcpu: f64, gb: f64, arch: Architecture, spot_share: f64) -> f64 {
        let f = &self.prices.fargate;
        let h = self.usage.hours;
        let (cpu_price, mem_price) = match arch {
            Architecture::X86_64 => (f.x86_vcpu_hour, f.x86_gb_hour),
            Architecture::Arm64 => (f.arm_vcpu_hour, f.arm_gb_hour),
        };
        let per_task_hour = vcpu * cpu_price + gb * mem_price;
        let spot_factor = 1.0 - self.prices.meta.fargate_spot_discount;
        tasks * h * per_task_hour * ((1.0 - spot_share) + spot_share * spot_factor)
    }
}

/// The hourly price of `key` in a price table; `what` names it in the error,
/// which lists the keys the table knows.
fn hourly(table: &BTreeMap<String, f64>, key: &str, what: String) -> Result<f64, CostError> {
    table.get(key).copied().ok_or_else(|| {
        let known: Vec<&str> = table.keys().map(String::as_str).collect();
        CostError(format!("no price for {what}; known: {}", known.join(", ")))
    })
}

/// Share of a service's `tasks` that the capacity provider strategy places on
/// FARGATE_SPOT: the first `base` tasks go to FARGATE, the rest by weight.
/// ARM64 tasks cannot run on Spot.
pub fn spot_share(tasks: u32, base: u32, weight: u32, spot_weight: u32, arch: Architecture) -> f64 {
    if tasks == 0 || spot_weight == 0 || arch == Architecture::Arm64 {
        return 0.0;
    }
    let rest = tasks.saturating_sub(base) as f64;
    let spot = rest * spot_weight as f64 / (weight + spot_weight) as f64;
    spot / tasks as f64
}

/// Estimates the monthly cost of `model`.
pub fn estimate(model: &Model, prices: &Prices, usage: &Usage) -> Result<Estimate, CostError> {
    let mut b = Builder {
        prices,
        usage,
        lines: Vec::new(),
    };
    let h = usage.hours;
    let cap = &model.cluster.capacity;

    // Compute: ECS services on Fargate.
    for s in &model.services {
        let vcpu = s.cpu as f64 / 1024.0;
        let gb = s.memory as f64 / 1024.0;
        let tasks = s.desired;
        let share = spot_share(
            tasks,
            cap.fargate_base,
            cap.fargate_weight,
            cap.fargate_spot_weight,
            s.architecture,
        );
        let arch = match s.architecture {
            Architecture::X86_64 => "x86",
            Architecture::Arm64 => "ARM",
        };
        let spot = if share > 0.0 {
            format!(", {:.0} % Spot", share * 100.0)
        } else {
            String::new()
        };
        let monthly = b.fargate(tasks as f64, vcpu, gb, s.architecture, share);
        b.add(
            format!("fargate:{}", s.name),
            "compute",
            format!("Fargate: {}", s.name),
            format!(
                "{tasks} × {} vCPU / {} GB {arch}{spot}, {} h",
                fmt_num(vcpu),
                fmt_num(gb),
                fmt_num(h)
            ),
            monthly,
        );
    }

    // Network.
    if model.services.iter().any(|s| s.load_balanced()) {
        let monthly = h * (prices.alb.hour + usage.alb_lcu * prices.alb.lcu_hour);
        b.add(
            "alb".into(),
            "network",
            "Application Load Balancer (internal)".into(),
            format!("1 ALB × {} h + {} LCU", fmt_num(h), fmt_num(usage.alb_lcu)),
            monthly,
        );
    }
    let nat = model.network.nat_gateways as f64;
    if nat > 0.0 {
        let monthly = nat * h * (prices.nat_gateway.hour + prices.public_ipv4.hour)
            + usage.nat_gb * prices.nat_gateway.gb_processed;
        b.add(
            "nat".into(),
            "network",
            "NAT gateways".into(),
            format!(
                "{} × {} h (+ Elastic IP) + {} GB processed",
                fmt_num(nat),
                fmt_num(h),
                fmt_num(usage.nat_gb)
            ),
            monthly,
        );
    }
    if model.network.egress == Egress::VpcEndpoints {
        let azs = model.workload_zones().len() as f64;
        let n = INTERFACE_ENDPOINTS.len() as f64;
        let monthly = n * azs * h * prices.vpc_endpoint.hour_per_az
            + usage.endpoint_gb * prices.vpc_endpoint.gb_processed;
        b.add(
            "vpc_endpoints".into(),
            "network",
            "Interface VPC endpoints".into(),
            format!(
                "{} endpoints ({}) × {} AZ × {} h + {} GB",
                fmt_num(n),
                INTERFACE_ENDPOINTS.join(", "),
                fmt_num(azs),
                fmt_num(h),
                fmt_num(usage.endpoint_gb)
            ),
            monthly,
        );
    }

    // Edge.
    b.add(
        "api_gateway".into(),
        "edge",
        "API Gateway HTTP API".into(),
        format!("{} M requests", fmt_num(usage.requests_millions)),
        usage.requests_millions * prices.api_gateway.http_per_million,
    );
    let billable_mau = usage.mau.saturating_sub(prices.cognito.free_mau);
    b.add(
        "cognito".into(),
        "edge",
        "Cognito user pool".into(),
        format!("{} MAU, first {} free", usage.mau, prices.cognito.free_mau),
        billable_mau as f64 * prices.cognito.essentials_per_mau,
    );

    // Data.
    for d in &model.databases {
        match &d.hosting {
            DatabaseHosting::Rds(rds) => {
                let hourly = hourly(
                    &prices.rds.postgres_hour,
                    &rds.instance_class,
                    format!(
                        "RDS instance class `{}` (database `{}`)",
                        rds.instance_class, d.name
                    ),
                )?;
                let factor = if rds.multi_az {
                    prices.rds.multi_az_factor
                } else {
                    1.0
                };
                let monthly =
                    factor * (h * hourly + rds.storage_gb as f64 * prices.rds.gp3_gb_month);
                b.add(
                    format!("rds:{}", d.name),
                    "data",
                    format!("RDS PostgreSQL: {}", d.name),
                    format!(
                        "{}{}, {} h + {} GB gp3",
                        rds.instance_class,
                        if rds.multi_az { " Multi-AZ (×2)" } else { "" },
                        fmt_num(h),
                        rds.storage_gb
                    ),
                    monthly,
                );
            }
            DatabaseHosting::Container(_) => b.container(
                format!("rds:{}", d.name),
                format!("PostgreSQL container: {}", d.name),
            ),
        }
    }
    if let Some(broker) = &model.broker {
        match broker.kind {
            BrokerKind::AmazonMq => {
                let hourly = hourly(
                    &prices.amazon_mq.rabbitmq_hour,
                    &broker.instance_type,
                    format!("Amazon MQ instance type `{}`", broker.instance_type),
                )?;
                let nodes = match broker.deployment_mode {
                    DeploymentMode::SingleInstance => 1,
                    DeploymentMode::ClusterMultiAz => prices.amazon_mq.cluster_nodes,
                };
                let monthly = nodes as f64 * h * hourly
                    + usage.mq_storage_gb * prices.amazon_mq.storage_gb_month;
                b.add(
                    "broker".into(),
                    "data",
                    format!("Amazon MQ RabbitMQ: {}", broker.name),
                    format!(
                        "{nodes} × {}, {} h + {} GB",
                        broker.instance_type,
                        fmt_num(h),
                        fmt_num(usage.mq_storage_gb)
                    ),
                    monthly,
                );
            }
            BrokerKind::Container => b.container(
                "broker".into(),
                format!("RabbitMQ container: {}", broker.name),
            ),
        }
    }

    // Operations.
    let cw = &prices.cloudwatch;
    let retention_months = (model.operations.log_retention_days as f64 / 30.4).min(12.0);
    let flow_months = (model.network.flow_logs_retention_days as f64 / 30.4).min(12.0);
    let logs = usage.log_gb * cw.logs_ingest_gb
        + usage.flow_log_gb * cw.logs_ingest_gb
        + (usage.log_gb * retention_months + usage.flow_log_gb * flow_months)
            * cw.logs_storage_gb_month;
    b.add(
        "logs".into(),
        "operations",
        "CloudWatch Logs".into(),
        format!(
            "{} GB app + {} GB flow logs ingested; stored up to {} / {} months",
            fmt_num(usage.log_gb),
            fmt_num(usage.flow_log_gb),
            fmt_num((retention_months * 10.0).round() / 10.0),
            fmt_num((flow_months * 10.0).round() / 10.0)
        ),
        logs,
    );
    let alarms = alarm_count(model);
    let dashboards = u32::from(model.operations.dashboard);
    b.add(
        "monitoring".into(),
        "operations",
        "CloudWatch dashboard and alarms".into(),
        format!("{dashboards} dashboard + {alarms} alarms (incl. autoscaling)"),
        dashboards as f64 * cw.dashboard_month + alarms as f64 * cw.alarm_month,
    );
    let secrets = secret_count(model);
    b.add(
        "secrets".into(),
        "operations",
        "Secrets Manager".into(),
        format!("{secrets} secrets"),
        secrets as f64 * prices.secrets_manager.secret_month,
    );
    b.add(
        "kms".into(),
        "operations",
        "KMS".into(),
        "1 customer managed key".into(),
        prices.kms.key_month,
    );
    b.add(
        "ecr".into(),
        "operations",
        "ECR storage".into(),
        format!("{} GB", fmt_num(usage.ecr_gb)),
        usage.ecr_gb * prices.ecr.storage_gb_month,
    );
    if model.operations.ecr.enhanced_scanning {
        let pushed = usage.images_pushed as f64;
        let kept = (model.operations.ecr.keep_last_images as usize * model.services.len()) as f64;
        b.add(
            "inspector".into(),
            "operations",
            "Inspector enhanced scanning".into(),
            format!(
                "{} pushed images + {} stored images rescanned",
                fmt_num(pushed),
                fmt_num(kept)
            ),
            pushed * prices.inspector.image_initial_scan + kept * prices.inspector.image_rescan,
        );
    }

    let total = b.lines.iter().map(|l| l.monthly).sum();
    Ok(Estimate {
        topology: model.project.prefix.clone(),
        region: model.project.region.clone(),
        lines: b.lines,
        total,
    })
}

/// CloudWatch alarms the observability module and autoscaling create: the
/// API 5xx alarm; per load-balanced service 5xx, p99 latency and unhealthy
/// hosts; per service CPU; per queue depth and dead letters; two per
/// target-tracking policy.
pub fn alarm_count(model: &Model) -> u32 {
    let balanced = model.services.iter().filter(|s| s.load_balanced()).count() as u32;
    let services = model.services.len() as u32;
    let queues = model
        .services
        .iter()
        .filter(|s| s.scaling.queue_backlog.is_some())
        .count() as u32;
    let policies: u32 = model
        .services
        .iter()
        .filter(|s| s.scaling.min < s.scaling.max)
        .map(|s| {
            u32::from(s.scaling.cpu_target.is_some())
                + u32::from(s.scaling.requests_per_target.is_some())
                + u32::from(s.scaling.queue_backlog.is_some())
        })
        .sum();
    1 + 3 * balanced + services + 2 * queues + 2 * policies
}

/// Secrets: each RDS master password, the Amazon MQ user, and every distinct
/// secret the services reference.
pub fn secret_count(model: &Model) -> u32 {
    let rds = model.rds_databases().count() as u32;
    let mq = u32::from(model.amazon_mq().is_some());
    let referenced: std::collections::BTreeSet<&String> = model
        .services
        .iter()
        .flat_map(|s| s.secrets.values())
        .collect();
    rds + mq + referenced.len() as u32
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

fn assumptions(u: &Usage) -> Vec<(String, String)> {
    let amount =
        |flag: &str, value: String, what: &str| (flag.to_string(), format!("{value} {what}"));
    vec![
        amount("--hours", fmt_num(u.hours), "h a month"),
        amount(
            "--requests-millions",
            fmt_num(u.requests_millions),
            "M API requests",
        ),
        amount("--mau", u.mau.to_string(), "monthly active users"),
        amount("--log-gb", fmt_num(u.log_gb), "GB application logs"),
        amount("--flow-log-gb", fmt_num(u.flow_log_gb), "GB VPC flow logs"),
        amount("--nat-gb", fmt_num(u.nat_gb), "GB through NAT gateways"),
        amount(
            "--endpoint-gb",
            fmt_num(u.endpoint_gb),
            "GB through interface endpoints",
        ),
        amount(
            "--alb-lcu",
            fmt_num(u.alb_lcu),
            "load balancer capacity units",
        ),
        amount("--ecr-gb", fmt_num(u.ecr_gb), "GB of images"),
        amount(
            "--images-pushed",
            u.images_pushed.to_string(),
            "images pushed",
        ),
        amount(
            "--mq-storage-gb",
            fmt_num(u.mq_storage_gb),
            "GB broker storage",
        ),
    ]
}

fn region_note(prices: &Prices, estimates: &[&Estimate]) -> Option<String> {
    let other: Vec<&str> = estimates
        .iter()
        .map(|e| e.region.as_str())
        .filter(|r| *r != prices.meta.region)
        .collect();
    if other.is_empty() {
        None
    } else {
        let mut regions: Vec<&str> = other;
        regions.dedup();
        Some(format!(
            "The topology runs in {}; prices are {} list prices, which differ by region (often 5–20 % higher outside us-east-1).",
            regions.join(", "),
            prices.meta.region
        ))
    }
}

const NOTES: &[&str] = &[
    "Not included: data transfer out to the internet, Container Insights metrics, request-based KMS and Secrets Manager charges, backups beyond the free allowance, taxes.",
    "Fargate Spot is market-priced; the discount above is an assumption.",
    "Account-wide free tiers are not applied, except Cognito's first 10,000 MAU.",
];

/// Renders one estimate (or two side by side when `other` is given).
pub fn render(
    prices: &Prices,
    usage: &Usage,
    a: &Estimate,
    other: Option<&Estimate>,
    format: Format,
) -> String {
    match format {
        Format::Json => render_json(prices, usage, a, other),
        Format::Table => render_text(prices, usage, a, other, false),
        Format::Markdown => render_text(prices, usage, a, other, true),
    }
}

fn render_json(prices: &Prices, usage: &Usage, a: &Estimate, other: Option<&Estimate>) -> String {
    let mut v = serde_json::json!({
        "prices": prices.meta,
        "usage": usage,
        "estimate": a,
    });
    if let Some(b) = other {
        v["compare"] = serde_json::to_value(b).expect("estimate serializes");
        v["difference"] = serde_json::json!(round2(b.total - a.total));
    }
    serde_json::to_string_pretty(&v).expect("json") + "\n"
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rows matched by key: (component, detail A, A, detail B, B).
fn paired<'a>(
    a: &'a Estimate,
    b: &'a Estimate,
) -> Vec<(String, Option<&'a Line>, Option<&'a Line>)> {
    let mut rows: Vec<(String, Option<&Line>, Option<&Line>)> = Vec::new();
    for l in &a.lines {
        rows.push((
            l.key.clone(),
            Some(l),
            b.lines.iter().find(|x| x.key == l.key),
        ));
    }
    for l in &b.lines {
        if !a.lines.iter().any(|x| x.key == l.key) {
            rows.push((l.key.clone(), None, Some(l)));
        }
    }
    rows
}

fn render_text(
    prices: &Prices,
    usage: &Usage,
    a: &Estimate,
    other: Option<&Estimate>,
    md: bool,
) -> String {
    let m = &prices.meta;
    let mut out = String::new();
    let cur = &m.currency;
    if md {
        out.push_str(
            "<!-- Generated by `infragen cost --format markdown`; do not edit by hand. -->\n",
        );
        out.push_str("## Cost estimate\n\n");
        let _ = writeln!(
            out,
            "Monthly estimate for `{}`{}, from the embedded price table: **{}**, list prices as of **{}**, {cur} (source: {}). \
Fargate Spot assumed at a {:.0} % discount.\n",
            a.topology,
            other
                .map(|b| format!(" compared with `{}`", b.topology))
                .unwrap_or_default(),
            m.region,
            m.as_of,
            m.source,
            m.fargate_spot_discount * 100.0
        );
    } else {
        let _ = writeln!(
            out,
            "Monthly cost estimate: {}{}",
            a.topology,
            other
                .map(|b| format!(" vs {}", b.topology))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "Prices: {} list prices as of {}, {cur} ({}); Fargate Spot at -{:.0} %",
            m.region,
            m.as_of,
            m.source,
            m.fargate_spot_discount * 100.0
        );
        out.push('\n');
    }

    let headers: Vec<String>;
    let mut rows: Vec<Vec<String>> = Vec::new();
    match other {
        None => {
            headers = vec![
                "Component".into(),
                "Assumption".into(),
                format!("{cur}/month"),
            ];
            for l in &a.lines {
                rows.push(vec![
                    l.component.clone(),
                    l.detail.clone(),
                    money(l.monthly),
                ]);
            }
            rows.push(vec!["Total".into(), String::new(), money(a.total)]);
        }
        Some(b) => {
            headers = vec![
                "Component".into(),
                a.topology.clone(),
                b.topology.clone(),
                "Difference".into(),
            ];
            for (_, la, lb) in paired(a, b) {
                let name = la.or(lb).map(|l| l.component.clone()).unwrap_or_default();
                let va = la.map(|l| l.monthly).unwrap_or(0.0);
                let vb = lb.map(|l| l.monthly).unwrap_or(0.0);
                rows.push(vec![
                    name,
                    la.map(|l| money(l.monthly)).unwrap_or_else(|| "-".into()),
                    lb.map(|l| money(l.monthly)).unwrap_or_else(|| "-".into()),
                    signed(vb - va),
                ]);
            }
            rows.push(vec![
                "Total".into(),
                money(a.total),
                money(b.total),
                signed(b.total - a.total),
            ]);
        }
    }
    let numeric_from = if other.is_some() { 1 } else { 2 };
    if md {
        out.push_str(&md_table(&headers, &rows, numeric_from));
    } else {
        out.push_str(&text_table(&headers, &rows, numeric_from));
    }

    out.push('\n');
    if md {
        out.push_str("Usage assumptions (change them with the flags of `infragen cost`):\n\n");
        for (flag, text) in assumptions(usage) {
            let _ = writeln!(out, "- `{flag}`: {text}");
        }
        out.push('\n');
        if let Some(note) = region_note(prices, &[a].into_iter().chain(other).collect::<Vec<_>>()) {
            let _ = writeln!(out, "{note}\n");
        }
        for n in NOTES {
            let _ = writeln!(out, "- {n}");
        }
    } else {
        out.push_str("Assumptions: ");
        out.push_str(
            &assumptions(usage)
                .into_iter()
                .map(|(f, t)| format!("{t} ({f})"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        out.push_str(".\n");
        if let Some(note) = region_note(prices, &[a].into_iter().chain(other).collect::<Vec<_>>()) {
            let _ = writeln!(out, "{note}");
        }
        for n in NOTES {
            let _ = writeln!(out, "{n}");
        }
    }
    out
}

fn signed(x: f64) -> String {
    let r = round2(x);
    if r > 0.0 {
        format!("+{r:.2}")
    } else if r < 0.0 {
        format!("{r:.2}")
    } else {
        "0.00".into()
    }
}

fn md_table(headers: &[String], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let align: Vec<&str> = (0..headers.len())
        .map(|i| if i >= numeric_from { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = if i + 1 == rows.len() {
            r.iter()
                .map(|c| {
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!("**{c}**")
                    }
                })
                .collect()
        } else {
            r.iter().map(|c| c.replace('|', "\\|")).collect()
        };
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

fn text_table(headers: &[String], rows: &[Vec<String>], numeric_from: usize) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i >= numeric_from {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers);
    let total_width: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(total_width));
    out.push('\n');
    for (i, r) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            out.push_str(&"-".repeat(total_width));
            out.push('\n');
        }
        out.push_str(&line(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
