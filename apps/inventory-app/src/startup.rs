//! Builds and runs the inventory service.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::web;
use service_kit::config::HttpSettings;
use service_kit::db::{self, Pool};
use service_kit::{Application, ServiceContext, retry};

use crate::configuration::{SERVICE_NAME, Settings};
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

/// Binds the listener and wires the routes around `pool`. Readiness checks
/// PostgreSQL; migrations are the caller's business (see [`run`]).
pub fn build(http: &HttpSettings, pool: Pool) -> std::io::Result<Application> {
    let mut ctx = ServiceContext::new(SERVICE_NAME);
    ctx.json_limit = JSON_BODY_LIMIT;
    db::add_readiness_check(&ctx.health, pool.clone());
    let store = web::Data::new(MovieStore::new(pool));
    Application::build(http, ctx, move |cfg| {
        cfg.app_data(store.clone());
        routes::configure(cfg);
    })
}

/// Runs the service until SIGTERM/SIGINT.
///
/// The listener opens at once, even if PostgreSQL is down: `/healthz` answers,
/// `/readyz` fails until the database is reachable and migrated, API calls
/// answer 503. Migrations are retried with backoff in the background.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let pool = db::pool(&settings.database)?;
    let mut app = build(&settings.http, pool.clone())?;
    tracing::info!(
        port = app.port(),
        host = %settings.http.host,
        database = %settings.database.database,
        db_host = %settings.database.host,
        "inventory-app listening"
    );
    let migrated = Arc::new(AtomicBool::new(false));
    let flag = migrated.clone();
    app.context().health.add_check_fn("migrations", move || {
        let done = flag.load(Ordering::SeqCst);
        async move {
            if done {
                Ok(())
            } else {
                Err("migrations not applied yet".to_string())
            }
        }
    });
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
    app.run_until_stopped().await?;
    Ok(())
}
