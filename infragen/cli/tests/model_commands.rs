//! The model commands end to end through the binary: exit codes, outputs.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn infragen(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infragen"))
        .args(args)
        .current_dir(cwd)
        .env_remove("INFRAGEN_TOPOLOGY")
        .env("NO_COLOR", "1")
        .output()
        .expect("run infragen")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/invalid")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_default_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["validate"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid"));
}

#[test]
fn validate_invalid_exits_2_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("combined.toml");
    let out = infragen(
        &["validate", "--topology", path.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for needle in [
        "combined.toml:13:13",
        "combined.toml:19:10",
        "combined.toml:20:1",
        "combined.toml:23:17",
        "combined.toml:32:7",
        "combined.toml:36:8",
        "service[1].scaling.max",
        "help:",
        "6 problems",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
}

#[test]
fn validate_short_and_json_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("bad_references.toml");
    let p = path.to_str().unwrap();
    let out = infragen(&["validate", "-t", p, "--format", "short"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<String> = text(&out.stderr).lines().map(str::to_string).collect();
    assert!(
        lines[0]
            .ends_with("bad_references.toml:9:10: service[0].broker: no broker is named `rabbit`"),
        "{lines:?}"
    );
    let out = infragen(&["validate", "-t", p, "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[0]["line"], 9);
    assert_eq!(json[0]["column"], 10);
    assert_eq!(json[0]["path"], "service[0].broker");
}

#[test]
fn unreadable_topology_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["validate", "-t", "does-not-exist.toml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read topology"));
}

#[test]
fn print_model_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["validate", "--print-model"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(model["project"]["prefix"], "crud-master-prod");
}

#[test]
fn schema_is_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["schema"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["service"].is_object());
    let file = dir.path().join("s.json");
    let out = infragen(&["schema", "--out", file.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(file).unwrap().contains("\"$defs\""));
}

#[test]
fn graph_prints_mermaid() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["graph", "--markdown"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.starts_with("```mermaid\nflowchart"), "{s}");
    assert!(s.ends_with("```\n"));
}

#[test]
fn render_writes_then_check_is_clean_then_detects_drift() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["render"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let main = dir.path().join("generated-tf/main.tf");
    assert!(main.exists(), "render writes ./generated-tf by default");
    let out = infragen(&["render", "--check"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let mut content = std::fs::read_to_string(&main).unwrap();
    content.push_str("# drift\n");
    std::fs::write(&main, content).unwrap();
    let out = infragen(&["render", "--check"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).contains("-# drift"));
}

#[test]
fn compose_writes_then_check_is_clean_then_detects_drift() {
    let dir = tempfile::tempdir().unwrap();
    // Another file next to it must survive (compose writes only --out).
    std::fs::write(dir.path().join("keep.tf"), "# not ours\n").unwrap();
    let out = infragen(&["compose"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let file = dir.path().join("docker-compose.yml");
    let content = std::fs::read_to_string(&file).unwrap();
    assert!(content.starts_with("# Generated by infragen from topology.toml"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker-compose.yml");
    assert_eq!(content, std::fs::read_to_string(repo).unwrap());
    let out = infragen(&["compose", "--check"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    std::fs::write(
        &file,
        content.replace("restart: on-failure", "restart: \"no\""),
    )
    .unwrap();
    let out = infragen(&["compose", "--check"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stdout).contains("-    restart: \"no\""),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("infragen compose"));
    std::fs::remove_file(&file).unwrap();
    let out = infragen(&["compose", "--check"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert!(dir.path().join("keep.tf").exists());
    let out = infragen(&["compose", "--help"], dir.path());
    let s = text(&out.stdout);
    assert!(
        s.contains("docker-compose.yml") && s.contains("Exit codes"),
        "{s}"
    );
}

#[test]
fn render_invalid_topology_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture("cpu_memory.toml");
    let out = infragen(
        &["render", "-t", path.to_str().unwrap(), "--out", "tf"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("tf").exists());
}

#[test]
fn help_teaches() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["render", "--help"], dir.path());
    let s = text(&out.stdout);
    assert!(s.contains("generated-tf"));
    assert!(s.contains("Examples:"));
    assert!(s.contains("Exit codes"));
}

#[test]
fn one_exit_code_table_in_help_and_readme() {
    let dir = tempfile::tempdir().unwrap();
    let out = infragen(&["--help"], dir.path());
    let help = text(&out.stdout);
    let start = help
        .find("Exit codes (every command):")
        .expect("--help shows the exit codes");
    let table = help[start..].trim_end();
    for command in ["render", "validate", "deploy", "token"] {
        let out = infragen(&[command, "--help"], dir.path());
        assert!(
            text(&out.stdout).contains(table),
            "`infragen {command} --help` shows the same table"
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    assert!(
        readme.contains(&format!("```text\n{table}\n```")),
        "README.md carries the table of `infragen --help`:\n{table}"
    );
}
