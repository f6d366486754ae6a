//! Every generated document of the repository, from the model and the
//! runtime contract: whole files (`docs/*.md`, `docs/contracts.json`) and
//! blocks of README.md between `<!-- infragen NAME -->` and
//! `<!-- /infragen NAME -->` lines. `infragen docs` writes them, `infragen
//! docs --check` compares them; nothing else writes a generated doc.
pub mod architecture;
pub mod contracts;
pub mod splice;

use crate::Model;
use crate::cost;

/// A whole generated file: path relative to the repository root, content.
pub struct GeneratedFile {
    pub path: &'static str,
    pub content: String,
}

/// A generated block of README.md: the name in its marker lines, content.
pub struct GeneratedBlock {
    pub name: &'static str,
    pub content: String,
}

/// The file that holds the generated blocks.
pub const README: &str = "README.md";

/// The cost estimate with the default usage assumptions, as Markdown.
pub fn cost_markdown(model: &Model) -> Result<String, String> {
    let prices = cost::Prices::embedded();
    let usage = cost::Usage::default();
    let estimate = cost::estimate(model, &prices, &usage).map_err(|e| e.0)?;
    Ok(cost::render(
        &prices,
        &usage,
        &estimate,
        None,
        cost::Format::Markdown,
    ))
}

/// Every generated file, in a fixed order. `label` names the topology in the
/// text (`topology.toml (embedded default)`).
pub fn files(model: &Model, label: &str) -> Result<Vec<GeneratedFile>, String> {
    Ok(vec![
        GeneratedFile {
            path: "docs/topology-reference.md",
            content: crate::schema::reference_markdown(),
        },
        GeneratedFile {
            path: "docs/architecture.md",
            content: architecture::document(model, label),
        },
        GeneratedFile {
            path: "docs/cost.md",
            content: cost_markdown(model)?,
        },
        GeneratedFile {
            path: "docs/contracts.md",
            content: contracts::markdown(),
        },
        GeneratedFile {
            path: "docs/contracts.json",
            content: contracts::json(),
        },
    ])
}

/// Every generated block of README.md.
pub fn readme_blocks(model: &Model) -> Result<Vec<GeneratedBlock>, String> {
    Ok(vec![
        GeneratedBlock {
            name: "graph",
            content: architecture::mermaid_block(model),
        },
        GeneratedBlock {
            name: "cost",
            content: cost_markdown(model)?,
        },
    ])
}
