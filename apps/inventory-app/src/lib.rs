//! inventory-app: the movies API (crud-master contract) on PostgreSQL.
//!
//! - [`configuration`]: settings from environment variables.
//! - [`domain`]: validated types (`MovieTitle` 1–200 chars, `MovieDescription`
//!   ≤ 10 000 chars, `MovieId` positive i64).
//! - [`store`]: the `movies` table.
//! - [`routes`]: the seven endpoints.
//! - [`startup`]: `build` (bind + wire) and `run` (serve until SIGTERM).

pub mod configuration;
pub mod domain;
pub mod routes;
pub mod startup;
pub mod store;
