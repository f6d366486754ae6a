//! status, deploy, users, token, cost.
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Show the ECS services of the deployed cluster.
    Status,
}

pub fn run(cmd: OpsCommand) -> ExitCode {
    match cmd {
        OpsCommand::Status => ExitCode::SUCCESS,
    }
}
