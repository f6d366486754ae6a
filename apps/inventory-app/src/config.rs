//! Settings of inventory-app, from environment variables only
//! (`docs/contracts.md`): `HTTP_HOST`, `HTTP_PORT` (8080),
//! `SHUTDOWN_TIMEOUT_SECS`, `LOG_FORMAT`, `RUST_LOG`, `PGHOST`, `PGPORT`,
//! `PGUSER`, `PGPASSWORD`, `PGPASSWORD_SECRET_ARN`, `PGDATABASE` (`movies`), `PGSSLMODE`,
//! `PGSSLROOTCERT`, `PG_POOL_SIZE`, `PGCONNECT_TIMEOUT`,
//! `PG_STATEMENT_TIMEOUT_SECS`.

use service_kit::ConfigError;
use service_kit::config::{Env, HttpSettings, LogSettings, PgSettings, Source};

/// The service name in metrics and logs.
pub const SERVICE: &str = service_kit::runtime_contract::apps::INVENTORY.binary;

/// `HTTP_PORT` when unset (also the `healthcheck` subcommand's default).
pub const DEFAULT_PORT: u16 = service_kit::runtime_contract::apps::INVENTORY.default_port;

/// `PGDATABASE` when unset.
pub const DEFAULT_DATABASE: &str = "movies";

#[derive(Debug, Clone)]
pub struct Settings {
    pub http: HttpSettings,
    pub log: LogSettings,
    pub database: PgSettings,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env::process())
    }

    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpSettings::from_source(env, DEFAULT_PORT)?,
            log: LogSettings::from_source(env)?,
            database: PgSettings::from_source(env, DEFAULT_DATABASE)?,
        })
    }
}
