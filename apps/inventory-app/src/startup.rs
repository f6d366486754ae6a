//! Builds and runs the inventory service.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::web;
use service_kit::db::{self, Pool};
use service_kit::server::ShutdownHandle;
use service_kit::{Application, ServiceContext, pg_credentials, retry};

use crate::config::{SERVICE, Settings};
use crate::routes;
use crate::store::MovieStore;

/// Largest accepted JSON body: 256 KiB. Room for a 10 000-character
/// description even fully `\uXXXX`-escaped, so an over-long field gets a
/// precise 400 `invalid_field`; anything bigger is 413 before it is read.
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The embedded migrations (`migrations/`).
pub fn migrations() -> refinery::Runner {
    embedded::migrations::runner()
}

/// Applies the schema (idempotent).
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    db::migrate(pool, migrations()).await
}

/// A built inventory-app: listening, migrations running in the background.
pub struct InventoryApp {
    app: Application,
}

impl InventoryApp {
    /// Binds the listener (port 0 = any free port) and wires the routes.
    ///
    /// The listener opens at once, even if PostgreSQL is down: `/healthz`
    /// answers, `/readyz` fails until the database is reachable and
    /// migrated, API calls answer 503. Migrations are retried with backoff
    /// in the background.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::pool(&settings.database)?;
        let mut ctx = ServiceContext::new(SERVICE);
        ctx.json_limit = JSON_BODY_LIMIT;
        db::add_readiness_check(&ctx.health, pool.clone());
        let migrated = Arc::new(AtomicBool::new(false));
        {
            let migrated = migrated.clone();
            ctx.health
                .add_flag_check("migrations", "migrations not applied yet", move || {
                    migrated.load(Ordering::SeqCst)
                });
        }
        let store = web::Data::new(MovieStore::new(pool.clone()));
        let mut app = Application::build(&settings.http, ctx, move |cfg| {
            cfg.app_data(store.clone());
            routes::configure(cfg);
        })?;
        let token = app.context().shutdown.clone();
        app.spawn_worker("migrations", async move {
            let done = retry::retry_until_cancelled(
                "database migrations",
                retry::reconnect_backoff(),
                &token,
                || async { migrate(&pool).await.map_err(|e| format!("{e:#}")) },
            )
            .await;
            if done.is_some() {
                migrated.store(true, Ordering::SeqCst);
                tracing::info!("database schema up to date");
            }
        });
        Ok(Self { app })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// Triggers the same graceful stop as SIGTERM.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.app.shutdown_handle()
    }

    /// Serves until SIGTERM/SIGINT or the shutdown handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.app.run_until_stopped().await
    }
}

/// Builds the service from `settings` and serves until SIGTERM/SIGINT (the
/// binary's whole job; see `main.rs`).
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    pg_credentials::check_at_start(settings.database.password_secret.as_ref()).await?;
    let app = InventoryApp::build(settings.clone())?;
    tracing::info!(
        port = app.port(),
        host = %settings.http.host,
        database = %settings.database.database,
        db_host = %settings.database.host,
        "inventory-app listening"
    );
    app.run_until_stopped().await?;
    Ok(())
}
