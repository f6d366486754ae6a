//! Test harness: a random database and random queue names per test, on the
//! real PostgreSQL and RabbitMQ of the machine, cleaned up even when the test
//! panics (cleanup runs in `Drop` on its own thread).

use std::time::Duration;

use billing_app::config::{ConsumerSettings, Settings};
use billing_app::startup::BillingApp;
use service_kit::amqp::ConnectOptions;
use service_kit::amqp::lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use service_kit::amqp::lapin::types::FieldTable;
use service_kit::amqp::lapin::{BasicProperties, Channel, Connection};
use service_kit::config::{AmqpSettings, HttpSettings, LogSettings, PgSettings};
use service_kit::testing::{self, TestDatabase};

pub use service_kit::testing::{CutProxy, eventually};

/// A database of its own (`service_kit::testing::TestDatabase`), dropped at
/// the end, with the order queries the tests need.
pub struct TestDb(TestDatabase);

impl std::ops::Deref for TestDb {
    type Target = TestDatabase;
    fn deref(&self) -> &TestDatabase {
        &self.0
    }
}

impl TestDb {
    pub async fn new() -> Self {
        Self(TestDatabase::create("billing_test").await)
    }

    /// The stored message ids, sorted.
    pub async fn message_ids(&self) -> Vec<String> {
        self.client()
            .await
            .query("SELECT message_id FROM orders ORDER BY message_id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
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

/// Random queue names (queue, its DLX and DLQ; `service_kit::testing`),
/// deleted at the end, with publishing helpers.
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

pub async fn connect(amqp: &AmqpSettings) -> Connection {
    service_kit::amqp::connect(amqp, &ConnectOptions::default(), "billing-tests")
        .await
        .expect("connect to RabbitMQ")
}

impl TestQueue {
    pub fn new() -> Self {
        Self(testing::TestQueue::new("billing_test_queue"))
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
        publish_on(&ch, &self.topology.queue, messages).await;
        let _ = conn.close(200, "bye".into()).await;
    }

    /// Publishes to `queue` as it is (no declare), waiting for every confirm.
    pub async fn publish_to(&self, queue: &str, messages: &[(Option<String>, Vec<u8>)]) {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        publish_on(&ch, queue, messages).await;
        let _ = conn.close(200, "bye".into()).await;
    }

    /// `<queue>.migration` as a crashed migration leaves it.
    pub async fn declare_migration_queue(&self) {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        ch.queue_declare(
            self.topology.migration_queue().as_str().into(),
            QueueDeclareOptions::durable(),
            service_kit::amqp::QueueTopology::migration_queue_arguments(),
        )
        .await
        .unwrap();
        let _ = conn.close(200, "bye".into()).await;
    }

    /// `queue` as a passive declare sees it: `Ok(None)` when it does not exist.
    async fn passive_declare(
        &self,
        queue: &str,
    ) -> Result<Option<service_kit::amqp::lapin::Queue>, service_kit::amqp::lapin::Error> {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        let r = ch
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await;
        let _ = conn.close(200, "bye".into()).await;
        match r {
            Ok(q) => Ok(Some(q)),
            Err(e) if service_kit::amqp::is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `queue` exists (passive declare; NOT_FOUND means no).
    pub async fn exists(&self, queue: &str) -> bool {
        match self.passive_declare(queue).await {
            Ok(found) => found.is_some(),
            Err(e) => panic!("passive declare of {queue}: {e}"),
        }
    }

    /// Declares this version's topology; `Err(QueueArgumentsDiffer)` while
    /// the queue has other arguments. RabbitMQ accepts a re-declaration only
    /// with identical arguments, so `Ok` proves the queue is the quorum queue
    /// with the delivery limit.
    pub async fn declare_current(&self) -> Result<(), service_kit::amqp::AmqpError> {
        let conn = connect(&self.amqp).await;
        let ch = conn.create_channel().await.unwrap();
        let r = self.topology.declare(&ch).await;
        let _ = conn.close(200, "bye".into()).await;
        r
    }
}

async fn publish_on(ch: &Channel, queue: &str, messages: &[(Option<String>, Vec<u8>)]) {
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
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                body,
                props,
            )
            .await
            .unwrap();
    }
    let returned = ch.wait_for_confirms().await.unwrap();
    assert!(returned.is_empty(), "unroutable: {returned:?}");
}

impl TestQueue {
    /// Ready messages in `queue` (passive declare).
    pub async fn depth(&self, queue: &str) -> u32 {
        self.passive_declare(queue)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("queue {queue} does not exist"))
            .message_count()
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
        log: LogSettings::from_source(&testing::empty_env()).unwrap(),
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

    /// Whether `/readyz` answers 200 within `within`.
    pub async fn becomes_ready(&self, within: Duration) -> bool {
        let client = reqwest::Client::new();
        eventually(within, || async {
            client
                .get(self.url("/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await
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
