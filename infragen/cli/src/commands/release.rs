//! `infragen release-plan`: what `scripts/release.sh` builds, pushes and
//! deploys, read from the Terraform outputs, in the model's roll-out order
//! (callees before callers). Prints the region, then one
//! `service<TAB>image<TAB>repository URL` line per service.
//!
//! Exit codes: 0 a plan, 1 the outputs or the topology cannot give one,
//! 2 a --service names no service.
use super::model::{EXIT_ERROR, TopologyArg, load_topology};
use clap::Args;
use infragen_aws::StackOutputs;
use infragen_aws::release::{ReleaseError, ReleasePlan};
use std::path::PathBuf;
use std::process::ExitCode;

/// A --service that names no service.
const EXIT_UNKNOWN_SERVICE: u8 = 2;

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

pub fn run(args: &ReleasePlanArgs) -> ExitCode {
    match plan(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn plan(args: &ReleasePlanArgs) -> Result<String, (u8, String)> {
    let model = load_topology(&args.topology).map_err(|_| {
        (
            EXIT_ERROR,
            "the topology is invalid (see `infragen validate`)".into(),
        )
    })?;
    let outputs = match &args.outputs {
        Some(file) => StackOutputs::from_file(file),
        None => StackOutputs::from_terraform(&args.tf_dir),
    }
    .map_err(|e| {
        let hint = e.hint.as_deref().map(|h| format!("\nhint: {h}"));
        (EXIT_ERROR, format!("{e}{}", hint.unwrap_or_default()))
    })?;
    let plan = ReleasePlan::new(&outputs, &model.rollout_order(), &args.service).map_err(|e| {
        let code = match e {
            ReleaseError::UnknownService { .. } => EXIT_UNKNOWN_SERVICE,
            ReleaseError::Outputs(_) => EXIT_ERROR,
        };
        (code, e.to_string())
    })?;
    for t in &plan.targets {
        let dockerfile = args.dockerfiles.join(format!("{}.Dockerfile", t.image));
        if !dockerfile.is_file() {
            return Err((
                EXIT_ERROR,
                format!(
                    "service {}: its repository {} names image {:?}, but there is no {}",
                    t.service,
                    t.repository_url,
                    t.image,
                    dockerfile.display()
                ),
            ));
        }
    }
    Ok(plan.to_tsv())
}
