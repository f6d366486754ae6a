//! Parsing with spans and the validation rules.
//!
//! [`load`] is the one way from text to a [`Model`]: TOML syntax (every
//! syntax error, recovered), unknown keys (all of them, via `serde_ignored`),
//! types, then every rule — all problems collected into one
//! [`TopologyError`]. The rule helpers below are pure functions, each unit
//! tested.
use crate::diagnostics::{self, At, Kind, Pending, Problems, SpanIndex, TopologyError};
use crate::model::raw::RawTopology;
use crate::model::{Model, resolve};
use ipnet::Ipv4Net;
use toml::de::{DeTable, DeValue};

/// Parse, check and resolve a topology. `file_name` is only used in messages.
pub fn load(source: &str, file_name: &str) -> Result<Model, TopologyError> {
    let (tree, syntax_errors) = toml::de::DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        let pending = syntax_errors
            .into_iter()
            .map(|e| Pending {
                kind: Kind::Syntax,
                path: String::new(),
                message: format!("TOML syntax: {}", e.message().trim_end()),
                help: Some(
                    "fix the TOML syntax first; the other rules run once the file parses".into(),
                ),
                label: None,
                at: At::Value,
                span: e.span(),
            })
            .collect();
        return Err(diagnostics::finish(
            file_name,
            source,
            &SpanIndex::default(),
            pending,
        ));
    }
    let index = SpanIndex::build(&tree);
    let mut problems = Problems::default();
    let mut tree = tree;
    let mut unknown: Vec<String> = Vec::new();
    let mut type_errors: Vec<Pending> = Vec::new();
    // serde stops at the first wrong type. To report every one, drop the
    // offending key from the parsed document and deserialize again, until the
    // document deserializes or an error cannot be pinned to one key.
    let parsed: Option<RawTopology> = loop {
        unknown.clear();
        let deserializer = toml::de::Deserializer::from(tree.clone());
        let result: Result<RawTopology, toml::de::Error> =
            serde_ignored::deserialize(deserializer, |path| unknown.push(ignored_path(&path)));
        let e = match result {
            Ok(raw) => break Some(raw),
            Err(e) => e,
        };
        let span = e.span();
        let path = span
            .as_ref()
            .and_then(|s| index.path_of(s))
            .unwrap_or_default();
        let missing = e.message().starts_with("missing field");
        type_errors.push(Pending {
            kind: Kind::Type,
            path: path.clone(),
            message: humane_type_message(e.message()),
            help: Some(if missing {
                "add it; `infragen schema` lists every key with its type".into()
            } else {
                "see `infragen schema` for the expected type of each key".into()
            }),
            label: None,
            at: At::Value,
            span,
        });
        let repeated = type_errors[..type_errors.len() - 1]
            .iter()
            .any(|t| t.path == path);
        if missing || repeated || type_errors.len() >= 64 || !remove_key(tree.get_mut(), &path) {
            break None;
        }
    };
    for path in unknown {
        let (message, help) = crate::schema::unknown_key_help(&path);
        problems.items.push(Pending {
            kind: Kind::UnknownKey,
            path,
            message,
            help: Some(help),
            label: None,
            at: At::Key,
            span: None,
        });
    }
    match parsed {
        Some(raw) if type_errors.is_empty() => {
            let model = resolve::resolve(&raw, &mut problems);
            if problems.is_empty() {
                Ok(model)
            } else {
                Err(diagnostics::finish(
                    file_name,
                    source,
                    &index,
                    problems.items,
                ))
            }
        }
        // Rules run only on a well-typed document: defaults standing in for
        // removed values would produce misleading problems.
        _ => {
            problems.items.extend(type_errors);
            Err(diagnostics::finish(
                file_name,
                source,
                &index,
                problems.items,
            ))
        }
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

/// `service[2].env."A.B"` → Key(service), Index(2), Key(env), Key(A.B).
fn split_path(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if key.is_empty() && !quoted => quoted = true,
            '"' if quoted => quoted = false,
            '\\' if quoted => key.push(chars.next()?),
            '.' if !quoted => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
            }
            '[' if !quoted => {
                if !key.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut key)));
                }
                let mut n = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    n.push(c);
                }
                out.push(Seg::Index(n.parse().ok()?));
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Seg::Key(key));
    }
    Some(out)
}

fn table_at<'a, 'i>(table: &'a mut DeTable<'i>, segs: &[Seg]) -> Option<&'a mut DeTable<'i>> {
    match segs.split_first() {
        None => Some(table),
        Some((Seg::Key(k), rest)) => value_at(table.get_mut(k.as_str())?.get_mut(), rest),
        Some((Seg::Index(_), _)) => None,
    }
}

fn value_at<'a, 'i>(value: &'a mut DeValue<'i>, segs: &[Seg]) -> Option<&'a mut DeTable<'i>> {
    match (value, segs.split_first()) {
        (DeValue::Table(t), _) => table_at(t, segs),
        (DeValue::Array(a), Some((Seg::Index(i), rest))) => {
            value_at(a.get_mut(*i)?.get_mut(), rest)
        }
        _ => None,
    }
}

/// Remove the key holding `path` (an array element's whole array) from the document.
fn remove_key(root: &mut DeTable<'_>, path: &str) -> bool {
    let Some(mut segs) = split_path(path) else {
        return false;
    };
    while matches!(segs.last(), Some(Seg::Index(_))) {
        segs.pop();
    }
    let Some(Seg::Key(last)) = segs.pop() else {
        return false;
    };
    table_at(root, &segs).is_some_and(|t| t.remove(last.as_str()).is_some())
}

/// serde's messages name Rust types; say what the TOML should hold instead.
fn humane_type_message(message: &str) -> String {
    let mut m = message.trim_end().to_string();
    for (rust, toml) in [
        ("expected i64", "expected an integer"),
        ("expected u32", "expected an integer"),
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

/// CloudWatch Logs accepts only these retention values (days).
pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Is this a retention CloudWatch Logs accepts?
pub fn retention_ok(days: i64) -> bool {
    LOG_RETENTION_DAYS.contains(&days)
}

/// The nearest allowed retention values around `days`, for hints.
pub fn retention_hint(days: i64) -> String {
    let below = LOG_RETENTION_DAYS.iter().rev().find(|&&d| d < days);
    let above = LOG_RETENTION_DAYS.iter().find(|&&d| d > days);
    let near = match (below, above) {
        (Some(b), Some(a)) => format!("the nearest are {b} and {a}"),
        (Some(b), None) => format!("the largest is {b}"),
        (None, Some(a)) => format!("the smallest is {a}"),
        (None, None) => String::new(),
    };
    format!(
        "CloudWatch Logs accepts only 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days; {near}"
    )
}

/// Memory values (MiB) Fargate accepts with this CPU, or None for an invalid CPU.
pub fn fargate_memory_options(cpu: i64) -> Option<Vec<i64>> {
    let range = |from: i64, to: i64, step: i64| (from..=to).step_by(step as usize).collect();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => return None,
    })
}

/// Valid Fargate CPU values.
pub const FARGATE_CPUS: &[i64] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// Short description of the allowed memory for a CPU, for hints.
pub fn fargate_memory_hint(cpu: i64) -> String {
    match cpu {
        256 => "512, 1024 or 2048".into(),
        512 => "1024 to 4096 in steps of 1024".into(),
        1024 => "2048 to 8192 in steps of 1024".into(),
        2048 => "4096 to 16384 in steps of 1024".into(),
        4096 => "8192 to 30720 in steps of 1024".into(),
        8192 => "16384 to 61440 in steps of 4096".into(),
        16384 => "32768 to 122880 in steps of 8192".into(),
        _ => "—".into(),
    }
}

/// Why `name` is not a DNS-safe name of at most `max` characters, if it is not.
/// DNS-safe: lowercase ASCII letters, digits and hyphens, starting with a
/// letter, not ending with a hyphen, no `--`.
pub fn dns_name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > max {
        return Some(format!(
            "is {} characters long; at most {max} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {c:?}; only lowercase letters, digits and hyphens are allowed"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter".into());
    }
    if name.ends_with('-') {
        return Some("must not end with a hyphen".into());
    }
    if name.contains("--") {
        return Some("must not contain two hyphens in a row".into());
    }
    None
}

/// A lowercase, DNS-safe version of `name`, for hints.
pub fn suggest_dns_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Is this a valid environment variable name?
pub fn env_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse an IPv4 CIDR that must be written in canonical form (no host bits).
pub fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR block like 10.0.0.0/16"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set; the network address is {}",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Usable addresses of an AWS subnet (AWS reserves 5 per subnet).
pub fn usable_addresses(net: &Ipv4Net) -> u64 {
    (1u64 << (32 - net.prefix_len())).saturating_sub(5)
}

/// `eu-west-3`, `us-gov-west-1`, `ap-southeast-2`…
pub fn region_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .take(parts.len() - 1)
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// A domain name: labels of letters, digits and hyphens, at least two labels.
pub fn domain_ok(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').count() >= 2
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Loose e-mail shape check: `local@domain.tld`.
pub fn email_ok(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !local.contains(char::is_whitespace) && domain_ok(domain)
        }
        None => false,
    }
}

/// An API Gateway HTTP API route path: starts with `/`, segments non-empty,
/// a greedy `{name+}` only as the last segment.
pub fn route_problem(route: &str) -> Option<String> {
    if !route.starts_with('/') {
        return Some("must start with `/`".into());
    }
    if route == "/" {
        return None;
    }
    let segments: Vec<&str> = route[1..].split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            return Some("has an empty segment (`//` or a trailing `/`)".into());
        }
        if seg.starts_with('{') != seg.ends_with('}') {
            return Some(format!("segment `{seg}` has unbalanced braces"));
        }
        if seg.ends_with("+}") && i + 1 != segments.len() {
            return Some("a greedy `{name+}` segment must be the last".into());
        }
        if seg
            .chars()
            .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Some(format!(
                "segment `{seg}` contains a character not allowed in a path"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_pairs() {
        assert_eq!(fargate_memory_options(256).unwrap(), vec![512, 1024, 2048]);
        assert!(fargate_memory_options(512).unwrap().contains(&4096));
        assert!(!fargate_memory_options(512).unwrap().contains(&512));
        assert!(fargate_memory_options(4096).unwrap().contains(&30720));
        assert!(!fargate_memory_options(8192).unwrap().contains(&17408));
        assert!(fargate_memory_options(8192).unwrap().contains(&20480));
        assert!(fargate_memory_options(16384).unwrap().contains(&122880));
        assert!(fargate_memory_options(16384).unwrap().contains(&40960));
        assert!(fargate_memory_options(300).is_none());
    }

    #[test]
    fn dns_names() {
        assert_eq!(dns_name_problem("inventory", 32), None);
        assert_eq!(dns_name_problem("api-gateway2", 32), None);
        assert!(dns_name_problem("Inventory", 32).is_some());
        assert!(dns_name_problem("2fast", 32).is_some());
        assert!(dns_name_problem("a-", 32).is_some());
        assert!(dns_name_problem("a--b", 32).is_some());
        assert!(dns_name_problem("a_b", 32).is_some());
        assert!(dns_name_problem("", 32).is_some());
        assert!(dns_name_problem(&"a".repeat(33), 32).is_some());
        assert_eq!(suggest_dns_name("My_Service"), "my-service");
    }

    #[test]
    fn retention() {
        assert!(retention_ok(365));
        assert!(!retention_ok(0));
        assert!(!retention_ok(31));
        assert!(retention_hint(31).contains("30 and 60"));
    }

    #[test]
    fn cidrs() {
        assert!(parse_cidr("10.0.0.0/16").is_ok());
        assert!(parse_cidr("10.0.0.1/16").unwrap_err().contains("host bits"));
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("300.0.0.0/8").is_err());
        assert_eq!(usable_addresses(&"10.0.0.0/24".parse().unwrap()), 251);
    }

    #[test]
    fn misc() {
        assert!(region_ok("eu-west-3"));
        assert!(region_ok("us-gov-west-1"));
        assert!(!region_ok("europe"));
        assert!(!region_ok("eu-west"));
        assert!(env_name_ok("INVENTORY_URL"));
        assert!(!env_name_ok("1X"));
        assert!(!env_name_ok("A-B"));
        assert!(domain_ok("api.example.com"));
        assert!(!domain_ok("example"));
        assert!(!domain_ok("-a.com"));
        assert!(email_ok("ops@example.com"));
        assert!(!email_ok("ops.example.com"));
        assert_eq!(route_problem("/api/{proxy+}"), None);
        assert!(route_problem("api").is_some());
        assert!(route_problem("/api/{proxy+}/x").is_some());
        assert!(route_problem("/api//x").is_some());
    }
}
