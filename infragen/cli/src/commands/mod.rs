//! Command-line surface. Model commands live in `model.rs`, AWS operations in `ops.rs`.
use crate::error::{CliError, EXIT_CODES};
use clap::{Parser, Subcommand};

pub mod model;
pub mod ops;

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
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Model(cmd) => model::run(cmd),
        Command::Ops(cmd) => ops::run(cmd),
    }
}
