//! The rendered files and the writer: put them in a directory (only what
//! changed, removing stale `*.tf`), or compare them with it (`--check`).
use std::collections::BTreeMap;
use std::path::Path;

/// The rendered files: path relative to the output directory → content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub files: BTreeMap<String, String>,
}

/// Differences between a rendering and a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Files whose content differs, with a unified diff (disk → rendered).
    pub changed: Vec<(String, String)>,
    /// Files the rendering has and the directory lacks.
    pub missing: Vec<String>,
    /// Generated-looking files (`*.tf`) on disk that the rendering does not produce.
    pub extra: Vec<String>,
}

impl CheckReport {
    /// True when the directory matches the rendering exactly.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// A human-readable report: every diff, then missing and extra files.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (_, diff) in &self.changed {
            out.push_str(diff);
        }
        for path in &self.missing {
            out.push_str(&format!(
                "missing: {path} (not on disk; run `infragen render`)\n"
            ));
        }
        for path in &self.extra {
            out.push_str(&format!(
                "extra: {path} (on disk but no longer generated)\n"
            ));
        }
        out
    }
}

/// What [`Rendered::write`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
}

impl Rendered {
    /// All files concatenated under `# ===== path =====` headers (snapshots).
    pub fn concatenated(&self) -> String {
        let mut out = String::new();
        for (path, content) in &self.files {
            out.push_str(&format!("# ===== {path} =====\n"));
            out.push_str(content);
            out.push('\n');
        }
        out
    }

    /// Writes every file under `dir` (only those whose content changed) and
    /// removes `*.tf` files under `dir` that are no longer generated. The
    /// `.terraform` directory and every other file are left alone.
    pub fn write(&self, dir: &Path) -> std::io::Result<WriteReport> {
        let mut report = self.write_files(dir)?;
        for path in existing_tf_files(dir)? {
            if !self.files.contains_key(&path) {
                std::fs::remove_file(dir.join(&path))?;
                report.removed.push(path);
            }
        }
        Ok(report)
    }

    /// Writes every file under `dir` (only those whose content changed),
    /// removing nothing: for files that share their directory with others
    /// (`docker-compose.yml` at the repository root).
    pub fn write_files(&self, dir: &Path) -> std::io::Result<WriteReport> {
        let mut report = WriteReport::default();
        for (path, content) in &self.files {
            let target = dir.join(path);
            if std::fs::read_to_string(&target).is_ok_and(|existing| &existing == content) {
                report.unchanged.push(path.clone());
                continue;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, content)?;
            report.written.push(path.clone());
        }
        Ok(report)
    }

    /// Compares the rendering with `dir` without writing anything.
    pub fn check(&self, dir: &Path) -> std::io::Result<CheckReport> {
        let mut report = self.check_files(dir)?;
        report.extra = existing_tf_files(dir)?
            .into_iter()
            .filter(|path| !self.files.contains_key(path))
            .collect();
        Ok(report)
    }

    /// Compares every file with `dir` without writing anything, ignoring
    /// other files in `dir` (the counterpart of [`Rendered::write_files`]).
    pub fn check_files(&self, dir: &Path) -> std::io::Result<CheckReport> {
        let mut report = CheckReport::default();
        for (path, content) in &self.files {
            match std::fs::read_to_string(dir.join(path)) {
                Ok(existing) if &existing == content => {}
                Ok(existing) => {
                    let diff = similar::TextDiff::from_lines(existing.as_str(), content.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(
                            &format!("a/{path} (on disk)"),
                            &format!("b/{path} (rendered)"),
                        )
                        .to_string();
                    report.changed.push((path.clone(), diff));
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    report.missing.push(path.clone())
                }
                Err(error) => return Err(error),
            }
        }
        Ok(report)
    }
}

/// `*.tf` files under `dir` (relative, `/`-separated, sorted), skipping
/// `.terraform` and other hidden directories.
fn existing_tf_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    if !dir.exists() {
        return Ok(found);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current)? {
            let path = entry?.path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    Ok(found)
}
