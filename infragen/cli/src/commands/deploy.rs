//! `infragen deploy`: a new image tag, followed through the service
//! deployment's lifecycle (`--wait`, `--wait-until STAGE`); and
//! `deploy rollback | abort | continue` on the deployment in progress.
use super::stack::{Stack, StackArgs};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use infragen_aws::deploy::DeployStarted;
use infragen_aws::deploy_wait::{Progress, Reached};
use infragen_aws::lifecycle::WaitStage;
use infragen_aws::service_deployment::{self as sd, StopKind};
use infragen_aws::{Aws, OpsError};
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
#[command(group(ArgGroup::new("waiting").args(["wait", "wait_until"])))]
pub struct DeployArgs {
    #[command(subcommand)]
    pub action: Option<DeployAction>,
    /// The service: its name in the topology (a key of the `ecs_service_names` output, e.g. inventory)
    /// or the ECS service name.
    #[arg(long, value_name = "NAME", required = true)]
    pub service: Option<String>,
    /// The new image tag; the image repository stays as in the family's latest ACTIVE revision.
    #[arg(long, value_name = "TAG", required = true)]
    pub image_tag: Option<String>,
    /// The container whose image changes (default: the only container, or the one named like the service).
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Wait until the deployment is SUCCESSFUL (same as --wait-until steady).
    #[arg(long)]
    pub wait: bool,
    /// Wait until the deployment reaches this lifecycle stage (exit 6 if it is rolled back first).
    #[arg(long, value_enum, value_name = "STAGE")]
    pub wait_until: Option<StageArg>,
    /// With --wait / --wait-until: give up after this many seconds (exit code 5).
    #[arg(long, value_name = "SECS", default_value_t = 900, requires = "waiting")]
    pub timeout: u64,
    /// With --wait / --wait-until: seconds between two polls.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub poll_interval: u64,
    /// ECS cluster name (default: the `ecs_cluster_name` output).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
}

/// The stages `--wait-until` knows, in lifecycle order.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StageArg {
    /// The new revision's tasks are up (POST_SCALE_UP).
    ScaleUp,
    /// Test traffic is shifting to the new revision (TEST_TRAFFIC_SHIFT).
    TestTrafficShift,
    /// Production traffic is shifting to the new revision (PRODUCTION_TRAFFIC_SHIFT).
    ProductionTrafficShift,
    /// All production traffic is on the new revision, baking (BAKE_TIME).
    Bake,
    /// The deployment is SUCCESSFUL.
    Steady,
}

impl From<StageArg> for WaitStage {
    fn from(s: StageArg) -> Self {
        match s {
            StageArg::ScaleUp => WaitStage::ScaleUp,
            StageArg::TestTrafficShift => WaitStage::TestTrafficShift,
            StageArg::ProductionTrafficShift => WaitStage::ProductionTrafficShift,
            StageArg::Bake => WaitStage::Bake,
            StageArg::Steady => WaitStage::Steady,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeployAction {
    /// Roll the deployment in progress back to the previous revision (StopServiceDeployment ROLLBACK).
    Rollback(TargetArgs),
    /// Stop the deployment in progress where it is, without rolling back (StopServiceDeployment ABORT).
    Abort(TargetArgs),
    /// Continue the deployment paused at a PAUSE lifecycle hook (ContinueServiceDeployment CONTINUE).
    Continue(TargetArgs),
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The service: its name in the topology or the ECS service name.
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// ECS cluster name (default: the `ecs_cluster_name` output).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
}

pub async fn run(args: Box<DeployArgs>) -> Result<(), OpsError> {
    match args.action {
        Some(DeployAction::Rollback(t)) => stop(t, StopKind::Rollback).await,
        Some(DeployAction::Abort(t)) => stop(t, StopKind::Abort).await,
        Some(DeployAction::Continue(t)) => continue_paused(t).await,
        None => deploy(*args).await,
    }
}

async fn connect_to(t: &TargetArgs) -> Result<(Aws, String, String), OpsError> {
    let mut stack = Stack::new(t.stack.clone());
    let cluster = stack.cluster(t.cluster.clone())?;
    let service = stack.service_name(&t.service);
    Ok((stack.connect().await?, cluster, service))
}

async fn stop(t: TargetArgs, kind: StopKind) -> Result<(), OpsError> {
    let (aws, cluster, service) = connect_to(&t).await?;
    let stopped = sd::stop(&aws, &cluster, &service, kind).await?;
    let what = match kind {
        StopKind::Rollback => "rolling back",
        StopKind::Abort => "aborting",
    };
    println!(
        "{what} deployment {} of {service} (was {} at stage {})",
        stopped.id,
        stopped.status,
        stopped.stage.as_deref().unwrap_or("-")
    );
    println!("follow it with `infragen status --service {}`", t.service);
    Ok(())
}

async fn continue_paused(t: TargetArgs) -> Result<(), OpsError> {
    let (aws, cluster, service) = connect_to(&t).await?;
    let (l, hook) = sd::continue_paused(&aws, &cluster, &service).await?;
    println!(
        "continued deployment {} of {service} past hook {hook} (stage {})",
        l.id,
        l.stage.as_deref().unwrap_or("-")
    );
    println!("follow it with `infragen status --service {}`", t.service);
    Ok(())
}

async fn deploy(args: DeployArgs) -> Result<(), OpsError> {
    let (Some(wanted), Some(tag)) = (args.service.clone(), args.image_tag.clone()) else {
        return Err(OpsError::input("--service and --image-tag are required"));
    };
    infragen_aws::deploy::validate_tag(&tag)?;
    let mut stack = Stack::new(args.stack.clone());
    let cluster = stack.cluster(args.cluster.clone())?;
    let service = stack.service_name(&wanted);
    // The app name (the key of `ecs_service_names`) helps to pick the container.
    let app = stack
        .outputs
        .as_ref()
        .and_then(|o| {
            o.ecs_service_names
                .iter()
                .find(|(_, v)| **v == service)
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_else(|| wanted.clone());
    let aws = stack.connect().await?;
    let started = infragen_aws::deploy::deploy(
        &aws,
        &cluster,
        &service,
        &tag,
        args.container.as_deref(),
        Some(&app),
    )
    .await?;
    print_started(&started);
    let until = match (args.wait_until, args.wait) {
        (Some(stage), _) => WaitStage::from(stage),
        (None, true) => WaitStage::Steady,
        (None, false) => {
            println!("not waiting; follow the rollout with `infragen status --service {wanted}`");
            return Ok(());
        }
    };
    let timeout = Duration::from_secs(args.timeout);
    let poll = Duration::from_secs(args.poll_interval.max(1));
    let mut display = WaitDisplay::new(&started, until, timeout);
    let result =
        infragen_aws::deploy_wait::wait_for_stage(&aws, &started, until, timeout, poll, |p| {
            display.update(p)
        })
        .await;
    display.finish();
    print_reached(&result?, until);
    Ok(())
}

fn print_reached(r: &Reached, until: WaitStage) {
    let s = &r.service;
    match (until, &r.lifecycle) {
        (WaitStage::Steady, _) => println!(
            "{} is steady on {}: {}/{} tasks running",
            s.name, s.task_definition, s.running, s.desired
        ),
        (_, Some(l)) => println!(
            "{} reached {}: {}",
            s.name,
            until.describe(),
            infragen_aws::lifecycle::summary(l)
        ),
        (_, None) => println!("{} reached {}", s.name, until.describe()),
    }
}

fn print_started(s: &DeployStarted) {
    println!(
        "registered {} (container {}: {} → {})",
        s.task_definition, s.container, s.previous_image, s.image
    );
    let note = if s.base_task_definition == s.previous_task_definition {
        String::new()
    } else {
        format!(
            "; the service ran {}, so the configuration registered since is rolled out too",
            s.previous_task_definition
        )
    };
    println!(
        "based on {}, the latest ACTIVE revision of the family{note}",
        s.base_task_definition
    );
    println!(
        "updated service {} in {}: {} → {}{}",
        s.service,
        s.cluster,
        s.previous_task_definition,
        s.task_definition,
        s.deployment_id
            .as_deref()
            .map(|d| format!(" (deployment {d})"))
            .unwrap_or_default()
    );
}

/// Spinner on a terminal, plain lines otherwise (CI logs, pipes).
struct WaitDisplay {
    bar: Option<indicatif::ProgressBar>,
    last: String,
}

impl WaitDisplay {
    fn new(started: &DeployStarted, until: WaitStage, timeout: Duration) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed}] {prefix} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_prefix(format!("{} → {}", started.service, started.task_definition));
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            eprintln!(
                "waiting up to {}s for {} to reach {} on {}",
                timeout.as_secs(),
                started.service,
                until.describe(),
                started.task_definition
            );
            None
        };
        Self {
            bar,
            last: String::new(),
        }
    }

    fn update(&mut self, p: &Progress) {
        for e in &p.new_events {
            let line = format!("  event {}  {}", e.at.as_deref().unwrap_or(""), e.message);
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        match &self.bar {
            Some(bar) => bar.set_message(p.summary.clone()),
            None => {
                if p.summary != self.last {
                    eprintln!("[{:>4}s] {}", p.elapsed.as_secs(), p.summary);
                }
            }
        }
        self.last = p.summary.clone();
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
