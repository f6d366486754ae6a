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
fn deref<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(t) => {
                    s = t;
                    continue;
                }
                None => return s,
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
        return s;
    }
    s
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
}
