//! A small `terraform fmt` for the HCL the templates emit.
//!
//! Templates produce HCL with canonical spacing inside lines; what varies with
//! the topology is indentation (partials, loops), blank lines left by
//! conditionals and the alignment of `=` in runs of attributes whose keys
//! differ in length. This module fixes exactly those three things, following
//! the rules of `hclwrite` (the library behind `terraform fmt`):
//!
//! * indentation: two spaces per open bracket level, tracked per line by the
//!   net bracket change of the line (a line opening two brackets, such as
//!   `x = jsonencode({`, adds one level that its closing line removes);
//! * alignment: consecutive lines that are single-line attribute assignments
//!   (`key = value` whose value does not open a multi-line bracket) form a
//!   run; their `=` signs line up one space after the longest key;
//! * blank lines: at most one in a row, none right after an opening bracket or
//!   right before a closing one, none at the start, one newline at the end.
//!
//! The render tests run the real `terraform fmt -check` over every rendered
//! fixture to prove the two agree.

/// One line of HCL split into its parts.
struct Line {
    /// Text without leading/trailing whitespace.
    text: String,
    /// Net change of bracket depth over the line (strings and comments skipped).
    net: i32,
    /// Byte offset of the assignment `=` when the line is a single-line attribute.
    assign: Option<usize>,
}

/// Formats HCL source as `terraform fmt` would (for the subset the templates produce).
pub fn format_hcl(source: &str) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for raw in source.lines() {
        let text = raw.trim().to_string();
        let (net, assign) = scan(&text);
        lines.push(Line { text, net, assign });
    }
    let lines = collapse_blank_lines(lines);

    let levels = indent_levels(&lines);
    let key_width = key_widths(&lines, &levels);

    let mut out = String::with_capacity(source.len() + source.len() / 8);
    for (index, line) in lines.iter().enumerate() {
        if line.text.is_empty() {
            out.push('\n');
            continue;
        }
        for _ in 0..levels[index] {
            out.push_str("  ");
        }
        match line.assign {
            Some(at) => {
                let key = line.text[..at].trim_end();
                let value = line.text[at + 1..].trim_start();
                out.push_str(key);
                for _ in key.chars().count()..key_width[index] {
                    out.push(' ');
                }
                out.push_str(" =");
                if !value.is_empty() {
                    out.push(' ');
                    out.push_str(value);
                }
            }
            None => out.push_str(&line.text),
        }
        out.push('\n');
    }
    out
}

/// The indentation level of each line (hclwrite formatIndent).
fn indent_levels(lines: &[Line]) -> Vec<usize> {
    let mut indents: Vec<i32> = Vec::new();
    let mut levels = Vec::with_capacity(lines.len());
    for line in lines {
        if line.text.is_empty() {
            levels.push(0);
            continue;
        }
        match line.net.cmp(&0) {
            std::cmp::Ordering::Greater => {
                levels.push(indents.len());
                indents.push(line.net);
            }
            std::cmp::Ordering::Less => {
                let mut closed = -line.net;
                while closed > 0 {
                    let Some(last) = indents.last_mut() else {
                        break;
                    };
                    if closed > *last {
                        closed -= *last;
                        indents.pop();
                    } else if closed < *last {
                        *last -= closed;
                        closed = 0;
                    } else {
                        indents.pop();
                        closed = 0;
                    }
                }
                levels.push(indents.len());
            }
            std::cmp::Ordering::Equal => levels.push(indents.len()),
        }
    }
    levels
}

/// The width each assignment's key is padded to: `=` aligned over runs of
/// assignment lines (hclwrite formatCells).
fn key_widths(lines: &[Line], levels: &[usize]) -> Vec<usize> {
    let mut key_width = vec![0usize; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if lines[i].assign.is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut widest = 0;
        while i < lines.len() {
            let Some(at) = lines[i].assign else { break };
            let width = levels[i] * 2 + lines[i].text[..at].trim_end().chars().count();
            widest = widest.max(width);
            i += 1;
        }
        for (offset, width) in key_width[start..i].iter_mut().enumerate() {
            *width = widest - levels[start + offset] * 2;
        }
    }
    key_width
}

fn collapse_blank_lines(lines: Vec<Line>) -> Vec<Line> {
    let mut kept: Vec<Line> = Vec::with_capacity(lines.len());
    let mut pending_blank = false;
    for line in lines {
        if line.text.is_empty() {
            pending_blank = true;
            continue;
        }
        if pending_blank {
            let after_opening = kept
                .last()
                .is_some_and(|previous| previous.text.ends_with(['{', '[', '(']));
            let before_closing = line.text.starts_with(['}', ']', ')']);
            if !kept.is_empty() && !after_opening && !before_closing {
                kept.push(Line {
                    text: String::new(),
                    net: 0,
                    assign: None,
                });
            }
            pending_blank = false;
        }
        kept.push(line);
    }
    kept
}

/// Net bracket change of a line and the position of its assignment `=`, if
/// the line is a single-line attribute (the first bare `=` that is not the
/// first token, with balanced brackets after it).
fn scan(text: &str) -> (i32, Option<usize>) {
    let bytes = text.as_bytes();
    let mut net = 0i32;
    let mut first_equal: Option<(usize, i32)> = None;
    let mut i = 0;
    let mut token_index = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                i = skip_string(bytes, i + 1);
                token_index += 1;
                continue;
            }
            b'#' => break,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'{' | b'[' | b'(' => net += 1,
            b'}' | b']' | b')' => net -= 1,
            b'=' => {
                let previous = if i > 0 { bytes[i - 1] } else { b' ' };
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                let operator =
                    matches!(previous, b'=' | b'!' | b'<' | b'>') || matches!(next, b'=' | b'>');
                if !operator && first_equal.is_none() {
                    first_equal = Some((i, net));
                }
            }
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        token_index += 1;
        i += 1;
    }
    let _ = token_index;
    let assign = match first_equal {
        Some((at, depth_before)) if at > 0 && net - depth_before == 0 => Some(at),
        _ => None,
    };
    (net, assign)
}

/// Index just past the closing quote of a string starting at `i` (after the
/// opening quote), skipping escapes and `${ ... }` interpolations with nested
/// strings.
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                i += 2;
                let mut depth = 1;
                while i < bytes.len() && depth > 0 {
                    match bytes[i] {
                        b'"' => {
                            i = skip_string(bytes, i + 1);
                            continue;
                        }
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::format_hcl;

    #[test]
    fn aligns_runs_and_indents_blocks() {
        let input = "resource \"a\" \"b\" {\nname = \"x\"\nlonger_name = 1\n\n\n\ntags = merge({ Name = \"${var.a[\"k\"]}\" }, var.tags)\nblock {\nx = [\n1,\n]\ny = 2\n}\n}\n";
        let expected = "resource \"a\" \"b\" {\n  name        = \"x\"\n  longer_name = 1\n\n  tags = merge({ Name = \"${var.a[\"k\"]}\" }, var.tags)\n  block {\n    x = [\n      1,\n    ]\n    y = 2\n  }\n}\n";
        assert_eq!(format_hcl(input), expected);
    }

    #[test]
    fn double_bracket_lines_indent_once() {
        let input = "a = jsonencode({\nb = 1\n})\n";
        assert_eq!(format_hcl(input), "a = jsonencode({\n  b = 1\n})\n");
    }

    #[test]
    fn comparison_operators_are_not_assignments() {
        let input = "x = a == b ? 1 : 2\nlong = c\n";
        assert_eq!(format_hcl(input), "x    = a == b ? 1 : 2\nlong = c\n");
    }
}
