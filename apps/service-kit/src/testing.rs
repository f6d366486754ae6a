//! Test utilities shared by the services' test suites (cargo feature
//! `testing`, enabled only from the apps' `[dev-dependencies]`):
//! random names, a database of its own per test, random queue names with
//! cleanup, a TCP proxy a test can cut and restore, a password-checking
//! PostgreSQL of its own, polling, and the JSON error assertion. Cleanup runs in `Drop` on a thread of its own (with its
//! own runtime), so it happens even when the test panics.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::config::{Env, PgSettings};
use crate::db;

/// `prefix_<32 hex digits>`: a name no other test run uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// An environment with no variables: every setting at its default.
pub fn empty_env() -> Env<HashMap<&'static str, &'static str>> {
    Env::new(HashMap::new())
}

/// Runs `fut` to completion on a fresh thread with its own runtime (for
/// async cleanup in `Drop`, which may run inside or outside a runtime).
fn block_on_thread<F>(fut: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let _ = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cleanup runtime")
            .block_on(fut);
    })
    .join();
}

/// A database of its own on the local PostgreSQL (`PgSettings::local`),
/// dropped (`WITH (FORCE)`) when this value drops.
pub struct TestDatabase {
    /// Settings pointing at the new database.
    pub settings: PgSettings,
}

impl TestDatabase {
    /// Creates `<prefix>_<random>`.
    pub async fn create(prefix: &str) -> Self {
        crate::telemetry::init_for_tests();
        let name = unique(prefix);
        let settings = PgSettings::local(&name);
        db::create_database(&PgSettings::local("postgres"), &name)
            .await
            .expect("create test database (is PostgreSQL running on 127.0.0.1:5432?)");
        Self { settings }
    }

    pub fn name(&self) -> &str {
        &self.settings.database
    }

    /// A plain client on the database (no pool, no TLS).
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = db::pg_config(&self.settings)
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to test database");
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = PgSettings::local("postgres");
        let name = self.settings.database.clone();
        block_on_thread(async move {
            if let Err(e) = db::drop_database(&admin, &name).await {
                eprintln!("could not drop test database {name}: {e}");
            }
        });
    }
}

/// A PostgreSQL of its own that checks passwords (login and rotation tests).
pub mod password_postgres;
pub use password_postgres::PasswordPostgres;

/// A raw AMQP 0-9-1 publisher that sends what lapin refuses to parse.
#[cfg(feature = "amqp")]
pub mod raw_amqp;

/// Random queue names (queue, its dead-letter exchange and queue) on the
/// local RabbitMQ; all three (and `<queue>.migration`) are deleted when this
/// value drops.
#[cfg(feature = "amqp")]
pub struct TestQueue {
    pub amqp: crate::config::AmqpSettings,
    pub topology: crate::amqp::QueueTopology,
}

#[cfg(feature = "amqp")]
impl TestQueue {
    /// Queue `<prefix>_<random>` with default connection settings.
    pub fn new(prefix: &str) -> Self {
        let mut amqp =
            crate::config::AmqpSettings::from_source(&empty_env()).expect("default AMQP settings");
        amqp.queue = unique(prefix);
        let topology = crate::amqp::QueueTopology::from_settings(&amqp);
        Self { amqp, topology }
    }

    /// A connection named `name` with the default options.
    pub async fn connect(&self, name: &str) -> lapin::Connection {
        crate::amqp::connect(&self.amqp, &crate::amqp::ConnectOptions::default(), name)
            .await
            .expect("connect to RabbitMQ")
    }

    /// The work queue as a version before the quorum queue declared it: a
    /// durable classic queue with only the dead-letter arguments (and its
    /// DLX/DLQ, unchanged since).
    pub async fn declare_as_older_version(&self) {
        use lapin::options::{ExchangeDeclareOptions, QueueDeclareOptions};
        use lapin::types::{AMQPValue, FieldTable};
        let conn = self.connect("older version").await;
        let ch = conn.create_channel().await.unwrap();
        let t = &self.topology;
        ch.exchange_declare(
            t.dead_letter_exchange.as_str().into(),
            lapin::ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
        ch.queue_declare(
            t.dead_letter_queue.as_str().into(),
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        let mut args = FieldTable::default();
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(t.dead_letter_exchange.as_str().into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(t.dead_letter_queue.as_str().into()),
        );
        ch.queue_declare(
            t.queue.as_str().into(),
            QueueDeclareOptions::durable(),
            args,
        )
        .await
        .unwrap();
        let _ = conn.close(200, "bye".into()).await;
    }
}

#[cfg(feature = "amqp")]
impl Drop for TestQueue {
    fn drop(&mut self) {
        use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
        let amqp = self.amqp.clone();
        let t = self.topology.clone();
        block_on_thread(async move {
            let options = crate::amqp::ConnectOptions::default();
            let Ok(conn) = crate::amqp::connect(&amqp, &options, "cleanup").await else {
                return;
            };
            if let Ok(ch) = conn.create_channel().await {
                for q in [&t.queue, &t.dead_letter_queue, &t.migration_queue()] {
                    let _ = ch
                        .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                        .await;
                }
                let _ = ch
                    .exchange_delete(
                        t.dead_letter_exchange.as_str().into(),
                        ExchangeDeleteOptions::default(),
                    )
                    .await;
            }
            let _ = conn.close(200, "bye".into()).await;
        });
    }
}

/// The local PostgreSQL, `127.0.0.1:5432`.
pub fn postgres_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5432))
}

/// A TCP proxy on `127.0.0.1:<port>` in front of `target` that a test can
/// cut (close every proxied connection and refuse new ones), restore and
/// slow down — the real server is never touched.
pub struct CutProxy {
    pub port: u16,
    state: Arc<ProxyState>,
    accept_loop: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    up: AtomicBool,
    delay_ms: AtomicU64,
    connections: Mutex<CancellationToken>,
}

impl CutProxy {
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

    /// Accepts connections again.
    pub fn restore(&self) {
        self.state.up.store(true, Ordering::SeqCst);
    }

    /// Delays every chunk the target sends back.
    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
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

/// Polls `f` every 50 ms until it returns true (→ true) or `limit` passes
/// (→ false).
pub async fn eventually<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Asserts a JSON error response `{"error": code, "message": text}` with
/// `status` and an `application/json` content type; returns the body.
pub async fn assert_json_error(resp: reqwest::Response, status: u16) -> serde_json::Value {
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
    let body: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(body["error"].is_string(), "error code in {body}");
    assert!(body["message"].is_string(), "message in {body}");
    body
}
