//! billing-app settings, only from environment variables (see README.md).
//!
//! The shared variables (`HTTP_*`, `LOG_FORMAT`, `RUST_LOG`, `PG*`, `AMQP_*`,
//! `BILLING_QUEUE`, `SHUTDOWN_TIMEOUT_SECS`) are read by `service_kit::config`;
//! this module adds the consumer's batching knobs.

use std::time::Duration;

use service_kit::ConfigError;
use service_kit::config::{AmqpSettings, Env, HttpSettings, LogSettings, PgSettings, Source};

/// The service name in metrics and logs.
pub const SERVICE: &str = service_kit::runtime_contract::apps::BILLING.binary;

/// `HTTP_PORT` when unset (also the `healthcheck` subcommand's default).
pub const DEFAULT_PORT: u16 = service_kit::runtime_contract::apps::BILLING.default_port;

/// How the consumer batches and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// `BILLING_PREFETCH`, default 500 (AMQP `basic.qos` prefetch count)
    pub prefetch: u16,
    /// `BILLING_BATCH_SIZE`, default 250: at most this many messages per insert
    pub batch_size: usize,
    /// `BILLING_BATCH_WAIT_MS`, default 5: how long a batch may wait to fill
    pub batch_wait: Duration,
    /// `BILLING_RETRY_BASE_MS`, default 200: first backoff step between
    /// database retries and broker reconnects
    pub retry_base: Duration,
    /// `BILLING_RETRY_MAX_MS`, default 10000: backoff ceiling
    pub retry_max: Duration,
    /// `BILLING_DLQ_POLL_MS`, default 10000: how often the depth of
    /// `<queue>.dlq` is read for `billing_dead_letter_queue_messages`
    pub dead_letter_poll: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            prefetch: 500,
            batch_size: 250,
            batch_wait: Duration::from_millis(5),
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(10),
            dead_letter_poll: Duration::from_secs(10),
        }
    }
}

impl ConsumerSettings {
    /// Reads the `BILLING_*` batching variables.
    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let prefetch: u16 = env.parse("BILLING_PREFETCH", d.prefetch)?;
        if prefetch == 0 {
            return Err(ConfigError::new(
                "BILLING_PREFETCH",
                "0",
                "expected 1..=65535",
            ));
        }
        let batch_size: usize = env.parse("BILLING_BATCH_SIZE", d.batch_size)?;
        if batch_size == 0 || batch_size > usize::from(prefetch) {
            return Err(ConfigError::new(
                "BILLING_BATCH_SIZE",
                &batch_size.to_string(),
                format!("expected 1..=BILLING_PREFETCH ({prefetch})"),
            ));
        }
        let ms = |name: &str, default: Duration, min: u64| -> Result<Duration, ConfigError> {
            let v: u64 = env.parse(name, default.as_millis() as u64)?;
            if v < min || v > 600_000 {
                return Err(ConfigError::new(
                    name,
                    &v.to_string(),
                    format!("expected milliseconds between {min} and 600000"),
                ));
            }
            Ok(Duration::from_millis(v))
        };
        let retry_base = ms("BILLING_RETRY_BASE_MS", d.retry_base, 1)?;
        let retry_max = ms("BILLING_RETRY_MAX_MS", d.retry_max, 1)?.max(retry_base);
        Ok(Self {
            prefetch,
            batch_size,
            batch_wait: ms("BILLING_BATCH_WAIT_MS", d.batch_wait, 0)?,
            retry_base,
            retry_max,
            dead_letter_poll: ms("BILLING_DLQ_POLL_MS", d.dead_letter_poll, 100)?,
        })
    }

    /// Fast retries for tests.
    pub fn for_tests() -> Self {
        Self {
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(500),
            dead_letter_poll: Duration::from_millis(100),
            ..Self::default()
        }
    }
}

/// Everything billing-app reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// listener and shutdown grace
    pub http: HttpSettings,
    /// log format and filter
    pub log: LogSettings,
    /// PostgreSQL (`PGDATABASE` defaults to `orders`)
    pub pg: PgSettings,
    /// RabbitMQ and `BILLING_QUEUE`
    pub amqp: AmqpSettings,
    /// batching
    pub consumer: ConsumerSettings,
}

impl Settings {
    /// Reads every variable from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env::process())
    }

    /// Reads every variable from `env`.
    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let mut http = HttpSettings::from_source(env, DEFAULT_PORT)?;
        // The HTTP surface is /healthz, /readyz and /metrics only: one worker
        // thread is plenty (each one costs a thread and its buffers).
        http.workers = http.workers.or(Some(1));
        Ok(Self {
            http,
            log: LogSettings::from_source(env)?,
            pg: PgSettings::from_source(env, "orders")?,
            amqp: AmqpSettings::from_source(env)?,
            consumer: ConsumerSettings::from_source(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_and_validation() {
        let env = Env::new(HashMap::<&str, &str>::new());
        let s = Settings::from_source(&env).unwrap();
        assert_eq!(s.http.port, 8080);
        assert_eq!(s.http.workers, Some(1), "health and metrics only");
        assert_eq!(s.pg.database, "orders");
        assert_eq!(s.amqp.queue, "billing_queue");
        assert_eq!(s.consumer, ConsumerSettings::default());

        let bad = Env::new(HashMap::from([("BILLING_BATCH_SIZE", "1000")]));
        assert!(Settings::from_source(&bad).is_err());
        let bad = Env::new(HashMap::from([("BILLING_PREFETCH", "zero")]));
        assert!(Settings::from_source(&bad).is_err());
    }
}
