//! HCL literals and expressions: how a value from a view is written into
//! Terraform. The views build every expression that wires one module into
//! another as an [`Expr`]; the renderer's `hcl` and `hcl_key` helpers write
//! data values with the same functions.
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

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
    escape_into(&mut out, value);
    out.push('"');
    out
}

/// The inside of an HCL string literal or template.
fn escape_into(out: &mut String, value: &str) {
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

/// A Terraform expression: a literal, a reference to another module's output
/// (or a root variable), an index into one, a string template, a function
/// call, a list or an object. [`fmt::Display`] writes it as HCL; it
/// serializes as that text, which the templates print as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal already written as HCL (quoted string, number, bool).
    Literal(String),
    /// `module.NAME.OUTPUT` or `var.NAME`.
    Reference(String),
    /// `BASE[KEY]`.
    Index(Box<Expr>, Box<Expr>),
    /// `"text${expr}text"`.
    Template(Vec<Part>),
    /// `function(arg, ...)`.
    Call(&'static str, Vec<Expr>),
    /// `[item, ...]`.
    List(Vec<Expr>),
    /// `{ key = value, ... }`.
    Object(Vec<(String, Expr)>),
}

/// One piece of a string template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Interpolation(Expr),
}

impl Expr {
    /// `module.MODULE.OUTPUT`.
    pub fn output(module: &str, output: &str) -> Expr {
        Expr::Reference(format!("module.{module}.{output}"))
    }

    /// `var.NAME`, a variable of the root module.
    pub fn var(name: &str) -> Expr {
        Expr::Reference(format!("var.{name}"))
    }

    /// A quoted string literal.
    pub fn string(value: &str) -> Expr {
        Expr::Literal(hcl_string(value))
    }

    /// A number literal.
    pub fn number(value: impl Into<f64> + fmt::Display) -> Expr {
        Expr::Literal(value.to_string())
    }

    /// `self[KEY]` with a string key.
    pub fn at(self, key: &str) -> Expr {
        Expr::Index(Box::new(self), Box::new(Expr::string(key)))
    }

    /// `"${self}SUFFIX"`.
    pub fn followed_by(self, suffix: &str) -> Expr {
        Expr::Template(vec![Part::Interpolation(self), Part::Text(suffix.into())])
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(text) | Expr::Reference(text) => f.write_str(text),
            Expr::Index(base, key) => write!(f, "{base}[{key}]"),
            Expr::Template(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(text) => escape_into(&mut out, text),
                        Part::Interpolation(expr) => out.push_str(&format!("${{{expr}}}")),
                    }
                }
                write!(f, "\"{out}\"")
            }
            Expr::Call(function, args) => write!(f, "{function}({})", joined(args)),
            Expr::List(items) => write!(f, "[{}]", joined(items)),
            Expr::Object(fields) if fields.is_empty() => f.write_str("{}"),
            Expr::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(key, value)| format!("{} = {value}", hcl_key(key)))
                    .collect();
                write!(f, "{{ {} }}", fields.join(", "))
            }
        }
    }
}

fn joined(items: &[Expr]) -> String {
    let items: Vec<String> = items.iter().map(Expr::to_string).collect();
    items.join(", ")
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
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

    #[test]
    fn expressions_are_written_as_hcl() {
        let urls = Expr::output("registry", "repository_urls").at("inventory-app");
        assert_eq!(
            urls.to_string(),
            "module.registry.repository_urls[\"inventory-app\"]"
        );
        let template = Expr::Template(vec![
            Part::Text("http://\"${x}".into()),
            Part::Interpolation(Expr::output("edge", "alb_dns_name")),
            Part::Text(":8080".into()),
        ]);
        assert_eq!(
            template.to_string(),
            "\"http://\\\"$${x}${module.edge.alb_dns_name}:8080\""
        );
        let call = Expr::Call(
            "jsonencode",
            vec![Expr::Object(vec![
                ("paths".into(), Expr::List(vec![Expr::string("/a")])),
                ("timeout_ms".into(), Expr::number(2000)),
                ("none".into(), Expr::Object(Vec::new())),
            ])],
        );
        assert_eq!(
            call.to_string(),
            "jsonencode({ paths = [\"/a\"], timeout_ms = 2000, none = {} })"
        );
        assert_eq!(
            serde_json::to_value(Expr::var("image_tags")).unwrap(),
            serde_json::json!("var.image_tags")
        );
    }
}
