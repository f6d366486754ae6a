use std::process::ExitCode;

use billing_app::config::Settings;
use billing_app::startup::{self, DEFAULT_PORT, SERVICE};
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
