//! billing-app: consumes `billing_queue` and stores one row per order in
//! PostgreSQL, exactly once per message id. See README.md.
//!
//! - [`consumer::Processor::process_batch`] is the consumer step (tests
//!   drive it directly, like zero2prod's `try_execute_task`);
//! - [`consumer_loop::run`] is the thin loop around it, over a
//!   [`session::Session`];
//! - [`queue_migration::ensure_topology`] replaces a classic work queue of
//!   an older version by the quorum queue before consuming;
//! - [`startup::BillingApp`] wires it to the shared HTTP server.

pub mod config;
pub mod consumer;
pub mod consumer_loop;
pub mod queue_migration;
pub mod session;
pub mod startup;
pub mod store;
