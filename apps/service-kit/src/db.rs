//! PostgreSQL: connection pool, TLS, migrations, error classification.
//!
//! [`pool`] builds a lazy `deadpool-postgres` pool from [`PgSettings`] (it does
//! not connect until first use, so a service can start while the database is
//! down). Every external step is bounded: connect timeout, pool wait/create/
//! recycle timeouts, a server-side `statement_timeout`, TCP keepalives and
//! `TCP_USER_TIMEOUT`. Broken connections are discarded on recycle, so the
//! pool recovers by itself when the database comes back.
//!
//! TLS per `PGSSLMODE` is [`crate::pg_tls`]; the login (fixed `PGPASSWORD`,
//! or the rotating secret of `PGPASSWORD_SECRET_ARN`, read again when the
//! server rejects the password) is [`crate::pg_credentials`].
//!
//! [`DbError`] classifies failures: [`DbError::is_unavailable`] (connection
//! refused/lost, timeout, server shutting down, too many connections, a
//! password rejected while a rotation settles) becomes 503 + `Retry-After`
//! through `From<DbError> for ApiError`; anything else 500.
//!
//! [`migrate`] applies `refinery` embedded migrations under an advisory lock
//! (several replicas may start at once). [`create_database`] /
//! [`drop_database`] serve test helpers.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
pub use deadpool_postgres::{Object as PgClient, Pool, PoolError};
pub use refinery;
pub use tokio_postgres;

use crate::config::{PgSettings, SslMode};
use crate::errors::ApiError;
use crate::pg_credentials::{LoginConnect, SECRET_READ_TIMEOUT};
use crate::pg_tls::tls_config;

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("could not get a database connection: {0}")]
    Pool(#[from] PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("database operation timed out after {0:?}")]
    Timeout(Duration),
    #[error("invalid database configuration: {0}")]
    Config(String),
}

impl DbError {
    /// True when the database is unreachable or temporarily refusing work
    /// (answer 503 and retry later), false for errors a retry will not fix.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(PoolError::Backend(e)) => is_connection_error(e),
            DbError::Pool(PoolError::Timeout(_)) | DbError::Pool(PoolError::Closed) => true,
            DbError::Pool(_) => false,
            DbError::Query(e) => is_connection_error(e),
            DbError::Timeout(_) => true,
            DbError::Config(_) => false,
        }
    }

    /// The SQLSTATE code, when PostgreSQL answered with an error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Query(e) | DbError::Pool(PoolError::Backend(e)) => {
                e.as_db_error().map(|d| d.code().code())
            }
            _ => None,
        }
    }
}

/// Connection-level failure: lost/refused connection, server shutdown,
/// too many connections, undefined table while migrations have not run yet.
pub fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return code.starts_with("08") // connection exception
            || code.starts_with("53") // insufficient resources (too many connections)
            || code.starts_with("57P") // admin/crash shutdown, cannot connect now
            || code == "57014" // statement timeout / query canceled
            || code.starts_with("28") // login refused: a rotation not yet settled
            || code == "3D000" // database does not exist (yet)
            || code == "42P01"; // table does not exist (migrations pending)
    }
    // Not a server error: I/O, TLS, connect timeout, unexpected EOF.
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if s.is::<std::io::Error>() || s.is::<rustls::Error>() {
            return true;
        }
        src = s.source();
    }
    let text = e.to_string();
    text.contains("timeout")
        || text.contains("connect")
        || text.contains("closed")
        // the server asks for a password the secret could not give yet
        || text.contains("password missing")
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            ApiError::unavailable("the database is unavailable, retry later", e)
        } else {
            ApiError::internal(e)
        }
    }
}

/// Bounds `fut` by `limit`, turning the elapsed case into [`DbError::Timeout`].
pub async fn timed<T, E>(
    limit: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, DbError>
where
    E: Into<DbError>,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(DbError::Timeout(limit)),
    }
}

/// The `tokio_postgres::Config` for `settings` (database `settings.database`).
pub fn pg_config(settings: &PgSettings) -> tokio_postgres::Config {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&settings.host)
        .port(settings.port)
        .user(&settings.user)
        .dbname(&settings.database)
        .application_name(env!("CARGO_PKG_NAME"))
        .connect_timeout(settings.connect_timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .tcp_user_timeout(settings.statement_timeout + Duration::from_secs(5))
        .options(format!(
            "-c statement_timeout={}",
            settings.statement_timeout.as_millis()
        ))
        .ssl_mode(match settings.ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
    if !settings.password.expose().is_empty() {
        cfg.password(settings.password.expose().as_bytes());
    }
    cfg
}

/// Builds the pool. Does not connect (nor read the password secret).
pub fn pool(settings: &PgSettings) -> Result<Pool, DbError> {
    let cfg = pg_config(settings);
    let mgr_cfg = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let secret = settings.password_secret.clone();
    // With a secret, opening a connection may read it again and log in twice.
    let create_timeout = match secret {
        Some(_) => settings.connect_timeout * 2 + SECRET_READ_TIMEOUT,
        None => settings.connect_timeout,
    };
    let mgr = match settings.ssl_mode {
        SslMode::Disable => Manager::from_connect(
            cfg,
            LoginConnect {
                tls: tokio_postgres::NoTls,
                secret,
            },
            mgr_cfg,
        ),
        mode => Manager::from_connect(
            cfg,
            LoginConnect {
                tls: tokio_postgres_rustls::MakeRustlsConnect::new(
                    tls_config(mode, settings).map_err(DbError::Config)?,
                ),
                secret,
            },
            mgr_cfg,
        ),
    };
    Pool::builder(mgr)
        .max_size(settings.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.connect_timeout))
        .create_timeout(Some(create_timeout))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| DbError::Config(e.to_string()))
}

/// A client from the pool, mapped to [`DbError`].
pub async fn client(pool: &Pool) -> Result<PgClient, DbError> {
    Ok(pool.get().await?)
}

/// `SELECT 1` through the pool, bounded by 2 s: the readiness check.
pub async fn ping(pool: &Pool) -> Result<(), DbError> {
    let limit = Duration::from_secs(2);
    let c = timed(limit, pool.get()).await?;
    timed(limit, c.simple_query("SELECT 1")).await?;
    Ok(())
}

/// Registers a `postgres` readiness check on `health`.
pub fn add_readiness_check(health: &crate::health::Health, pool: Pool) {
    health.add_check_fn("postgres", move || {
        let pool = pool.clone();
        async move { ping(&pool).await.map_err(|e| e.to_string()) }
    });
}

/// Applies embedded `refinery` migrations, serialised across replicas by a
/// PostgreSQL advisory lock. `runner` comes from the service's
/// `refinery::embed_migrations!("migrations")` (`migrations::runner()`).
pub async fn migrate(pool: &Pool, runner: refinery::Runner) -> anyhow::Result<()> {
    use anyhow::Context as _;
    const LOCK_KEY: i64 = 0x006d_6967_7261_7465; // "migrate"
    let mut client = pool
        .get()
        .await
        .context("connecting to PostgreSQL to run migrations")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .context("taking the migration lock")?;
    let pg: &mut tokio_postgres::Client = &mut client;
    let result = runner.run_async(pg).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    let report = result.context("applying migrations")?;
    for m in report.applied_migrations() {
        tracing::info!(migration = %m, "applied migration");
    }
    Ok(())
}

/// Connects to the `postgres` maintenance database of `settings`' server.
async fn admin_client(settings: &PgSettings) -> Result<PgClient, DbError> {
    let mut s = settings.clone();
    s.database = "postgres".into();
    s.pool_size = 1;
    let pool = pool(&s)?;
    Ok(pool.get().await?)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `CREATE DATABASE` (for tests and local tooling).
pub async fn create_database(settings: &PgSettings, name: &str) -> Result<(), DbError> {
    let c = admin_client(settings).await?;
    c.batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
        .await?;
    Ok(())
}

/// `DROP DATABASE IF EXISTS ... WITH (FORCE)` (for tests).
pub async fn drop_database(settings: &PgSettings, name: &str) -> Result<(), DbError> {
    let c = admin_client(settings).await?;
    c.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_database_is_unavailable_not_internal() {
        let mut s = PgSettings::local("movies");
        s.port = 1; // nothing listens there
        s.connect_timeout = Duration::from_secs(1);
        let pool = pool(&s).unwrap();
        let err = client(&pool).await.unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
        let api: ApiError = err.into();
        assert_eq!(api.status.as_u16(), 503);
    }

    #[tokio::test]
    async fn tls_configs_build() {
        for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            let mut s = PgSettings::local("x");
            s.ssl_mode = mode;
            assert!(pool(&s).is_ok());
        }
        let mut s = PgSettings::local("x");
        s.ssl_mode = SslMode::VerifyFull;
        s.ssl_root_cert = Some("/nonexistent.pem".into());
        assert!(matches!(pool(&s), Err(DbError::Config(_))));
    }

    #[tokio::test]
    async fn create_and_drop_database() {
        let s = PgSettings::local("postgres");
        let name = format!("kit_test_{}", uuid::Uuid::new_v4().simple());
        create_database(&s, &name).await.unwrap();
        let mut t = s.clone();
        t.database = name.clone();
        ping(&pool(&t).unwrap()).await.unwrap();
        drop_database(&s, &name).await.unwrap();
    }

    /// The local server presents Debian's self-signed `localhost` certificate.
    const LOCAL_SERVER_CERT: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

    async fn connect(mode: SslMode, host: &str, root: Option<&str>) -> Result<(), DbError> {
        let mut s = PgSettings::local("postgres");
        s.host = host.into();
        s.ssl_mode = mode;
        s.ssl_root_cert = root.map(str::to_string);
        s.connect_timeout = std::time::Duration::from_secs(3);
        ping(&pool(&s)?).await
    }

    /// Against the real local PostgreSQL (ssl = on): verify-full checks the
    /// chain and the name, verify-ca the chain only, require neither; a
    /// server whose certificate the RDS roots did not sign is refused.
    #[tokio::test]
    async fn verification_is_real_against_the_local_server() {
        connect(SslMode::Require, "127.0.0.1", None).await.unwrap();
        let err = connect(SslMode::VerifyFull, "127.0.0.1", None)
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
        assert!(
            err.is_unavailable(),
            "a refused certificate is a 503, not a 500"
        );
        connect(SslMode::VerifyFull, "localhost", Some(LOCAL_SERVER_CERT))
            .await
            .unwrap();
        let err = connect(SslMode::VerifyFull, "127.0.0.1", Some(LOCAL_SERVER_CERT))
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
        connect(SslMode::VerifyCa, "127.0.0.1", Some(LOCAL_SERVER_CERT))
            .await
            .unwrap();
    }
}
