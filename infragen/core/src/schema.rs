//! JSON Schema of the topology (for editor completion: taplo, Even Better
//! TOML, VS Code), generated from the raw model's types and doc comments.
//! Also answers "which keys are allowed here?" for unknown-key hints.
use crate::diagnostics::parent_path;
use crate::model::raw::RawTopology;
use serde_json::Value;

/// The JSON Schema (draft 2020-12) of `topology.toml`.
pub fn json_schema() -> Value {
    schema_ref().clone()
}

/// Generated once per process.
fn schema_ref() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(RawTopology).as_value().clone())
}

/// The JSON Schema, pretty-printed, newline-terminated.
pub fn json_schema_string() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).expect("a schema serializes");
    s.push('\n');
    s
}

enum Segment {
    Key(String),
    Index,
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' if !in_quotes => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
                out.push(Segment::Index);
            }
            '\\' if in_quotes => {
                if let Some(n) = chars.next() {
                    key.push(n);
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    out
}

/// Follow `$ref` and `Option`'s `anyOf [T, null]` to the object schema.
fn deref<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    resolve(root, s).1
}

/// The keys allowed in the table at `path` (empty for free-form maps or unknown paths).
pub fn allowed_keys(path: &str) -> Vec<String> {
    let root = schema_ref();
    let mut s = deref(root, root);
    for seg in segments(path) {
        s = match seg {
            Segment::Key(k) => match s.get("properties").and_then(|p| p.get(&k)) {
                Some(t) => deref(root, t),
                None => return Vec::new(),
            },
            Segment::Index => match s.get("items") {
                Some(t) => deref(root, t),
                None => return Vec::new(),
            },
        };
    }
    s.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Message and hint for an unknown key at `path`: the closest known key, and
/// the list of allowed keys.
pub fn unknown_key_help(path: &str) -> (String, String) {
    let parent = parent_path(path).unwrap_or_default();
    let key = segments(path)
        .into_iter()
        .last()
        .and_then(|s| match s {
            Segment::Key(k) => Some(k),
            Segment::Index => None,
        })
        .unwrap_or_default();
    let allowed = allowed_keys(&parent);
    let message = format!("unknown key `{key}`");
    let closest = allowed
        .iter()
        .map(|k| (strsim::damerau_levenshtein(k, &key), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min();
    let list = allowed.join(", ");
    let help = match (closest, allowed.is_empty()) {
        (Some((_, k)), _) => format!("did you mean `{k}`? Allowed here: {list}"),
        (None, false) => format!("allowed here: {list}"),
        (None, true) => "remove it; `infragen schema` lists every key".into(),
    };
    (message, help)
}

/// Keys of each table in the order `raw.rs` declares them (the JSON Schema's
/// maps are sorted), keyed by the `$defs` name (`""` for the root).
fn declared_keys(def: &str) -> Option<&'static [&'static str]> {
    use crate::model::raw::*;
    Some(match def {
        "" | "RawTopology" => field_names::<RawTopology>(),
        "RawProject" => field_names::<RawProject>(),
        "RawNetwork" => field_names::<RawNetwork>(),
        "RawSubnets" => field_names::<RawSubnets>(),
        "RawEdge" => field_names::<RawEdge>(),
        "RawDomain" => field_names::<RawDomain>(),
        "RawAuth" => field_names::<RawAuth>(),
        "RawPasswordPolicy" => field_names::<RawPasswordPolicy>(),
        "RawCluster" => field_names::<RawCluster>(),
        "RawCapacity" => field_names::<RawCapacity>(),
        "RawService" => field_names::<RawService>(),
        "RawScaling" => field_names::<RawScaling>(),
        "RawQueueBacklog" => field_names::<RawQueueBacklog>(),
        "RawDatabase" => field_names::<RawDatabase>(),
        "RawBroker" => field_names::<RawBroker>(),
        "RawOperations" => field_names::<RawOperations>(),
        "RawEcr" => field_names::<RawEcr>(),
        _ => return None,
    })
}

/// The serialized field names of a struct, in declaration order: serde's
/// derive hands them to `deserialize_struct`, which this deserializer records
/// before giving up.
fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Deserializer, Visitor};
    use std::cell::Cell;

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names recorded")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    struct Probe<'a>(&'a Cell<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.set(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let names = Cell::new(&[][..]);
    let _ = T::deserialize(Probe(&names));
    names.get()
}

/// Marks the generated reference (first line of `infragen schema --markdown`).
pub const REFERENCE_NOTICE: &str = "<!-- Generated by `infragen schema --markdown` from the topology's JSON Schema (doc comments of infragen/core/src/model/raw.rs); do not edit by hand: run scripts/regen-docs.sh. -->";

/// What a key holds, as the reference shows it.
enum KeyKind<'a> {
    /// string, integer, boolean…
    Scalar(String),
    /// One of fixed strings: (value, description).
    Enum(Vec<(String, String)>),
    /// A sub-table described in its own section.
    Table(&'a str, &'a Value),
    /// An array of tables (`[[service]]`), described in its own section.
    TableArray(&'a str, &'a Value),
    /// An array of scalars.
    Array(String),
    /// A free-form table of values.
    Map(String),
}

/// Follow `$ref`s and `Option`'s `anyOf [T, null]`; returns the `$defs`
/// name (if a reference was followed) and the schema.
fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> (&'a str, &'a Value) {
    let mut name = "";
    for _ in 0..16 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let n = r.trim_start_matches("#/$defs/");
            match root.get("$defs").and_then(|d| d.get(n)) {
                Some(t) => {
                    name = n;
                    s = t;
                    continue;
                }
                None => break,
            }
        }
        if let Some(branches) = s.get("anyOf").and_then(Value::as_array)
            && let Some(b) = branches
                .iter()
                .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        {
            s = b;
            continue;
        }
        break;
    }
    (name, s)
}

/// The JSON type of a scalar schema, without `null`.
fn scalar_type(s: &Value) -> String {
    match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    }
}

fn enum_values(s: &Value) -> Option<Vec<(String, String)>> {
    if let Some(variants) = s.get("oneOf").and_then(Value::as_array) {
        return variants
            .iter()
            .map(|v| {
                let value = v.get("const")?.as_str()?.to_string();
                let desc = v
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some((value, desc.to_string()))
            })
            .collect();
    }
    s.get("enum").and_then(Value::as_array).map(|values| {
        values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| (v.to_string(), String::new()))
            .collect()
    })
}

fn key_kind<'a>(root: &'a Value, prop: &'a Value) -> KeyKind<'a> {
    let (def, s) = resolve(root, prop);
    if let Some(values) = enum_values(s) {
        return KeyKind::Enum(values);
    }
    if s.get("properties").is_some() {
        return KeyKind::Table(def, s);
    }
    let ty = scalar_type(s);
    if ty == "array" {
        let (item_def, item) = resolve(root, s.get("items").unwrap_or(&Value::Null));
        if item.get("properties").is_some() {
            return KeyKind::TableArray(item_def, item);
        }
        return KeyKind::Array(scalar_type(item));
    }
    if ty == "object" {
        let values = s
            .get("additionalProperties")
            .map(|v| scalar_type(resolve(root, v).1))
            .unwrap_or_else(|| "any".into());
        return KeyKind::Map(values);
    }
    KeyKind::Scalar(ty)
}

/// One section of the reference: a TOML table and its keys.
struct Section<'a> {
    /// `[network.subnets]`, `[[service]]`…
    header: String,
    schema: &'a Value,
    def: &'a str,
}

impl Section<'_> {
    /// The GitHub anchor of the section's heading.
    fn anchor(&self) -> String {
        anchor(&self.header)
    }
}

/// GitHub's heading anchor: lowercase; letters, digits, `-` and `_` kept,
/// spaces become `-`, everything else dropped.
fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The keys of a table schema, in declaration order where known.
fn ordered_keys<'a>(def: &str, schema: &'a Value) -> Vec<(&'a str, &'a Value)> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut keys: Vec<(&str, &Value)> = props.iter().map(|(k, v)| (k.as_str(), v)).collect();
    if let Some(order) = declared_keys(def) {
        keys.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
    }
    keys
}

/// Every table of the topology, depth first in declaration order.
fn sections<'a>(root: &'a Value) -> Vec<Section<'a>> {
    fn walk<'a>(
        root: &'a Value,
        def: &'a str,
        schema: &'a Value,
        path: &str,
        out: &mut Vec<Section<'a>>,
    ) {
        for (key, prop) in ordered_keys(def, schema) {
            let sub = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            let (header, def, schema) = match key_kind(root, prop) {
                KeyKind::Table(d, s) => (format!("[{sub}]"), d, s),
                KeyKind::TableArray(d, s) => (format!("[[{sub}]]"), d, s),
                _ => continue,
            };
            out.push(Section {
                header,
                schema,
                def,
            });
            walk(root, def, schema, &sub, out);
        }
    }
    let mut out = Vec::new();
    walk(root, "", resolve(root, root).1, "", &mut out);
    out
}

/// A doc comment as one Markdown line: wrapped lines joined, paragraphs
/// separated by `<br>`, pipes escaped for tables.
fn one_line(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("<br>")
        .replace('|', "\\|")
}

/// Split a description into (text, default): the default is the final
/// `Default: …` sentence.
pub fn split_default(description: &str) -> (String, Option<String>) {
    let flat = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = flat
        .rmatch_indices("Default: ")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || flat[..i].ends_with(". ") || flat[..i].ends_with("; "));
    match found {
        Some(i) => {
            let default = flat[i + "Default: ".len()..].trim_end_matches('.').trim();
            (flat[..i].trim().to_string(), Some(default.to_string()))
        }
        None => (flat, None),
    }
}

fn json_default(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "empty".into(),
        Value::Array(a) if a.is_empty() => "empty".into(),
        Value::String(s) => format!("`\"{s}\"`"),
        other => format!("`{other}`"),
    }
}

/// The topology reference: one Markdown table per TOML table (key, type,
/// default, description with constraints), generated from the JSON Schema.
pub fn reference_markdown() -> String {
    let root = schema_ref();
    let (_, top) = resolve(root, root);
    let sections = sections(root);
    let link = |def: &str, schema: &Value| -> String {
        sections
            .iter()
            .find(|s| std::ptr::eq(s.schema, schema) && s.def == def)
            .map(|s| format!("[`{}`](#{})", s.header, s.anchor()))
            .unwrap_or_else(|| "table".into())
    };
    let mut out = String::new();
    out.push_str(REFERENCE_NOTICE);
    out.push_str("\n# Topology reference\n\n");
    if let Some(d) = top.get("description").and_then(Value::as_str) {
        out.push_str(&one_line(d));
        out.push(' ');
    }
    out.push_str(
        "This is every key of `topology.toml`, table by table. Unknown keys are \
         rejected (each one reported, with the closest known key). `infragen validate` \
         checks every constraint below and reports all problems at once; `infragen schema` \
         prints the same information as a JSON Schema for editors.\n\n\
         Default column: **required** keys have no default; `—` means the key may be left out \
         with no value of its own (a table whose keys have defaults, or a list of tables).\n\n",
    );
    let mut tables = vec![("", String::new(), top)];
    tables.extend(sections.iter().map(|s| (s.def, s.header.clone(), s.schema)));
    // Top-level keys first, then one section per table.
    for (def, header, schema) in tables {
        if header.is_empty() {
            out.push_str("## Top level\n\n");
        } else {
            out.push_str(&format!("## `{header}`\n\n"));
            if let Some(d) = schema.get("description").and_then(Value::as_str) {
                out.push_str(&one_line(d));
                out.push_str("\n\n");
            }
        }
        out.push_str("| Key | Type | Default | Description |\n|---|---|---|---|\n");
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, prop) in ordered_keys(def, schema) {
            let (text, documented_default) = split_default(
                prop.get("description")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            );
            let mut description = one_line(&text);
            let kind = key_kind(root, prop);
            let ty = match &kind {
                KeyKind::Scalar(t) => t.clone(),
                KeyKind::Enum(values) => {
                    let list: Vec<String> = values
                        .iter()
                        .map(|(v, d)| {
                            if d.is_empty() {
                                format!("`{v}`")
                            } else {
                                format!("`{v}`: {}", one_line(d).trim_end_matches('.'))
                            }
                        })
                        .collect();
                    description.push_str(&format!(" Values: {}.", list.join("; ")));
                    "string".into()
                }
                KeyKind::Table(d, s) => format!("table, see {}", link(d, s)),
                KeyKind::TableArray(d, s) => format!("array of tables, see {}", link(d, s)),
                KeyKind::Array(item) => format!("array of {item}"),
                KeyKind::Map(values) => format!("table of {values}"),
            };
            let (_, resolved) = resolve(root, prop);
            match (resolved.get("minimum"), resolved.get("maximum")) {
                (Some(lo), Some(hi)) => description.push_str(&format!(" Range: {lo}–{hi}.")),
                (Some(lo), None) => description.push_str(&format!(" Minimum: {lo}.")),
                (None, Some(hi)) => description.push_str(&format!(" Maximum: {hi}.")),
                (None, None) => {}
            }
            let default = if required.contains(&key) {
                "**required**".to_string()
            } else if let Some(d) = documented_default {
                one_line(&d)
            } else if matches!(kind, KeyKind::Table(..) | KeyKind::TableArray(..)) {
                "—".to_string()
            } else if let Some(v) = prop.get("default") {
                json_default(v)
            } else {
                "—".to_string()
            };
            out.push_str(&format!(
                "| `{key}` | {ty} | {default} | {} |\n",
                description.trim()
            ));
        }
        out.push('\n');
    }
    // One trailing newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_rejects_unknown_keys() {
        let s = json_schema();
        assert_eq!(s["additionalProperties"], Value::Bool(false));
        assert_eq!(
            s["$defs"]["RawService"]["additionalProperties"],
            Value::Bool(false)
        );
        assert!(
            s["$defs"]["RawService"]["properties"]["cpu"]["description"]
                .as_str()
                .unwrap()
                .contains("CPU")
        );
    }

    #[test]
    fn allowed_keys_follow_paths() {
        assert!(allowed_keys("").contains(&"service".to_string()));
        assert!(allowed_keys("service[1]").contains(&"cpu".to_string()));
        assert!(allowed_keys("service[1].scaling").contains(&"max".to_string()));
        assert!(allowed_keys("broker").contains(&"deployment_mode".to_string()));
        assert!(allowed_keys("network.subnets").contains(&"isolated".to_string()));
        assert!(allowed_keys("service[0].env").is_empty());
    }

    #[test]
    fn unknown_key_suggests() {
        let (m, h) = unknown_key_help("service[0].scaling.mx");
        assert_eq!(m, "unknown key `mx`");
        assert!(h.contains("did you mean `max`"), "{h}");
    }

    #[test]
    fn declared_order_covers_every_table() {
        let root = schema_ref();
        for (name, def) in root["$defs"].as_object().unwrap() {
            if let Some(props) = def.get("properties").and_then(Value::as_object) {
                let order =
                    declared_keys(name).unwrap_or_else(|| panic!("add {name} to declared_keys"));
                let mut a: Vec<&str> = order.to_vec();
                let mut b: Vec<&str> = props.keys().map(String::as_str).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b, "{name}");
            }
        }
        assert_eq!(field_names::<RawTopology>()[0], "project");
        assert!(field_names::<RawTopology>().contains(&"service"));
    }

    #[test]
    fn every_optional_key_documents_its_default() {
        let root = schema_ref();
        let mut missing = Vec::new();
        let mut tables = vec![("(top)".to_string(), "", resolve(root, root).1)];
        tables.extend(
            sections(root)
                .into_iter()
                .map(|s| (s.header, s.def, s.schema)),
        );
        for (header, def, schema) in tables {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, prop) in ordered_keys(def, schema) {
                let description = prop["description"].as_str().unwrap_or("");
                assert!(!description.is_empty(), "{header} {key}: no doc comment");
                let plain_table = prop.get("$ref").is_some(); // non-Option table with serde(default)
                let kind = key_kind(root, prop);
                if required.contains(&key)
                    || plain_table
                    || prop.get("default").is_some()
                    || matches!(kind, KeyKind::TableArray(..))
                {
                    continue;
                }
                if split_default(description).1.is_none() {
                    missing.push(format!("{header} {key}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "end these doc comments with `Default: …`: {missing:?}"
        );
    }

    #[test]
    fn reference_has_every_section_in_order() {
        let md = reference_markdown();
        let headers: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        assert_eq!(
            headers,
            [
                "Top level",
                "`[project]`",
                "`[network]`",
                "`[network.subnets]`",
                "`[edge]`",
                "`[edge.domain]`",
                "`[auth]`",
                "`[auth.password_policy]`",
                "`[cluster]`",
                "`[cluster.capacity]`",
                "`[[service]]`",
                "`[service.scaling]`",
                "`[service.scaling.queue_backlog]`",
                "`[[database]]`",
                "`[broker]`",
                "`[operations]`",
                "`[operations.ecr]`",
            ]
        );
        assert!(md.contains("| `name` | string | **required** |"), "{md}");
        assert!(md.contains("| `memory` | integer | `2 × cpu` (`512` with the default cpu) |"));
        assert!(md.contains("`nat_per_az`: One NAT gateway per AZ"));
        assert!(md.contains("table, see [`[network.subnets]`](#networksubnets)"));
        assert!(md.contains("array of tables, see [`[[service]]`](#service)"));
        assert!(md.contains("(#servicescalingqueue_backlog)"));
        assert!(md.contains("3288, 3653"));
        assert!(md.ends_with("|\n"));
    }

    #[test]
    fn defaults_are_split_off() {
        assert_eq!(
            split_default("Port (1–65535). Default: `8080`."),
            ("Port (1–65535).".into(), Some("`8080`".into()))
        );
        assert_eq!(
            split_default("Queue name, e.g. `a`."),
            ("Queue name, e.g. `a`.".into(), None)
        );
    }

    /// Every default documented as a plain literal (`Default: `8080`.`) is
    /// what the resolver fills in for a topology that leaves the key out.
    #[test]
    fn documented_defaults_match_the_model() {
        let minimal = r#"
[project]
name = "shop"
region = "eu-west-3"

[[service]]
name = "api"
routes = ["/api/{proxy+}"]
database = "main"
broker = "rabbitmq"
[service.scaling]

[[database]]
name = "main"

[broker]
"#;
        let model = crate::load(minimal, "minimal.toml").expect("minimal topology is valid");
        let model = serde_json::to_value(&model).unwrap();
        let root = schema_ref();
        let mut checked = 0;
        for section in sections(root) {
            let pointer: String = section
                .header
                .trim_matches(|c| c == '[' || c == ']')
                .split('.')
                .map(|k| match k {
                    "service" => "/services/0".to_string(),
                    "database" => "/databases/0".to_string(),
                    k => format!("/{k}"),
                })
                .collect();
            for (key, prop) in ordered_keys(section.def, section.schema) {
                let description = prop["description"].as_str().unwrap_or("");
                let Some(default) = split_default(description).1 else {
                    continue;
                };
                let literal = match default.split_once(" (") {
                    Some((head, _)) => head,
                    None => default.as_str(),
                };
                let Some(literal) = literal
                    .strip_prefix('`')
                    .and_then(|l| l.strip_suffix('`'))
                    .filter(|l| !l.contains(['`', '<', ' ']))
                else {
                    continue;
                };
                // `min`, `operations.log_retention_days`: another key's value.
                let names_a_key = section.schema["properties"].get(literal).is_some()
                    || model
                        .pointer(&format!("/{}", literal.replace('.', "/")))
                        .is_some();
                if names_a_key {
                    continue;
                }
                let at = format!("{pointer}/{key}");
                let Some(value) = model.pointer(&at) else {
                    continue;
                };
                let actual = match value {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                assert_eq!(
                    actual, literal,
                    "{} {key}: documented default",
                    section.header
                );
                checked += 1;
            }
        }
        assert!(checked >= 40, "only {checked} defaults checked");
    }
}
