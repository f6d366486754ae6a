use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use inventory_app::startup;
use inventory_app::store::Movie;
use serde_json::{Value, json};
use service_kit::config::{HttpSettings, PgSettings};
use service_kit::db;
use service_kit::server::ShutdownHandle;
use service_kit::shutdown::CancellationToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

static TRACING: LazyLock<()> = LazyLock::new(service_kit::telemetry::init_for_tests);

/// A freshly created database, dropped (WITH FORCE) when this value drops.
pub struct TestDb {
    pub settings: PgSettings,
    admin: PgSettings,
}

impl TestDb {
    pub async fn create() -> Self {
        let admin = PgSettings::local("postgres");
        let name = format!("inventory_test_{}", uuid::Uuid::new_v4().simple());
        db::create_database(&admin, &name)
            .await
            .expect("create test database (is PostgreSQL running on 127.0.0.1:5432?)");
        let mut settings = admin.clone();
        settings.database = name;
        settings.pool_size = 8;
        let pool = db::pool(&settings).unwrap();
        startup::migrate(&pool).await.expect("migrations");
        pool.close();
        Self { settings, admin }
    }

    pub fn name(&self) -> &str {
        &self.settings.database
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.settings.database.clone();
        // Async work in Drop: a separate thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            if let Err(e) = rt.block_on(db::drop_database(&admin, &name)) {
                eprintln!("could not drop test database {name}: {e}");
            }
        })
        .join();
    }
}

/// A TCP proxy in front of PostgreSQL that a test can cut, restore and slow down.
pub struct PgProxy {
    #[allow(dead_code)]
    pub port: u16,
    state: Arc<ProxyState>,
    accept_loop: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    up: AtomicBool,
    delay_ms: AtomicU64,
    connections: Mutex<CancellationToken>,
}

impl PgProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(ProxyState {
            up: AtomicBool::new(true),
            delay_ms: AtomicU64::new(0),
            connections: Mutex::new(CancellationToken::new()),
        });
        let st = state.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !st.up.load(Ordering::SeqCst) {
                    drop(client); // refuse: close at once
                    continue;
                }
                let token = st.connections.lock().unwrap().clone();
                let st = st.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = pipe(cr, sw, None) => {}
                        _ = pipe(sr, cw, Some(st)) => {}
                    }
                });
            }
        });
        Self {
            port,
            state,
            accept_loop,
        }
    }

    /// Closes every proxied connection and refuses new ones.
    pub fn cut(&self) {
        self.state.up.store(false, Ordering::SeqCst);
        let mut token = self.state.connections.lock().unwrap();
        token.cancel();
        *token = CancellationToken::new();
    }

    pub fn restore(&self) {
        self.state.up.store(true, Ordering::SeqCst);
    }

    /// Delays every chunk PostgreSQL sends back.
    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
        self.state.connections.lock().unwrap().cancel();
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delayed: Option<Arc<ProxyState>>,
) {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(st) = &delayed {
            let ms = st.delay_ms.load(Ordering::SeqCst);
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

pub fn postgres_addr() -> SocketAddr {
    "127.0.0.1:5432".parse().unwrap()
}

pub struct TestApp {
    pub address: String,
    #[allow(dead_code)]
    pub port: u16,
    pub api: reqwest::Client,
    pub proxy: Option<PgProxy>,
    shutdown: ShutdownHandle,
    // Dropped last: the server must let go of its connections first.
    #[allow(dead_code)]
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// The app on a fresh, migrated database, listening on a random port.
pub async fn spawn_app() -> TestApp {
    spawn(false).await
}

/// Like [`spawn_app`], but the app reaches PostgreSQL through a [`PgProxy`].
pub async fn spawn_app_behind_proxy() -> TestApp {
    spawn(true).await
}

async fn spawn(behind_proxy: bool) -> TestApp {
    LazyLock::force(&TRACING);
    let db = TestDb::create().await;
    let mut pg = db.settings.clone();
    let proxy = if behind_proxy {
        let proxy = PgProxy::start(postgres_addr()).await;
        pg.port = proxy.port;
        pg.connect_timeout = Duration::from_secs(1);
        Some(proxy)
    } else {
        None
    };
    let pool = db::pool(&pg).unwrap();
    let app = startup::build(&HttpSettings::for_tests(), pool).expect("build app");
    let port = app.port();
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        proxy,
        shutdown,
        db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.api.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.api
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.api
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.api
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self.api.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send().await.expect("POST")
    }

    /// Creates a movie and returns it (asserting the 200 of the contract).
    pub async fn create_movie(&self, title: &str, description: &str) -> Movie {
        let resp = self
            .post_json(
                "/api/movies",
                &json!({"title": title, "description": description}),
            )
            .await;
        assert_eq!(resp.status(), 200, "create {title:?}");
        resp.json().await.unwrap()
    }

    pub async fn list(&self, query: &str) -> Vec<Movie> {
        let resp = self.get(&format!("/api/movies{query}")).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

/// Asserts a JSON error body `{"error": code, "message": text}` with `status`;
/// returns the body.
pub async fn assert_json_error(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "status (body: {text})");
    assert!(
        ct.starts_with("application/json"),
        "content-type {ct:?} (body: {text})"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(body["error"].is_string(), "error code in {body}");
    assert!(body["message"].is_string(), "message in {body}");
    body
}
