//! The AWS SDK is compiled only where it is needed: infragen (everything
//! infragen-aws uses), and the Secrets Manager client behind service-kit's
//! optional feature `secrets-manager`, which only inventory-app and
//! billing-app enable (they re-read the rotating RDS password). No other
//! workspace member (the gateway, runtime-contract, infragen-core) depends
//! on any of it, not even for tests.
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
    let secrets_manager_users = ["inventory-app", "billing-app"];
    // What service-kit's feature `secrets-manager` adds (cargo metadata
    // resolves features for the whole workspace, so they show up under
    // service-kit for every member; the manifests say who enables them).
    let behind_the_feature = [
        "aws-config",
        "aws-sdk-secretsmanager",
        "aws-smithy-http-client",
    ];
    let enabled = secrets_manager_enablers(&meta);
    assert_eq!(
        enabled,
        HashSet::from(secrets_manager_users),
        "only inventory-app and billing-app may enable service-kit/secrets-manager"
    );
    let kit = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "service-kit")
        .unwrap();
    assert!(
        !kit["features"]["default"]
            .as_array()
            .is_some_and(|d| d.iter().any(|f| f == "secrets-manager")),
        "secrets-manager must stay out of service-kit's default features"
    );
    for member in meta["workspace_members"].as_array().unwrap() {
        let member = member.as_str().unwrap();
        if allowed.contains(&names[member]) {
            continue;
        }
        let may_read_secrets = secrets_manager_users.contains(&names[member]);
        let mut stack = vec![member];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let name = names[id];
            if may_read_secrets && (name == "aws-sdk-secretsmanager" || name == "aws-config") {
                continue; // its own dependencies are the SDK's
            }
            if id != member && secrets_manager_users.contains(&name) {
                continue; // checked as a member itself (deploy-hook tests against inventory-app)
            }
            assert!(
                !(name.starts_with("aws-sdk-") || name == "aws-config" || name == "infragen-aws"),
                "{} depends on {name}: the AWS SDK belongs to infragen-aws (and the Secrets Manager client to inventory-app and billing-app)",
                names[member]
            );
            let next = deps.get(id).into_iter().flatten().filter(|d| {
                names[id] != "service-kit"
                    || may_read_secrets
                    || !behind_the_feature.contains(&names[*d])
            });
            stack.extend(next);
        }
    }
}

/// The workspace members whose manifest enables service-kit's `secrets-manager`.
fn secrets_manager_enablers(meta: &Value) -> HashSet<&str> {
    let members: HashSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap()))
        .filter(|p| {
            p["dependencies"].as_array().unwrap().iter().any(|d| {
                d["name"] == "service-kit"
                    && d["features"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f == "secrets-manager")
            })
        })
        .map(|p| p["name"].as_str().unwrap())
        .collect()
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
