//! The smoke gate of a blue/green, linear or canary deployment: an AWS
//! Lambda function that Amazon ECS invokes as a lifecycle hook at the
//! `POST_TEST_TRAFFIC_SHIFT` stage, when the test listener of the internal
//! ALB forwards to the new service revision and production traffic still
//! goes to the old one.
//!
//! It GETs each configured path through the test listener and answers
//! `{"hookStatus": "SUCCEEDED"}` when every one answers 2xx in time,
//! `{"hookStatus": "FAILED"}` otherwise (ECS then rolls the deployment
//! back before any user reached the new revision). Every check is one JSON
//! log line (path, status, latency, reason).
//!
//! | module | what it holds |
//! |---|---|
//! | [`event`] | the lifecycle-hook payload ECS sends and the response it reads |
//! | [`details`] | `hookDetails` (base URL, paths, timeout) parsed and validated |
//! | [`check`] | one GET of one path, with its outcome and its log line |
//! | [`gate`] | the handler: event in, verdict and response out |
//! | [`telemetry`] | the JSON log subscriber of the function |
//!
//! `main.rs` only wires [`gate::Gate::handle`] to the Lambda runtime, so the
//! handler is tested here without it.

pub mod check;
pub mod details;
pub mod event;
pub mod gate;
pub mod telemetry;

pub use details::{DetailsError, SmokeDetails};
pub use event::{HookResponse, HookStatus, LifecycleHookEvent};
pub use gate::{Gate, Verdict};
