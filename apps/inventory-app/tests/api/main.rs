//! Integration tests of inventory-app against the local PostgreSQL
//! (127.0.0.1:5432, trust). Each test gets its own randomly named database,
//! dropped at the end. Logs are silent unless `TEST_LOG` is set.

mod binary;
mod helpers;
mod hostile;
mod listing;
mod movies;
mod operations;
mod outage;
mod rotation;
