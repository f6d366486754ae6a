//! Builds api-gateway-app on `service_kit::Application`.

use actix_web::middleware::{Condition, from_fn};
use actix_web::{HttpResponse, web};
use prometheus::{IntGaugeVec, Opts};
use service_kit::ServiceContext;
use service_kit::server::ShutdownHandle;
use service_kit::telemetry::RouteLabel;

use crate::auth::{JwtVerifier, require_jwt};
use crate::billing;
use crate::breaker::CircuitBreaker;
use crate::config::{SERVICE, Settings};
use crate::proxy::{self, Proxy};
use crate::publisher::{PublishMetrics, Publisher};

/// The OpenAPI document, served at `GET /openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Every route the gateway serves, `(method, path)` in OpenAPI notation.
/// `tests/openapi.rs` checks that this list, the document and the live
/// router agree.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/movies"),
    ("POST", "/api/movies"),
    ("DELETE", "/api/movies"),
    ("GET", "/api/movies/{id}"),
    ("PUT", "/api/movies/{id}"),
    ("DELETE", "/api/movies/{id}"),
    ("POST", "/api/billing"),
    ("POST", "/api/billing/"),
    ("GET", "/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// The `route` label of every proxied request (`/api/movies` and below).
pub const MOVIES_ROUTE: &str = "/api/movies";

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

/// A built gateway: listening, publisher connecting in the background.
pub struct GatewayApp {
    app: service_kit::Application,
    publisher: Publisher,
    publish_metrics: PublishMetrics,
    proxy: Proxy,
}

impl GatewayApp {
    /// Binds the listener (port 0 = any free port). RabbitMQ and
    /// inventory-app need not be up.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let ctx = ServiceContext::new(SERVICE);
        let breaker = inventory_breaker(&ctx, &settings)?;
        let proxy = Proxy::new(&settings.inventory, breaker)?;
        let publish_metrics = PublishMetrics::new(&ctx.metrics);
        let (publisher, publisher_task) = Publisher::start(
            settings.amqp.clone(),
            settings.publish.confirm_timeout,
            settings.publish.reconnect_max,
            settings.publish.channels,
            publish_metrics.clone(),
            // not ctx.shutdown: billing requests still being read or arriving
            // on a keep-alive connection during the drain need the publisher
            ctx.server_stopped.clone(),
        );
        // Readiness is the kit's own (not draining): neither inventory-app
        // nor the broker is part of it. With either in it, an outage would
        // turn every gateway task unready at once, the load balancer would
        // pull them all and ECS would replace them, taking the other API
        // down too. Instead the breaker answers movies 503 fast, billing
        // answers 503 + Retry-After while the publisher is disconnected, and
        // `billing_broker_connected` shows the broker state.
        let verifier = if settings.auth.enabled {
            Some(web::Data::new(JwtVerifier::new(settings.auth.clone())?))
        } else {
            None
        };
        let auth_enabled = verifier.is_some();
        let worker_proxy = proxy.clone();
        let publisher_data = web::Data::new(publisher.clone());
        let proxy_limit = settings.inventory.max_body_bytes;
        let billing_limit = settings.publish.max_body_bytes;
        let configure = move |cfg: &mut web::ServiceConfig| {
            if let Some(v) = &verifier {
                cfg.app_data(v.clone());
            }
            // called once per HTTP worker: each gets its own connection pool
            cfg.app_data(web::Data::new(worker_proxy.for_worker()))
                .app_data(publisher_data.clone())
                // a resource, not `.route()`: other methods get 405 + Allow, not 404
                .service(web::resource("/openapi.json").get(openapi))
                // a scope with a static prefix and no resources of its own:
                // `/api/movies` and everything under it go to the proxy
                // without a regex match (a pattern like `/movies/{tail:.*}`
                // costs a regex run per request); `RouteLabel` gives these
                // requests their `route` label
                .service(
                    web::scope(MOVIES_ROUTE)
                        .app_data(RouteLabel(MOVIES_ROUTE))
                        .app_data(web::PayloadConfig::new(proxy_limit))
                        .wrap(Condition::new(auth_enabled, from_fn(require_jwt)))
                        .default_service(web::to(proxy::handle)),
                )
                .service(
                    web::scope("/api")
                        .wrap(Condition::new(auth_enabled, from_fn(require_jwt)))
                        .service(
                            web::resource("/billing")
                                .app_data(web::PayloadConfig::new(billing_limit))
                                .route(web::post().to(billing::post_billing)),
                        ),
                );
        };
        let mut app = service_kit::Application::build(&settings.http, ctx, configure)?;
        app.spawn_worker("billing-publisher", publisher_task);
        Ok(Self {
            app,
            publisher,
            publish_metrics,
            proxy,
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

    /// The billing publisher.
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// `billing_publish_total`.
    pub fn publish_metrics(&self) -> &PublishMetrics {
        &self.publish_metrics
    }

    /// The circuit breaker in front of inventory-app.
    pub fn breaker(&self) -> &CircuitBreaker {
        self.proxy.breaker()
    }

    /// Serves until SIGTERM/SIGINT or the shutdown handle, then drains.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.app.run_until_stopped().await
    }
}

/// Builds the service from `settings` and serves until SIGTERM/SIGINT (the
/// binary's whole job; see `main.rs`).
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let app = GatewayApp::build(settings)?;
    tracing::info!(port = app.port(), "api-gateway-app listening");
    app.run_until_stopped().await?;
    Ok(())
}

/// The circuit breaker in front of inventory-app, its state exported as a gauge.
fn inventory_breaker(ctx: &ServiceContext, settings: &Settings) -> anyhow::Result<CircuitBreaker> {
    let gauge = IntGaugeVec::new(
        Opts::new(
            service_kit::runtime_contract::metrics::INVENTORY_CIRCUIT_STATE,
            "Circuit breaker in front of inventory-app: 0 closed, 1 half-open, 2 open",
        ),
        &["service"],
    )?;
    let gauge = ctx.metrics.register(gauge.clone()).unwrap_or(gauge);
    Ok(CircuitBreaker::new(
        settings.inventory.breaker_failure_threshold,
        settings.inventory.breaker_open_for,
    )
    .with_gauge(gauge, "inventory-app"))
}
