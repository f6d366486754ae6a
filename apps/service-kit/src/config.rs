//! Typed settings read from environment variables (12-factor).
//!
//! The names and defaults are the runtime contract's ([`runtime_contract`],
//! documented in `docs/contracts.md`). Values are
//! read through a [`Source`] so tests can supply their own map instead of
//! mutating the process environment. An invalid value is an error that names
//! the variable, the value and what was expected; it never panics.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use runtime_contract::variables as var;

pub use crate::pg_credentials::PasswordSecret;
pub use crate::secret::Secret;

/// Where settings come from: the process environment or a test map.
pub trait Source {
    /// The raw value of `name`, `None` when unset.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl Source for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(|v| v.to_string())
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn get(&self, name: &str) -> Option<String> {
        (**self).get(name)
    }
}

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for environment variable {var}: {reason}")]
pub struct ConfigError {
    pub var: String,
    pub value: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(var: &str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            var: var.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// A required variable that is not set.
    pub fn missing(var: &str) -> Self {
        Self::new(var, "", "the variable is required but not set")
    }
}

/// Reads typed variables from a [`Source`].
pub struct Env<S: Source = ProcessEnv> {
    source: S,
}

impl Env<ProcessEnv> {
    /// Reads the process environment.
    pub fn process() -> Self {
        Self { source: ProcessEnv }
    }
}

impl<S: Source> Env<S> {
    pub fn new(source: S) -> Self {
        Self { source }
    }

    /// The raw value; an empty or whitespace-only value counts as unset
    /// (compose files and task definitions often pass `VAR=`).
    pub fn raw(&self, name: &str) -> Option<String> {
        self.source
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The raw value exactly as given (for secrets, where whitespace may matter).
    pub fn raw_untrimmed(&self, name: &str) -> Option<String> {
        self.source.get(name)
    }

    /// A string with a default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_string())
    }

    /// A required string.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.raw(name).ok_or_else(|| ConfigError::missing(name))
    }

    /// Any `FromStr` value with a default.
    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<T>()
                .map_err(|e| ConfigError::new(name, &v, e.to_string())),
        }
    }

    /// An optional `FromStr` value.
    pub fn parse_opt<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|e| ConfigError::new(name, &v, e.to_string())),
        }
    }

    /// A boolean: `true/false`, `1/0`, `yes/no`, `on/off` (any case).
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::new(
                    name,
                    &v,
                    "expected true or false (also 1/0, yes/no, on/off)",
                )),
            },
        }
    }

    /// A whole number of seconds, within `min..=max`.
    pub fn secs(
        &self,
        name: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<Duration, ConfigError> {
        let v: u64 = self.parse(name, default)?;
        if v < min || v > max {
            return Err(ConfigError::new(
                name,
                &v.to_string(),
                format!("expected a number of seconds between {min} and {max}"),
            ));
        }
        Ok(Duration::from_secs(v))
    }

    /// A port number 0..=65535 (0 asks the OS for a free port, useful in tests).
    pub fn port(&self, name: &str, default: u16) -> Result<u16, ConfigError> {
        self.parse::<u16>(name, default).map_err(|mut e| {
            e.reason = "expected a port number between 0 and 65535".into();
            e
        })
    }
}

/// HTTP listener and shutdown settings: `HTTP_HOST`, `HTTP_PORT`,
/// `SHUTDOWN_TIMEOUT_SECS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    pub host: String,
    pub port: u16,
    /// Grace period for in-flight work after SIGTERM.
    pub shutdown_timeout: Duration,
    /// Worker threads; `None` = one per CPU (actix default).
    pub workers: Option<usize>,
}

impl HttpSettings {
    pub fn from_env(default_port: u16) -> Result<Self, ConfigError> {
        Self::from_source(&Env::process(), default_port)
    }

    pub fn from_source<S: Source>(env: &Env<S>, default_port: u16) -> Result<Self, ConfigError> {
        let workers = env.parse_opt::<usize>(var::HTTP_WORKERS)?;
        if workers == Some(0) {
            return Err(ConfigError::new(
                var::HTTP_WORKERS,
                "0",
                "expected at least 1",
            ));
        }
        Ok(Self {
            host: env.string(var::HTTP_HOST, var::DEFAULT_HTTP_HOST),
            port: env.port(var::HTTP_PORT, default_port)?,
            shutdown_timeout: env.secs(
                var::SHUTDOWN_TIMEOUT_SECS,
                var::DEFAULT_SHUTDOWN_TIMEOUT_SECS,
                0,
                3600,
            )?,
            workers,
        })
    }

    /// Settings for tests: 127.0.0.1, port 0 (any free port), 5 s grace, 2 workers.
    pub fn for_tests() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            shutdown_timeout: Duration::from_secs(5),
            workers: Some(2),
        }
    }
}

/// Log output format (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "pretty" | "text" => Ok(Self::Pretty),
            _ => Err("expected json or pretty".into()),
        }
    }
}

/// Logging settings: `LOG_FORMAT` (default json), `RUST_LOG` (default info),
/// `LOG_FILE` (optional: also write JSON lines to this file, see
/// [`crate::telemetry::init`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
    /// `LOG_FILE`; unset or empty: stdout only.
    pub file: Option<std::path::PathBuf>,
}

impl LogSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env::process())
    }

    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        Ok(Self {
            format: env.parse(var::LOG_FORMAT, LogFormat::Json)?,
            filter: env.string(var::RUST_LOG, var::DEFAULT_RUST_LOG),
            file: env.raw(var::LOG_FILE).map(std::path::PathBuf::from),
        })
    }
}

/// `PGSSLMODE` values (libpq semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS if the server offers it, without certificate verification.
    Prefer,
    /// TLS required; the certificate is not verified (libpq `require`).
    Require,
    /// TLS required; the chain is verified against `PGSSLROOTCERT` (or the
    /// embedded Amazon RDS root CAs), the host name is not.
    VerifyCa,
    /// TLS required; chain and host name are verified.
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "disable" => Ok(Self::Disable),
            "allow" | "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            _ => Err("expected disable, prefer, require, verify-ca or verify-full".into()),
        }
    }
}

/// PostgreSQL settings (libpq variable names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret<String>,
    /// `PGPASSWORD_SECRET_ARN`: the secret to log in with instead of
    /// `PGUSER`/`PGPASSWORD`, read again after a rotation
    /// ([`crate::pg_credentials`]).
    pub password_secret: Option<PasswordSecret>,
    pub database: String,
    pub ssl_mode: SslMode,
    /// `PGSSLROOTCERT`: PEM file with the CAs verify-ca/verify-full trust;
    /// `None`: the embedded Amazon RDS root CAs.
    pub ssl_root_cert: Option<String>,
    pub pool_size: usize,
    /// `PGCONNECT_TIMEOUT` (seconds, default 5).
    pub connect_timeout: Duration,
    /// `PG_STATEMENT_TIMEOUT_SECS` (default 10): server-side statement timeout
    /// and client-side bound on each query.
    pub statement_timeout: Duration,
}

impl PgSettings {
    pub fn from_env(default_database: &str) -> Result<Self, ConfigError> {
        Self::from_source(&Env::process(), default_database)
    }

    pub fn from_source<S: Source>(
        env: &Env<S>,
        default_database: &str,
    ) -> Result<Self, ConfigError> {
        let pool_size: usize = env.parse(var::PG_POOL_SIZE, var::DEFAULT_PG_POOL_SIZE)?;
        if pool_size == 0 || pool_size > 1000 {
            return Err(ConfigError::new(
                var::PG_POOL_SIZE,
                &pool_size.to_string(),
                "expected a pool size between 1 and 1000",
            ));
        }
        Ok(Self {
            host: env.string(var::PGHOST, var::DEFAULT_PGHOST),
            port: env.port(var::PGPORT, var::DEFAULT_PGPORT)?,
            user: env.string(var::PGUSER, var::DEFAULT_PGUSER),
            password: Secret::new(env.raw_untrimmed(var::PGPASSWORD).unwrap_or_default()),
            password_secret: password_secret(env)?,
            database: env.string(var::PGDATABASE, default_database),
            ssl_mode: env.parse(var::PGSSLMODE, SslMode::Disable)?,
            ssl_root_cert: env.raw(var::PGSSLROOTCERT),
            pool_size,
            connect_timeout: env.secs("PGCONNECT_TIMEOUT", 5, 1, 300)?,
            statement_timeout: env.secs("PG_STATEMENT_TIMEOUT_SECS", 10, 1, 3600)?,
        })
    }

    /// Local defaults (127.0.0.1:5432, postgres, no TLS) with the given database.
    pub fn local(database: &str) -> Self {
        Self::from_source(&Env::new(HashMap::<String, String>::new()), database)
            .expect("defaults are valid")
    }
}

/// `PGPASSWORD_SECRET_ARN`, checked: a secret ARN, and a build that can read it.
fn password_secret<S: Source>(env: &Env<S>) -> Result<Option<PasswordSecret>, ConfigError> {
    let Some(arn) = env.raw(var::PGPASSWORD_SECRET_ARN) else {
        return Ok(None);
    };
    if !cfg!(feature = "secrets-manager") {
        return Err(ConfigError::new(
            var::PGPASSWORD_SECRET_ARN,
            &arn,
            "this service is built without Secrets Manager support (service-kit feature `secrets-manager`)",
        ));
    }
    PasswordSecret::new(&arn)
        .map(Some)
        .map_err(|reason| ConfigError::new(var::PGPASSWORD_SECRET_ARN, &arn, reason))
}

/// RabbitMQ settings: `AMQP_*` and `BILLING_QUEUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret<String>,
    pub vhost: String,
    pub tls: bool,
    pub queue: String,
}

impl AmqpSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env::process())
    }

    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let tls = env.bool(var::AMQP_TLS, false)?;
        Ok(Self {
            host: env.string(var::AMQP_HOST, var::DEFAULT_AMQP_HOST),
            port: env.port(
                var::AMQP_PORT,
                if tls {
                    var::DEFAULT_AMQPS_PORT
                } else {
                    var::DEFAULT_AMQP_PORT
                },
            )?,
            user: env.string(var::AMQP_USER, var::DEFAULT_AMQP_USER),
            password: Secret::new(
                env.raw_untrimmed(var::AMQP_PASSWORD)
                    .unwrap_or_else(|| var::DEFAULT_AMQP_PASSWORD.into()),
            ),
            vhost: env.string(var::AMQP_VHOST, var::DEFAULT_AMQP_VHOST),
            tls,
            queue: env.string(var::BILLING_QUEUE, var::DEFAULT_BILLING_QUEUE),
        })
    }

    /// The dead-letter queue name: `<queue>.dlq`.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dlq", self.queue)
    }

    /// An `amqp://` / `amqps://` URI with user, password and vhost percent-encoded.
    /// Contains the password: never log it.
    pub fn uri(&self) -> Secret<String> {
        let scheme = if self.tls { "amqps" } else { "amqp" };
        Secret::new(format!(
            "{scheme}://{}:{}@{}:{}/{}",
            percent_encode(&self.user),
            percent_encode(self.password.expose()),
            self.host,
            self.port,
            percent_encode(&self.vhost),
        ))
    }
}

/// Percent-encodes everything except RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> Env<HashMap<&'static str, &'static str>> {
        Env::new(pairs.iter().copied().collect())
    }

    #[test]
    fn defaults_match_the_contract() {
        let e = env(&[]);
        let http = HttpSettings::from_source(&e, 8080).unwrap();
        assert_eq!(http.host, "0.0.0.0");
        assert_eq!(http.port, 8080);
        assert_eq!(http.shutdown_timeout, Duration::from_secs(25));
        let pg = PgSettings::from_source(&e, "movies").unwrap();
        assert_eq!(pg.database, "movies");
        assert_eq!(pg.pool_size, 16);
        assert_eq!(pg.ssl_mode, SslMode::Disable);
        let log = LogSettings::from_source(&e).unwrap();
        assert_eq!(log.format, LogFormat::Json);
        assert_eq!(log.filter, "info");
        assert_eq!(log.file, None);
        let log = LogSettings::from_source(&env(&[("LOG_FILE", " /var/log/x/x.log ")])).unwrap();
        assert_eq!(
            log.file.as_deref(),
            Some(std::path::Path::new("/var/log/x/x.log"))
        );
        assert_eq!(
            LogSettings::from_source(&env(&[("LOG_FILE", "")]))
                .unwrap()
                .file,
            None
        );
        let amqp = AmqpSettings::from_source(&e).unwrap();
        assert_eq!(amqp.port, 5672);
        assert_eq!(amqp.dead_letter_queue(), "billing_queue.dlq");
        assert_eq!(amqp.uri().expose(), "amqp://guest:guest@127.0.0.1:5672/%2F");
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let err = HttpSettings::from_source(&env(&[("HTTP_PORT", "70000")]), 8080).unwrap_err();
        assert_eq!(err.var, "HTTP_PORT");
        assert!(err.to_string().contains("70000"));
        let err = PgSettings::from_source(&env(&[("PGSSLMODE", "sometimes")]), "x").unwrap_err();
        assert_eq!(err.var, "PGSSLMODE");
        let err = AmqpSettings::from_source(&env(&[("AMQP_TLS", "maybe")])).unwrap_err();
        assert_eq!(err.var, "AMQP_TLS");
        let err = PgSettings::from_source(&env(&[("PG_POOL_SIZE", "0")]), "x").unwrap_err();
        assert_eq!(err.var, "PG_POOL_SIZE");
    }

    #[test]
    fn secrets_never_print() {
        let pg = PgSettings::from_source(&env(&[("PGPASSWORD", "hunter2")]), "x").unwrap();
        assert!(!format!("{pg:?}").contains("hunter2"));
        assert_eq!(pg.password.expose(), "hunter2");
        let amqp = AmqpSettings::from_source(&env(&[("AMQP_PASSWORD", "p@ss/w")])).unwrap();
        assert!(!format!("{amqp:?} {}", amqp.uri()).contains("p@ss"));
        assert!(amqp.uri().expose().contains("p%40ss%2Fw"));
    }

    #[test]
    fn tls_changes_default_amqp_port() {
        let amqp = AmqpSettings::from_source(&env(&[("AMQP_TLS", "true")])).unwrap();
        assert_eq!(amqp.port, 5671);
        assert!(amqp.uri().expose().starts_with("amqps://"));
    }
}
