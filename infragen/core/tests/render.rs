//! Rendering of every valid fixture topology (and the embedded default):
//! insta snapshots of all generated files, `terraform fmt -check` on the
//! output, determinism, and the writer's check mode.
use infragen_core::render::{Renderer, render};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut found: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                std::fs::read_to_string(&path).expect("fixture readable"),
            )
        })
        .collect();
    found.sort();
    found.push((
        "default".into(),
        infragen_core::DEFAULT_TOPOLOGY.to_string(),
    ));
    found
}

fn rendered(name: &str, source: &str) -> infragen_core::render::Rendered {
    let model = infragen_core::load(source, &format!("{name}.toml"))
        .unwrap_or_else(|e| panic!("fixture {name} must be valid: {e:?}"));
    render(&model).unwrap_or_else(|e| panic!("fixture {name} must render: {e}"))
}

/// Where the rendered fixtures are written for external tools (fmt,
/// validate, checkov): `<target>/rendered-fixtures/<name>`.
fn output_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("rendered-fixtures").join(name)
}

#[test]
fn snapshots_of_every_fixture() {
    for (name, source) in fixtures() {
        let files = rendered(&name, &source);
        insta::assert_snapshot!(format!("render_{name}"), files.concatenated());
    }
}

#[test]
fn rendering_is_deterministic() {
    for (name, source) in fixtures() {
        assert_eq!(rendered(&name, &source), rendered(&name, &source), "{name}");
    }
}

#[test]
fn terraform_fmt_accepts_every_fixture() {
    let terraform = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into());
    if Command::new(&terraform).arg("version").output().is_err() {
        eprintln!("terraform not found: skipping the fmt check (CI installs it)");
        return;
    }
    for (name, source) in fixtures() {
        let dir = output_dir(&name);
        let _ = std::fs::remove_dir_all(&dir);
        rendered(&name, &source).write(&dir).expect("write fixture");
        let output = Command::new(&terraform)
            .args(["fmt", "-check", "-recursive", "-diff"])
            .arg(&dir)
            .output()
            .expect("run terraform fmt");
        assert!(
            output.status.success(),
            "terraform fmt disagrees on fixture {name}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn check_mode_reports_changed_missing_and_extra_files() {
    let (name, source) = fixtures().into_iter().next().expect("a fixture");
    let files = rendered(&name, &source);
    let dir = output_dir(&format!("check-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    files.write(&dir).expect("write");
    assert!(files.check(&dir).expect("check").is_clean());

    std::fs::write(dir.join("main.tf"), "# edited\n").unwrap();
    std::fs::remove_file(dir.join("outputs.tf")).unwrap();
    std::fs::write(dir.join("stale.tf"), "# stale\n").unwrap();
    let report = files.check(&dir).expect("check");
    assert_eq!(report.changed.len(), 1);
    assert!(report.changed[0].1.contains("-# edited"));
    assert_eq!(report.missing, vec!["outputs.tf".to_string()]);
    assert_eq!(report.extra, vec!["stale.tf".to_string()]);

    let written = files.write(&dir).expect("rewrite");
    assert_eq!(written.removed, vec!["stale.tf".to_string()]);
    assert!(files.check(&dir).expect("check").is_clean());
}

#[test]
fn template_overrides_replace_embedded_templates() {
    let dir = output_dir("template-override");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("partials")).unwrap();
    std::fs::write(dir.join("partials/header.hbs"), "# custom header\n").unwrap();
    let renderer = Renderer::with_overrides(&dir).expect("overrides load");
    let model = infragen_core::load_default().expect("default topology");
    let files = renderer.render(&model).expect("render");
    assert!(files.files["main.tf"].starts_with("# custom header\n"));
}

#[test]
fn graph_names_every_service() {
    let model = infragen_core::load_default().expect("default topology");
    let graph = infragen_core::graph::mermaid(&model);
    assert!(graph.starts_with("flowchart LR"));
    for service in &model.services {
        assert!(graph.contains(&service.name), "{}", service.name);
    }
}

/// `generated-tf/` is the rendering of the repository's `topology.toml`
/// (what `infragen render --check` enforces in CI). `INFRAGEN_BLESS=1`
/// rewrites it.
#[test]
fn generated_tf_is_in_step_with_topology() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated-tf");
    let files = rendered("default", infragen_core::DEFAULT_TOPOLOGY);
    if std::env::var_os("INFRAGEN_BLESS").is_some() {
        files.write(&dir).expect("write generated-tf");
    }
    let report = files.check(&dir).expect("check generated-tf");
    assert!(
        report.is_clean(),
        "generated-tf/ is out of date (INFRAGEN_BLESS=1 cargo test -p infragen-core --test render, or `infragen render`):\n{}",
        report.to_text()
    );
}
