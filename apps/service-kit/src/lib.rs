//! Shared building blocks of the services (inventory, billing, gateway).
//!
//! | module | offers |
//! |---|---|
//! | [`config`] | `Env` typed env-var reader (`string/parse/bool/secs/port/required`), `Secret<T>` (never printed), `ConfigError` naming the variable; `HttpSettings`, `LogSettings`, `PgSettings`, `AmqpSettings` with the defaults of `docs/contracts.md` (`from_env()`, `from_source()` for tests) |
//! | [`telemetry`] | `init(&LogSettings)` JSON/pretty logs, `init_for_tests()` (silent unless `TEST_LOG`); re-exports `RequestTelemetry` and `RequestId` |
//! | [`json_line`] | `JsonLine`: the JSON log line, formatted by hand (no field map, no serializer), `request_id` on every line of a request |
//! | [`request_scope`] | `WithRequestId`: the request id of the request being polled, as a thread-local (`with_current`) |
//! | [`request_telemetry`] | `RequestTelemetry` middleware (request id `x-request-id`, HTTP metrics, one log line per request), `RequestId` extractor |
//! | [`trim_slashes`] | `TrimSlashes` middleware: trailing and repeated slashes removed before routing, without a regex |
//! | [`metrics`] | `Metrics::new(service)` per-service Prometheus registry with `http_requests_total`, `http_request_duration_seconds`, `http_requests_in_flight`; `register(collector)` for service metrics; `render()`; `metrics_handler` |
//! | [`health`] | `Health` (readiness checks + draining flag): `add_check`/`add_check_fn`/`add_flag_check`, `set_draining`; `healthz`, `readyz` handlers |
//! | [`shutdown`] | `signal()` (SIGTERM/SIGINT), `CancellationToken` |
//! | [`retry`] | the one backoff: `Backoff` (exponential, full jitter, reset after a success), `reconnect_backoff()` (100 ms → 10 s), `retry_until_cancelled(what, policy, &token, op)` |
//! | [`secret`] | `Secret<T>`: a value that never shows up in logs or `Debug` output (re-exported by `config`) |
//! | [`db`] | `pool(&PgSettings)` deadpool-postgres with timeouts + TLS per `PGSSLMODE`, `client`, `ping`, `add_readiness_check`, `timed`, `DbError` (`is_unavailable()` → 503 via `From<DbError> for ApiError`), `migrate(pool, refinery runner)`, `create_database`/`drop_database` |
//! | [`pg_credentials`] | the login: fixed `PGPASSWORD`, or `PasswordSecret` (`PGPASSWORD_SECRET_ARN`, read from Secrets Manager with feature `secrets-manager`) read at start (`check_at_start`) and again on `28P01`, single-flight with backoff |
//! | [`pg_tls`] | rustls config per `PGSSLMODE`; `verify-full`/`verify-ca` against `PGSSLROOTCERT` or the embedded Amazon RDS root CAs (`RDS_CA_BUNDLE`) |
//! | [`errors`] | `ApiError` (`bad_request/not_found/unavailable/internal`, JSON body, `Retry-After` on 503), `ErrorBody`, `error_response`, `json_config(limit)` (400/413/415), `path_config`, `query_config`, `not_found`, `json_error_body` |
//! | [`healthcheck`] | `from_args(binary, default_port)`: the `<binary> healthcheck` probe (std TCP, 2 s) |
//! | [`entry`] | `run(name, default_port, Runtime, settings_fn, log_fn, serve)`: a service's whole `main` (healthcheck arg, config error → exit 2, telemetry, runtime, exit 0/1) |
//! | `testing` (feature `testing`, dev-dependencies only) | `unique`, `empty_env`, `TestDatabase` (own database, dropped), `TestQueue` (random queue/DLX/DLQ, deleted), `CutProxy` (TCP proxy to cut/restore/slow down), `raw_amqp` (a publisher of messages lapin cannot parse), `postgres_addr`, `eventually`, `assert_json_error` |
//! | [`server`] | `ServiceContext` (name, metrics, health, shutdown token, json limit), `Application::build(&HttpSettings, ctx, configure)`, `port()`, `spawn_worker()`, `shutdown_handle()`, `run_until_stopped()` (graceful drain) |
//!
//! A thin `main.rs`:
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     service_kit::entry::run("inventory-app", 8080, Runtime::CurrentThread,
//!         Settings::from_env, |s| &s.log, inventory_app::startup::run)
//! }
//! ```

/// The runtime contract (variables, ports, metric names), re-exported so
/// the services name it through the kit.
pub use runtime_contract;

pub mod config;
pub mod db;
pub mod entry;
pub mod errors;
pub mod health;
pub mod healthcheck;
pub mod json_line;
pub mod metrics;
pub mod pg_credentials;
pub mod pg_tls;
pub mod request_scope;
pub mod request_telemetry;
pub mod retry;
pub mod secret;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod trim_slashes;

pub use actix_web;
pub use config::{ConfigError, Secret};
pub use errors::ApiError;
pub use server::{Application, ServiceContext};

#[cfg(feature = "amqp")]
pub mod amqp;
/// The billing message contract, shared by the gateway (which refuses with
/// 400 exactly the bodies billing-app would dead-letter) and billing-app.
#[cfg(feature = "amqp")]
pub mod billing;
/// Reads the rotating database password (feature `secrets-manager`).
#[cfg(feature = "secrets-manager")]
mod secrets_manager;

/// Shared test utilities (feature `testing`, for the apps' test suites only).
#[cfg(feature = "testing")]
pub mod testing;
