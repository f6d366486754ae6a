//! HTTP routes of the inventory API.

mod movies;

pub use movies::{MovieBody, TitleFilter, configure};
