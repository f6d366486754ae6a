//! Who the pool logs in as.
//!
//! Locally: `PGUSER`/`PGPASSWORD`, fixed for the life of the process. On
//! AWS: the Secrets Manager secret named by `PGPASSWORD_SECRET_ARN` (RDS
//! rotates its managed master password every 7 days). [`PasswordSecret`]
//! reads it at start ([`check_at_start`]), keeps it, and reads it again
//! when PostgreSQL answers `28P01 invalid_password`: [`LoginConnect`], the
//! pool's connector, then retries the login once with the new password, so
//! the request that waits for that connection is served, not dropped.
//! Re-reads are single-flight (one at a time, shared by every connection
//! being opened) and spaced by [`Backoff`] while the secret still holds the
//! rejected password (the secret and the database are not updated at the
//! same instant), so a wrong password never hammers Secrets Manager.
//! Connections opened before a rotation keep working (PostgreSQL checks a
//! password only at login).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use deadpool_postgres::Connect;
use futures_util::future::BoxFuture;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, Error, Socket};

use crate::retry::{Backoff, reconnect_backoff};
use crate::secret::Secret;
use runtime_contract::variables::PGPASSWORD_SECRET_ARN;

/// How long one read of the secret may take (all SDK retries included).
pub const SECRET_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A user name and password read from the secret.
#[derive(Debug, Clone)]
pub struct Login {
    /// The secret's `username`, when it has one (it wins over `PGUSER`).
    pub username: Option<String>,
    pub password: Secret<String>,
    /// Bumped each time a different password is read.
    generation: u64,
}

/// Why the secret could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{PGPASSWORD_SECRET_ARN} {arn}: {reason}")]
pub struct ReadError {
    pub arn: String,
    pub reason: String,
    /// A retry cannot help (no such secret, access denied, not the expected
    /// JSON); otherwise the failure may pass (network, throttling).
    pub permanent: bool,
}

/// What a read of the secret returns: user name (if any) and password.
pub(crate) type Fetched = (Option<String>, String);

/// The secret holding the database login, shared by every clone (the pools
/// built from one `PgSettings`, the admin connection of `create_database`).
#[derive(Clone)]
pub struct PasswordSecret {
    arn: Arc<str>,
    region: Arc<str>,
    state: Arc<State>,
}

struct State {
    current: RwLock<Option<Login>>,
    /// Held while the secret is read again after a rejection.
    gate: tokio::sync::Mutex<Gate>,
    #[cfg(feature = "secrets-manager")]
    reader: crate::secrets_manager::Reader,
}

struct Gate {
    backoff: Backoff,
    not_before: Option<Instant>,
}

impl std::fmt::Debug for PasswordSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PasswordSecret").field(&self.arn).finish()
    }
}

impl PartialEq for PasswordSecret {
    fn eq(&self, other: &Self) -> bool {
        self.arn == other.arn
    }
}

impl Eq for PasswordSecret {}

impl PasswordSecret {
    /// A secret by ARN (`arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`);
    /// the region comes from the ARN. Nothing is read yet.
    pub fn new(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.splitn(7, ':').collect();
        let valid = parts.len() == 7
            && parts[0] == "arn"
            && !parts[1].is_empty()
            && parts[2] == "secretsmanager"
            && !parts[3].is_empty()
            && parts[5] == "secret"
            && !parts[6].is_empty();
        if !valid {
            return Err(
                "expected a Secrets Manager secret ARN: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>"
                    .into(),
            );
        }
        Ok(Self {
            arn: arn.into(),
            region: parts[3].into(),
            state: Arc::new(State {
                current: RwLock::new(None),
                gate: tokio::sync::Mutex::new(Gate {
                    backoff: reconnect_backoff(),
                    not_before: None,
                }),
                #[cfg(feature = "secrets-manager")]
                reader: crate::secrets_manager::Reader::default(),
            }),
        })
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The secret's region (from its ARN): where it is read.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The login read last, if any.
    pub fn cached(&self) -> Option<Login> {
        self.state
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads the secret now and keeps what it holds.
    pub async fn load(&self) -> Result<Login, ReadError> {
        let fetched = self.read().await?;
        Ok(self.store(fetched).0)
    }

    /// The login to use: the kept one, else a fresh read. A failed read is
    /// logged and gives `None` (the connection then fails and is retried).
    pub async fn login(&self) -> Option<Login> {
        if let Some(login) = self.cached() {
            return Some(login);
        }
        match self.load().await {
            Ok(login) => Some(login),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the database password");
                None
            }
        }
    }

    /// PostgreSQL rejected `stale`: the login to retry with, or `None` when
    /// there is none better yet (the caller's connection fails with the
    /// server's error: 503, retried later).
    pub async fn after_rejection(&self, stale: Option<&Login>) -> Option<Login> {
        let mut gate = self.state.gate.lock().await;
        let current = self.cached();
        if let (Some(cur), Some(stale)) = (&current, stale)
            && cur.generation != stale.generation
        {
            return current; // another connection already read the new one
        }
        if gate.not_before.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let fetched = match self.read().await {
            Ok(f) => f,
            Err(e) => {
                let delay = gate.backoff.next_delay();
                gate.not_before = Some(Instant::now() + delay);
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64,
                    "PostgreSQL rejected the password and the secret cannot be read");
                return None;
            }
        };
        let (login, changed) = self.store(fetched);
        if changed || stale.is_none() {
            gate.backoff.reset();
            gate.not_before = None;
            tracing::info!(secret = %self.arn, "read the rotated database password");
            Some(login)
        } else {
            let delay = gate.backoff.next_delay();
            gate.not_before = Some(Instant::now() + delay);
            tracing::warn!(secret = %self.arn, retry_in_ms = delay.as_millis() as u64,
                "PostgreSQL rejected the password the secret still holds; reading it again later");
            None
        }
    }

    /// Keeps `fetched`; returns it and whether the password changed.
    fn store(&self, (username, password): Fetched) -> (Login, bool) {
        let mut current = self
            .state
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let (changed, generation) = match current.as_ref() {
            Some(old) if old.password.expose() == &password => (false, old.generation),
            Some(old) => (true, old.generation + 1),
            None => (true, 0),
        };
        let login = Login {
            username,
            password: Secret::new(password),
            generation,
        };
        *current = Some(login.clone());
        (login, changed)
    }

    #[cfg(feature = "secrets-manager")]
    async fn read(&self) -> Result<Fetched, ReadError> {
        let read = self.state.reader.read(&self.arn, &self.region);
        match tokio::time::timeout(SECRET_READ_TIMEOUT, read).await {
            Ok(r) => r.map_err(|(reason, permanent)| self.error(reason, permanent)),
            Err(_) => Err(self.error(
                format!("no answer from Secrets Manager within {SECRET_READ_TIMEOUT:?}"),
                false,
            )),
        }
    }

    #[cfg(not(feature = "secrets-manager"))]
    async fn read(&self) -> Result<Fetched, ReadError> {
        Err(self.error(
            "this build has no Secrets Manager support (service-kit feature `secrets-manager`)"
                .into(),
            true,
        ))
    }

    fn error(&self, reason: String, permanent: bool) -> ReadError {
        ReadError {
            arn: self.arn.to_string(),
            reason,
            permanent,
        }
    }
}

/// Reads the password secret, if the settings name one, before the service
/// starts: a secret that cannot be read for good (wrong ARN, access denied,
/// not the expected JSON) stops the start with an error naming the
/// variable; a passing failure is logged and the pool reads it later.
pub async fn check_at_start(secret: Option<&PasswordSecret>) -> Result<(), ReadError> {
    let Some(secret) = secret else {
        return Ok(());
    };
    match secret.load().await {
        Ok(_) => {
            tracing::info!(secret = %secret.arn(), "read the database password from Secrets Manager");
            Ok(())
        }
        Err(e) if e.permanent => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the database password yet; retrying on first use");
            Ok(())
        }
    }
}

/// True for PostgreSQL's `28P01 invalid_password`.
pub fn is_invalid_password(e: &Error) -> bool {
    e.code() == Some(&SqlState::INVALID_PASSWORD)
}

/// The pool's connector: logs in with the secret's current login and, when
/// PostgreSQL rejects the password, once more with the one read again.
pub(crate) struct LoginConnect<T> {
    pub tls: T,
    pub secret: Option<PasswordSecret>,
}

fn with_login(config: &Config, login: Option<&Login>) -> Config {
    let mut config = config.clone();
    if let Some(login) = login {
        if let Some(user) = &login.username {
            config.user(user);
        }
        config.password(login.password.expose().as_bytes());
    }
    config
}

fn spawn_connection<S, T>(
    (client, connection): (Client, tokio_postgres::Connection<S, T>),
) -> (Client, JoinHandle<()>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "database connection ended with an error");
        }
    });
    (client, task)
}

impl<T> Connect for LoginConnect<T>
where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    fn connect(&self, config: &Config) -> BoxFuture<'_, Result<(Client, JoinHandle<()>), Error>> {
        let tls = self.tls.clone();
        let config = config.clone();
        let secret = self.secret.clone();
        Box::pin(async move {
            let Some(secret) = secret else {
                return Ok(spawn_connection(config.connect(tls).await?));
            };
            let login = secret.login().await;
            match with_login(&config, login.as_ref())
                .connect(tls.clone())
                .await
            {
                Err(e) if is_invalid_password(&e) => {
                    match secret.after_rejection(login.as_ref()).await {
                        Some(fresh) => Ok(spawn_connection(
                            with_login(&config, Some(&fresh)).connect(tls).await?,
                        )),
                        None => Err(e),
                    }
                }
                other => Ok(spawn_connection(other?)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_secrets_manager_arns_are_accepted() {
        let ok = PasswordSecret::new(
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:rds!db-1a2b-AbCdEf",
        )
        .unwrap();
        assert_eq!(ok.region(), "eu-west-3");
        for bad in [
            "rds!db-1a2b",
            "arn:aws:ssm:eu-west-3:123456789012:parameter/x",
            "arn:aws:secretsmanager::123456789012:secret:x",
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:",
        ] {
            assert!(PasswordSecret::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_password_is_a_new_generation_the_same_is_not() {
        let s = PasswordSecret::new("arn:aws:secretsmanager:us-east-1:1:secret:x").unwrap();
        let (a, changed) = s.store((Some("app".into()), "p1".into()));
        assert!(changed);
        let (b, changed) = s.store((Some("app".into()), "p1".into()));
        assert!(!changed);
        assert_eq!(a.generation, b.generation);
        let (c, changed) = s.store((None, "p2".into()));
        assert!(changed);
        assert_eq!(c.generation, a.generation + 1);
        assert!(!format!("{c:?} {s:?}").contains("p2"));
    }
}
