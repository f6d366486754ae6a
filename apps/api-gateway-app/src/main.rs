use std::process::ExitCode;

use api_gateway_app::config::{DEFAULT_PORT, SERVICE, Settings};
use api_gateway_app::startup;
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
