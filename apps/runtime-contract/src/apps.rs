//! The three services: binary, topology service name, default port and database.

/// One service binary of `apps/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App {
    /// The binary and image name (`inventory-app`).
    pub binary: &'static str,
    /// Its name in `topology.toml` (`inventory`).
    pub service: &'static str,
    /// `HTTP_PORT` when unset.
    pub default_port: u16,
    /// `PGDATABASE` when unset, for the services with a database.
    pub default_database: Option<&'static str>,
    /// `HTTP_WORKERS` when unset, in words (documentation).
    pub default_workers: &'static str,
}

pub const INVENTORY: App = App {
    binary: "inventory-app",
    service: "inventory",
    default_port: 8080,
    default_database: Some("movies"),
    default_workers: "one per CPU",
};

pub const BILLING: App = App {
    binary: "billing-app",
    service: "billing",
    default_port: 8080,
    default_database: Some("orders"),
    default_workers: "`1` (its HTTP surface is health and metrics)",
};

pub const API_GATEWAY: App = App {
    binary: "api-gateway-app",
    service: "api-gateway",
    default_port: 3000,
    default_database: None,
    default_workers: "one per CPU",
};

/// Every service, in the order the documentation lists them.
pub const APPS: &[App] = &[INVENTORY, BILLING, API_GATEWAY];

/// The argument that makes a binary probe its own `/healthz` and exit.
pub const HEALTHCHECK_ARG: &str = "healthcheck";

/// Where the images install the binaries.
pub const BINARY_DIR: &str = "/usr/local/bin";
