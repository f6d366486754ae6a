//! `infragen`: renders the AWS infrastructure as Terraform from a typed topology
//! model, and operates the running deployment.
use clap::Parser;
use std::process::ExitCode;

mod commands;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    commands::run(cli)
}
