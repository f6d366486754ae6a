//! The paths the proxy forwards must stay under `/api/movies`.
//!
//! The path goes to inventory-app as received, so a `.` or `..` segment
//! (also percent-encoded, `%2e`, or split by `\\`, which URL parsers treat
//! as `/` for http URLs) is refused before anything is sent. Segments
//! without `%` are checked in place; only percent-encoded ones are decoded.

/// Percent-decodes `s` byte-wise (invalid escapes are kept as they are).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `/api/movies` or a path below it without any `.`/`..` segment, counting
/// percent-encoded dots and treating `\` (raw or `%5c`) as a separator, as
/// WHATWG URL parsing does for http URLs. Backslashes are refused outright.
pub fn is_safe_movies_path(path: &str) -> bool {
    if path.contains('\\') {
        return false;
    }
    for raw in path.split('/') {
        if !raw.contains('%') {
            // the common case, no decoding needed
            if raw == "." || raw == ".." {
                return false;
            }
            continue;
        }
        let decoded = percent_decode(raw);
        if decoded.contains(&b'\\') {
            return false;
        }
        for piece in decoded.split(|&c| c == b'/') {
            if piece == b"." || piece == b".." {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for bad in [
            "/api/movies/..",
            "/api/movies/../../metrics",
            "/api/movies/./x",
            "/api/movies/.",
            "/api/movies/%2e%2e/metrics",
            "/api/movies/%2E%2E/metrics",
            "/api/movies/.%2e/metrics",
            "/api/movies/%2e./metrics",
            "/api/movies/%2e/x",
            "/api/movies/%2E",
            "/api/movies/x/..%2f..%2fmetrics",
            "/api/movies/..%5c..%5cmetrics",
            "/api/movies/..\\metrics",
        ] {
            assert!(!is_safe_movies_path(bad), "{bad}");
        }
        for good in [
            "/api/movies",
            "/api/movies/",
            "/api/movies/42",
            "/api/movies/a..b",
            "/api/movies/...",
            "/api/movies/.hidden",
            "/api/movies/%2e%2e%2e",
            "/api/movies/x%2",
            "/api/movies/x%",
        ] {
            assert!(is_safe_movies_path(good), "{good}");
        }
    }
}
