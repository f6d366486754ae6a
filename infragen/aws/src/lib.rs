//! Operations against a running deployment through the AWS SDK: ECS status,
//! deployments and their lifecycle (service deployments), Cognito users and tokens. The only crate of the workspace that
//! depends on the SDK; see README.md here for testing against moto.
pub mod cognito;
pub mod config;
pub mod deploy;
pub mod deploy_wait;
pub mod ecs;
pub mod error;
pub mod jwt;
pub mod lifecycle;
pub mod outputs;
pub mod release;
pub mod rollout;
pub mod service_deployment;
mod time;

pub use config::{Aws, AwsSettings};
pub use error::{ErrorKind, OpsError, Result};
pub use outputs::StackOutputs;

/// The SDK crates, re-exported so that tests and the CLI need no direct dependency.
pub use aws_config;
pub use aws_sdk_cognitoidentityprovider as cognito_sdk;
pub use aws_sdk_ecs as ecs_sdk;
