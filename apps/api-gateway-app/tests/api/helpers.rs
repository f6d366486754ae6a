//! Gateway test harness: a fake inventory-app (actix) whose behaviour the
//! test controls, random queue names on the real RabbitMQ, the gateway on
//! port 0.

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use api_gateway_app::config::{AuthSettings, InventorySettings, PublishSettings, Settings};
use api_gateway_app::startup::GatewayApp;
use service_kit::amqp::lapin::message::BasicGetMessage;
use service_kit::amqp::lapin::options::BasicGetOptions;
use service_kit::config::{AmqpSettings, HttpSettings, LogSettings};
use service_kit::testing;

pub use service_kit::testing::{TestDatabase, assert_json_error, empty_env, eventually, unique};

/// A fake inventory-app. `/api/movies/echo…` echoes the request as JSON;
/// `/api/movies/fixed` answers 201 with known headers and body; every route
/// answers 500 while `failing` is set. `seen` records the path of every
/// request it receives.
pub struct FakeInventory {
    pub url: String,
    pub failing: Arc<AtomicBool>,
    pub seen: Arc<Mutex<Vec<String>>>,
    _status: Arc<AtomicU16>,
    handle: actix_web::dev::ServerHandle,
}

async fn echo(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").into()))
        .collect();
    HttpResponse::Ok().json(serde_json::json!({
        "method": req.method().as_str(),
        "path": req.path(),
        "query": req.query_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn fixed(status: web::Data<Arc<AtomicU16>>) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap();
    HttpResponse::build(code)
        .insert_header(("content-type", "text/plain; charset=utf-8"))
        .insert_header(("x-inventory", "yes"))
        .append_header(("set-cookie", "a=1"))
        .append_header(("set-cookie", "b=2"))
        .insert_header(("cache-control", "no-store"))
        .body("exact body \u{1F37F}")
}

async fn teapot() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::IM_A_TEAPOT)
        .insert_header(("x-inventory", "teapot"))
        .content_type("application/json")
        .body(r#"{"error":"teapot","message":"short and stout"}"#)
}

/// A non-JSON 5xx, as a crashed or misconfigured upstream might answer.
async fn plain_502() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::BAD_GATEWAY)
        .insert_header(("content-type", "text/plain; charset=utf-8"))
        .insert_header(("x-inventory", "plain"))
        .body("upstream exploded\n")
}

/// A non-JSON 4xx: an HTML error page.
async fn html_404() -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::NOT_FOUND)
        .insert_header(("content-type", "text/html"))
        .insert_header(("x-inventory", "html"))
        .body("<html><body><h1>404</h1></body></html>")
}

async fn slow() -> HttpResponse {
    tokio::time::sleep(Duration::from_millis(1000)).await;
    HttpResponse::Ok().json(serde_json::json!({"slow": true}))
}

async fn big() -> HttpResponse {
    HttpResponse::Ok().body(vec![b'x'; 3 * 1024 * 1024])
}

async fn any(failing: web::Data<Arc<AtomicBool>>, req: HttpRequest) -> HttpResponse {
    if failing.load(Ordering::SeqCst) {
        return HttpResponse::InternalServerError()
            .json(serde_json::json!({"error":"boom","message":"boom"}));
    }
    HttpResponse::Ok()
        .json(serde_json::json!({"ok": true, "path": req.path(), "method": req.method().as_str()}))
}

impl FakeInventory {
    pub async fn start() -> Self {
        let failing = Arc::new(AtomicBool::new(false));
        let status = Arc::new(AtomicU16::new(201));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (f, s, rec) = (failing.clone(), status.clone(), seen.clone());
        let server = HttpServer::new(move || {
            let rec = rec.clone();
            App::new()
                .wrap_fn(move |req, srv| {
                    use actix_web::dev::Service;
                    rec.lock().unwrap().push(req.uri().to_string());
                    srv.call(req)
                })
                .app_data(web::Data::new(f.clone()))
                .app_data(web::Data::new(s.clone()))
                .app_data(web::PayloadConfig::new(32 * 1024 * 1024))
                .route("/api/movies/fixed", web::get().to(fixed))
                .route("/api/movies/big", web::get().to(big))
                .route("/api/movies/teapot", web::get().to(teapot))
                .route("/api/movies/slow", web::get().to(slow))
                .route("/api/movies/plain502", web::get().to(plain_502))
                .route("/api/movies/html404", web::get().to(html_404))
                .route("/api/movies/echo", web::to(echo))
                .route("/api/movies/echo/{tail:.*}", web::to(echo))
                .default_service(web::to(any))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            failing,
            seen,
            _status: status,
            handle,
        }
    }
}

impl Drop for FakeInventory {
    fn drop(&mut self) {
        let h = self.handle.clone();
        tokio::spawn(async move { h.stop(false).await });
    }
}

/// Random queue names (`service_kit::testing::TestQueue`), deleted at the
/// end (even on panic).
pub struct TestQueue(testing::TestQueue);

impl std::ops::Deref for TestQueue {
    type Target = testing::TestQueue;
    fn deref(&self) -> &testing::TestQueue {
        &self.0
    }
}

impl std::ops::DerefMut for TestQueue {
    fn deref_mut(&mut self) -> &mut testing::TestQueue {
        &mut self.0
    }
}

impl TestQueue {
    pub fn new() -> Self {
        Self(testing::TestQueue::new("gateway_test_queue"))
    }

    /// Takes one message off the queue (auto-ack).
    pub async fn get(&self) -> Option<BasicGetMessage> {
        let conn = self.connect("test").await;
        let ch = conn.create_channel().await.unwrap();
        let m = ch
            .basic_get(
                self.topology.queue.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap();
        let _ = conn.close(200, "bye".into()).await;
        m
    }
}

pub fn settings(inventory_url: &str, amqp: &AmqpSettings) -> Settings {
    service_kit::telemetry::init_for_tests();
    let mut http = HttpSettings::for_tests();
    http.port = 0;
    Settings {
        http,
        log: LogSettings::from_source(&empty_env()).unwrap(),
        amqp: amqp.clone(),
        inventory: InventorySettings {
            url: inventory_url.to_string(),
            connect_timeout: Duration::from_millis(500),
            timeout: Duration::from_secs(3),
            breaker_failure_threshold: 3,
            breaker_open_for: Duration::from_secs(1),
            ..InventorySettings::default()
        },
        publish: PublishSettings {
            confirm_timeout: Duration::from_secs(3),
            reconnect_max: Duration::from_millis(500),
            ..PublishSettings::default()
        },
        auth: AuthSettings::default(),
    }
}

/// A running gateway.
pub struct Gateway {
    pub port: u16,
    pub client: reqwest::Client,
    pub shutdown: service_kit::server::ShutdownHandle,
    pub publish_metrics: api_gateway_app::publisher::PublishMetrics,
    pub breaker: api_gateway_app::breaker::CircuitBreaker,
    pub publisher: api_gateway_app::publisher::Publisher,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Gateway {
    pub async fn start(settings: Settings) -> Self {
        let app = GatewayApp::build(settings).expect("build gateway");
        let port = app.port();
        let shutdown = app.shutdown_handle();
        let publish_metrics = app.publish_metrics().clone();
        let breaker = app.breaker().clone();
        let publisher = app.publisher().clone();
        let task = tokio::spawn(app.run_until_stopped());
        Self {
            port,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            shutdown,
            publish_metrics,
            breaker,
            publisher,
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub async fn wait_connected(&self) {
        assert!(
            eventually(Duration::from_secs(10), || async {
                self.publisher.is_connected()
            })
            .await,
            "publisher connected"
        );
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_billing(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        self.shutdown.shutdown();
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .expect("stops in time")
                .unwrap()
                .unwrap();
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}
