use super::{ValidationError, has_forbidden_chars};

/// A movie title: surrounding whitespace trimmed, 1 to 200 characters, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieTitle(String);

impl MovieTitle {
    /// Maximum length in characters (Unicode scalar values).
    pub const MAX_CHARS: usize = 200;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("title", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "title",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if has_forbidden_chars(trimmed) {
            return Err(ValidationError::new(
                "title",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_titles_are_trimmed() {
        assert_eq!(MovieTitle::parse("  Alien ").unwrap().as_str(), "Alien");
        assert!(MovieTitle::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn invalid_titles_are_rejected() {
        for t in ["", "   ", "\t\n", "a\0b", "bell\u{7}"] {
            assert!(MovieTitle::parse(t).is_err(), "{t:?}");
        }
        assert!(MovieTitle::parse(&"a".repeat(201)).is_err());
        assert!(MovieTitle::parse(&"a".repeat(100_000)).is_err());
    }
}
