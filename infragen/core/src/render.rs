//! Rendering: views → handlebars templates → formatted Terraform files
//! ([`Rendered`], which [`crate::output`] writes or checks).
//!
//! Templates live in `templates/` at the repository root and are embedded in
//! the binary; [`Renderer::with_overrides`] loads a directory on top of them
//! (`--templates DIR`). Handlebars runs in strict mode (a missing field is an
//! error, not an empty string) with HTML escaping off: values reach HCL
//! through the `hcl` helper, which quotes and escapes them for HCL.
use crate::fmt::format_hcl;
use crate::graph;
use crate::hcl::{hcl_key, hcl_value};
use crate::model::Model;
use crate::views;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use include_dir::{Dir, include_dir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::output::{CheckReport, Rendered, WriteReport};

/// The embedded templates (`templates/` at the repository root).
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../templates");

/// Templates every rendering may use (without `.hbs`), besides partials.
pub fn template_names() -> Vec<String> {
    let mut names: Vec<String> = views::MODULE_FILES
        .iter()
        .map(|f| format!("root/{f}"))
        .collect();
    names.push("root/README.md".to_string());
    names.push(COMPOSE_TEMPLATE.to_string());
    for module in views::MODULES {
        for file in views::files_of_module(module) {
            names.push(format!("modules/{module}/{file}"));
        }
    }
    names
}

/// Template of the local development stack (`docker-compose.yml`).
pub const COMPOSE_TEMPLATE: &str = "compose/docker-compose.yml";

/// Partials (`templates/partials/<name>.hbs`, used as `{{> name}}`).
pub const PARTIALS: [&str; 4] = ["header", "versions", "tags_variable", "service_call"];

/// What can go wrong while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name} does not parse: {source}")]
    Template {
        name: String,
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    #[error("template {name} failed to render: {source}")]
    Render {
        name: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
    #[error("template {0} is missing")]
    Missing(String),
    #[error("cannot read templates from {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A configured handlebars registry with infragen's templates and helpers.
pub struct Renderer {
    registry: Handlebars<'static>,
}

impl Renderer {
    /// The embedded templates.
    pub fn embedded() -> Result<Self, RenderError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, convert) in [
            ("hcl", hcl_value as fn(&Value) -> String),
            ("hcl_key", hcl_key_value),
        ] {
            registry.register_helper(name, Box::new(ValueHelper { name, convert }));
        }
        let mut renderer = Renderer { registry };
        for file in embedded_files(&TEMPLATES) {
            let name = file.path().to_string_lossy().replace('\\', "/");
            let text = file
                .contents_utf8()
                .ok_or_else(|| RenderError::Missing(name.clone()))?;
            renderer.register(&name, text)?;
        }
        Ok(renderer)
    }

    /// The embedded templates, with every `*.hbs` under `dir` replacing (or
    /// adding to) the embedded one at the same relative path.
    pub fn with_overrides(dir: &Path) -> Result<Self, RenderError> {
        let mut renderer = Self::embedded()?;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(current) = stack.pop() {
            let entries = std::fs::read_dir(&current).map_err(|source| RenderError::Io {
                path: current.clone(),
                source,
            })?;
            for entry in entries {
                let path = entry
                    .map_err(|source| RenderError::Io {
                        path: current.clone(),
                        source,
                    })?
                    .path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "hbs") {
                    let text =
                        std::fs::read_to_string(&path).map_err(|source| RenderError::Io {
                            path: path.clone(),
                            source,
                        })?;
                    let relative = path.strip_prefix(dir).unwrap_or(&path);
                    let name = relative.to_string_lossy().replace('\\', "/");
                    renderer.register(&name, &text)?;
                }
            }
        }
        Ok(renderer)
    }

    fn register(&mut self, file_name: &str, text: &str) -> Result<(), RenderError> {
        let Some(name) = file_name.strip_suffix(".hbs") else {
            return Ok(());
        };
        let result = match name.strip_prefix("partials/") {
            Some(partial) => self.registry.register_partial(partial, text),
            None => self.registry.register_template_string(name, text),
        };
        result.map_err(|source| RenderError::Template {
            name: file_name.to_string(),
            source: Box::new(source),
        })
    }

    /// Whether a template (name without `.hbs`) is registered.
    pub fn has_template(&self, name: &str) -> bool {
        self.registry.has_template(name)
    }

    /// Renders every file of the model.
    pub fn render(&self, model: &Model) -> Result<Rendered, RenderError> {
        let mut files = BTreeMap::new();
        for file in views::plan(model, "topology", graph::mermaid(model)) {
            if !self.registry.has_template(&file.template) {
                return Err(RenderError::Missing(file.template));
            }
            let text = self
                .registry
                .render(&file.template, &file.context)
                .map_err(|source| RenderError::Render {
                    name: file.template.clone(),
                    source: Box::new(source),
                })?;
            let text = if file.path.ends_with(".tf") {
                format_hcl(&text)
            } else {
                text
            };
            files.insert(file.path, text);
        }
        Ok(Rendered { files })
    }
}

impl Renderer {
    /// Renders the local development stack (`docker-compose.yml`) of the
    /// model: [`views::compose::compose_view`] through
    /// `templates/compose/docker-compose.yml.hbs`. YAML, so the HCL
    /// formatter does not run on it. `source` names the topology in the
    /// file's header.
    pub fn render_compose(&self, model: &Model, source: &str) -> Result<String, RenderError> {
        if !self.registry.has_template(COMPOSE_TEMPLATE) {
            return Err(RenderError::Missing(COMPOSE_TEMPLATE.to_string()));
        }
        let view = views::compose::compose_view(model, source);
        self.registry
            .render(COMPOSE_TEMPLATE, &view)
            .map_err(|source| RenderError::Render {
                name: COMPOSE_TEMPLATE.to_string(),
                source: Box::new(source),
            })
    }
}

/// Renders a model's `docker-compose.yml` with the embedded templates.
pub fn render_compose(model: &Model, source: &str) -> Result<String, RenderError> {
    Renderer::embedded()?.render_compose(model, source)
}

fn embedded_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(embedded_files(sub));
    }
    files
}

/// Renders a model with the embedded templates.
pub fn render(model: &Model) -> Result<Rendered, RenderError> {
    Renderer::embedded()?.render(model)
}

// ------------------------------------------------------------------ helpers

/// A helper that writes its one parameter, converted: `{{hcl value}}`
/// ([`hcl_value`]: a JSON value as an HCL literal, strings quoted and
/// escaped, lists and objects on one line, null as `null`) and
/// `{{hcl_key key}}` ([`hcl_key`]: an object key, bare when it is an
/// identifier).
struct ValueHelper {
    name: &'static str,
    convert: fn(&Value) -> String,
}

impl HelperDef for ValueHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let value = h
            .param(0)
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex(self.name, 0))?
            .value();
        out.write(&(self.convert)(value))?;
        Ok(())
    }
}

/// The key of `{{hcl_key key}}`: a string as it is, anything else as JSON.
fn hcl_key_value(value: &Value) -> String {
    match value {
        Value::String(s) => hcl_key(s),
        other => hcl_key(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_and_partial_exists_and_parses() {
        let renderer = Renderer::embedded().expect("embedded templates parse");
        for name in template_names() {
            assert!(renderer.has_template(&name), "template {name} is missing");
        }
        for partial in PARTIALS {
            assert!(
                TEMPLATES
                    .get_file(format!("partials/{partial}.hbs"))
                    .is_some(),
                "partial {partial} is missing"
            );
        }
    }
}
