//! Topology problems as miette diagnostics: every problem of a file in one
//! report, each with `file:line:column`, the field path and a hint.
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// What kind of problem (also the miette diagnostic code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The file is not valid TOML.
    Syntax,
    /// A key the topology does not know.
    UnknownKey,
    /// Wrong type, unknown enum value, missing required key.
    Type,
    /// A value breaks a rule.
    Invalid,
    /// A name refers to nothing.
    Reference,
    /// A name is used twice.
    Duplicate,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Syntax => "topology::syntax",
            Kind::UnknownKey => "topology::unknown_key",
            Kind::Type => "topology::type",
            Kind::Invalid => "topology::invalid",
            Kind::Reference => "topology::reference",
            Kind::Duplicate => "topology::duplicate",
        }
    }
}

/// Which span of a key/value pair a problem points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The key itself (unknown keys).
    Key,
    /// The value (most rules).
    Value,
}

/// One problem in a topology file.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: Kind,
    /// Field path, e.g. `service[2].scaling.max` (empty for the whole file).
    pub path: String,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Text of the label under the source snippet.
    pub label: String,
    /// Byte range in the source.
    pub span: Option<Range<usize>>,
    /// 1-based line and column of `span.start`.
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        let span = SourceSpan::from(span);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), span),
        )))
    }
}

/// Every problem found in one topology file.
#[derive(Debug, Clone)]
pub struct TopologyError {
    pub file_name: String,
    pub problems: Vec<Problem>,
    source: NamedSource<Arc<str>>,
}

impl TopologyError {
    /// The source the spans point into.
    pub fn source_code_named(&self) -> &NamedSource<Arc<str>> {
        &self.source
    }

    /// One line per problem: `file:line:column: path: message`, for logs and tests.
    pub fn to_plain(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            out.push_str(&format!(
                "{}:{}:{}: {}\n",
                self.file_name, p.line, p.column, p
            ));
        }
        out
    }

    /// The full graphical report, without colours, at a fixed width (for snapshots).
    pub fn render_plain(&self) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_links(false);
        let mut out = String::new();
        handler
            .render_report(&mut out, self)
            .expect("writing to a String cannot fail");
        out
    }
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {} problem{} in the topology",
            self.file_name,
            n,
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for TopologyError {}

impl Diagnostic for TopologyError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("topology::invalid_file"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "`infragen schema` prints the JSON Schema of the topology (every key, type and default)",
        ))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// A problem before its location is known.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub kind: Kind,
    pub path: String,
    pub message: String,
    pub help: Option<String>,
    pub label: Option<String>,
    pub at: At,
    /// A span known already (parse errors).
    pub span: Option<Range<usize>>,
    /// A second field the problem involves (the other side of a collision):
    /// its line and column are added to the message.
    pub other: Option<String>,
}

/// Collects problems while validating.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub items: Vec<Pending>,
}

impl Problems {
    /// A rule broken at `path` (the value is pointed at).
    pub fn invalid(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(Kind::Invalid, path, message, help);
    }

    pub fn push(
        &mut self,
        kind: Kind,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let help = help.into();
        self.items.push(Pending {
            kind,
            path: path.into(),
            message: message.into(),
            help: (!help.is_empty()).then_some(help),
            label: None,
            at: At::Value,
            span: None,
            other: None,
        });
    }

    /// A problem about a key itself (its name), pointed at the key.
    pub fn key(
        &mut self,
        kind: Kind,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(kind, path, message, help);
        if let Some(last) = self.items.last_mut() {
            last.at = At::Key;
        }
    }

    /// The last problem also involves the field at `path` (its line and
    /// column are added to the message).
    pub fn other(&mut self, path: impl Into<String>) {
        if let Some(last) = self.items.last_mut() {
            last.other = Some(path.into());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Where each field path of the document is: key span and value span.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    entries: BTreeMap<String, (Range<usize>, Range<usize>)>,
}

/// Formats one key as a path segment.
pub(crate) fn key_segment(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if plain {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

impl SpanIndex {
    /// Index every key and array element of a parsed document.
    pub fn build(root: &Spanned<DeTable<'_>>) -> Self {
        let mut index = SpanIndex::default();
        index.walk_table("", root.get_ref());
        index
    }

    fn walk_table(&mut self, path: &str, table: &DeTable<'_>) {
        for (key, value) in table.iter() {
            let p = key_segment(path, key.get_ref());
            self.entries.insert(p.clone(), (key.span(), value.span()));
            self.walk_value(&p, value.get_ref());
        }
    }

    fn walk_value(&mut self, path: &str, value: &DeValue<'_>) {
        match value {
            DeValue::Table(t) => self.walk_table(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    self.entries.insert(p.clone(), (item.span(), item.span()));
                    self.walk_value(&p, item.get_ref());
                }
            }
            _ => {}
        }
    }

    /// Exact lookup.
    pub fn get(&self, path: &str) -> Option<(Range<usize>, Range<usize>)> {
        self.entries.get(path).cloned()
    }

    /// The span for a problem at `path`: the path itself if it is in the file,
    /// else (a defaulted key) the nearest ancestor that is; an array element
    /// that is a table is pointed at by its `name`.
    pub fn locate(&self, path: &str, at: At) -> Option<Range<usize>> {
        let mut p = path.to_string();
        let mut exact = true;
        loop {
            if let Some((key, value)) = self.get(&p) {
                if p.ends_with(']')
                    && let Some((_, name)) = self.get(&format!("{p}.name"))
                {
                    return Some(name);
                }
                return Some(if at == At::Key || !exact { key } else { value });
            }
            exact = false;
            p = parent_path(&p)?;
        }
    }

    /// The innermost path whose value span contains `span` (to name the field of a serde error).
    pub fn path_of(&self, span: &Range<usize>) -> Option<String> {
        self.entries
            .iter()
            .filter(|(_, (k, v))| {
                (v.start <= span.start && span.end <= v.end.max(span.start))
                    || (k.start <= span.start && span.end <= k.end)
            })
            .min_by_key(|(_, (_, v))| v.end - v.start)
            .map(|(p, _)| p.clone())
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → None.
pub(crate) fn parent_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        let open = path.rfind('[')?;
        return Some(path[..open].to_string());
    }
    // Last '.' that is not inside quotes.
    let mut in_quotes = false;
    let mut last_dot = None;
    for (i, c) in path.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => last_dot = Some(i),
            _ => {}
        }
    }
    Some(match last_dot {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Turn pending problems into located ones, sorted by position.
pub(crate) fn finish(
    file_name: &str,
    source: &str,
    index: &SpanIndex,
    pending: Vec<Pending>,
) -> TopologyError {
    let mut problems: Vec<Problem> = pending
        .into_iter()
        .map(|p| {
            let span = p.span.clone().or_else(|| index.locate(&p.path, p.at));
            let (line, column) = span
                .as_ref()
                .map_or((1, 1), |s| line_column(source, s.start));
            let mut message = p.message;
            if let Some(other) = &p.other {
                let (l, c) = index
                    .locate(other, At::Value)
                    .map_or((1, 1), |s| line_column(source, s.start));
                message.push_str(&format!(" (the other: `{other}` at {file_name}:{l}:{c})"));
            }
            Problem {
                kind: p.kind,
                label: p.label.unwrap_or_else(|| match p.kind {
                    Kind::Syntax => "here".to_string(),
                    Kind::UnknownKey => "unknown key".to_string(),
                    _ => message.clone(),
                }),
                path: p.path,
                message,
                help: p.help,
                span,
                line,
                column,
            }
        })
        .collect();
    problems.sort_by(|a, b| {
        (a.line, a.column, &a.path, &a.message).cmp(&(b.line, b.column, &b.path, &b.message))
    });
    problems.dedup_by(|a, b| a.path == b.path && a.message == b.message && a.span == b.span);
    TopologyError {
        file_name: file_name.to_string(),
        problems,
        source: NamedSource::new(file_name, Arc::from(source)),
    }
}

/// The candidate nearest to `name` (Damerau–Levenshtein distance, ties by
/// name) when it is near enough to be a likely typo: for "did you mean" hints.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(c, name), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_paths() {
        assert_eq!(
            parent_path("service[2].scaling.max").as_deref(),
            Some("service[2].scaling")
        );
        assert_eq!(parent_path("service[2]").as_deref(), Some("service"));
        assert_eq!(parent_path("service").as_deref(), Some(""));
        assert_eq!(parent_path(""), None);
        assert_eq!(
            parent_path("service[0].env.\"a.b\"").as_deref(),
            Some("service[0].env")
        );
    }

    #[test]
    fn line_columns() {
        let s = "a = 1\nbé = 2\n";
        assert_eq!(line_column(s, 0), (1, 1));
        assert_eq!(line_column(s, 6), (2, 1));
        assert_eq!(line_column(s, 9), (2, 3));
    }
}
