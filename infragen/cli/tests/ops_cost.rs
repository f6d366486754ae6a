//! `infragen cost`: docs/cost.md is the output of `infragen cost --format
//! markdown` (golden file), and the other formats and --compare work.
use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cost(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infragen"))
        .arg("cost")
        .args(args)
        .output()
        .expect("run infragen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn docs_cost_md_is_up_to_date() {
    let (code, generated, stderr) = cost(&["--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    let path = repo_root().join("docs/cost.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/cost.md is out of date with `infragen cost --format markdown` (the price table, the usage defaults \
         or topology.toml changed). Regenerate it:\n  cargo run -p infragen -- cost --format markdown > docs/cost.md\n\
         (or run this test with UPDATE_GOLDEN=1)"
    );
}

#[test]
fn table_json_and_compare() {
    let (code, table, stderr) = cost(&[]);
    assert_eq!(code, 0, "{stderr}");
    for text in [
        "us-east-1",
        "Fargate: inventory",
        "NAT gateways",
        "RDS PostgreSQL: billing",
        "Amazon MQ",
        "Total",
    ] {
        assert!(table.contains(text), "`{text}` missing:\n{table}");
    }

    let (code, json, _) = cost(&["--format", "json", "--mau", "20000"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let lines = v["estimate"]["lines"].as_array().unwrap();
    let cognito = lines.iter().find(|l| l["key"] == "cognito").unwrap();
    assert!(
        (cognito["monthly"].as_f64().unwrap() - 150.0).abs() < 1e-6,
        "{cognito}"
    );
    let sum: f64 = lines.iter().map(|l| l["monthly"].as_f64().unwrap()).sum();
    assert!((sum - v["estimate"]["total"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(v["prices"]["region"], "us-east-1");

    // A cheaper dev topology side by side with the default.
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev.toml");
    let text = std::fs::read_to_string(repo_root().join("topology.toml"))
        .unwrap()
        .replace("egress = \"nat_per_az\"", "egress = \"nat_single\"")
        .replace("multi_az = true", "multi_az = false");
    std::fs::write(&dev, text).unwrap();
    let (code, side, stderr) = cost(&["--compare", dev.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(side.contains("Difference"), "{side}");
    assert!(
        side.lines()
            .any(|l| l.starts_with("NAT gateways") && l.contains('-')),
        "{side}"
    );

    let (code, _, stderr) = cost(&["--hours=-1"]);
    assert_ne!(code, 0);
    assert!(
        stderr.starts_with("error: --hours must be a number ≥ 0"),
        "{stderr}"
    );
    let (code, _, stderr) = cost(&["--topology", "/nonexistent.toml"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read topology"), "{stderr}");
}

#[test]
fn rollout_timeline_and_extra_cost_per_deployment() {
    let canary = repo_root().join("infragen/core/tests/fixtures/valid/canary.toml");
    let (code, table, stderr) = cost(&["--topology", canary.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        table.contains(
            "smoke test → canary 5.0 % for 10 min → 100 % → bake 15 min ≈ 27 min, peak 2× tasks"
        ),
        "{table}"
    );
    assert!(table.contains("Extra per deployment (USD)"), "{table}");
    let (code, json, stderr) = cost(&["--topology", canary.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let rollouts = v["estimate"]["rollouts"].as_array().expect("rollouts");
    let gateway = rollouts
        .iter()
        .find(|r| r["service"] == "api-gateway")
        .expect("api-gateway rollout");
    assert_eq!(gateway["strategy"], "canary");
    assert_eq!(gateway["minutes"], 27);
    assert!(gateway["extra_per_deployment"].as_f64().unwrap() > 0.0);
}
