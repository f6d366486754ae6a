//! render, validate, schema, graph.
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Render the Terraform modules for a topology.
    Render,
}

pub fn run(cmd: ModelCommand) -> ExitCode {
    match cmd {
        ModelCommand::Render => ExitCode::SUCCESS,
    }
}
