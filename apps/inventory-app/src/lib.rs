//! inventory-app: the movies API (crud-master contract) on PostgreSQL.
//!
//! - [`config`]: the service name, default port and settings from
//!   environment variables.
//! - [`domain`]: validated types (`MovieTitle` 1–200 chars, `MovieDescription`
//!   ≤ 10 000 chars, `MovieId` positive i64).
//! - [`store`]: the `movies` table.
//! - [`routes`]: the seven endpoints.
//! - [`startup`]: `InventoryApp::build` (bind + wire, migrations in the
//!   background) and `run_until_stopped`.

pub mod config;
pub mod domain;
pub mod routes;
pub mod startup;
pub mod store;
