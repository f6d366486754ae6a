//! The Lambda entry point: the JSON log subscriber, one [`Gate`], and the
//! runtime loop (the Lambda Runtime API client of `lambda_runtime`, which
//! is the image's runtime interface client). Everything else is in the
//! library.

use deploy_hook::Gate;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    deploy_hook::telemetry::init();
    let gate = Gate::new()?;
    let gate = &gate;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(gate.handle(event.payload).await)
    }))
    .await
}
