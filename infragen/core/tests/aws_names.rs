//! AWS names that share a namespace are unique in every rendered topology
//! (`terraform apply` fails with `InvalidGroup.Duplicate` when a database's
//! and a service's security groups share a name), and every such name is the
//! one the model's name registry holds for that namespace: the registry, which
//! validation checks for collisions, is what is rendered.
//!
//! Evaluates, in the rendered files, the name argument of the resources
//! below with the literal inputs of each root module call (`var.x` and
//! `"${var.x}-suffix"`); names built from anything else (other resources,
//! `each`) are not evaluated and are counted, so the test cannot pass by
//! evaluating nothing.
use infragen_core::model::Namespace;
use std::collections::BTreeMap;

mod common;
use common::fixtures;

/// (resource type, name argument, namespace).
const NAMESPACES: &[(&str, &str, Namespace)] = &[
    ("aws_security_group", "name", Namespace::SecurityGroup),
    ("aws_iam_role", "name", Namespace::IamRole),
    ("aws_ecs_service", "name", Namespace::EcsService),
    ("aws_ecs_task_definition", "family", Namespace::TaskFamily),
    ("aws_cloudwatch_log_group", "name", Namespace::LogGroup),
    (
        "aws_cloudwatch_metric_alarm",
        "alarm_name",
        Namespace::Alarm,
    ),
    ("aws_secretsmanager_secret", "name", Namespace::Secret),
    ("aws_lb_target_group", "name", Namespace::TargetGroup),
    ("aws_lb", "name", Namespace::LoadBalancer),
    ("aws_budgets_budget", "name", Namespace::Budget),
];

/// The literal inputs of a module call: `key = "value"`, and the members of
/// one-level objects as `object.key`.
fn literal_inputs(body: &[&str]) -> BTreeMap<String, String> {
    let mut inputs = BTreeMap::new();
    let mut object: Option<&str> = None;
    for line in body {
        let literal = |v: &str| {
            let l = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            (!l.contains("${")).then(|| l.to_string())
        };
        if let Some(rest) = line.strip_prefix("    ").filter(|_| object.is_some()) {
            if let Some((k, v)) = rest.split_once('=')
                && let Some(v) = literal(v)
            {
                inputs.insert(format!("{}.{}", object.unwrap_or_default(), k.trim()), v);
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("  ").filter(|r| !r.starts_with(' ')) else {
            continue;
        };
        if rest == "}" {
            object = None;
            continue;
        }
        let Some((k, v)) = rest.split_once('=') else {
            continue;
        };
        if v.trim() == "{" {
            object = Some(k.trim());
        } else if let Some(v) = literal(v) {
            inputs.insert(k.trim().to_string(), v);
        }
    }
    inputs
}

/// Top-level blocks `<kind> "<a>" ["<b>"] {` … `}` of a file: (labels, body lines).
fn blocks<'a>(text: &'a str, kind: &str) -> Vec<(Vec<&'a str>, Vec<&'a str>)> {
    let mut out = Vec::new();
    let mut current: Option<(Vec<&str>, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some((_, body)) = current.as_mut() {
            if line == "}" {
                out.push(current.take().unwrap());
            } else {
                body.push(line);
            }
        } else if line.starts_with(&format!("{kind} \"")) && line.ends_with('{') {
            let labels = line.split('"').skip(1).step_by(2).collect();
            current = Some((labels, Vec::new()));
        }
    }
    out
}

/// `  key = value` at the block's top level.
fn attribute<'a>(body: &[&'a str], key: &str) -> Option<&'a str> {
    body.iter().find_map(|line| {
        let rest = line.strip_prefix("  ")?;
        if rest.starts_with(' ') {
            return None;
        }
        let (k, v) = rest.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Evaluates `var.x` or `"…${var.x}…"` with the module's literal inputs.
fn evaluate(expr: &str, inputs: &BTreeMap<String, String>) -> Option<String> {
    if let Some(var) = expr.strip_prefix("var.") {
        return inputs.get(var).cloned();
    }
    let inner = expr.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut rest = inner;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        out.push_str(inputs.get(rest[start + 2..end].strip_prefix("var.")?)?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[test]
fn names_sharing_a_namespace_are_unique() {
    let mut problems = Vec::new();
    for (topology, source) in fixtures() {
        let model = infragen_core::load(&source, &format!("{topology}.toml")).expect("valid");
        let files = infragen_core::render::render(&model)
            .expect("renders")
            .files;
        let root = &files["main.tf"];
        // namespace -> name -> the resources that take it
        let mut seen: BTreeMap<Namespace, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let mut evaluated = 0;
        for (labels, body) in blocks(root, "module") {
            let Some(source) = attribute(&body, "source") else {
                continue;
            };
            let module_dir = source.trim_matches('"').trim_start_matches("./");
            let inputs = literal_inputs(&body);
            let Some(module) = files.get(&format!("{module_dir}/main.tf")) else {
                continue;
            };
            for (resource, argument, namespace) in NAMESPACES {
                for (res_labels, res_body) in blocks(module, "resource") {
                    if res_labels.first() != Some(resource) {
                        continue;
                    }
                    let Some(expr) = attribute(&res_body, argument) else {
                        continue;
                    };
                    let Some(name) = evaluate(expr, &inputs) else {
                        continue;
                    };
                    evaluated += 1;
                    let registered = model
                        .names
                        .entries
                        .iter()
                        .any(|e| e.namespace == *namespace && e.name == name);
                    if !registered {
                        problems.push(format!(
                            "{topology}: {} `{name}` of module.{}.{}.{} is not in the name registry",
                            namespace.noun(),
                            labels[0],
                            resource,
                            res_labels[1]
                        ));
                    }
                    seen.entry(*namespace)
                        .or_default()
                        .entry(name)
                        .or_default()
                        .push(format!(
                            "module.{}.{}.{}",
                            labels[0], resource, res_labels[1]
                        ));
                }
            }
        }
        assert!(
            evaluated >= 10,
            "{topology}: only {evaluated} names evaluated: the parser is lost"
        );
        for (namespace, names) in seen {
            for (name, owners) in names {
                if owners.len() > 1 {
                    problems.push(format!(
                        "{topology}: {} `{name}` taken by {}",
                        namespace.noun(),
                        owners.join(" and ")
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "name collisions:\n{}",
        problems.join("\n")
    );
}
