use super::{MovieDescription, MovieTitle, ValidationError};

/// A movie to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMovie {
    pub title: MovieTitle,
    pub description: MovieDescription,
}

impl NewMovie {
    /// `title` is required; a missing or `null` description is empty.
    pub fn parse(title: Option<&str>, description: Option<&str>) -> Result<Self, ValidationError> {
        let title = title.ok_or_else(|| ValidationError::new("title", "is required"))?;
        Ok(Self {
            title: MovieTitle::parse(title)?,
            description: MovieDescription::parse(description.unwrap_or(""))?,
        })
    }
}

/// An update: the fields present replace the stored ones; at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieChanges {
    pub title: Option<MovieTitle>,
    pub description: Option<MovieDescription>,
}

impl MovieChanges {
    pub fn parse(title: Option<&str>, description: Option<&str>) -> Result<Self, ValidationError> {
        if title.is_none() && description.is_none() {
            return Err(ValidationError::new(
                "body",
                "give at least one of title, description",
            ));
        }
        Ok(Self {
            title: title.map(MovieTitle::parse).transpose()?,
            description: description.map(MovieDescription::parse).transpose()?,
        })
    }
}
