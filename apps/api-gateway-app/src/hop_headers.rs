//! Which headers a proxy passes on: the end-to-end ones.
//!
//! Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the
//! message: they are dropped, and so is every header a `Connection` header
//! names. `host` and `content-length` are dropped too: the next hop
//! recomputes them. Names are compared lower-case, as both actix and hyper
//! store them. Nothing is allocated unless a `Connection` header lists
//! names.

/// Always dropped.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The names listed by the values of the `Connection` headers.
pub fn connection_listed<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    let mut listed = Vec::new();
    for value in values {
        for token in String::from_utf8_lossy(value).split(',') {
            let token = token.trim();
            if !token.is_empty() {
                listed.push(token.to_ascii_lowercase());
            }
        }
    }
    listed
}

/// The end-to-end headers among `headers` (`(lower-case name, value)`),
/// `listed` being [`connection_listed`] of their `Connection` values.
pub fn end_to_end<'a, 'l, I>(
    headers: I,
    listed: &'l [String],
) -> impl Iterator<Item = (&'a str, &'a [u8])> + use<'a, 'l, I>
where
    I: Iterator<Item = (&'a str, &'a [u8])>,
{
    headers.filter(move |(name, _)| !HOP_BY_HOP.contains(name) && !listed.iter().any(|l| l == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_hop_by_hop_and_connection_listed() {
        let headers: Vec<(&str, &[u8])> = vec![
            ("content-type", b"application/json"),
            ("connection", b"keep-alive, X-Secret-Hop"),
            ("x-secret-hop", b"1"),
            ("transfer-encoding", b"chunked"),
            ("keep-alive", b"timeout=5"),
            ("x-custom", b"yes"),
            ("content-length", b"10"),
            ("host", b"inventory"),
        ];
        let listed = connection_listed(
            headers
                .iter()
                .filter(|(n, _)| *n == "connection")
                .map(|(_, v)| *v),
        );
        let kept: Vec<&str> = end_to_end(headers.iter().copied(), &listed)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(kept, ["content-type", "x-custom"]);
    }

    #[test]
    fn without_a_connection_header_only_the_fixed_list_goes() {
        let headers: Vec<(&str, &[u8])> = vec![("te", b"trailers"), ("accept", b"*/*")];
        let kept: Vec<&str> = end_to_end(headers.iter().copied(), &[])
            .map(|(n, _)| n)
            .collect();
        assert_eq!(kept, ["accept"]);
    }
}
