//! The one error type of every infragen command and the one exit-code table.
//!
//! Commands return `Result<(), CliError>`; `main` hands an error to
//! [`CliError::report`], which prints it in one style (a topology's problems
//! as source snippets, everything else as an `error:` line and a `hint:`
//! line) and answers the exit code of [`EXIT_CODES`].
use clap::ValueEnum;
use infragen_aws::{ErrorKind, OpsError};
use infragen_core::TopologyError;
use infragen_core::render::RenderError;
use miette::Diagnostic;
use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

/// Any other error: a file, a template or an AWS call failed, or a value
/// given cannot be used.
pub const EXIT_ERROR: u8 = 1;
/// The topology is invalid, or the command line does not parse (clap).
pub const EXIT_INVALID: u8 = 2;
/// `render --check` / `compose --check` / `docs --check`: a file differs from
/// what is generated.
pub const EXIT_DIFF: u8 = 3;
/// `deploy --wait` / `--wait-until`: the deployment failed without rolling
/// back (stopped, aborted, or its rollback failed).
pub const EXIT_DEPLOY_FAILED: u8 = 4;
/// `deploy --wait` / `--wait-until`: `--timeout` ran out (ECS keeps deploying).
pub const EXIT_WAIT_TIMEOUT: u8 = 5;
/// `deploy --wait` / `--wait-until`: the deployment was rolled back before it
/// reached the stage.
pub const EXIT_ROLLED_BACK: u8 = 6;
/// `deploy rollback` / `abort` / `continue`: nothing to act on.
pub const EXIT_NOTHING_IN_PROGRESS: u8 = 7;

/// The exit-code table, shown by `infragen --help` and every command's
/// `--help`; the README carries the same text (a test checks it).
pub const EXIT_CODES: &str = "\
Exit codes (every command):
  0  success
  1  error: a file, a template or an AWS call failed, or a value given cannot be used
  2  the topology is invalid, or the command line does not parse
  3  render / compose / docs --check: the file differs from what is generated
  4  deploy --wait / --wait-until: the deployment failed (stopped, aborted, or its rollback failed)
  5  deploy --wait / --wait-until: --timeout ran out (ECS keeps deploying)
  6  deploy --wait / --wait-until: the deployment was rolled back before reaching the stage
     (circuit breaker, alarm, lifecycle hook, or `deploy rollback`)
  7  deploy rollback / abort / continue: no deployment in progress (or none paused at a hook)";

/// How a topology's problems are printed.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ProblemFormat {
    /// Source snippets, labels and hints (colour when the terminal supports it; NO_COLOR honoured).
    #[default]
    Graphical,
    /// One `file:line:column: path: message` line per problem.
    Short,
    /// A JSON array of problems (file, line, column, path, kind, message, help).
    Json,
}

/// Why an infragen command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The topology has problems (exit 2), printed in `format`.
    #[error("{error}")]
    Topology {
        error: Box<TopologyError>,
        format: ProblemFormat,
    },
    /// Templates do not load or render (exit 1).
    #[error("{context}: {source}")]
    Render {
        context: &'static str,
        #[source]
        source: RenderError,
    },
    /// A file or directory cannot be read or written (exit 1).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A value given on the command line cannot be used (exit 1).
    #[error("{0}")]
    Input(String),
    /// The resolved model cannot be printed as JSON (exit 1).
    #[error("cannot print the model: {0}")]
    Json(#[from] serde_json::Error),
    /// `--check` found a difference (exit 3); the diff is already on stdout.
    #[error("{message}")]
    OutOfDate { message: String, hint: String },
    /// An AWS operation failed (exit 1, or 4 to 7 for `deploy`).
    #[error("{0}")]
    Aws(#[from] OpsError),
    /// Anything else that failed, with what to do about it (exit 1).
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
}

impl From<Box<TopologyError>> for CliError {
    fn from(error: Box<TopologyError>) -> Self {
        CliError::Topology {
            error,
            format: ProblemFormat::Graphical,
        }
    }
}

impl CliError {
    /// `context: source` for a failed file operation.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let context = context.into();
        move |source| CliError::Io { context, source }
    }

    /// `context: source` for a template error.
    pub fn render(context: &'static str) -> impl FnOnce(RenderError) -> CliError {
        move |source| CliError::Render { context, source }
    }

    /// The code of [`EXIT_CODES`] for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Topology { .. } => EXIT_INVALID,
            CliError::OutOfDate { .. } => EXIT_DIFF,
            CliError::Aws(e) => match e.kind {
                ErrorKind::DeploymentFailed => EXIT_DEPLOY_FAILED,
                ErrorKind::WaitTimeout => EXIT_WAIT_TIMEOUT,
                ErrorKind::RolledBack => EXIT_ROLLED_BACK,
                ErrorKind::NothingInProgress => EXIT_NOTHING_IN_PROGRESS,
                _ => EXIT_ERROR,
            },
            CliError::Render { .. }
            | CliError::Io { .. }
            | CliError::Input(_)
            | CliError::Json(_)
            | CliError::Failed { .. } => EXIT_ERROR,
        }
    }

    /// Prints the error (a topology's problems in their format, anything
    /// else as `error: …` and `hint: …` on stderr) and answers its exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            CliError::Topology { error, format } => report_problems(error, *format),
            _ => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "error: {self}");
                if let Some(hint) = self.help() {
                    let _ = writeln!(err, "hint: {hint}");
                }
            }
        }
        ExitCode::from(self.exit_code())
    }
}

impl Diagnostic for CliError {
    fn code<'a>(&'a self) -> Option<Box<dyn Display + 'a>> {
        match self {
            CliError::Topology { error, .. } => error.code(),
            _ => None,
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn Display + 'a>> {
        match self {
            CliError::Topology { error, .. } => error.help(),
            CliError::OutOfDate { hint, .. } => Some(Box::new(hint)),
            CliError::Failed { hint, .. } => hint.as_ref().map(|h| Box::new(h) as Box<dyn Display>),
            CliError::Aws(e) => e.hint.as_ref().map(|h| Box::new(h) as Box<dyn Display>),
            _ => None,
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match self {
            CliError::Topology { error, .. } => error.source_code(),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        match self {
            CliError::Topology { error, .. } => error.labels(),
            _ => None,
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        match self {
            CliError::Topology { error, .. } => error.related(),
            _ => None,
        }
    }
}

/// A topology's problems: graphical and short on stderr, JSON on stdout
/// (there it is the command's output).
fn report_problems(error: &TopologyError, format: ProblemFormat) {
    let text = match format {
        ProblemFormat::Graphical => {
            let handler =
                miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::default())
                    .with_links(false);
            let mut out = String::new();
            match handler.render_report(&mut out, error) {
                Ok(()) => out,
                Err(_) => error.to_plain(),
            }
        }
        ProblemFormat::Short => {
            let mut s = error.to_plain();
            s.push_str(&format!("{error}\n"));
            s
        }
        ProblemFormat::Json => {
            let problems: Vec<serde_json::Value> = error
                .problems
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "file": error.file_name,
                        "line": p.line,
                        "column": p.column,
                        "path": p.path,
                        "kind": format!("{:?}", p.kind),
                        "message": p.message,
                        "help": p.help,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&problems).unwrap_or_default()
            );
            return;
        }
    };
    eprint!("{text}");
    if !text.ends_with('\n') {
        eprintln!();
    }
}
