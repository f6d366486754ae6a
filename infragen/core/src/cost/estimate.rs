//! The estimate: one line per component, each saying what it counts.
use super::prices::{Prices, Usage};
use super::rollout::{Rollout, rollout};
use crate::model::{
    AlarmKind, Architecture, BrokerHosting, DatabaseHosting, DeploymentMode, Egress,
    INTERFACE_ENDPOINTS, Model, SecretSource, Service,
};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// Per service: the rollout timeline and the extra cost of one
    /// deployment (not in `total`).
    pub rollouts: Vec<Rollout>,
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

pub(super) fn money(x: f64) -> String {
    format!("{x:.2}")
}

pub(super) fn fmt_num(x: f64) -> String {
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
    compute(&mut b, model);
    network(&mut b, model);
    edge(&mut b);
    data(&mut b, model)?;
    operations(&mut b, model);
    let total = b.lines.iter().map(|l| l.monthly).sum();
    let rollouts = model
        .services
        .iter()
        .map(|s| {
            let task_hour = b.fargate(
                1.0,
                s.cpu as f64 / 1024.0,
                s.memory as f64 / 1024.0,
                s.architecture,
                0.0,
            ) / b.usage.hours.max(f64::MIN_POSITIVE);
            rollout(s, task_hour)
        })
        .collect();
    Ok(Estimate {
        topology: model.project.prefix.clone(),
        region: model.project.region.clone(),
        lines: b.lines,
        total,
        rollouts,
    })
}

/// ECS services on Fargate.
fn compute(b: &mut Builder<'_>, model: &Model) {
    let h = b.usage.hours;
    let cap = &model.cluster.capacity;
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
}

/// The internal ALB, NAT gateways or interface endpoints.
fn network(b: &mut Builder<'_>, model: &Model) {
    let (prices, usage, h) = (b.prices, b.usage, b.usage.hours);
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
}

/// API Gateway and Cognito.
fn edge(b: &mut Builder<'_>) {
    let (prices, usage) = (b.prices, b.usage);
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
}

/// Databases and the broker.
fn data(b: &mut Builder<'_>, model: &Model) -> Result<(), CostError> {
    let (prices, usage, h) = (b.prices, b.usage, b.usage.hours);
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
        match &broker.hosting {
            BrokerHosting::AmazonMq(mq) => {
                let hourly = hourly(
                    &prices.amazon_mq.rabbitmq_hour,
                    &mq.instance_type,
                    format!("Amazon MQ instance type `{}`", mq.instance_type),
                )?;
                let nodes = match mq.deployment_mode {
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
                        mq.instance_type,
                        fmt_num(h),
                        fmt_num(usage.mq_storage_gb)
                    ),
                    monthly,
                );
            }
            BrokerHosting::Container(_) => b.container(
                "broker".into(),
                format!("RabbitMQ container: {}", broker.name),
            ),
        }
    }
    Ok(())
}

/// Logs, monitoring, secrets, KMS, ECR and Inspector.
fn operations(b: &mut Builder<'_>, model: &Model) {
    let (prices, usage) = (b.prices, b.usage);
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
        format!(
            "{dashboards} dashboard + {} alarms reading {} metrics (incl. autoscaling and {} SLO burn-rate windows) + {} composite alarms",
            alarms.metric, alarms.billed_metrics, alarms.slo_windows, alarms.composite
        ),
        dashboards as f64 * cw.dashboard_month
            + alarms.billed_metrics as f64 * cw.alarm_month
            + alarms.composite as f64 * cw.composite_alarm_month,
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
    if model.operations.ecr.account_scanning {
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
}

/// The CloudWatch alarms the observability module and autoscaling create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmCount {
    /// Metric alarms.
    pub metric: u32,
    /// Metrics those alarms read (the billing unit: a ratio alarm reads two).
    pub billed_metrics: u32,
    /// Of the metric alarms, the SLO burn-rate windows.
    pub slo_windows: u32,
    /// Composite alarms (an SLO's page and ticket).
    pub composite: u32,
}

/// The API 5xx ratio (2 metrics); each service's own alarms from the model,
/// an ALB one reading every target group of the service (two for a
/// traffic-shifting deployment; the 5xx ratio reads errors and requests of
/// each); per queue depth and dead letters; two per target-tracking policy;
/// per SLO every burn-rate window (errors / requests of every target group)
/// and its page and ticket composites.
pub fn alarm_count(model: &Model) -> AlarmCount {
    let target_groups = |s: &Service| if s.shifts_traffic() { 2 } else { 1 };
    let own = model.services.iter().flat_map(|s| {
        let groups = target_groups(s);
        s.alarms.iter().map(move |a| match a.kind {
            AlarmKind::Errors5xx => 2 * groups,
            kind if kind.needs_load_balancer() => groups,
            _ => 1,
        })
    });
    let (own_alarms, own_metrics) = own.fold((0, 0), |(n, m), metrics| (n + 1, m + metrics));
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
    let slo_windows: u32 = model.slos.iter().map(|s| s.alarms.len() as u32).sum();
    let slo_metrics: u32 = model
        .slos
        .iter()
        .map(|slo| {
            let groups = model.service(&slo.service).map_or(1, target_groups);
            2 * groups * slo.alarms.len() as u32
        })
        .sum();
    let composite: u32 = model.slos.iter().map(|s| s.composites.len() as u32).sum();
    let single = 2 * queues + 2 * policies;
    AlarmCount {
        metric: 1 + own_alarms + single + slo_windows,
        billed_metrics: 2 + own_metrics + single + slo_metrics,
        slo_windows,
        composite,
    }
}

/// Secrets: each RDS master password, the Amazon MQ user, and every distinct
/// Secrets Manager secret the services reference (SSM parameters are not
/// Secrets Manager secrets).
pub fn secret_count(model: &Model) -> u32 {
    let rds = model.rds_databases().count() as u32;
    let mq = u32::from(model.amazon_mq().is_some());
    let referenced: std::collections::BTreeSet<&SecretSource> = model
        .services
        .iter()
        .flat_map(|s| s.secrets.values())
        .map(|r| &r.source)
        .filter(|s| !matches!(s, SecretSource::Parameter(_)))
        .collect();
    rds + mq + referenced.len() as u32
}
