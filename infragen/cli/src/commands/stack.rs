//! The deployed stack an AWS command works on: where its Terraform outputs
//! come from (`--tf-dir`, `--outputs`), how to reach AWS (`--region`,
//! `--profile`, `--endpoint-url`), and the outputs read at most once.
use clap::Args;
use infragen_aws::{Aws, AwsSettings, OpsError, StackOutputs};
use std::path::PathBuf;

/// Where the stack's ids come from, and how to reach AWS.
#[derive(Debug, Args, Clone)]
pub struct StackArgs {
    /// Terraform directory whose outputs name the cluster, services, user pool and client
    /// (read with `terraform -chdir=DIR output -json`).
    #[arg(long, value_name = "DIR", default_value = "generated-tf")]
    pub tf_dir: PathBuf,

    /// Read the outputs from a file written by `terraform output -json > FILE` instead of running Terraform.
    #[arg(long, value_name = "FILE")]
    pub outputs: Option<PathBuf>,

    /// AWS region (default: AWS_REGION / the profile, then the `region` output).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile from ~/.aws/config (default: AWS_PROFILE or `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every AWS call to this endpoint (default: AWS_ENDPOINT_URL), e.g. a local emulator.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// Terraform outputs, read at most once and only when a flag does not give the value.
pub struct Stack {
    args: StackArgs,
    pub outputs: Option<StackOutputs>,
}

impl Stack {
    pub fn new(args: StackArgs) -> Self {
        Self {
            args,
            outputs: None,
        }
    }

    pub fn outputs(&mut self) -> Result<&StackOutputs, OpsError> {
        if self.outputs.is_none() {
            let loaded = match &self.args.outputs {
                Some(file) => StackOutputs::from_file(file)?,
                None => StackOutputs::from_terraform(&self.args.tf_dir)?,
            };
            self.outputs = Some(loaded);
        }
        Ok(self.outputs.as_ref().expect("loaded above"))
    }

    pub fn cluster(&mut self, flag: Option<String>) -> Result<String, OpsError> {
        match flag {
            Some(c) => Ok(c),
            None => self.outputs()?.require_cluster(),
        }
    }

    pub fn user_pool(&mut self, flag: Option<String>) -> Result<String, OpsError> {
        match flag {
            Some(p) => Ok(p),
            None => self.outputs()?.require_user_pool(),
        }
    }

    /// Service names: app names are mapped through `ecs_service_names` when
    /// the outputs are at hand (or readable).
    pub fn service_name(&mut self, name: &str) -> String {
        if self.outputs.is_none() && self.args.outputs.is_none() && !self.args.tf_dir.is_dir() {
            return name.to_string();
        }
        match self.outputs() {
            Ok(o) => o.service_name(name),
            Err(_) => name.to_string(),
        }
    }

    pub async fn connect(&self) -> Result<Aws, OpsError> {
        let settings = AwsSettings {
            region: self.args.region.clone(),
            fallback_region: self.outputs.as_ref().and_then(|o| o.region.clone()),
            profile: self.args.profile.clone(),
            endpoint_url: self.args.endpoint_url.clone(),
            operation_timeout: None,
            static_credentials: None,
        };
        infragen_aws::config::load(&settings).await
    }
}
