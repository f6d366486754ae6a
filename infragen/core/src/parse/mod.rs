//! Parsing: text → [`RawTopology`] with spans. TOML syntax (every syntax
//! error, recovered), unknown keys (all of them, via `serde_ignored`) and
//! types (every wrong one); the rules run on what this hands on.
use crate::diagnostics::{self, At, Kind, Pending, Problems, SpanIndex, TopologyError};
use document::remove_key;
use raw::RawTopology;
use toml::de::DeTable;

pub(crate) mod document;
pub(crate) mod keys;
pub mod modes;
pub mod raw;

/// A document that parses as TOML.
pub(crate) struct Parsed {
    /// The raw topology, when every value has the right type.
    pub raw: Option<RawTopology>,
    /// Unknown keys and wrong types.
    pub problems: Problems,
    /// Where each field path stands in the source.
    pub index: SpanIndex,
}

/// Parse a topology; only TOML syntax errors stop here. `file_name` is only
/// used in messages.
pub(crate) fn parse(source: &str, file_name: &str) -> Result<Parsed, TopologyError> {
    let (tree, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        let pending = syntax_errors.into_iter().map(syntax_problem).collect();
        return Err(diagnostics::finish(
            file_name,
            source,
            &SpanIndex::default(),
            pending,
        ));
    }
    let index = SpanIndex::build(&tree);
    let (raw, unknown, type_errors) = deserialize(tree, &index);
    let mut problems = Problems::default();
    problems.items.extend(unknown.into_iter().map(unknown_key));
    // Rules run only on a well-typed document: defaults standing in for
    // removed values would produce misleading problems.
    let raw = raw.filter(|_| type_errors.is_empty());
    problems.items.extend(type_errors);
    Ok(Parsed {
        raw,
        problems,
        index,
    })
}

fn syntax_problem(e: toml::de::Error) -> Pending {
    Pending {
        kind: Kind::Syntax,
        path: String::new(),
        message: format!("TOML syntax: {}", e.message().trim_end()),
        help: Some("fix the TOML syntax first; the other rules run once the file parses".into()),
        label: None,
        at: At::Value,
        span: e.span(),
        other: None,
    }
}

fn unknown_key(path: String) -> Pending {
    let (message, help) = keys::unknown_key_help(&path);
    Pending {
        kind: Kind::UnknownKey,
        path,
        message,
        help: Some(help),
        label: None,
        at: At::Key,
        span: None,
        other: None,
    }
}

/// Deserialize the document, collecting the paths of unknown keys and every
/// wrong type. serde stops at the first wrong type. To report every one,
/// drop the offending key from the parsed document and deserialize again,
/// until the document deserializes or an error cannot be pinned to one key.
fn deserialize(
    mut tree: toml::Spanned<DeTable<'_>>,
    index: &SpanIndex,
) -> (Option<RawTopology>, Vec<String>, Vec<Pending>) {
    let mut unknown: Vec<String> = Vec::new();
    let mut type_errors: Vec<Pending> = Vec::new();
    loop {
        unknown.clear();
        let deserializer = toml::de::Deserializer::from(tree.clone());
        let result: Result<RawTopology, toml::de::Error> =
            serde_ignored::deserialize(deserializer, |path| unknown.push(ignored_path(&path)));
        let e = match result {
            Ok(raw) => return (Some(raw), unknown, type_errors),
            Err(e) => e,
        };
        let error = type_error(&e, index);
        let missing = e.message().starts_with("missing field");
        let repeated = type_errors.iter().any(|t| t.path == error.path);
        let path = error.path.clone();
        type_errors.push(error);
        if missing || repeated || type_errors.len() >= 64 || !remove_key(tree.get_mut(), &path) {
            return (None, unknown, type_errors);
        }
    }
}

fn type_error(e: &toml::de::Error, index: &SpanIndex) -> Pending {
    let span = e.span();
    let path = span
        .as_ref()
        .and_then(|s| index.path_of(s))
        .unwrap_or_default();
    let missing = e.message().starts_with("missing field");
    Pending {
        kind: Kind::Type,
        path,
        message: humane_type_message(e.message()),
        help: Some(if missing {
            "add it; `infragen schema` lists every key with its type".into()
        } else {
            "see `infragen schema` for the expected type of each key".into()
        }),
        label: None,
        at: At::Value,
        span,
        other: None,
    }
}

/// serde's messages name Rust types; say what the TOML should hold instead.
fn humane_type_message(message: &str) -> String {
    let mut m = message.trim_end().to_string();
    for (rust, toml) in [
        ("expected i64", "expected an integer"),
        ("expected u32", "expected an integer"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected a string (in quotes)"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array `[...]`"),
        ("expected a map", "expected a table"),
    ] {
        m = m.replace(rust, toml);
    }
    m
}

/// `serde_ignored`'s path as our field path (`service[2].scaling.max`).
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => diagnostics::key_segment(&ignored_path(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}
