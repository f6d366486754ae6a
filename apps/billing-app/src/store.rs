//! The `orders` table: migrations and the batched idempotent insert, on the
//! shared `service_kit::db` pool (timeouts, TLS per `PGSSLMODE`).

use deadpool_postgres::Pool;
use service_kit::config::PgSettings;
use service_kit::db::{self, DbError};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// A store failure, classified by what the consumer must do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is unreachable, slow or restarting: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused the data itself (should not happen for validated
    /// orders): retrying cannot help.
    #[error("database refused the data: {0}")]
    Rejected(String),
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e.sqlstate() {
            // class 22 = data exception, 23 = integrity constraint violation
            Some(code) if code.starts_with("22") || code.starts_with("23") => {
                StoreError::Rejected(format!("{e} (SQLSTATE {code})"))
            }
            // everything else (connection, timeout, missing table while a
            // migration runs, …) is worth retrying: the message stays queued
            _ => StoreError::Unavailable(e.to_string()),
        }
    }
}

/// One order ready for insertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// idempotency key
    pub message_id: String,
    /// validated user id
    pub user_id: String,
    /// validated, 1..=i32::MAX
    pub number_of_items: i32,
    /// canonical decimal string, cast with `::numeric`
    pub total_amount: String,
}

/// The database handle. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    settings: PgSettings,
}

const INSERT_SQL: &str = "INSERT INTO orders (message_id, user_id, number_of_items, total_amount) \
     SELECT m, u, n, a::numeric \
     FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[]) AS t(m, u, n, a) \
     ON CONFLICT (message_id) DO NOTHING";

impl Store {
    /// Builds the pool (connections are opened lazily).
    pub fn new(settings: &PgSettings) -> Result<Self, DbError> {
        Ok(Self {
            pool: db::pool(settings)?,
            settings: settings.clone(),
        })
    }

    /// Creates the database when it does not exist (local convenience; on
    /// RDS it exists and this is a no-op), then applies the embedded
    /// migrations under the kit's advisory lock.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        match db::create_database(&self.settings, &self.settings.database).await {
            Ok(()) => tracing::info!(database = %self.settings.database, "created database"),
            // 42P04 duplicate_database: it exists (the normal case)
            Err(e) if e.sqlstate() == Some("42P04") => {}
            // no right to create it (managed database): try to use it anyway
            Err(e) if e.sqlstate() == Some("42501") => {}
            Err(e) => return Err(e.into()),
        }
        db::migrate(&self.pool, embedded::migrations::runner()).await
    }

    /// Inserts `orders` in one statement (atomic: all or none) bounded by the
    /// statement timeout. Returns how many rows were new; the others were
    /// already stored (redeliveries).
    ///
    /// If the bound fires, the statement may still commit later: the messages
    /// are then requeued, redelivered and skipped by `ON CONFLICT`.
    pub async fn insert_orders(&self, orders: &[NewOrder]) -> Result<u64, StoreError> {
        if orders.is_empty() {
            return Ok(0);
        }
        let ids: Vec<&str> = orders.iter().map(|o| o.message_id.as_str()).collect();
        let users: Vec<&str> = orders.iter().map(|o| o.user_id.as_str()).collect();
        let counts: Vec<i32> = orders.iter().map(|o| o.number_of_items).collect();
        let amounts: Vec<&str> = orders.iter().map(|o| o.total_amount.as_str()).collect();
        let work = async {
            let client = db::client(&self.pool).await?;
            let stmt = client.prepare_cached(INSERT_SQL).await?;
            let n = client
                .execute(&stmt, &[&ids, &users, &counts, &amounts])
                .await?;
            Ok::<u64, DbError>(n)
        };
        Ok(db::timed(self.settings.statement_timeout, work).await?)
    }

    /// The pool (readiness check, tests).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}
