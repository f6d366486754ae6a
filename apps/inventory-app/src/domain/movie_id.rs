use super::ValidationError;

/// A movie id: a positive 64-bit integer written in decimal digits.
///
/// Anything else in the `{id}` path segment (letters, sign, zero, a number
/// beyond `i64::MAX`, whitespace) is a malformed request: 400 `invalid_id`,
/// not 404 — no such URL can ever name a movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovieId(i64);

impl MovieId {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let err = || {
            ValidationError::new(
                "id",
                format!(
                    "{:?} is not a movie id (expected a whole number between 1 and {})",
                    truncate(s, 40),
                    i64::MAX
                ),
            )
        };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        match s.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(err()),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

fn truncate(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(MovieId::parse("1").unwrap().get(), 1);
        assert_eq!(MovieId::parse("0042").unwrap().get(), 42);
        assert_eq!(
            MovieId::parse("9223372036854775807").unwrap().get(),
            i64::MAX
        );
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "abc",
            "1.5",
            " 1",
            "9223372036854775808",
            "1e3",
        ] {
            assert!(MovieId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
