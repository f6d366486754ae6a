use std::process::ExitCode;

use inventory_app::configuration::{DEFAULT_PORT, SERVICE_NAME, Settings};
use service_kit::{healthcheck, telemetry};

fn main() -> ExitCode {
    if let Some(code) = healthcheck::from_args(SERVICE_NAME, DEFAULT_PORT) {
        return code;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{SERVICE_NAME}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{SERVICE_NAME}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(inventory_app::startup::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "inventory-app failed");
            ExitCode::FAILURE
        }
    }
}
