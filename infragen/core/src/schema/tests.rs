use super::reference::{KeyKind, key_kind, ordered_keys, required_keys, sections};
use super::*;
use crate::parse::keys::{follow_ref, schema_ref};
use crate::parse::raw::RawTopology;
use serde_json::Value;

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
    let mut tables = vec![("(top)".to_string(), "", follow_ref(root, root).1)];
    tables.extend(
        sections(root)
            .into_iter()
            .map(|s| (s.header, s.def, s.schema)),
    );
    for (header, def, schema) in tables {
        let required = required_keys(schema);
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
            "`[service.deploy]`",
            "`[[database]]`",
            "`[broker]`",
            "`[operations]`",
            "`[operations.alarms]`",
            "`[operations.ecr]`",
            "`[[slo]]`",
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

[operations]
alarm_email = "oncall@example.com"
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
            // RDS and Amazon MQ settings sit under their hosting.
            let Some(value) = ["", "/hosting/rds", "/hosting/amazon_mq"]
                .iter()
                .find_map(|under| model.pointer(&format!("{pointer}{under}/{key}")))
            else {
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
