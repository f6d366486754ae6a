use std::process::ExitCode;

use inventory_app::config::{DEFAULT_PORT, SERVICE, Settings};
use service_kit::entry::Runtime;

fn main() -> ExitCode {
    // One thread carries the background work (migrations); actix's HTTP
    // workers have their own threads.
    service_kit::entry::run(
        SERVICE,
        DEFAULT_PORT,
        Runtime::CurrentThread,
        Settings::from_env,
        |s| &s.log,
        inventory_app::startup::run,
    )
}
