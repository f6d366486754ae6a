//! Command-line surface. Model commands live in `model.rs`, AWS operations in
//! `ops.rs`, `deploy` and its lifecycle actions in `deploy.rs`, the stack
//! they work on in `stack.rs`, the status text in `status_view.rs` and
//! `lifecycle_view.rs`.
use crate::error::{CliError, EXIT_CODES};
use clap::{Parser, Subcommand};

pub mod deploy;
pub mod docs;
pub mod lifecycle_view;
pub mod model;
pub mod ops;
pub mod release;
pub mod stack;
pub mod status_view;
pub mod table;

#[derive(Debug, Parser)]
#[command(name = "infragen", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Model(model::ModelCommand),
    #[command(flatten)]
    Ops(ops::OpsCommand),
    /// Write every generated doc and README block (or compare them: --check).
    Docs(docs::DocsArgs),
    /// What scripts/release.sh builds and deploys, from the Terraform outputs, in roll-out order.
    ReleasePlan(release::ReleasePlanArgs),
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Model(cmd) => model::run(cmd),
        Command::Ops(cmd) => ops::run(cmd),
        Command::Docs(args) => docs::run(&args),
        Command::ReleasePlan(args) => release::run(&args),
    }
}
