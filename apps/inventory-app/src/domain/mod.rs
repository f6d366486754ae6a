//! Domain types: the only way in is `parse`, so handlers and the store never
//! see an invalid title, description or id.

mod movie_description;
mod movie_id;
mod movie_title;
mod new_movie;

pub use movie_description::MovieDescription;
pub use movie_id::MovieId;
pub use movie_title::MovieTitle;
pub use new_movie::{MovieChanges, NewMovie};

/// Why a value was rejected (becomes 400 `invalid_field`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: &'static str,
    pub reason: String,
}

impl ValidationError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// PostgreSQL `text` cannot hold NUL; other control characters except
/// tab/newline/carriage return are refused as well.
pub(crate) fn has_forbidden_chars(s: &str) -> bool {
    s.chars()
        .any(|c| c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r')))
}
