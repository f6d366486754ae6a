//! Generated blocks inside a hand-written Markdown file: the lines between
//! `<!-- infragen NAME -->` and `<!-- /infragen NAME -->` belong to infragen.

/// The opening marker line of block `name`.
pub fn start_marker(name: &str) -> String {
    format!("<!-- infragen {name} -->")
}

/// The closing marker line of block `name`.
pub fn end_marker(name: &str) -> String {
    format!("<!-- /infragen {name} -->")
}

/// `text` with block `name` replaced by `content` (which ends with a newline).
/// An error names what is wrong with the markers: missing, repeated, or in
/// the wrong order.
pub fn splice(text: &str, name: &str, content: &str) -> Result<String, String> {
    let (start, end) = (start_marker(name), end_marker(name));
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let find = |marker: &str| -> Result<usize, String> {
        let hits: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim_end() == marker)
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("no `{marker}` line")),
            _ => Err(format!("`{marker}` appears {} times", hits.len())),
        }
    };
    let (open, close) = (find(&start)?, find(&end)?);
    if close < open {
        return Err(format!("`{end}` comes before `{start}`"));
    }
    let mut out: String = lines[..=open].concat();
    out.push_str(content);
    out.push_str(&lines[close..].concat());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_block() {
        let text = "a\n<!-- infragen x -->\nold\nold\n<!-- /infragen x -->\nb\n";
        assert_eq!(
            splice(text, "x", "new\n").unwrap(),
            "a\n<!-- infragen x -->\nnew\n<!-- /infragen x -->\nb\n"
        );
    }

    #[test]
    fn names_missing_repeated_and_reversed_markers() {
        assert!(
            splice("a\n", "x", "")
                .unwrap_err()
                .contains("no `<!-- infragen x -->`")
        );
        let twice = "<!-- infragen x -->\n<!-- infragen x -->\n<!-- /infragen x -->\n";
        assert!(splice(twice, "x", "").unwrap_err().contains("2 times"));
        let reversed = "<!-- /infragen x -->\n<!-- infragen x -->\n";
        assert!(
            splice(reversed, "x", "")
                .unwrap_err()
                .contains("comes before")
        );
    }
}
