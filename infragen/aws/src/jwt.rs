//! Reading (not verifying) the parts of a JWT, to show or test its claims.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

fn part(token: &str, index: usize) -> Option<Value> {
    let segment = token.split('.').nth(index)?;
    let bytes = URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The header of a compact JWT (`alg`, `kid`, …), if it decodes.
pub fn header(token: &str) -> Option<Value> {
    if token.split('.').count() != 3 {
        return None;
    }
    part(token, 0)
}

/// The claims of a compact JWT, if it decodes. The signature is not checked.
pub fn claims(token: &str) -> Option<Value> {
    if token.split('.').count() != 3 {
        return None;
    }
    part(token, 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_header_and_claims() {
        // {"alg":"none"} . {"sub":"a","n":1} . sig
        let t = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwibiI6MX0.c2ln";
        assert_eq!(super::header(t).unwrap()["alg"], "none");
        assert_eq!(super::claims(t).unwrap()["sub"], "a");
        assert!(super::claims("not-a-jwt").is_none());
    }
}
