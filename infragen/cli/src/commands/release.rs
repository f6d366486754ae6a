//! `infragen release-plan`: what `scripts/release.sh` builds, pushes and
//! deploys, read from the Terraform outputs, in the model's roll-out order
//! (callees before callers). Prints the region, then one
//! `service<TAB>image<TAB>repository URL` line per service.
//!
use super::model::{TopologyArg, load_topology};
use crate::error::CliError;
use clap::Args;
use infragen_aws::StackOutputs;
use infragen_aws::release::ReleasePlan;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReleasePlanArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// Read the outputs from FILE (`terraform output -json > FILE`).
    #[arg(long, value_name = "FILE", conflicts_with = "tf_dir")]
    pub outputs: Option<PathBuf>,
    /// Run `terraform -chdir=DIR output -json`.
    #[arg(long, value_name = "DIR", default_value = "generated-tf")]
    pub tf_dir: PathBuf,
    /// Only this service: a topology name (`inventory`) or an image name
    /// (`inventory-app`); repeatable.
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// Where each image's `<image>.Dockerfile` must be.
    #[arg(long, value_name = "DIR", default_value = "Dockerfiles")]
    pub dockerfiles: PathBuf,
}

pub fn run(args: &ReleasePlanArgs) -> Result<(), CliError> {
    let model = load_topology(&args.topology)?;
    let outputs = match &args.outputs {
        Some(file) => StackOutputs::from_file(file),
        None => StackOutputs::from_terraform(&args.tf_dir),
    }?;
    let plan = ReleasePlan::new(&outputs, &model.rollout_order(), &args.service)
        .map_err(|e| CliError::Input(e.to_string()))?;
    for t in &plan.targets {
        let dockerfile = args.dockerfiles.join(format!("{}.Dockerfile", t.image));
        if !dockerfile.is_file() {
            return Err(CliError::Failed {
                message: format!(
                    "service {}: its repository {} names image {:?}, but there is no {}",
                    t.service,
                    t.repository_url,
                    t.image,
                    dockerfile.display()
                ),
                hint: Some("--dockerfiles DIR names the folder of the Dockerfiles".to_string()),
            });
        }
    }
    print!("{}", plan.to_tsv());
    Ok(())
}
