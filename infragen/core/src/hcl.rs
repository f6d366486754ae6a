//! HCL literals: how a value from a view is written into Terraform. The
//! views quote the literals inside the expressions they build; the renderer's
//! `hcl` and `hcl_key` helpers write data values with the same functions.
use serde_json::Value;

/// An HCL object key: bare identifier when possible, else a quoted string.
pub fn hcl_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        key.to_string()
    } else {
        hcl_string(key)
    }
}

/// A quoted HCL string literal: escapes quotes, backslashes, control
/// characters and template sequences (`${`, `%{`).
pub fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value as a single-line HCL literal.
pub fn hcl_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(hcl_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            if map.is_empty() {
                return "{}".to_string();
            }
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_key(k), hcl_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_literals_are_escaped() {
        assert_eq!(hcl_string("a\"b\\c${d}%{e}"), "\"a\\\"b\\\\c$${d}%%{e}\"");
        assert_eq!(
            hcl_value(&serde_json::json!(["a", 1, null])),
            "[\"a\", 1, null]"
        );
        assert_eq!(hcl_key("Owner"), "Owner");
        assert_eq!(hcl_key("aws:tag"), "\"aws:tag\"");
    }
}
