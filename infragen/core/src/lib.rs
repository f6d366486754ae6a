//! The topology model, its validation, the per-module views and the Terraform renderer. No AWS SDK here.
//!
//! The pipeline, top to bottom: `topology.toml` → [`parse`] (with spans:
//! syntax, unknown keys, types) → [`rules`] (one file per topology section:
//! defaults, checks, references; every problem reported at once) →
//! [`model::Model`] → [`views`] (one per Terraform module) → [`render`]
//! (handlebars, formatted by [`fmt`]) → [`output`] (written or checked).
//! [`load`] runs the first half. Each stage uses only those before it and
//! the shared layers below them all: [`diagnostics`] (problems with spans),
//! [`hcl`] (HCL literals) and [`fmt`].
//!
//! Beside the pipeline, from the same model: [`graph`] (the Mermaid
//! diagram), [`cost`] (the monthly estimate) and [`schema`] (the JSON Schema
//! and the topology reference).

// The pipeline's stages (in order: parse, rules, model, views, render, output).
pub mod model;
pub mod output;
pub mod parse;
pub mod render;
pub mod rules;
pub mod views;

// Below every stage.
pub mod diagnostics;
pub mod fmt;
pub mod hcl;

// Beside the pipeline.
pub mod cost;
pub mod docs;
pub mod graph;
pub mod schema;

pub use diagnostics::TopologyError;
pub use model::Model;

/// The repository's `topology.toml`, embedded: the default topology.
pub const DEFAULT_TOPOLOGY: &str = include_str!("../../../topology.toml");

/// File name shown in messages about the embedded default.
pub const DEFAULT_TOPOLOGY_NAME: &str = "topology.toml (embedded default)";

/// Parse, check and resolve a topology: the one way from text to a
/// [`Model`]. `file_name` is only used in messages.
pub fn load(source: &str, file_name: &str) -> Result<Model, TopologyError> {
    let parse::Parsed {
        raw,
        mut problems,
        index,
    } = parse::parse(source, file_name)?;
    let model = raw.map(|raw| rules::resolve(&raw, &mut problems));
    match model {
        Some(model) if problems.is_empty() => Ok(model),
        _ => Err(diagnostics::finish(
            file_name,
            source,
            &index,
            problems.items,
        )),
    }
}

/// Load the embedded default topology.
pub fn load_default() -> Result<Model, TopologyError> {
    load(DEFAULT_TOPOLOGY, DEFAULT_TOPOLOGY_NAME)
}
