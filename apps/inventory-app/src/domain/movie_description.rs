use super::{ValidationError, has_forbidden_chars};

/// A movie description: up to 10 000 characters, may be empty, no control
/// characters other than tab and line breaks. Kept as given (not trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MovieDescription(String);

impl MovieDescription {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "description",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if has_forbidden_chars(s) {
            return Err(ValidationError::new(
                "description",
                "must not contain control characters other than tab and line breaks",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(MovieDescription::parse("").is_ok());
        assert!(MovieDescription::parse("line\nbreak\ttab").is_ok());
        assert!(MovieDescription::parse(&"x".repeat(10_000)).is_ok());
        assert!(MovieDescription::parse(&"x".repeat(10_001)).is_err());
        assert!(MovieDescription::parse("nul\0").is_err());
    }
}
