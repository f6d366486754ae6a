//! Test harness: a random database and random queue names per test, on the
//! real PostgreSQL and RabbitMQ of the machine, cleaned up even when the test
//! panics (cleanup runs in `Drop` on its own thread).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use billing_app::config::{ConsumerSettings, Settings};
use billing_app::startup::BillingApp;
use service_kit::amqp::lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use service_kit::amqp::lapin::types::FieldTable;
use service_kit::amqp::lapin::{BasicProperties, Channel, Connection};
use service_kit::amqp::{ConnectOptions, QueueTopology};
use service_kit::config::{AmqpSettings, HttpSettings, LogSettings, PgSettings};
use service_kit::db;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A database of its own, dropped at the end.
pub struct TestDb {
    pub settings: PgSettings,
}

impl TestDb {
    pub async fn new() -> Self {
        service_kit::telemetry::init_for_tests();
        let name = unique("billing_test");
        let settings = PgSettings::local(&name);
        db::create_database(&settings, &name)
            .await
            .expect("create test database");
        Self { settings }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = db::pg_config(&self.settings)
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to test database");
        tokio::spawn(conn);
        client
    }

    pub async fn count_orders(&self) -> i64 {
        self.client()
            .await
            .query_one("SELECT count(*) FROM orders", &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(-1)
    }

    /// (message_id, count) pairs with count > 1: must always be empty.
    pub async fn duplicated_message_ids(&self) -> i64 {
        self.client()
            .await
            .query_one(
                "SELECT count(*) FROM (SELECT message_id FROM orders GROUP BY message_id HAVING count(*) > 1) d",
                &[],
            )
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(-1)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let settings = self.settings.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let name = settings.database.clone();
            let _ = rt.block_on(db::drop_database(&settings, &name));
        })
        .join();
    }
}

/// Random queue names (queue, its DLX and DLQ), deleted at the end.
pub struct TestQueue {
    pub amqp: AmqpSettings,
    pub topology: QueueTopology,
}

pub async fn connect(amqp: &AmqpSettings) -> Connection {
    service_kit::amqp::connect(amqp, &ConnectOptions::default(), "billing-tests")
        .await
        .expect("connect to RabbitMQ")
}

impl TestQueue {
    pub fn new() -> Self {
        let mut amqp =
            AmqpSettings::from_source(&service_kit::config::Env::new(std::collections::HashMap::<
                &str,
                &str,
            >::new()))
            .unwrap();
        amqp.queue = unique("billing_test_queue");
        let topology = QueueTopology::from_settings(&amqp);
        Self { amqp, topology }
    }

    /// A confirm-mode channel with the topology declared.
    pub async fn publisher(&self) -> (Connection, Channel) {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        self.topology.declare(&ch).await.unwrap();
        (conn, ch)
    }

    /// Publishes persistent messages and waits for every confirm.
    pub async fn publish_all(&self, messages: &[(Option<String>, Vec<u8>)]) {
        let (conn, ch) = self.publisher().await;
        for (id, body) in messages {
            let mut props = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into());
            if let Some(id) = id {
                props = props.with_message_id(id.as_str().into());
            }
            let _confirm = ch
                .basic_publish(
                    "".into(),
                    self.topology.queue.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    props,
                )
                .await
                .unwrap();
        }
        let returned = ch.wait_for_confirms().await.unwrap();
        assert!(returned.is_empty());
        let _ = conn.close(200, "bye".into()).await;
    }

    /// Ready messages in `queue` (passive declare).
    pub async fn depth(&self, queue: &str) -> u32 {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        let q = ch
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let _ = conn.close(200, "bye".into()).await;
        q.message_count()
    }
}

impl Drop for TestQueue {
    fn drop(&mut self) {
        let amqp = self.amqp.clone();
        let t = self.topology.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let Ok(conn) =
                    service_kit::amqp::connect(&amqp, &ConnectOptions::default(), "cleanup").await
                else {
                    return;
                };
                if let Ok(ch) = conn.create_channel().await {
                    for q in [&t.queue, &t.dead_letter_queue] {
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
        })
        .join();
    }
}

pub fn order(user: &str, items: &str, amount: &str) -> Vec<u8> {
    format!(r#"{{"user_id":"{user}","number_of_items":"{items}","total_amount":"{amount}"}}"#)
        .into_bytes()
}

pub fn settings(db: &PgSettings, q: &TestQueue) -> Settings {
    let mut http = HttpSettings::for_tests();
    http.port = 0;
    Settings {
        http,
        log: LogSettings::from_source(&service_kit::config::Env::new(std::collections::HashMap::<
            &str,
            &str,
        >::new()))
        .unwrap(),
        pg: db.clone(),
        amqp: q.amqp.clone(),
        consumer: ConsumerSettings::for_tests(),
    }
}

/// A running billing-app.
pub struct RunningApp {
    pub port: u16,
    pub shutdown: service_kit::server::ShutdownHandle,
    pub metrics: billing_app::consumer::BillingMetrics,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningApp {
    pub async fn start(settings: Settings) -> Self {
        let app = BillingApp::build(settings).expect("build billing-app");
        let port = app.port();
        let shutdown = app.shutdown_handle();
        let metrics = app.metrics().clone();
        let task = tokio::spawn(app.run_until_stopped());
        Self {
            port,
            shutdown,
            metrics,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub async fn stop(self) {
        self.shutdown.shutdown();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("stops within the grace period")
            .expect("task")
            .expect("clean stop");
    }
}

/// Polls `f` until it returns true or `limit` passes.
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

/// A TCP proxy to PostgreSQL that the test can cut (close every connection
/// and refuse new ones) and restore — the real server is never touched.
pub struct CutProxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl CutProxy {
    pub async fn start(target_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let conns: Arc<std::sync::Mutex<Vec<AbortHandle>>> = Default::default();
        let (o, c) = (open.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !o.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(("127.0.0.1", target_port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().unwrap().push(h.abort_handle());
            }
        })
        .abort_handle();
        Self {
            port,
            open,
            conns,
            accept,
        }
    }

    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}
