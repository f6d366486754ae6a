//! What several test files share: the valid fixture topologies.

use std::path::Path;

/// Every `tests/fixtures/valid/*.toml` as `(name, source)` in name order,
/// then the embedded default topology as `"default"`.
pub fn fixtures() -> Vec<(String, String)> {
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
