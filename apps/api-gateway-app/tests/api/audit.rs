//! The crud-master audit scenario end to end, all three services in-process
//! on the real PostgreSQL and RabbitMQ.

use std::time::Duration;

use billing_app::config::{ConsumerSettings, Settings as BillingSettings};
use billing_app::startup::BillingApp;
use inventory_app::config::Settings as InventorySettings;
use inventory_app::startup::InventoryApp;
use service_kit::config::{HttpSettings, LogSettings, PgSettings};
use service_kit::db;

use crate::helpers::*;

/// A database of its own (`service_kit::testing`), dropped at the end even
/// on panic.
struct TestDb(TestDatabase);

impl TestDb {
    async fn new(prefix: &str) -> Self {
        Self(TestDatabase::create(prefix).await)
    }

    async fn query_i64(&self, sql: &str) -> i64 {
        self.0
            .client()
            .await
            .query_one(sql, &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(-1)
    }
}

impl std::ops::Deref for TestDb {
    type Target = TestDatabase;
    fn deref(&self) -> &TestDatabase {
        &self.0
    }
}

struct Billing {
    shutdown: service_kit::server::ShutdownHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// inventory-app on `movies` (already migrated: its own migrations find
/// nothing to do), listening on a random port.
fn start_inventory(movies: &PgSettings) -> InventoryApp {
    let mut http = HttpSettings::for_tests();
    http.port = 0;
    InventoryApp::build(InventorySettings {
        http,
        log: LogSettings::from_source(&empty_env()).unwrap(),
        database: movies.clone(),
    })
    .unwrap()
}

fn start_billing(orders: &PgSettings, q: &TestQueue) -> Billing {
    let mut http = HttpSettings::for_tests();
    http.port = 0;
    let settings = BillingSettings {
        http,
        log: LogSettings::from_source(&empty_env()).unwrap(),
        pg: orders.clone(),
        amqp: q.amqp.clone(),
        consumer: ConsumerSettings::for_tests(),
    };
    let app = BillingApp::build(settings).unwrap();
    let shutdown = app.shutdown_handle();
    let task = tokio::spawn(app.run_until_stopped());
    Billing { shutdown, task }
}

impl Billing {
    async fn stop(self) {
        self.shutdown.shutdown();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn crud_master_audit_scenario() {
    // inventory-app
    let movies = TestDb::new("audit_movies").await;
    let pool = db::pool(&movies.settings).unwrap();
    inventory_app::startup::migrate(&pool).await.unwrap();
    let inventory = start_inventory(&movies.settings);
    let inventory_url = format!("http://127.0.0.1:{}", inventory.port());
    let inventory_stop = inventory.shutdown_handle();
    let inventory_task = tokio::spawn(inventory.run_until_stopped());

    // billing-app and the gateway on the same queue
    let orders = TestDb::new("audit_orders").await;
    let q = TestQueue::new();
    let billing = start_billing(&orders.settings, &q);
    let gw = Gateway::start(settings(&inventory_url, &q.amqp)).await;
    gw.wait_connected().await;
    for path in ["/healthz/", "/readyz/", "/metrics/", "/openapi.json/"] {
        assert_eq!(gw.get(path).await.status(), 200, "GET {path}");
    }

    // the audit's first steps, exactly: POST /api/movies/ (trailing slash),
    // then GET /api/movies/
    let r = gw
        .client
        .post(gw.url("/api/movies/"))
        .json(&serde_json::json!({"title": "A new movie", "description": "Very short description"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "POST /api/movies/ answers 200");
    let created: serde_json::Value = r.json().await.unwrap();
    let id = created["id"].as_i64().expect("id");
    let r = gw.get("/api/movies/").await;
    assert_eq!(r.status(), 200, "GET /api/movies/ answers 200");
    let list: serde_json::Value = r.json().await.unwrap();
    assert_eq!(list, serde_json::json!([created]));
    let r = gw.get(&format!("/api/movies/{id}/")).await;
    assert_eq!(r.status(), 200);
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(got["title"], "A new movie");
    let r = gw.get("/api/movies/?title=new").await;
    let list: serde_json::Value = r.json().await.unwrap();
    assert!(list.as_array().unwrap().iter().any(|m| m["id"] == id));
    let r = gw.get("/api/movies/999999999").await;
    assert_eq!(r.status(), 404);

    // an order is stored while billing runs
    let r = gw
        .post_billing(
            "/api/billing/",
            r#"{"user_id":"20","number_of_items":"99","total_amount":"250"}"#,
        )
        .await;
    assert_eq!(r.status(), 200);
    let q1 = "SELECT count(*) FROM orders WHERE user_id = '20'";
    assert!(
        eventually(Duration::from_secs(20), || async {
            orders.query_i64(q1).await == 1
        })
        .await,
        "order stored while billing runs"
    );

    // billing stopped: the gateway still answers 200, the order is absent
    billing.stop().await;
    let r = gw
        .post_billing(
            "/api/billing/",
            r#"{"user_id":"22","number_of_items":"10","total_amount":"50"}"#,
        )
        .await;
    assert_eq!(
        r.status(),
        200,
        "POST /api/billing answers 200 while billing-app is down"
    );
    let q2 = "SELECT count(*) FROM orders WHERE user_id = '22'";
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        orders.query_i64(q2).await,
        0,
        "order absent while billing is stopped"
    );

    // billing started again: the order appears exactly once
    let billing = start_billing(&orders.settings, &q);
    assert!(
        eventually(Duration::from_secs(20), || async {
            orders.query_i64(q2).await == 1
        })
        .await,
        "order stored after billing restarted"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(orders.query_i64(q2).await, 1);
    assert_eq!(orders.query_i64("SELECT count(*) FROM orders").await, 2);

    billing.stop().await;
    gw.stop().await;
    inventory_stop.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(30), inventory_task).await;
}

/// A client retrying `POST /api/billing` with the same `Idempotency-Key`
/// (after a 503 or a timeout) gets one order, however often it sends it.
#[tokio::test]
async fn the_same_idempotency_key_twice_is_one_order() {
    let orders = TestDb::new("idem_orders").await;
    let q = TestQueue::new();
    let billing = start_billing(&orders.settings, &q);
    let gw = Gateway::start(settings("http://127.0.0.1:9", &q.amqp)).await;
    gw.wait_connected().await;
    let post = |key: &'static str, user: &'static str| {
        gw.client
            .post(gw.url("/api/billing/"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(format!(
                r#"{{"user_id":"{user}","number_of_items":"1","total_amount":"10"}}"#
            ))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(post("retry-1", "31").await.unwrap().status(), 200);
    }
    assert_eq!(post("retry-2", "32").await.unwrap().status(), 200);
    let q_all = "SELECT count(*) FROM orders";
    assert!(
        eventually(Duration::from_secs(20), || async {
            orders.query_i64(q_all).await == 2
        })
        .await,
        "two keys, two orders"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(orders.query_i64(q_all).await, 2, "retries added nothing");
    assert_eq!(
        orders
            .query_i64("SELECT count(*) FROM orders WHERE user_id = '31'")
            .await,
        1
    );
    billing.stop().await;
    gw.stop().await;
}

/// A list far larger than the gateway's body limit streams through both
/// services (PostgreSQL rows → inventory → gateway → client), complete.
#[tokio::test]
async fn a_list_of_thirty_thousand_movies_streams_through_the_gateway() {
    let movies = TestDb::new("stream_movies").await;
    let pool = db::pool(&movies.settings).unwrap();
    inventory_app::startup::migrate(&pool).await.unwrap();
    db::client(&pool)
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO movies (title, description) \
             SELECT 'Movie ' || g, repeat('d', 100) FROM generate_series(1, 30000) g",
        )
        .await
        .unwrap();
    let inventory = start_inventory(&movies.settings);
    let inventory_url = format!("http://127.0.0.1:{}", inventory.port());
    let inventory_stop = inventory.shutdown_handle();
    let inventory_task = tokio::spawn(inventory.run_until_stopped());
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inventory_url, &q.amqp)).await;
    let r = gw.get("/api/movies/").await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(body.len() > 3_000_000, "larger than PROXY_MAX_BODY_BYTES");
    let list: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.len(), 30_000);
    assert_eq!(list[29_999]["title"], "Movie 30000");
    let page: Vec<serde_json::Value> = gw
        .get("/api/movies?limit=2&after=10")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["title"], "Movie 11");
    gw.stop().await;
    inventory_stop.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(30), inventory_task).await;
}

/// Upgrading from a version with a classic `billing_queue`: the gateway does
/// not publish into the old queue (billing-app deletes it while migrating,
/// and RabbitMQ may confirm a message lost in that delete) — it answers 503
/// and stays ready — then publishes as soon as billing-app has migrated it.
/// Every order answered 200 is stored, the old queue's included.
#[tokio::test]
async fn the_gateway_holds_billing_until_billing_app_migrated_an_older_queue() {
    let orders = TestDb::new("upgrade_orders").await;
    let q = TestQueue::new();
    q.declare_as_older_version().await;
    let gw = Gateway::start(settings("http://127.0.0.1:9", &q.amqp)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let body = r#"{"user_id":"41","number_of_items":"1","total_amount":"5"}"#;
    let r = gw.post_billing("/api/billing", body).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_json_error(r, 503).await;
    assert_eq!(gw.get("/readyz").await.status(), 200, "still ready");
    let billing = start_billing(&orders.settings, &q);
    assert!(
        eventually(Duration::from_secs(20), || async {
            gw.post_billing("/api/billing", body).await.status() == 200
        })
        .await,
        "publishing resumes once the queue is migrated"
    );
    assert!(
        eventually(Duration::from_secs(20), || async {
            orders
                .query_i64("SELECT count(*) FROM orders WHERE user_id = '41'")
                .await
                == 1
        })
        .await
    );
    billing.stop().await;
    gw.stop().await;
}
