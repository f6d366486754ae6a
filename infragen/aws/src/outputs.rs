//! The Terraform root outputs the operations read, named by the runtime
//! contract ([`runtime_contract::outputs`], docs/contracts.md).
use crate::error::{OpsError, Result};
use runtime_contract::outputs as output;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the outputs came from, for messages.
#[derive(Debug, Clone)]
pub enum OutputsSource {
    Terraform(PathBuf),
    File(PathBuf),
}

impl std::fmt::Display for OutputsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputsSource::Terraform(dir) => {
                write!(f, "`terraform -chdir={} output -json`", dir.display())
            }
            OutputsSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The stack outputs, each optional: a command asks only for what it needs.
#[derive(Debug, Clone, Default)]
pub struct StackOutputs {
    pub region: Option<String>,
    pub ecs_cluster_name: Option<String>,
    /// app → ECS service name.
    pub ecs_service_names: BTreeMap<String, String>,
    pub cognito_user_pool_id: Option<String>,
    pub cognito_client_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub ecr_repository_urls: BTreeMap<String, String>,
    pub alarm_topic_arn: Option<String>,
    pub source: Option<String>,
}

impl StackOutputs {
    /// Parses `terraform output -json` (`{"name": {"value": …, "type": …}}`) or
    /// a plain `{"name": value}` object.
    pub fn from_json(text: &str, source: &OutputsSource) -> Result<Self> {
        let root: Value = serde_json::from_str(text).map_err(|e| {
            OpsError::outputs(format!("{source} is not valid JSON ({e})"))
                .with_hint("pass the output of `terraform output -json` with --outputs FILE")
        })?;
        let Value::Object(map) = root else {
            return Err(
                OpsError::outputs(format!("{source} is not a JSON object of outputs"))
                    .with_hint("pass the output of `terraform output -json` with --outputs FILE"),
            );
        };
        let get = |name: &str| -> Option<Value> {
            let v = map.get(name)?;
            match v {
                Value::Object(o) if o.contains_key("value") => o.get("value").cloned(),
                other => Some(other.clone()),
            }
        };
        let string = |name: &str| {
            get(name)
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|s| !s.is_empty())
        };
        let string_map = |name: &str| -> BTreeMap<String, String> {
            match get(name) {
                Some(Value::Object(o)) => o
                    .into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                    .collect(),
                _ => BTreeMap::new(),
            }
        };
        Ok(Self {
            region: string(output::REGION),
            ecs_cluster_name: string(output::ECS_CLUSTER_NAME),
            ecs_service_names: string_map(output::ECS_SERVICE_NAMES),
            cognito_user_pool_id: string(output::COGNITO_USER_POOL_ID),
            cognito_client_id: string(output::COGNITO_CLIENT_ID),
            api_endpoint: string(output::API_ENDPOINT),
            ecr_repository_urls: string_map(output::ECR_REPOSITORY_URLS),
            alarm_topic_arn: string(output::ALARM_TOPIC_ARN),
            source: Some(source.to_string()),
        })
    }

    /// Reads a JSON file written by `terraform output -json > FILE`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let source = OutputsSource::File(path.to_path_buf());
        let text = std::fs::read_to_string(path).map_err(|e| {
            OpsError::outputs(format!("cannot read outputs file {}: {e}", path.display()))
                .with_hint(
                    "write it with `terraform output -json > FILE`, or pass the ids as flags",
                )
        })?;
        Self::from_json(&text, &source)
    }

    /// Runs `terraform -chdir=DIR output -json`.
    pub fn from_terraform(dir: &Path) -> Result<Self> {
        let source = OutputsSource::Terraform(dir.to_path_buf());
        if !dir.is_dir() {
            return Err(OpsError::outputs(format!("Terraform directory {} does not exist", dir.display()))
                .with_hint("pass --tf-dir DIR (where `terraform apply` ran), --outputs FILE, or the ids as flags"));
        }
        let out = Command::new("terraform")
            .arg(format!("-chdir={}", dir.display()))
            .args(["output", "-json", "-no-color"])
            .output()
            .map_err(|e| {
                let hint = if e.kind() == std::io::ErrorKind::NotFound {
                    "install Terraform, or pass --outputs FILE (from `terraform output -json`) or the ids as flags"
                } else {
                    "pass --outputs FILE (from `terraform output -json`) or the ids as flags"
                };
                OpsError::outputs(format!("cannot run terraform: {e}")).with_hint(hint)
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no message");
            return Err(OpsError::outputs(format!("{source} failed: {first}"))
                .with_hint("run `terraform init` and `terraform apply` there first, or pass the ids as flags"));
        }
        let parsed = Self::from_json(&String::from_utf8_lossy(&out.stdout), &source)?;
        Ok(parsed)
    }

    fn source_text(&self) -> String {
        self.source
            .clone()
            .unwrap_or_else(|| "the Terraform outputs".to_string())
    }

    /// A missing output, with a hint naming the flag that replaces it.
    pub fn missing(&self, output: &str, flag: &str) -> OpsError {
        OpsError::outputs(format!("the stack output `{output}` is missing from {}", self.source_text()))
            .with_hint(format!(
                "has `terraform apply` run for this stack? Otherwise pass {flag} (or --tf-dir / --outputs)"
            ))
    }

    pub fn require_cluster(&self) -> Result<String> {
        self.ecs_cluster_name
            .clone()
            .ok_or_else(|| self.missing(output::ECS_CLUSTER_NAME, "--cluster NAME"))
    }

    pub fn require_user_pool(&self) -> Result<String> {
        self.cognito_user_pool_id
            .clone()
            .ok_or_else(|| self.missing(output::COGNITO_USER_POOL_ID, "--user-pool-id ID"))
    }

    pub fn require_client(&self) -> Result<String> {
        self.cognito_client_id
            .clone()
            .ok_or_else(|| self.missing(output::COGNITO_CLIENT_ID, "--client-id ID"))
    }

    /// Resolves an app name (`inventory`, a key of `ecs_service_names`) to its
    /// ECS service name; anything else is taken as a service name.
    pub fn service_name(&self, name: &str) -> String {
        self.ecs_service_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_terraform_output_json() {
        let text = r#"{
          "region": {"sensitive": false, "type": "string", "value": "eu-west-1"},
          "ecs_cluster_name": {"sensitive": false, "type": "string", "value": "shop"},
          "ecs_service_names": {"sensitive": false, "type": ["map", "string"],
             "value": {"inventory-app": "shop-inventory", "billing-app": "shop-billing"}},
          "cognito_user_pool_id": {"sensitive": false, "type": "string", "value": "eu-west-1_abc"},
          "cognito_client_id": {"sensitive": true, "type": "string", "value": "client123"}
        }"#;
        let o = StackOutputs::from_json(text, &OutputsSource::File("x.json".into())).unwrap();
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.require_cluster().unwrap(), "shop");
        assert_eq!(o.service_name("inventory-app"), "shop-inventory");
        assert_eq!(o.service_name("other"), "other");
        assert_eq!(o.require_client().unwrap(), "client123");
        assert!(o.api_endpoint.is_none());
    }

    #[test]
    fn reads_plain_values_and_reports_missing_outputs() {
        let o = StackOutputs::from_json(
            r#"{"region": "us-east-1"}"#,
            &OutputsSource::File("o.json".into()),
        )
        .unwrap();
        let err = o.require_cluster().unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Outputs);
        assert!(err.message.contains("ecs_cluster_name"), "{}", err.message);
        assert!(err.hint.unwrap().contains("--cluster"));
    }

    #[test]
    fn empty_terraform_state_means_every_output_is_missing() {
        let o = StackOutputs::from_json("{}", &OutputsSource::Terraform("generated-tf".into()))
            .unwrap();
        assert!(
            o.require_user_pool()
                .unwrap_err()
                .message
                .contains("terraform -chdir=generated-tf output -json")
        );
    }
}
