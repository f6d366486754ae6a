//! The `Application` startup helper (zero2prod style).
//!
//! ```ignore
//! let ctx = ServiceContext::new("inventory");
//! db::add_readiness_check(&ctx.health, pool.clone());
//! let app = Application::build(&http_settings, ctx, move |cfg| {
//!     cfg.app_data(web::Data::new(pool.clone()))
//!        .service(web::resource("/api/movies").route(web::get().to(list)));
//! })?;
//! println!("listening on {}", app.port());
//! app.run_until_stopped().await
//! ```
//!
//! Every app built this way gets: `/healthz`, `/readyz`, `/metrics`; the
//! [`RequestTelemetry`] middleware (request id, metrics, one log line per
//! request); JSON/path/query extractor configs with JSON errors
//! (400/413/415); JSON 404 for unknown routes and JSON 405 for unknown
//! methods (any non-JSON error response is rewritten to the JSON shape);
//! trailing slashes trimmed before routing (`/api/movies/` is `/api/movies`,
//! repeated slashes merged, query kept); and
//! graceful shutdown on SIGTERM/SIGINT or [`ShutdownHandle::shutdown`].

use std::future::Future;
use std::io;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpServer, web};
use runtime_contract::probes;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::HttpSettings;
use crate::errors::{self, DEFAULT_JSON_LIMIT};
use crate::health::{self, Health};
use crate::metrics::{self, Metrics};
use crate::telemetry::RequestTelemetry;
use crate::trim_slashes::TrimSlashes;

/// What every service shares with the kit: its name, metrics registry,
/// readiness state and shutdown tokens. Cheap to clone.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: String,
    pub metrics: Metrics,
    pub health: Health,
    /// Cancelled when shutdown starts (signal or [`ShutdownHandle`]), before
    /// the HTTP server drains: for workers that should stop taking new work
    /// at once (a queue consumer, migrations).
    pub shutdown: CancellationToken,
    /// Cancelled once the HTTP server has finished draining (every in-flight
    /// request answered, connections closed): for workers that serve
    /// requests (e.g. a publisher used by a handler), which must outlive the
    /// drain. Also cancelled if the server stops on its own.
    pub server_stopped: CancellationToken,
    /// Maximum JSON body size accepted by `web::Json` (default 64 KiB).
    pub json_limit: usize,
}

impl ServiceContext {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            metrics: Metrics::new(name),
            health: Health::new(),
            shutdown: CancellationToken::new(),
            server_stopped: CancellationToken::new(),
            json_limit: DEFAULT_JSON_LIMIT,
        }
    }
}

/// Triggers the same graceful shutdown as SIGTERM (for tests and embedders).
#[derive(Clone)]
pub struct ShutdownHandle(CancellationToken);

impl ShutdownHandle {
    pub fn shutdown(&self) {
        self.0.cancel();
    }
}

/// A bound, not yet running HTTP server plus its background workers.
pub struct Application {
    port: u16,
    server: Server,
    ctx: ServiceContext,
    shutdown_timeout: Duration,
    workers: Vec<(String, JoinHandle<()>)>,
}

impl Application {
    /// Binds `settings.host:settings.port` (port 0 = any free port) and builds
    /// the server; `configure` adds the service's routes and app data.
    pub fn build<F>(settings: &HttpSettings, ctx: ServiceContext, configure: F) -> io::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        Self::from_listener(listener, settings, ctx, configure)
    }

    /// Like [`Application::build`] with an already bound listener.
    pub fn from_listener<F>(
        listener: TcpListener,
        settings: &HttpSettings,
        ctx: ServiceContext,
        configure: F,
    ) -> io::Result<Self>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let port = listener.local_addr()?.port();
        let app_ctx = ctx.clone();
        let mut server = HttpServer::new(move || {
            let ctx = app_ctx.clone();
            App::new()
                .wrap(ErrorHandlers::new().default_handler(errors::json_error_body))
                .wrap(RequestTelemetry::new(ctx.metrics.clone()))
                // outermost: every route answers the same with and without a
                // trailing slash (`/api/movies/`, `/healthz/`), query kept, no
                // redirect (clients do not re-send a POST body after a 308)
                .wrap(TrimSlashes)
                .app_data(errors::json_config(ctx.json_limit))
                .app_data(errors::path_config())
                .app_data(errors::query_config())
                .app_data(web::Data::new(ctx.metrics.clone()))
                .app_data(web::Data::new(ctx.health.clone()))
                .app_data(web::Data::new(ctx.clone()))
                .service(web::resource(probes::LIVENESS_PATH).get(health::healthz))
                .service(web::resource(probes::READINESS_PATH).get(health::readyz))
                .service(web::resource(probes::METRICS_PATH).get(metrics::metrics_handler))
                .configure(configure.clone())
                .default_service(web::to(errors::not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(75));
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        let server = server.listen(listener)?.run();
        Ok(Self {
            port,
            server,
            ctx,
            shutdown_timeout: settings.shutdown_timeout,
            workers: Vec::new(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn context(&self) -> &ServiceContext {
        &self.ctx
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.ctx.shutdown.clone())
    }

    /// Runs `fut` alongside the server (e.g. a queue consumer). It should
    /// watch `ctx.shutdown` (or `ctx.server_stopped`, if request handlers
    /// depend on it) and return once it is cancelled; it gets what is left of
    /// the shutdown grace period to do so, then it is aborted.
    pub fn spawn_worker<Fut>(&mut self, name: &str, fut: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.workers.push((name.to_string(), tokio::spawn(fut)));
    }

    /// Serves until SIGTERM/SIGINT or [`ShutdownHandle::shutdown`], then:
    /// readiness fails (draining), the shutdown token is cancelled, the
    /// listener closes, in-flight requests get `SHUTDOWN_TIMEOUT_SECS` to
    /// finish, then `server_stopped` is cancelled and workers get what is
    /// left of the grace period. Returns `Ok` on a clean stop.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let Self {
            server,
            ctx,
            shutdown_timeout,
            workers,
            port,
        } = self;
        let handle = server.handle();
        let mut server_task = tokio::spawn(server);
        tokio::select! {
            res = &mut server_task => {
                ctx.shutdown.cancel();
                ctx.server_stopped.cancel();
                return res.unwrap_or_else(|e| Err(io::Error::other(e)));
            }
            sig = crate::shutdown::signal() => {
                tracing::info!(signal = sig, port, "shutdown requested");
            }
            _ = ctx.shutdown.cancelled() => {
                tracing::info!(port, "shutdown requested");
            }
        }
        let started = tokio::time::Instant::now();
        ctx.health.set_draining();
        ctx.shutdown.cancel();
        // Stops accepting, waits for in-flight requests (bounded by
        // shutdown_timeout inside actix), then stops the workers.
        handle.stop(true).await;
        let res = server_task
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)));
        // only now: handlers draining above may still need these workers
        ctx.server_stopped.cancel();
        let deadline = started + shutdown_timeout;
        for (name, mut task) in workers {
            match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(_) => tracing::info!(worker = %name, "worker stopped"),
                Err(_) => {
                    tracing::warn!(worker = %name, "worker did not stop in time; aborting");
                    task.abort();
                }
            }
        }
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "shutdown complete"
        );
        res
    }
}
