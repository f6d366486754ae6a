//! `infragen docs --check` passes on the repository, and fails (exit 3, with
//! a diff naming the file) on a copy where a generated doc or README block
//! drifted; `infragen docs` repairs the copy. A README without the block's
//! closing marker is an error with a hint, not a panic.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn infragen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infragen"))
        .args(args)
        .current_dir(repo_root())
        .env_remove("INFRAGEN_TOPOLOGY")
        .env("NO_COLOR", "1")
        .output()
        .expect("run infragen")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// README.md and docs/ copied into a fresh directory.
fn copy_of_docs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::copy(repo_root().join("README.md"), dir.path().join("README.md")).unwrap();
    for entry in std::fs::read_dir(repo_root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(
                &path,
                dir.path().join("docs").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    dir
}

fn check(root: &Path) -> Output {
    infragen(&["docs", "--check", "--root", root.to_str().unwrap()])
}

fn append(path: &Path, line: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(line);
    std::fs::write(path, text).unwrap();
}

#[test]
fn repository_docs_are_up_to_date() {
    let out = infragen(&["docs", "--check"]);
    assert!(
        out.status.success(),
        "generated docs are out of date; run `cargo run -q -p infragen -- docs`:\n{}",
        text(&out)
    );
}

#[test]
fn a_drifted_doc_fails_the_check_and_docs_repairs_it() {
    for drifted in [
        "docs/contracts.md",
        "docs/contracts.json",
        "docs/architecture.md",
    ] {
        let copy = copy_of_docs();
        append(&copy.path().join(drifted), "edited by hand\n");
        let out = check(copy.path());
        assert_eq!(out.status.code(), Some(3), "{drifted}: {}", text(&out));
        assert!(text(&out).contains(drifted), "{drifted}: {}", text(&out));
        let out = infragen(&["docs", "--root", copy.path().to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            check(copy.path()).status.success(),
            "{drifted} not repaired"
        );
    }
}

#[test]
fn a_drifted_readme_block_fails_the_check() {
    let copy = copy_of_docs();
    let readme = copy.path().join("README.md");
    let text_before = std::fs::read_to_string(&readme).unwrap();
    let edited = text_before.replacen("| **Total** |", "| **Sum** |", 1);
    assert_ne!(
        edited, text_before,
        "the README's cost block has a total line"
    );
    std::fs::write(&readme, edited).unwrap();
    let out = check(copy.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("README.md"), "{}", text(&out));
    // Hand-written text outside the blocks is the README's own.
    append(&readme, "A note of the README's own.\n");
    infragen(&["docs", "--root", copy.path().to_str().unwrap()]);
    let repaired = std::fs::read_to_string(&readme).unwrap();
    assert!(repaired.ends_with("A note of the README's own.\n"));
    assert!(check(copy.path()).status.success());
}

#[test]
fn a_readme_without_the_closing_marker_is_an_error() {
    let copy = copy_of_docs();
    let readme = copy.path().join("README.md");
    let without = std::fs::read_to_string(&readme)
        .unwrap()
        .replace("<!-- /infragen graph -->\n", "");
    std::fs::write(&readme, without).unwrap();
    let out = check(copy.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no `<!-- /infragen graph -->` line"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("hint:"), "{}", text(&out));
}

/// The legend of docs/architecture.md names shapes the diagram uses.
#[test]
fn legend_matches_the_diagram() {
    let diagram = text(&infragen(&["graph"]));
    let legend = text(&infragen(&["graph", "--legend"]));
    for (shape, in_diagram) in [
        ("`([ ])`", "([Client])"),
        ("`[( )]`", "[(\""),
        ("`[[ ]]`", "[[\""),
        ("`-->`", " --> "),
        ("`-.->`", " -.->"),
    ] {
        assert!(legend.contains(shape), "legend lacks {shape}");
        assert!(
            diagram.contains(in_diagram),
            "the diagram no longer uses {in_diagram}: update the legend in infragen/core/src/docs/architecture.rs"
        );
    }
}
