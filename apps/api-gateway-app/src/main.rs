use std::process::ExitCode;

use api_gateway_app::{config::Settings, startup::GatewayApp};

fn main() -> ExitCode {
    if let Some(code) = service_kit::healthcheck::from_args("api-gateway-app", 3000) {
        return code;
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("api-gateway-app: {e}");
            return ExitCode::from(2);
        }
    };
    service_kit::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let app = match GatewayApp::build(settings) {
            Ok(app) => app,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot start");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(port = app.port(), "api-gateway-app listening");
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "stopped with an error");
                ExitCode::FAILURE
            }
        }
    })
}
