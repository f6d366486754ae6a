//! The keys a topology may hold: the JSON Schema of the raw types (with
//! their doc comments), generated once, and what it says about a field path:
//! which keys are allowed there, and the hint for an unknown one.
use super::document::{Seg, split_path};
use super::raw::RawTopology;
use crate::diagnostics::{nearest, parent_path};
use serde_json::Value;

/// The JSON Schema (draft 2020-12) of `topology.toml`.
pub fn json_schema() -> Value {
    schema_ref().clone()
}

/// Generated once per process.
pub(crate) fn schema_ref() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(RawTopology).as_value().clone())
}

/// Follow `$ref`s and `Option`'s `anyOf [T, null]`; returns the `$defs`
/// name (if a reference was followed) and the schema.
pub(crate) fn follow_ref<'a>(root: &'a Value, mut s: &'a Value) -> (&'a str, &'a Value) {
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

/// Follow `$ref` and `Option`'s `anyOf [T, null]` to the object schema.
fn deref<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    follow_ref(root, s).1
}

/// The keys allowed in the table at `path` (empty for free-form maps or unknown paths).
pub fn allowed_keys(path: &str) -> Vec<String> {
    let root = schema_ref();
    let mut s = deref(root, root);
    for seg in split_path(path).unwrap_or_default() {
        s = match seg {
            Seg::Key(k) => match s.get("properties").and_then(|p| p.get(&k)) {
                Some(t) => deref(root, t),
                None => return Vec::new(),
            },
            Seg::Index(_) => match s.get("items") {
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
    let key = split_path(path)
        .and_then(|segs| segs.into_iter().last())
        .and_then(|s| match s {
            Seg::Key(k) => Some(k),
            Seg::Index(_) => None,
        })
        .unwrap_or_default();
    let allowed = allowed_keys(&parent);
    let message = format!("unknown key `{key}`");
    let closest = nearest(&key, allowed.iter().map(String::as_str));
    let list = allowed.join(", ");
    let help = match (closest, allowed.is_empty()) {
        (Some(k), _) => format!("did you mean `{k}`? Allowed here: {list}"),
        (None, false) => format!("allowed here: {list}"),
        (None, true) => "remove it; `infragen schema` lists every key".into(),
    };
    (message, help)
}

#[cfg(test)]
mod tests {
    use super::*;

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
