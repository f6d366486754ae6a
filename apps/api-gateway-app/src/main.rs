use std::process::ExitCode;

use api_gateway_app::config::Settings;
use api_gateway_app::startup::{self, DEFAULT_PORT, SERVICE};
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
