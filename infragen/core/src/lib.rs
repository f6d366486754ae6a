//! The topology model, its validation, the per-module views and the Terraform renderer. No AWS SDK here.
//!
//! `topology.toml` → [`load`] (parse with spans, every problem reported at
//! once) → [`model::Model`] (defaults filled, references resolved) → views →
//! templates.
pub mod cost;
pub mod diagnostics;
pub mod model;
pub mod schema;
pub mod validate;

pub use diagnostics::TopologyError;
pub use model::Model;
pub use validate::load;

/// The repository's `topology.toml`, embedded: the default topology.
pub const DEFAULT_TOPOLOGY: &str = include_str!("../../../topology.toml");

/// File name shown in messages about the embedded default.
pub const DEFAULT_TOPOLOGY_NAME: &str = "topology.toml (embedded default)";

/// Load the embedded default topology.
pub fn load_default() -> Result<Model, TopologyError> {
    load(DEFAULT_TOPOLOGY, DEFAULT_TOPOLOGY_NAME)
}
pub mod fmt;
pub mod graph;
pub mod render;
pub mod views;
