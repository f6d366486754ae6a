//! The runtime contract, in one place: what the services read from their
//! environment (names, defaults, which are secrets, which infragen derives
//! from the topology), the binaries and their ports, the health and metrics
//! paths, the metric names, the container user and the Terraform outputs the
//! operations commands read.
//!
//! service-kit reads its settings with these names and defaults; infragen's
//! ECS and compose views set them; its reserved-variable rule refuses them in
//! a topology; `infragen docs` writes `docs/contracts.md` and
//! `docs/contracts.json` (read by the container policy) from this crate.
//! No dependencies, no I/O: data only.

pub mod apps;
pub mod container;
pub mod metrics;
pub mod outputs;
pub mod probes;
pub mod variables;

pub use apps::{APPS, App};
pub use variables::{Group, VARIABLES, Variable};
