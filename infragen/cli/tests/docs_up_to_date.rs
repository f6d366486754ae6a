//! Generated documentation is what the binary produces now:
//! docs/topology-reference.md (`infragen schema --markdown`),
//! docs/architecture.md (`infragen graph --legend`), and, when README.md has
//! a `<!-- infragen graph -->` line, the Mermaid block right after it
//! (`infragen graph --markdown`). Regenerate everything with
//! scripts/regen-docs.sh, or run these tests with UPDATE_GOLDEN=1 (which
//! rewrites the two docs/ files, never README.md).
use std::path::PathBuf;
use std::process::Command;

/// The line README.md puts before the embedded diagram (same as the CLI's).
const GRAPH_MARKER: &str = "<!-- infragen graph -->";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run infragen on the embedded default topology; its standard output.
fn infragen(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_infragen"))
        .args(args)
        .current_dir(repo_root())
        .env_remove("INFRAGEN_TOPOLOGY")
        .env("NO_COLOR", "1")
        .output()
        .expect("run infragen");
    assert!(
        out.status.success(),
        "infragen {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The first line where `a` and `b` differ, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return "only line endings differ".into(),
            (x, y) if x == y => continue,
            (x, y) => {
                return format!(
                    "first difference at line {n}:\n  on disk:   {}\n  generated: {}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                );
            }
        }
    }
    unreachable!()
}

fn golden(relative: &str, args: &[&str]) {
    let generated = infragen(args);
    let path = repo_root().join(relative);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{relative} is out of date with `infragen {}` ({}). Regenerate it:\n  \
         cargo run -q -p infragen -- {} > {relative}\n\
         or every generated doc at once: scripts/regen-docs.sh (or run this test with UPDATE_GOLDEN=1)",
        args.join(" "),
        first_difference(&on_disk, &generated),
        args.join(" "),
    );
}

#[test]
fn topology_reference_is_up_to_date() {
    golden("docs/topology-reference.md", &["schema", "--markdown"]);
}

#[test]
fn architecture_is_up_to_date() {
    golden("docs/architecture.md", &["graph", "--legend"]);
}

/// The fenced block after the marker line (blank lines between allowed), or
/// why there is none.
fn block_after_marker(text: &str) -> Result<String, String> {
    let mut lines = text.lines().skip_while(|l| l.trim() != GRAPH_MARKER);
    lines.next().ok_or("no marker line")?;
    let mut lines = lines.skip_while(|l| l.trim().is_empty());
    let open = lines.next().ok_or("nothing after the marker")?;
    if open.trim_end() != "```mermaid" {
        return Err(format!(
            "the marker is followed by `{open}`, not a ```mermaid block"
        ));
    }
    let mut block = format!("{open}\n");
    for line in lines {
        block.push_str(line);
        block.push('\n');
        if line.trim_end() == "```" {
            return Ok(block);
        }
    }
    Err("the ```mermaid block after the marker is not closed".into())
}

#[test]
fn readme_diagram_is_current_when_marked() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap_or_default();
    if !readme.lines().any(|l| l.trim() == GRAPH_MARKER) {
        // README.md does not embed the diagram (yet): nothing to check.
        return;
    }
    let generated = infragen(&["graph", "--markdown"]);
    let embedded = match block_after_marker(&readme) {
        Ok(block) => block,
        Err(why) => panic!(
            "README.md has a `{GRAPH_MARKER}` line but {why}. Put the output of \
             `cargo run -q -p infragen -- graph --markdown` right after it \
             (scripts/regen-docs.sh does)."
        ),
    };
    assert!(
        embedded == generated,
        "README.md's diagram after `{GRAPH_MARKER}` is out of date with `infragen graph --markdown` ({}). \
         Regenerate it: scripts/regen-docs.sh (replaces the ```mermaid block after the marker), or paste \
         the output of `cargo run -q -p infragen -- graph --markdown` in its place.",
        first_difference(&embedded, &generated)
    );
}

#[test]
fn marker_check_finds_and_rejects_blocks() {
    let block = "```mermaid\nflowchart LR\n  a --> b\n```\n";
    let doc = format!("# T\n\n{GRAPH_MARKER}\n\n{block}\ntext\n");
    assert_eq!(block_after_marker(&doc).unwrap(), block);
    assert!(block_after_marker("# T\n").is_err());
    assert!(block_after_marker(&format!("{GRAPH_MARKER}\n```\nx\n```\n")).is_err());
    assert!(block_after_marker(&format!("{GRAPH_MARKER}\n```mermaid\nx\n")).is_err());
    // docs/architecture.md uses the same convention.
    let architecture = infragen(&["graph", "--legend"]);
    assert_eq!(
        block_after_marker(&architecture).unwrap(),
        infragen(&["graph", "--markdown"])
    );
}

/// The legend of docs/architecture.md names shapes the diagram uses.
#[test]
fn legend_matches_the_diagram() {
    let diagram = infragen(&["graph"]);
    let legend = infragen(&["graph", "--legend"]);
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
            "the diagram no longer uses {in_diagram}: update the legend in infragen/cli/src/commands/model.rs"
        );
    }
}

/// README.md's cost section, between `<!-- infragen cost -->` and
/// `<!-- /infragen cost -->`, is docs/cost.md verbatim (which `ops_cost.rs`
/// keeps equal to `infragen cost --format markdown`).
#[test]
fn readme_cost_section_is_current() {
    const OPEN: &str = "<!-- infragen cost -->\n";
    const CLOSE: &str = "<!-- /infragen cost -->\n";
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let cost = std::fs::read_to_string(repo_root().join("docs/cost.md")).unwrap();
    let start = readme
        .find(OPEN)
        .expect("README.md has a `<!-- infragen cost -->` line")
        + OPEN.len();
    let len = readme[start..]
        .find(CLOSE)
        .expect("README.md closes the cost section with `<!-- /infragen cost -->`");
    let embedded = &readme[start..start + len];
    assert!(
        embedded == cost,
        "README.md's cost section is out of date with docs/cost.md ({}). Run scripts/regen-docs.sh.",
        first_difference(embedded, &cost)
    );
}
