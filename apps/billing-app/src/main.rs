use std::process::ExitCode;

use billing_app::config::{DEFAULT_PORT, SERVICE, Settings};
use billing_app::startup;
use service_kit::entry::Runtime;

fn main() -> ExitCode {
    service_kit::entry::run(
        SERVICE,
        DEFAULT_PORT,
        Runtime::MultiThread(2),
        Settings::from_env,
        |s| &s.log,
        startup::run,
    )
}
