//! HTTP routes of the inventory API.

mod json_array;
mod movies;

pub use movies::{ListParams, MovieBody, configure};
