//! `infragen`: renders the AWS infrastructure as Terraform from a typed topology
//! model, and operates the running deployment.
use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

mod commands;
mod error;

fn main() -> ExitCode {
    // Every command's --help ends with the one exit-code table.
    let matches = commands::Cli::command()
        .mut_subcommands(|c| c.after_long_help(error::EXIT_CODES))
        .get_matches();
    let cli = match commands::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
