//! render, compose, validate, schema, graph: the commands that work on the
//! topology model. Their failures are [`CliError`]s (exit codes in
//! `crate::error::EXIT_CODES`).
use crate::error::{CliError, ProblemFormat};
use clap::{Args, Subcommand};
use infragen_core::Model;
use infragen_core::render::{Rendered, Renderer};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable naming the topology file (same as `--topology`).
pub const TOPOLOGY_ENV: &str = "INFRAGEN_TOPOLOGY";

/// Where the topology comes from.
#[derive(Debug, Clone, Args)]
pub struct TopologyArg {
    /// Topology file. Without it, the embedded default (the repository's
    /// topology.toml, built into the binary) is used, so the command works
    /// from any directory.
    #[arg(long, short = 't', value_name = "FILE", env = TOPOLOGY_ENV)]
    pub topology: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Render the Terraform modules for a topology (default: into ./generated-tf).
    #[command(long_about = "Render the Terraform modules for a topology.\n\n\
Reads the topology (--topology FILE, else the embedded default), validates it \
(every problem is reported at once; exit 2 if any), builds one view per \
Terraform module and renders the embedded handlebars templates (or those in \
--templates DIR) into --out DIR. Output is deterministic and formatted as \
`terraform fmt` formats it; only files whose content changed are written, and \
*.tf files that are no longer generated are removed.\n\n\
The output directory defaults to `generated-tf` relative to the current \
directory (not to the topology file).\n\n\
With --check nothing is written: the rendering is compared with --out, every \
difference is printed as a unified diff, and the exit code is 3 when they \
differ (CI uses this to keep generated-tf/ in step with topology.toml).\n\n\
Examples:\n  \
infragen render && terraform -chdir=generated-tf init && terraform -chdir=generated-tf apply\n  \
infragen render --topology stages/dev.toml --out dev-tf\n  \
infragen render --check                      # CI: is generated-tf/ up to date?\n  \
infragen render --templates my-templates/     # override some templates (same relative paths)")]
    Render(RenderArgs),

    /// Render the local development stack (default: ./docker-compose.yml) from a topology.
    #[command(
        long_about = "Render the local development stack, docker-compose.yml, from a topology.\n\n\
Reads the topology (--topology FILE, else the embedded default) and renders \
the embedded template compose/docker-compose.yml.hbs (or the one in \
--templates DIR) into --out FILE: one container per [[service]] (named after \
its image, e.g. inventory-app), one PostgreSQL container per [[database]] \
(<name>-database) and `rabbitmq` for the broker, wired with the variables of \
docs/contracts.md, health-gated depends_on, the hardening of the ECS tasks, \
named volumes, one network, and the observability profile (Prometheus, \
Grafana). Only services with public routes are published, on 127.0.0.1 by \
default. Credentials are ${VAR:?…} references to .env (.env.example).\n\n\
This is a separate command from `render` because the file lives at the \
repository root, not in the Terraform output directory. Only --out is \
written; nothing else is touched.\n\n\
With --check nothing is written: the rendering is compared with --out, the \
difference is printed as a unified diff, and the exit code is 3 when they \
differ (CI uses this to keep docker-compose.yml in step with topology.toml).\n\n\
Examples:\n  \
infragen compose                              # writes ./docker-compose.yml\n  \
infragen compose --check                      # CI: is docker-compose.yml up to date?\n  \
infragen compose -t stages/dev.toml --out dev-compose.yml"
    )]
    Compose(ComposeArgs),

    /// Check a topology and report every problem with file:line:column (exit 2 if any).
    #[command(long_about = "Check a topology and report every problem at once.\n\n\
Checks the TOML syntax, unknown keys (each one, with the closest known key), \
types, and every rule: Fargate cpu/memory pairs, scaling min ≤ desired ≤ max, \
unique DNS-safe names that fit the AWS name limits of the resources derived \
from them, references between services, databases and the broker, subnets \
inside the VPC CIDR, not overlapping and large enough, at least 2 AZs, ports, \
CloudWatch retention values, egress and container combinations, and more. \
Each problem comes with its file:line:column, its field path (such as \
`service[2].scaling.max`) and a hint.\n\n\
Examples:\n  \
infragen validate                           # the embedded default\n  \
infragen validate -t stages/prod.toml\n  \
infragen validate -t prod.toml --format short   # file:line:col: path: message, one per line\n  \
infragen validate -t prod.toml --format json    # for editors and scripts\n  \
infragen validate --print-model               # the resolved model (defaults filled) as JSON")]
    Validate(ValidateArgs),

    /// Print the JSON Schema of the topology file (for editor completion), or with --markdown the topology reference.
    #[command(
        long_about = "Print the JSON Schema (draft 2020-12) of the topology file.\n\n\
Every key with its type, description and default; unknown keys are disallowed \
(additionalProperties: false). Point your editor's TOML language server at it \
for completion and inline documentation, e.g. with taplo / Even Better TOML, \
put this first line in topology.toml:\n  \
#:schema ./topology.schema.json\n\n\
With --markdown, the same schema is printed as the topology reference: one \
Markdown table per TOML table (key, type, default, description with its \
constraints). docs/topology-reference.md is this output (written by `infragen docs`).\n\n\
Examples:\n  \
infragen schema > topology.schema.json\n  \
infragen schema --out topology.schema.json\n  \
infragen schema --markdown > docs/topology-reference.md"
    )]
    Schema(SchemaArgs),

    /// Print the architecture diagram (Mermaid) generated from a topology.
    #[command(
        long_about = "Print the architecture diagram of a topology as a Mermaid flowchart.\n\n\
The diagram is generated from the resolved model: client → API Gateway (Cognito \
JWT) → VPC link → internal ALB → services → databases and broker, with egress \
and operations. GitHub renders it inside a ```mermaid block; the README embeds \
the one of the default topology.\n\n\
With --legend, a whole Markdown document: a title, the fenced diagram after \
a `<!-- infragen graph -->` line, and a legend of the shapes and arrows \
(docs/architecture.md is this output for the default topology).\n\n\
Examples:\n  \
infragen graph\n  \
infragen graph -t stages/dev.toml --markdown > docs/dev-architecture.md\n  \
infragen graph --legend > docs/architecture.md"
    )]
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// Output directory, relative to the current directory.
    #[arg(long, short = 'o', value_name = "DIR", default_value = "generated-tf")]
    pub out: PathBuf,
    /// Directory of handlebars templates overriding the embedded ones (same relative paths, `*.hbs`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Write nothing; print a diff and exit 3 if --out differs from the rendering.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct ComposeArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// Output file, relative to the current directory.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "docker-compose.yml"
    )]
    pub out: PathBuf,
    /// Directory of handlebars templates overriding the embedded ones (same relative paths, `*.hbs`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Write nothing; print a diff and exit 3 if --out differs from the rendering.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// How to print problems.
    #[arg(long, value_enum, default_value_t = ProblemFormat::Graphical)]
    pub format: ProblemFormat,
    /// On success, print the resolved model (defaults filled, references resolved) as JSON.
    #[arg(long)]
    pub print_model: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the topology reference as Markdown tables instead of JSON Schema.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub topology: TopologyArg,
    /// Wrap the diagram in a ```mermaid fenced block.
    #[arg(long)]
    pub markdown: bool,
    /// Print a Markdown document: title, the fenced diagram after a
    /// `<!-- infragen graph -->` line, and a legend (implies --markdown).
    #[arg(long)]
    pub legend: bool,
}

pub fn run(cmd: ModelCommand) -> Result<(), CliError> {
    match cmd {
        ModelCommand::Render(args) => render(&args),
        ModelCommand::Compose(args) => compose(&args),
        ModelCommand::Validate(args) => validate(&args),
        ModelCommand::Schema(args) => schema(&args),
        ModelCommand::Graph(args) => graph(&args),
    }
}

/// Read and load the topology named by `arg` (or the embedded default).
pub fn load_topology(arg: &TopologyArg) -> Result<Model, CliError> {
    load_with(arg, ProblemFormat::Graphical)
}

fn load_with(arg: &TopologyArg, format: ProblemFormat) -> Result<Model, CliError> {
    match &arg.topology {
        None => infragen_core::load_default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(CliError::io(format!(
                "cannot read topology {}",
                path.display()
            )))?;
            infragen_core::load(&text, &path.display().to_string())
        }
    }
    .map_err(|error| CliError::Topology {
        error: Box::new(error),
        format,
    })
}

fn renderer(templates: &Option<PathBuf>) -> Result<Renderer, CliError> {
    match templates {
        None => Renderer::embedded(),
        Some(dir) => {
            if !dir.is_dir() {
                return Err(CliError::Input(format!(
                    "--templates {}: not a directory",
                    dir.display()
                )));
            }
            Renderer::with_overrides(dir)
        }
    }
    .map_err(CliError::render("templates"))
}

fn render(args: &RenderArgs) -> Result<(), CliError> {
    let model = load_topology(&args.topology)?;
    let renderer = renderer(&args.templates)?;
    let rendered = renderer
        .render(&model)
        .map_err(CliError::render("rendering failed"))?;
    let out = &args.out;
    if args.check {
        let report = rendered
            .check(out)
            .map_err(CliError::io(format!("cannot read {}", out.display())))?;
        if report.is_clean() {
            println!(
                "{}: up to date ({} files)",
                out.display(),
                rendered.files.len()
            );
            return Ok(());
        }
        print!("{}", report.to_text());
        return Err(CliError::OutOfDate {
            message: format!(
                "{} differs from the rendering of {}: {} changed, {} missing, {} extra",
                out.display(),
                topology_label(&args.topology),
                report.changed.len(),
                report.missing.len(),
                report.extra.len(),
            ),
            hint: format!(
                "run `infragen render{}` and commit the result",
                render_flags(args)
            ),
        });
    }
    let report = rendered
        .write(out)
        .map_err(CliError::io(format!("cannot write {}", out.display())))?;
    println!(
        "rendered {} into {}: {} written, {} unchanged, {} removed",
        topology_label(&args.topology),
        out.display(),
        report.written.len(),
        report.unchanged.len(),
        report.removed.len()
    );
    Ok(())
}

fn compose(args: &ComposeArgs) -> Result<(), CliError> {
    let model = load_topology(&args.topology)?;
    let source = match &args.topology.topology {
        Some(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        None => "topology.toml".to_string(),
    };
    let text = renderer(&args.templates)?
        .render_compose(&model, &source)
        .map_err(CliError::render("rendering failed"))?;
    let out = &args.out;
    let file_name = out
        .file_name()
        .ok_or_else(|| CliError::Input(format!("--out {}: not a file name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let rendered = Rendered {
        files: [(file_name, text)].into_iter().collect(),
    };
    let mut flags = String::new();
    if let Some(t) = &args.topology.topology {
        flags.push_str(&format!(" --topology {}", t.display()));
    }
    if args.out != Path::new("docker-compose.yml") {
        flags.push_str(&format!(" --out {}", args.out.display()));
    }
    if let Some(t) = &args.templates {
        flags.push_str(&format!(" --templates {}", t.display()));
    }
    if args.check {
        let report = rendered
            .check_files(&dir)
            .map_err(CliError::io(format!("cannot read {}", out.display())))?;
        if report.is_clean() {
            println!("{}: up to date", out.display());
            return Ok(());
        }
        print!("{}", report.to_text());
        return Err(CliError::OutOfDate {
            message: format!(
                "{} differs from the rendering of {}",
                out.display(),
                topology_label(&args.topology),
            ),
            hint: format!("run `infragen compose{flags}` and commit the result"),
        });
    }
    let report = rendered
        .write_files(&dir)
        .map_err(CliError::io(format!("cannot write {}", out.display())))?;
    println!(
        "rendered {} into {}: {}",
        topology_label(&args.topology),
        out.display(),
        if report.written.is_empty() {
            "unchanged"
        } else {
            "written"
        }
    );
    Ok(())
}

fn render_flags(args: &RenderArgs) -> String {
    let mut s = String::new();
    if let Some(t) = &args.topology.topology {
        s.push_str(&format!(" --topology {}", t.display()));
    }
    if args.out != Path::new("generated-tf") {
        s.push_str(&format!(" --out {}", args.out.display()));
    }
    if let Some(t) = &args.templates {
        s.push_str(&format!(" --templates {}", t.display()));
    }
    s
}

fn topology_label(arg: &TopologyArg) -> String {
    match &arg.topology {
        Some(p) => p.display().to_string(),
        None => infragen_core::DEFAULT_TOPOLOGY_NAME.to_string(),
    }
}

fn validate(args: &ValidateArgs) -> Result<(), CliError> {
    let model = load_with(&args.topology, args.format)?;
    if args.print_model {
        let json = serde_json::to_string_pretty(&model)?;
        println!("{json}");
        return Ok(());
    }
    if let ProblemFormat::Json = args.format {
        println!("[]");
        return Ok(());
    }
    let broker = match &model.broker {
        Some(b) => format!(", broker {} ({})", b.name, snake(&b.hosting.kind())),
        None => String::new(),
    };
    println!(
        "{}: valid — {} {}, {} services, {} databases{broker}, {} AZs, egress {}",
        topology_label(&args.topology),
        model.project.prefix,
        model.project.region,
        model.services.len(),
        model.databases.len(),
        model.network.zones.len(),
        snake(&model.network.egress),
    );
    Ok(())
}

/// An enum as it is written in the topology (`nat_per_az`).
fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

fn schema(args: &SchemaArgs) -> Result<(), CliError> {
    let text = if args.markdown {
        infragen_core::schema::reference_markdown()
    } else {
        infragen_core::schema::json_schema_string()
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(CliError::io(format!("cannot write {}", path.display())))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    Ok(())
}

fn graph(args: &GraphArgs) -> Result<(), CliError> {
    use infragen_core::docs::architecture;
    let model = load_topology(&args.topology)?;
    let text = if args.legend {
        architecture::document(&model, &topology_label(&args.topology))
    } else if args.markdown {
        architecture::mermaid_block(&model)
    } else {
        infragen_core::graph::mermaid(&model)
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}
