//! Builds billing-app on `service_kit::Application`: the kit's HTTP server
//! (`/healthz`, `/readyz`, `/metrics`, JSON errors, request telemetry) plus
//! the consumer as a background worker sharing the kit's shutdown token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use service_kit::retry::Backoff;
use service_kit::server::ShutdownHandle;
use service_kit::{ServiceContext, db, pg_credentials};
use tokio_util::sync::CancellationToken;

use crate::config::{SERVICE, Settings};
use crate::consumer::{BillingMetrics, ConsumerState, Processor};
use crate::consumer_loop;
use crate::store::Store;

/// A built billing-app: listening, consumer started.
pub struct BillingApp {
    app: service_kit::Application,
    processor: Processor,
    metrics: BillingMetrics,
}

impl BillingApp {
    /// Binds the listener (port 0 = any free port) and starts the consumer in
    /// the background. PostgreSQL and RabbitMQ need not be up: the worker
    /// waits for them with backoff and readiness answers 503 meanwhile.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let ctx = ServiceContext::new(SERVICE);
        let store = Store::new(&settings.pg)?;
        let metrics = BillingMetrics::new(&ctx.metrics);
        let state = Arc::new(ConsumerState::default());
        let migrated = Arc::new(AtomicBool::new(false));
        let processor = Processor::new(
            store.clone(),
            metrics.clone(),
            state.clone(),
            settings.consumer.retry_base,
            settings.consumer.retry_max,
            ctx.shutdown.clone(),
        );

        db::add_readiness_check(&ctx.health, store.pool().clone());
        {
            let migrated = migrated.clone();
            ctx.health
                .add_flag_check("migrations", "migrations not applied yet", move || {
                    migrated.load(Ordering::Relaxed)
                });
        }
        {
            let state = state.clone();
            ctx.health
                .add_flag_check("rabbitmq", "not consuming", move || {
                    state.consuming.load(Ordering::Relaxed)
                });
        }

        let shutdown = ctx.shutdown.clone();
        let mut app = service_kit::Application::build(&settings.http, ctx, |_cfg| {})?;
        let worker = {
            let processor = processor.clone();
            async move {
                if prepare_database(&settings, processor.store(), &shutdown).await {
                    migrated.store(true, Ordering::Relaxed);
                    consumer_loop::run(processor, settings.amqp, settings.consumer, shutdown).await;
                }
            }
        };
        app.spawn_worker("billing-consumer", worker);
        Ok(Self {
            app,
            processor,
            metrics,
        })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// Triggers the same graceful stop as SIGTERM.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.app.shutdown_handle()
    }

    /// The consumer step (tests drive it directly).
    pub fn processor(&self) -> &Processor {
        &self.processor
    }

    /// `billing_messages_total`.
    pub fn metrics(&self) -> &BillingMetrics {
        &self.metrics
    }

    /// Serves until SIGTERM/SIGINT or the shutdown handle; then readiness
    /// fails, the consumer stops taking deliveries, finishes the batch in
    /// hand (within `SHUTDOWN_TIMEOUT_SECS`), closes its channel and
    /// connection (unacked prefetched messages return to the queue).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.app.run_until_stopped().await
    }
}

/// Creates the database if needed and migrates, retrying with backoff until
/// it works or shutdown is requested. Returns false on shutdown.
async fn prepare_database(
    settings: &Settings,
    store: &Store,
    shutdown: &CancellationToken,
) -> bool {
    let mut backoff = Backoff::new(settings.consumer.retry_base, settings.consumer.retry_max);
    loop {
        let result = tokio::select! {
            _ = shutdown.cancelled() => return false,
            r = store.prepare() => r,
        };
        match result {
            Ok(()) => {
                tracing::info!(database = %settings.pg.database, "database ready");
                return true;
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::error!(error = %format!("{e:#}"), retry_in_ms = delay.as_millis() as u64,
                    "cannot prepare the database, retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return false,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// Builds the service from `settings` and serves until SIGTERM/SIGINT (the
/// binary's whole job; see `main.rs`).
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    pg_credentials::check_at_start(settings.pg.password_secret.as_ref()).await?;
    let app = BillingApp::build(settings)?;
    tracing::info!(port = app.port(), "billing-app listening");
    app.run_until_stopped().await?;
    Ok(())
}
