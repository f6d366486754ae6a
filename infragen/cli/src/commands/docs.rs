//! `infragen docs [--check]`: writes (or compares) every generated document
//! of the repository — docs/topology-reference.md, architecture.md, cost.md,
//! contracts.md, contracts.json and the generated blocks of README.md — from
//! the embedded default topology and the runtime contract. The one writer
//! of generated docs; CI runs it with --check (exit 3 with a diff on drift).
use super::model::{TopologyArg, load_topology};
use crate::error::CliError;
use clap::Args;
use infragen_core::docs::{self, splice};
use infragen_core::output::Rendered;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DocsArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// The repository root the paths are relative to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Write nothing: print a diff for every document that is out of date
    /// and exit 3 when there is one.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &DocsArgs) -> Result<(), CliError> {
    let rendered = generate(args)?;
    finish(args, &rendered)
}

/// Every generated document, README.md with its blocks replaced.
fn generate(args: &DocsArgs) -> Result<Rendered, CliError> {
    let model = load_topology(&args.topology)?;
    let label = match &args.topology.topology {
        Some(p) => p.display().to_string(),
        None => infragen_core::DEFAULT_TOPOLOGY_NAME.to_string(),
    };
    let runtime = |message: String| CliError::Failed {
        message,
        hint: None,
    };
    let mut files = BTreeMap::new();
    for file in docs::files(&model, &label).map_err(runtime)? {
        files.insert(file.path.to_string(), file.content);
    }
    let readme_path = args.root.join(docs::README);
    let mut readme = std::fs::read_to_string(&readme_path).map_err(|e| CliError::Failed {
        message: format!("cannot read {}: {e}", readme_path.display()),
        hint: Some("run from the repository root, or pass --root DIR".to_string()),
    })?;
    for block in docs::readme_blocks(&model).map_err(runtime)? {
        readme = splice::splice(&readme, block.name, &block.content).map_err(|why| {
            CliError::Failed {
                message: format!("{}: {why}", readme_path.display()),
                hint: Some(format!(
                    "put the generated block between a `{}` line and a `{}` line",
                    splice::start_marker(block.name),
                    splice::end_marker(block.name)
                )),
            }
        })?;
    }
    files.insert(docs::README.to_string(), readme);
    Ok(Rendered { files })
}

fn finish(args: &DocsArgs, rendered: &Rendered) -> Result<(), CliError> {
    let root = args.root.display().to_string();
    if args.check {
        let report = rendered
            .check_files(&args.root)
            .map_err(CliError::io(root))?;
        if report.is_clean() {
            println!("docs: up to date ({} files)", rendered.files.len());
            return Ok(());
        }
        for (_, diff) in &report.changed {
            print!("{diff}");
        }
        for path in &report.missing {
            println!("missing: {path} (not on disk)");
        }
        return Err(CliError::OutOfDate {
            message: "generated docs are out of date".to_string(),
            hint: "run `cargo run -q -p infragen -- docs` and commit the result".to_string(),
        });
    }
    let report = rendered
        .write_files(&args.root)
        .map_err(CliError::io(root))?;
    for path in &report.written {
        println!("updated    {path}");
    }
    for path in &report.unchanged {
        println!("unchanged  {path}");
    }
    Ok(())
}
