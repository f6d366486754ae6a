//! status, deploy, users, token, cost: operating the deployed stack.
//!
//! AWS access goes through `infragen-aws`; ids come from flags or from the
//! Terraform root outputs (docs/contracts.md).
use super::stack::{Stack, StackArgs};
use clap::{Args, Subcommand, ValueEnum};
use infragen_aws::{ErrorKind, OpsError};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use crate::error::CliError;

const PASSWORD_ENV: &str = "INFRAGEN_USER_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Show the ECS services of the deployed cluster: task counts, deployments, lifecycle, events.
    #[command(long_about = "Show the ECS services of the deployed cluster.\n\n\
For every service: desired/running/pending task counts, the task definition \
revision, each deployment with its rollout state, the last events, and the \
service deployment in progress (else the last one): its strategy, lifecycle \
stage, production/test traffic weights, circuit-breaker failures against the \
threshold, the alarms in ALARM, the rollback reason, and a lifecycle hook \
paused for `infragen deploy continue`.\n\n\
The cluster and service names come from the Terraform outputs \
(`ecs_cluster_name`, `ecs_service_names`) of --tf-dir, or from --outputs FILE, \
or from --cluster / --service.\n\n\
Examples:\n  infragen status\n  infragen status --service inventory --events 10\n  \
infragen status --cluster shop-prod --json | jq '.services[].lifecycle.stage'")]
    Status(StatusArgs),

    /// Deploy a new image tag, follow its lifecycle; or roll back, abort or continue one.
    #[command(long_about = "Deploy a new image tag to one ECS service.\n\n\
Reads the latest ACTIVE revision of the service's task definition family, \
registers a new revision that is identical except for the image tag of one \
container (the repository part is kept), and points the service at it. \
Terraform registers revisions of the family (environment, secrets, cpu, \
memory) but leaves the service's task definition to this command, so a \
configuration change applied by Terraform goes out with the next deploy. \
ECS then deploys it with the service's strategy (rolling, blue/green, linear, \
canary) and rolls back by itself when the circuit breaker or a deployment \
alarm fires.\n\n\
With --wait, follows the service deployment (ListServiceDeployments / \
DescribeServiceDeployments) until it is SUCCESSFUL; with --wait-until STAGE, \
until it reaches that lifecycle stage. Progress shows the stage, the traffic \
weights, the circuit breaker's failures against its threshold and the alarms \
in ALARM; a rollback ends with its reason.\n\n\
`deploy rollback`, `deploy abort` and `deploy continue` act on the deployment \
in progress (StopServiceDeployment ROLLBACK / ABORT, ContinueServiceDeployment \
for a PAUSE hook).\n\n\
Examples:\n  infragen deploy --service inventory --image-tag 1.4.0 --wait\n  \
infragen deploy --service billing --image-tag \"$(git rev-parse --short HEAD)\" --wait-until test-traffic-shift\n  \
infragen deploy rollback --service billing")]
    Deploy(Box<super::deploy::DeployArgs>),

    /// Manage the Cognito users who may call the API.
    #[command(subcommand)]
    Users(UsersCommand),

    /// Sign in as a user and print an ID token (or an `Authorization:` header).
    #[command(long_about = "Sign in as a Cognito user and print its ID token.\n\n\
The sign-in is AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH): your AWS \
credentials need cognito-idp:AdminInitiateAuth on the pool, and the public app \
client never accepts a bare password from the internet.\n\n\
The password is read from standard input with --password-stdin, or from the \
environment variable INFRAGEN_USER_PASSWORD; it is never a command-line \
argument (those end up in shell history and `ps`).\n\n\
Call the API through API Gateway with it:\n  \
export INFRAGEN_USER_PASSWORD='…'\n  \
curl -H \"$(infragen token --user alice@example.com --header)\" \"$(terraform -chdir=generated-tf output -raw api_endpoint)/api/movies\"")]
    Token(TokenArgs),

    /// Estimate the monthly AWS cost of a topology, per component, from an embedded price table.
    #[command(
        long_about = "Estimate the monthly AWS cost of a topology, per component and in total.\n\n\
Reads the topology with the model (defaults filled, references resolved) and \
prices it with the embedded, dated price table (its region, date and source \
are printed). What the table cannot know — hours, requests, users, log and \
traffic volumes — are the usage flags below, with defaults.\n\n\
The README's cost section is `infragen cost --format markdown` (docs/cost.md; \
a test keeps it up to date).\n\n\
Examples:\n  infragen cost\n  infragen cost --topology dev.toml --compare topology.toml\n  \
infragen cost --requests-millions 50 --mau 20000 --format json"
    )]
    Cost(CostArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CostFormat {
    /// Aligned text.
    Table,
    /// GitHub markdown (the README's cost section).
    Markdown,
    /// Machine-readable, with prices, usage and every line.
    Json,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// The topology to price (default: the embedded default, the repository's topology.toml).
    #[arg(long, short = 't', value_name = "FILE", env = super::model::TOPOLOGY_ENV)]
    pub topology: Option<PathBuf>,
    /// A second topology, priced side by side with the difference.
    #[arg(long, value_name = "OTHER.toml")]
    pub compare: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: CostFormat,
    /// Hours a month everything runs (730 = always on).
    #[arg(long, value_name = "HOURS", default_value_t = 730.0)]
    pub hours: f64,
    /// API requests a month, in millions (API Gateway).
    #[arg(long, value_name = "MILLIONS", default_value_t = 10.0)]
    pub requests_millions: f64,
    /// Monthly active users of the Cognito user pool.
    #[arg(long, value_name = "USERS", default_value_t = 1000)]
    pub mau: u64,
    /// Application and access logs ingested a month, GB.
    #[arg(long, value_name = "GB", default_value_t = 20.0)]
    pub log_gb: f64,
    /// VPC flow logs ingested a month, GB.
    #[arg(long, value_name = "GB", default_value_t = 10.0)]
    pub flow_log_gb: f64,
    /// Data through the NAT gateways a month, GB.
    #[arg(long, value_name = "GB", default_value_t = 50.0)]
    pub nat_gb: f64,
    /// Data through the interface VPC endpoints a month, GB.
    #[arg(long, value_name = "GB", default_value_t = 50.0)]
    pub endpoint_gb: f64,
    /// Average load balancer capacity units (LCU).
    #[arg(long, value_name = "LCU", default_value_t = 1.0)]
    pub alb_lcu: f64,
    /// Container images stored in ECR, GB.
    #[arg(long, value_name = "GB", default_value_t = 5.0)]
    pub ecr_gb: f64,
    /// Images pushed a month (each scanned by Inspector).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub images_pushed: u32,
    /// Amazon MQ broker storage, GB.
    #[arg(long, value_name = "GB", default_value_t = 20.0)]
    pub mq_storage_gb: f64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// ECS cluster name (default: the `ecs_cluster_name` output).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Only these services (topology names from `ecs_service_names`, or ECS service names); repeatable.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// How many recent events to show per service.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub events: usize,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub stack: StackArgs,
}

/// Cognito user pool selection, shared by `users` and `token`.
#[derive(Debug, Args, Clone)]
pub struct PoolArgs {
    /// Cognito user pool id (default: the `cognito_user_pool_id` output).
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user with a permanent password (no invitation e-mail is sent).
    #[command(
        long_about = "Create a Cognito user with a permanent password, ready to sign in.\n\n\
The password comes from standard input (--password-stdin) or the environment \
variable INFRAGEN_USER_PASSWORD — never from an argument. It must satisfy the \
user pool's password policy.\n\n\
The generated user pool signs users in by e-mail address, so USERNAME is an \
e-mail address there; it is also stored as the user's verified `email`.\n\n\
Examples:\n  printf '%s' \"$PASSWORD\" | infragen users add alice@example.com --password-stdin\n  \
INFRAGEN_USER_PASSWORD=… infragen users add bob@example.com"
    )]
    Add {
        /// The user name to create (an e-mail address when the pool signs in by e-mail).
        username: String,
        /// E-mail address, stored as verified (default: USERNAME when it is an e-mail address).
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (up to the first newline).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        pool: PoolArgs,
    },
    /// List the users of the pool.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pool: PoolArgs,
    },
    /// Delete a user.
    Remove {
        /// The user name to delete.
        username: String,
        #[command(flatten)]
        pool: PoolArgs,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user to sign in as.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// Print `Authorization: Bearer <token>`, ready for `curl -H`.
    #[arg(long)]
    pub header: bool,
    /// Print the access token instead of the ID token (the API's JWT authorizer accepts the ID token).
    #[arg(long)]
    pub access_token: bool,
    /// Read the password from standard input (otherwise from INFRAGEN_USER_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,
    /// Cognito app client id (default: the `cognito_client_id` output).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub pool: PoolArgs,
}

pub fn run(cmd: OpsCommand) -> Result<(), CliError> {
    let cmd = match cmd {
        // Pure arithmetic on the model: no AWS, no async runtime.
        OpsCommand::Cost(args) => {
            print!("{}", cost(&args)?);
            return Ok(());
        }
        OpsCommand::Status(args) => AwsCommand::Status(args),
        OpsCommand::Deploy(args) => AwsCommand::Deploy(args),
        OpsCommand::Users(cmd) => AwsCommand::Users(cmd),
        OpsCommand::Token(args) => AwsCommand::Token(args),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            OpsError::new(
                ErrorKind::Service,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    runtime.block_on(async {
        match cmd {
            AwsCommand::Status(args) => status(args).await,
            AwsCommand::Deploy(args) => super::deploy::run(args).await,
            AwsCommand::Users(cmd) => users(cmd).await,
            AwsCommand::Token(args) => token(args).await,
        }
    })?;
    Ok(())
}

/// The commands that call AWS (all but `cost`).
enum AwsCommand {
    Status(StatusArgs),
    Deploy(Box<super::deploy::DeployArgs>),
    Users(UsersCommand),
    Token(TokenArgs),
}

async fn status(args: StatusArgs) -> Result<(), OpsError> {
    let mut stack = Stack::new(args.stack.clone());
    let cluster = stack.cluster(args.cluster.clone())?;
    let services: Vec<String> = if args.services.is_empty() {
        // Prefer the stack's own list; fall back to every service of the cluster.
        stack
            .outputs
            .as_ref()
            .map(|o| o.ecs_service_names.values().cloned().collect())
            .unwrap_or_default()
    } else {
        args.services
            .iter()
            .map(|s| stack.service_name(s))
            .collect()
    };
    let aws = stack.connect().await?;
    let status = infragen_aws::ecs::status(&aws, &cluster, &services, args.events).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).expect("status serializes")
        );
    } else {
        print!("{}", super::status_view::render_status(&status));
    }
    if !args.services.is_empty() && !status.missing.is_empty() {
        let ctx_service = status.missing.join(", ");
        return Err(OpsError::new(
            ErrorKind::UnknownService,
            format!("ECS service `{ctx_service}` not found in cluster `{cluster}`"),
        )
        .with_hint("run `infragen status` without --service to list the cluster's services"));
    }
    Ok(())
}

/// Reads the password: stdin with `--password-stdin`, else INFRAGEN_USER_PASSWORD.
fn read_password(from_stdin: bool) -> Result<String, OpsError> {
    if from_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("Password (echoed; prefer a pipe): ");
        }
        // One line: a trailing newline from `echo` or the terminal is not part of it.
        let mut text = String::new();
        stdin.lock().read_line(&mut text).map_err(|e| {
            OpsError::input(format!("cannot read the password from standard input: {e}"))
        })?;
        let first = text.split(['\n', '\r']).next().unwrap_or("").to_string();
        if first.is_empty() {
            return Err(OpsError::input("no password on standard input")
                .with_hint("pipe it in: printf '%s' \"$PASSWORD\" | infragen … --password-stdin"));
        }
        return Ok(first);
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(OpsError::input("no password given")
            .with_hint(format!("pipe it with --password-stdin, or set {PASSWORD_ENV}; it is never a command-line argument"))),
    }
}

async fn users(cmd: UsersCommand) -> Result<(), OpsError> {
    match cmd {
        UsersCommand::Add {
            username,
            email,
            password_stdin,
            pool,
        } => {
            let password = read_password(password_stdin)?;
            let mut stack = Stack::new(pool.stack.clone());
            let pool_id = stack.user_pool(pool.user_pool_id.clone())?;
            let aws = stack.connect().await?;
            let email = email.or_else(|| username.contains('@').then(|| username.clone()));
            infragen_aws::cognito::add_user(&aws, &pool_id, &username, email.as_deref(), &password)
                .await?;
            println!("created user {username} in {pool_id} (password set, status CONFIRMED)");
        }
        UsersCommand::List { json, pool } => {
            let mut stack = Stack::new(pool.stack.clone());
            let pool_id = stack.user_pool(pool.user_pool_id.clone())?;
            let aws = stack.connect().await?;
            let users = infragen_aws::cognito::list_users(&aws, &pool_id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&users).expect("users serialize")
                );
            } else if users.is_empty() {
                println!(
                    "no users in {pool_id}; add one with `infragen users add USERNAME --password-stdin`"
                );
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.username.clone(),
                            u.status.clone(),
                            if u.enabled { "yes".into() } else { "no".into() },
                            u.email.clone().unwrap_or_else(|| "-".into()),
                            u.created.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    super::table::table(
                        &["USERNAME", "STATUS", "ENABLED", "EMAIL", "CREATED"],
                        &rows
                    )
                );
            }
        }
        UsersCommand::Remove { username, pool } => {
            let mut stack = Stack::new(pool.stack.clone());
            let pool_id = stack.user_pool(pool.user_pool_id.clone())?;
            let aws = stack.connect().await?;
            infragen_aws::cognito::remove_user(&aws, &pool_id, &username).await?;
            println!("removed user {username} from {pool_id}");
        }
    }
    Ok(())
}

async fn token(args: TokenArgs) -> Result<(), OpsError> {
    let password = read_password(args.password_stdin)?;
    let mut stack = Stack::new(args.pool.stack.clone());
    let client_id = match args.client_id.clone() {
        Some(c) => c,
        None => stack.outputs()?.require_client()?,
    };
    let pool_id = stack.user_pool(args.pool.user_pool_id.clone())?;
    let aws = stack.connect().await?;
    let tokens =
        infragen_aws::cognito::sign_in(&aws, &pool_id, &client_id, &args.user, &password).await?;
    let token = if args.access_token {
        tokens
            .access_token
            .ok_or_else(|| OpsError::new(ErrorKind::Service, "Cognito returned no access token"))?
    } else {
        tokens.id_token
    };
    if args.header {
        println!("Authorization: Bearer {token}");
    } else {
        println!("{token}");
    }
    Ok(())
}

fn load_topology(path: Option<&PathBuf>) -> Result<infragen_core::Model, OpsError> {
    let loaded = match path {
        None => infragen_core::load_default(),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                OpsError::input(format!("cannot read topology {}: {e}", p.display()))
            })?;
            infragen_core::load(&text, &p.display().to_string())
        }
    };
    loaded.map_err(|e| {
        let plain = e.render_plain();
        let first = plain
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid topology")
            .to_string();
        OpsError::input(format!("the topology is invalid: {first}"))
            .with_hint("run `infragen validate` on it to see every problem")
    })
}

/// `infragen cost`: the estimate as text.
pub fn cost(args: &CostArgs) -> Result<String, OpsError> {
    use infragen_core::cost;
    let prices = cost::Prices::embedded();
    let usage = cost::Usage {
        hours: args.hours,
        requests_millions: args.requests_millions,
        mau: args.mau,
        log_gb: args.log_gb,
        flow_log_gb: args.flow_log_gb,
        nat_gb: args.nat_gb,
        endpoint_gb: args.endpoint_gb,
        alb_lcu: args.alb_lcu,
        ecr_gb: args.ecr_gb,
        images_pushed: args.images_pushed,
        mq_storage_gb: args.mq_storage_gb,
        ..cost::Usage::default()
    };
    for (flag, v) in [
        ("--hours", args.hours),
        ("--requests-millions", args.requests_millions),
        ("--log-gb", args.log_gb),
        ("--flow-log-gb", args.flow_log_gb),
        ("--nat-gb", args.nat_gb),
        ("--endpoint-gb", args.endpoint_gb),
        ("--alb-lcu", args.alb_lcu),
        ("--ecr-gb", args.ecr_gb),
        ("--mq-storage-gb", args.mq_storage_gb),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(OpsError::input(format!(
                "{flag} must be a number ≥ 0, not {v}"
            )));
        }
    }
    if args.hours > 744.0 {
        return Err(OpsError::input(format!(
            "--hours is at most 744 (a 31-day month), not {}",
            args.hours
        )));
    }
    let estimate = |path: Option<&PathBuf>| -> Result<cost::Estimate, OpsError> {
        let model = load_topology(path)?;
        cost::estimate(&model, &prices, &usage).map_err(|e| {
            OpsError::input(e.0).with_hint("add the price to infragen/core/src/prices.toml")
        })
    };
    let a = estimate(args.topology.as_ref())?;
    let b = match &args.compare {
        Some(p) => Some(estimate(Some(p))?),
        None => None,
    };
    let format = match args.format {
        CostFormat::Table => cost::Format::Table,
        CostFormat::Markdown => cost::Format::Markdown,
        CostFormat::Json => cost::Format::Json,
    };
    Ok(cost::render(&prices, &usage, &a, b.as_ref(), format))
}
