//! The AWS SDK is compiled only for infragen: no other workspace member (the
//! services, service-kit, infragen-core) depends on it, not even for tests.
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::process::Command;

#[test]
fn only_infragen_pulls_in_the_aws_sdk() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only the packages a build for this machine needs: without the filter,
    // cargo metadata wants every package of the lock file (Windows-only ones
    // included), which a fresh machine's cache does not hold offline.
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let deps: HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let id = n["id"].as_str().unwrap();
            (
                id,
                n["dependencies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    let allowed = ["infragen-aws", "infragen"];
    for member in meta["workspace_members"].as_array().unwrap() {
        let member = member.as_str().unwrap();
        if allowed.contains(&names[member]) {
            continue;
        }
        let mut stack = vec![member];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let name = names[id];
            assert!(
                !(name.starts_with("aws-sdk-") || name == "aws-config" || name == "infragen-aws"),
                "{} depends on {name}: the AWS SDK belongs to infragen-aws only",
                names[member]
            );
            stack.extend(deps.get(id).into_iter().flatten());
        }
    }
}

/// The host target triple, from `rustc -vV`.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV prints the host triple")
        .to_string()
}
