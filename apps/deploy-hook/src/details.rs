//! `hookDetails`: what the gate calls, set per service on the lifecycle
//! hook (Terraform `hook_details`):
//!
//! ```json
//! {"base_url": "http://internal-alb:8443", "paths": ["/readyz", "/api/movies?limit=1"], "timeout_ms": 2000}
//! ```
//!
//! `base_url` is the ALB test listener that forwards to the new revision
//! (required); `paths` default to the readiness path of the runtime
//! contract; `timeout_ms` (default 2000) bounds each whole request. Unknown
//! keys are refused, so a misspelt one cannot be silently ignored. The
//! object may also arrive as a JSON string holding the object.

use std::time::Duration;

use reqwest::Url;
use runtime_contract::probes::READINESS_PATH;
use serde::Deserialize;
use serde_json::Value;

/// Per-request timeout when `timeout_ms` is not given.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
/// Largest accepted `timeout_ms`: the checks run concurrently, so the
/// function's own timeout must exceed this.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// Most paths one gate calls.
pub const MAX_PATHS: usize = 20;

/// Validated `hookDetails`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeDetails {
    /// Scheme, host, port (and an optional path prefix) of the test listener.
    pub base_url: Url,
    /// Absolute paths with optional query, in the order given.
    pub paths: Vec<String>,
    /// Bound of each request, connection to last body byte.
    pub timeout: Duration,
}

/// Why `hookDetails` cannot be used; the gate answers `FAILED` with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetailsError {
    #[error(
        "hookDetails is missing: set hook_details on the lifecycle hook to {{\"base_url\": ..., \"paths\": [...], \"timeout_ms\": ...}}"
    )]
    Missing,
    #[error("hookDetails is not a JSON object: {0}")]
    NotAnObject(String),
    #[error("hookDetails: {0}")]
    Shape(String),
    #[error("hookDetails.base_url {url:?}: {why}")]
    BaseUrl { url: String, why: String },
    #[error("hookDetails.paths[{index}] {path:?}: {why}")]
    Path {
        index: usize,
        path: String,
        why: String,
    },
    #[error("hookDetails.paths: {0}")]
    Paths(String),
    #[error("hookDetails.timeout_ms {0}: must be between 1 and {MAX_TIMEOUT_MS}")]
    Timeout(u64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetails {
    base_url: String,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

impl SmokeDetails {
    /// Parses and validates the event's `hookDetails`.
    pub fn parse(value: Option<&Value>) -> Result<Self, DetailsError> {
        let object = match value {
            None | Some(Value::Null) => return Err(DetailsError::Missing),
            Some(Value::String(text)) => serde_json::from_str::<Value>(text).map_err(|e| {
                DetailsError::NotAnObject(format!("a string that is not JSON ({e})"))
            })?,
            Some(other) => other.clone(),
        };
        if !object.is_object() {
            return Err(DetailsError::NotAnObject(kind_of(&object).into()));
        }
        let raw: RawDetails =
            serde_json::from_value(object).map_err(|e| DetailsError::Shape(e.to_string()))?;
        let base_url = parse_base_url(&raw.base_url)?;
        let paths = match raw.paths {
            None => vec![READINESS_PATH.to_string()],
            Some(paths) => validate_paths(paths)?,
        };
        let timeout_ms = raw.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(DetailsError::Timeout(timeout_ms));
        }
        Ok(Self {
            base_url,
            paths,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    /// The URL of one path: the base URL's prefix (without its trailing
    /// slash) followed by the path and its query.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.as_str().trim_end_matches('/'))
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_base_url(text: &str) -> Result<Url, DetailsError> {
    let bad = |why: &str| DetailsError::BaseUrl {
        url: text.to_string(),
        why: why.to_string(),
    };
    let url = Url::parse(text).map_err(|e| bad(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("no query or fragment: put them in paths"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("no credentials in the URL"));
    }
    Ok(url)
}

fn validate_paths(paths: Vec<String>) -> Result<Vec<String>, DetailsError> {
    if paths.is_empty() {
        return Err(DetailsError::Paths(
            "empty: give at least one path (e.g. the readiness path)".into(),
        ));
    }
    if paths.len() > MAX_PATHS {
        return Err(DetailsError::Paths(format!(
            "{} paths, at most {MAX_PATHS}",
            paths.len()
        )));
    }
    for (index, path) in paths.iter().enumerate() {
        let bad = |why: &str| DetailsError::Path {
            index,
            path: path.clone(),
            why: why.to_string(),
        };
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(bad("must start with a single / (a path on base_url)"));
        }
        if path.contains('#') {
            return Err(bad("no fragment"));
        }
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "no whitespace or control characters (percent-encode them)",
            ));
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<SmokeDetails, DetailsError> {
        SmokeDetails::parse(Some(&value))
    }

    #[test]
    fn full_details_parse() {
        let d = parse(json!({"base_url": "http://10.0.1.5:8443", "paths": ["/readyz", "/api/movies?limit=1"], "timeout_ms": 1500})).unwrap();
        assert_eq!(d.paths, ["/readyz", "/api/movies?limit=1"]);
        assert_eq!(d.timeout, Duration::from_millis(1500));
        assert_eq!(
            d.url_of("/api/movies?limit=1"),
            "http://10.0.1.5:8443/api/movies?limit=1"
        );
    }

    #[test]
    fn defaults_are_the_readiness_path_and_two_seconds() {
        let d = parse(json!({"base_url": "https://alb.internal"})).unwrap();
        assert_eq!(d.paths, [READINESS_PATH]);
        assert_eq!(d.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS));
        assert_eq!(d.url_of(READINESS_PATH), "https://alb.internal/readyz");
    }

    #[test]
    fn a_path_prefix_on_the_base_url_is_kept() {
        let d = parse(json!({"base_url": "http://h:81/inventory/"})).unwrap();
        assert_eq!(d.url_of("/readyz"), "http://h:81/inventory/readyz");
    }

    #[test]
    fn details_given_as_a_json_string_parse() {
        let text = json!({"base_url": "http://h:81", "paths": ["/x"]}).to_string();
        let d = SmokeDetails::parse(Some(&Value::String(text))).unwrap();
        assert_eq!(d.paths, ["/x"]);
    }

    #[test]
    fn each_malformed_shape_has_its_reason() {
        let cases = [
            (json!(null), "hookDetails is missing"),
            (json!([1, 2]), "not a JSON object: an array"),
            (json!("{not json"), "a string that is not JSON"),
            (json!({"paths": ["/x"]}), "missing field `base_url`"),
            (
                json!({"base_url": "http://h", "timeout": 5}),
                "unknown field `timeout`",
            ),
            (json!({"base_url": 42}), "invalid type: integer `42`"),
            (
                json!({"base_url": "h:80"}),
                "the scheme must be http or https",
            ),
            (json!({"base_url": "not a url"}), "not a URL"),
            (
                json!({"base_url": "ftp://h"}),
                "the scheme must be http or https",
            ),
            (json!({"base_url": "http://h?x=1"}), "no query or fragment"),
            (json!({"base_url": "http://u:p@h"}), "no credentials"),
            (
                json!({"base_url": "http://h", "paths": []}),
                "hookDetails.paths: empty",
            ),
            (
                json!({"base_url": "http://h", "paths": ["readyz"]}),
                "paths[0] \"readyz\": must start with a single /",
            ),
            (
                json!({"base_url": "http://h", "paths": ["/ok", "//evil.example/x"]}),
                "paths[1]",
            ),
            (
                json!({"base_url": "http://h", "paths": ["/a b"]}),
                "no whitespace",
            ),
            (
                json!({"base_url": "http://h", "paths": ["/a#b"]}),
                "no fragment",
            ),
            (
                json!({"base_url": "http://h", "timeout_ms": 0}),
                "timeout_ms 0: must be between 1 and 60000",
            ),
            (
                json!({"base_url": "http://h", "timeout_ms": 600000}),
                "timeout_ms 600000",
            ),
            (
                json!({"base_url": "http://h", "timeout_ms": -1}),
                "invalid value: integer `-1`",
            ),
        ];
        for (value, want) in cases {
            let err = parse(value.clone()).expect_err(&format!("{value} must be refused"));
            let text = err.to_string();
            assert!(text.contains(want), "{value}: {text:?} lacks {want:?}");
        }
        let many: Vec<String> = (0..=MAX_PATHS).map(|i| format!("/p{i}")).collect();
        let err = parse(json!({"base_url": "http://h", "paths": many})).unwrap_err();
        assert!(err.to_string().contains("21 paths, at most 20"), "{err}");
        assert_eq!(SmokeDetails::parse(None), Err(DetailsError::Missing));
    }
}
