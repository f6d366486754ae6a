//! api-gateway-app settings, only from environment variables (see README.md).

use std::time::Duration;

use service_kit::ConfigError;
use service_kit::config::{AmqpSettings, Env, HttpSettings, LogSettings, Source};

/// The service name in metrics and logs.
pub const SERVICE: &str = service_kit::runtime_contract::apps::API_GATEWAY.binary;

/// `HTTP_PORT` when unset (also the `healthcheck` subcommand's default).
pub const DEFAULT_PORT: u16 = service_kit::runtime_contract::apps::API_GATEWAY.default_port;

/// Where inventory-app is and how patient the proxy is with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySettings {
    /// `INVENTORY_URL`, default `http://127.0.0.1:8080` (no trailing slash)
    pub url: String,
    /// `INVENTORY_CONNECT_TIMEOUT_MS`, default 2000
    pub connect_timeout: Duration,
    /// `INVENTORY_TIMEOUT_MS`, default 10000: whole request, body included
    pub timeout: Duration,
    /// `PROXY_MAX_BODY_BYTES`, default 1 MiB: larger request bodies get 413
    /// (responses stream through, whatever their size)
    pub max_body_bytes: usize,
    /// `BREAKER_FAILURE_THRESHOLD`, default 5: consecutive failures that open the circuit
    pub breaker_failure_threshold: u32,
    /// `BREAKER_OPEN_SECS`, default 10: how long the circuit stays open
    /// before one probe request is let through
    pub breaker_open_for: Duration,
}

impl Default for InventorySettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8080".into(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            breaker_failure_threshold: 5,
            breaker_open_for: Duration::from_secs(10),
        }
    }
}

/// The billing publisher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishSettings {
    /// `PUBLISH_CONFIRM_TIMEOUT_MS`, default 5000: longest wait for the
    /// broker's confirm before answering 503
    pub confirm_timeout: Duration,
    /// `BILLING_MAX_BODY_BYTES`, default 64 KiB
    pub max_body_bytes: usize,
    /// `AMQP_RECONNECT_MAX_MS`, default 10000: backoff ceiling
    pub reconnect_max: Duration,
    /// `PUBLISH_CHANNELS`, default 4: confirm-mode channels used round-robin
    pub channels: usize,
}

impl Default for PublishSettings {
    fn default() -> Self {
        Self {
            confirm_timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024,
            reconnect_max: Duration::from_secs(10),
            channels: 4,
        }
    }
}

/// Cognito JWT verification (off by default).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthSettings {
    /// `AUTH_ENABLED`
    pub enabled: bool,
    /// `AUTH_JWKS_URL`, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`
    pub jwks_url: String,
    /// `AUTH_ISSUER`, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool>`
    pub issuer: String,
    /// `AUTH_AUDIENCE`: the app client id (ID tokens: `aud`; access tokens: `client_id`)
    pub audience: String,
    /// `AUTH_JWKS_MIN_REFRESH_SECS`, default 30: at most one JWKS refresh
    /// per interval when an unknown `kid` shows up
    pub min_refresh: Duration,
}

/// Everything api-gateway-app reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// listener and shutdown grace
    pub http: HttpSettings,
    /// log format and filter
    pub log: LogSettings,
    /// RabbitMQ and `BILLING_QUEUE`
    pub amqp: AmqpSettings,
    /// proxy target
    pub inventory: InventorySettings,
    /// publisher
    pub publish: PublishSettings,
    /// JWT verification
    pub auth: AuthSettings,
}

fn millis<S: Source>(
    env: &Env<S>,
    name: &str,
    default: Duration,
    min: u64,
    max: u64,
) -> Result<Duration, ConfigError> {
    let v: u64 = env.parse(name, default.as_millis() as u64)?;
    if v < min || v > max {
        return Err(ConfigError::new(
            name,
            &v.to_string(),
            format!("expected milliseconds between {min} and {max}"),
        ));
    }
    Ok(Duration::from_millis(v))
}

fn bytes<S: Source>(env: &Env<S>, name: &str, default: usize) -> Result<usize, ConfigError> {
    let v: usize = env.parse(name, default)?;
    if v == 0 || v > 256 * 1024 * 1024 {
        return Err(ConfigError::new(
            name,
            &v.to_string(),
            "expected a size in bytes between 1 and 268435456",
        ));
    }
    Ok(v)
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env::process())
    }

    /// Reads `env`.
    pub fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let inventory = InventorySettings::from_source(env)?;
        let publish = PublishSettings::from_source(env)?;
        let auth = AuthSettings::from_source(env)?;
        Ok(Self {
            http: HttpSettings::from_source(env, DEFAULT_PORT)?,
            log: LogSettings::from_source(env)?,
            amqp: AmqpSettings::from_source(env)?,
            inventory,
            publish,
            auth,
        })
    }
}

impl InventorySettings {
    /// `INVENTORY_*`, `PROXY_MAX_BODY_BYTES` and `BREAKER_*`.
    fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let di = InventorySettings::default();
        let url = env.string("INVENTORY_URL", &di.url);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::new(
                "INVENTORY_URL",
                &url,
                "expected an http:// or https:// URL",
            ));
        }
        let threshold: u32 =
            env.parse("BREAKER_FAILURE_THRESHOLD", di.breaker_failure_threshold)?;
        if threshold == 0 {
            return Err(ConfigError::new(
                "BREAKER_FAILURE_THRESHOLD",
                "0",
                "expected at least 1",
            ));
        }
        Ok(InventorySettings {
            url: url.trim_end_matches('/').to_string(),
            connect_timeout: millis(
                env,
                "INVENTORY_CONNECT_TIMEOUT_MS",
                di.connect_timeout,
                1,
                600_000,
            )?,
            timeout: millis(env, "INVENTORY_TIMEOUT_MS", di.timeout, 1, 600_000)?,
            max_body_bytes: bytes(env, "PROXY_MAX_BODY_BYTES", di.max_body_bytes)?,
            breaker_failure_threshold: threshold,
            breaker_open_for: env.secs(
                "BREAKER_OPEN_SECS",
                di.breaker_open_for.as_secs(),
                1,
                3600,
            )?,
        })
    }
}

impl PublishSettings {
    /// `PUBLISH_*`, `BILLING_MAX_BODY_BYTES` and `AMQP_RECONNECT_MAX_MS`.
    fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let dp = PublishSettings::default();
        let publish = PublishSettings {
            confirm_timeout: millis(
                env,
                "PUBLISH_CONFIRM_TIMEOUT_MS",
                dp.confirm_timeout,
                1,
                600_000,
            )?,
            max_body_bytes: bytes(env, "BILLING_MAX_BODY_BYTES", dp.max_body_bytes)?,
            reconnect_max: millis(env, "AMQP_RECONNECT_MAX_MS", dp.reconnect_max, 10, 600_000)?,
            channels: dp.channels,
        };
        let channels: usize = env.parse("PUBLISH_CHANNELS", dp.channels)?;
        if channels == 0 || channels > 64 {
            return Err(ConfigError::new(
                "PUBLISH_CHANNELS",
                &channels.to_string(),
                "expected 1..=64",
            ));
        }
        Ok(PublishSettings {
            channels,
            ..publish
        })
    }
}

impl AuthSettings {
    /// `AUTH_*`: the JWKS, issuer and audience when `AUTH_ENABLED`.
    fn from_source<S: Source>(env: &Env<S>) -> Result<Self, ConfigError> {
        let enabled = env.bool("AUTH_ENABLED", false)?;
        Ok(if enabled {
            let jwks_url = env.required("AUTH_JWKS_URL")?;
            if !(jwks_url.starts_with("http://") || jwks_url.starts_with("https://")) {
                return Err(ConfigError::new(
                    "AUTH_JWKS_URL",
                    &jwks_url,
                    "expected an http(s) URL",
                ));
            }
            AuthSettings {
                enabled,
                jwks_url,
                issuer: env.required("AUTH_ISSUER")?,
                audience: env.required("AUTH_AUDIENCE")?,
                min_refresh: env.secs(
                    "AUTH_JWKS_MIN_REFRESH_SECS",
                    30,
                    MIN_JWKS_REFRESH_SECS,
                    86_400,
                )?,
            }
        } else {
            AuthSettings::default()
        })
    }
}

/// Floor of `AUTH_JWKS_MIN_REFRESH_SECS`: 0 would let forged `kid`s make
/// the gateway fetch the JWKS once per request.
pub const MIN_JWKS_REFRESH_SECS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults() {
        let s = Settings::from_source(&Env::new(HashMap::<&str, &str>::new())).unwrap();
        assert_eq!(s.http.port, 3000);
        assert_eq!(s.inventory, InventorySettings::default());
        assert!(!s.auth.enabled);
    }

    #[test]
    fn auth_needs_all_three_values() {
        let env = Env::new(HashMap::from([("AUTH_ENABLED", "true")]));
        assert!(Settings::from_source(&env).is_err());
        let env = Env::new(HashMap::from([
            ("AUTH_ENABLED", "true"),
            ("AUTH_JWKS_URL", "http://127.0.0.1:1/jwks.json"),
            ("AUTH_ISSUER", "iss"),
            ("AUTH_AUDIENCE", "client"),
        ]));
        assert!(Settings::from_source(&env).unwrap().auth.enabled);
    }

    #[test]
    fn refuses_bad_values() {
        for (k, v) in [
            ("INVENTORY_URL", "ftp://x"),
            ("BREAKER_FAILURE_THRESHOLD", "0"),
            ("INVENTORY_TIMEOUT_MS", "abc"),
            ("PROXY_MAX_BODY_BYTES", "0"),
        ] {
            let env = Env::new(HashMap::from([(k, v)]));
            assert!(Settings::from_source(&env).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn jwks_refresh_interval_has_a_floor() {
        let env = |v: &'static str| {
            Env::new(HashMap::from([
                ("AUTH_ENABLED", "true"),
                ("AUTH_JWKS_URL", "http://127.0.0.1:1/jwks.json"),
                ("AUTH_ISSUER", "iss"),
                ("AUTH_AUDIENCE", "client"),
                ("AUTH_JWKS_MIN_REFRESH_SECS", v),
            ]))
        };
        for v in ["0", "4"] {
            let e = Settings::from_source(&env(v)).unwrap_err();
            assert!(e.to_string().contains("AUTH_JWKS_MIN_REFRESH_SECS"), "{e}");
        }
        let s = Settings::from_source(&env("5")).unwrap();
        assert_eq!(s.auth.min_refresh, Duration::from_secs(5));
    }
}
