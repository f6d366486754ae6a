//! The consumer step and its guarantees.

use std::sync::Arc;
use std::time::Duration;

use billing_app::consumer::{BillingMetrics, ConsumerState, Processor};
use billing_app::session::{NextBatch, Session};
use billing_app::store::Store;
use service_kit::metrics::Metrics;
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

async fn processor(db: &TestDb) -> (Processor, BillingMetrics) {
    let store = Store::new(&db.settings).unwrap();
    store.prepare().await.unwrap();
    let metrics = BillingMetrics::new(&Metrics::new("billing-test"));
    let p = Processor::new(
        store,
        metrics.clone(),
        Arc::new(ConsumerState::default()),
        Duration::from_millis(20),
        Duration::from_millis(100),
        CancellationToken::new(),
    );
    (p, metrics)
}

async fn take_batch(
    session: &mut Session,
    n: usize,
) -> Vec<service_kit::amqp::lapin::message::Delivery> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    let token = CancellationToken::new();
    while all.len() < n {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            session.next_batch(n - all.len(), Duration::from_millis(50), &token, &mut out),
        )
        .await
        .expect("deliveries arrive");
        assert_eq!(r, NextBatch::Batch);
        all.append(&mut out);
    }
    all
}

#[tokio::test]
async fn valid_messages_become_one_row_each_numbers_as_strings_or_numbers() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let (p, metrics) = processor(&db).await;
    q.publish_all(&[
        (Some("m1".into()), order("3", "5", "180")),
        (
            Some("m2".into()),
            br#"{"user_id":4,"number_of_items":2,"total_amount":19.99}"#.to_vec(),
        ),
        (
            Some("m3".into()),
            br#"{"user_id":"5","number_of_items":" 1 ","total_amount":"0"}"#.to_vec(),
        ),
    ])
    .await;
    let mut s = Session::open(&q.amqp, &q.topology, 100).await.unwrap();
    let batch = take_batch(&mut s, 3).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!(
        (report.stored, report.duplicate, report.dead_lettered),
        (3, 0, 0)
    );
    assert_eq!(metrics.get("stored"), 3);
    let rows = db
        .client()
        .await
        .query(
            "SELECT user_id, number_of_items, total_amount::text FROM orders ORDER BY message_id",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, i32, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("3".into(), 5, "180.00".into()),
            ("4".into(), 2, "19.99".into()),
            ("5".into(), 1, "0.00".into()),
        ]
    );
    s.close().await;
    // acked: nothing comes back
    assert_eq!(q.depth(&q.topology.queue).await, 0);
}

#[tokio::test]
async fn redelivered_message_is_not_stored_twice() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let (p, metrics) = processor(&db).await;
    q.publish_all(&[
        (Some("same".into()), order("1", "1", "1")),
        (Some("same".into()), order("1", "1", "1")),
        (Some("other".into()), order("1", "1", "1")),
    ])
    .await;
    let mut s = Session::open(&q.amqp, &q.topology, 100).await.unwrap();
    let batch = take_batch(&mut s, 3).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!((report.stored, report.duplicate), (2, 1));
    // and again in a later batch
    q.publish_all(&[(Some("same".into()), order("1", "1", "1"))])
        .await;
    let batch = take_batch(&mut s, 1).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!((report.stored, report.duplicate), (0, 1));
    assert_eq!(metrics.get("duplicate"), 2);
    assert_eq!(db.count_orders().await, 2);
    s.close().await;
}

#[tokio::test]
async fn message_without_id_uses_a_hash_of_the_body() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let (p, _) = processor(&db).await;
    q.publish_all(&[
        (None, order("9", "2", "3.5")),
        (None, order("9", "2", "3.5")),
    ])
    .await;
    let mut s = Session::open(&q.amqp, &q.topology, 100).await.unwrap();
    let batch = take_batch(&mut s, 2).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!((report.stored, report.duplicate), (1, 1));
    let id: String = db
        .client()
        .await
        .query_one("SELECT message_id FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
    s.close().await;
}

#[tokio::test]
async fn poison_goes_to_the_dead_letter_queue_and_the_good_message_behind_it_is_stored() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let (p, metrics) = processor(&db).await;
    q.publish_all(&[
        (Some("p1".into()), b"not json at all".to_vec()),
        (Some("p2".into()), br#"{"user_id":"1"}"#.to_vec()),
        (Some("p3".into()), order("1", "-5", "10")),
        (Some("p4".into()), order("1", "5", "abc")),
        (Some("p5".into()), b"[1,2,3]".to_vec()),
        (Some("good".into()), order("7", "1", "42")),
    ])
    .await;
    let mut s = Session::open(&q.amqp, &q.topology, 100).await.unwrap();
    let batch = take_batch(&mut s, 6).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!((report.stored, report.dead_lettered), (1, 5));
    assert_eq!(metrics.get("dead_lettered"), 5);
    s.close().await;
    assert_eq!(db.count_orders().await, 1);
    assert!(
        eventually(Duration::from_secs(5), || async {
            q.depth(&q.topology.dead_letter_queue).await == 5
        })
        .await,
        "5 messages in the DLQ"
    );
    assert_eq!(q.depth(&q.topology.queue).await, 0);
}

#[tokio::test]
async fn consumer_dropped_mid_batch_then_restarted_stores_every_order_exactly_once() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let (p, _) = processor(&db).await;
    let messages: Vec<_> = (0..300)
        .map(|i| (Some(format!("k{i}")), order(&i.to_string(), "1", "1")))
        .collect();
    q.publish_all(&messages).await;

    // first consumer: takes 200, commits half of them, crashes before any ack
    let mut s = Session::open(&q.amqp, &q.topology, 200).await.unwrap();
    let batch = take_batch(&mut s, 200).await;
    let committed: Vec<_> = batch[..100]
        .iter()
        .map(|d| billing_app::consumer::decode(d).unwrap())
        .collect();
    p.store().insert_orders(&committed).await.unwrap();
    drop(batch);
    drop(s); // connection dropped with 200 unacked deliveries

    // restart: a full application drains the queue
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            db.count_orders().await == 300
        })
        .await,
        "all 300 orders stored, got {}",
        db.count_orders().await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.count_orders().await, 300);
    assert_eq!(db.duplicated_message_ids().await, 0);
    assert_eq!(app.metrics.get("duplicate"), 100);
    app.stop().await;
    assert_eq!(q.depth(&q.topology.queue).await, 0);
}

#[tokio::test]
async fn postgres_unreachable_keeps_messages_queued_and_stores_them_when_it_returns() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let proxy = CutProxy::start(service_kit::testing::postgres_addr()).await;
    let mut pg = db.settings.clone();
    pg.port = proxy.port;
    pg.connect_timeout = Duration::from_secs(1);
    let s = settings(&pg, &q);
    let retry_max = s.consumer.retry_max;
    let app = RunningApp::start(s).await;
    let client = reqwest::Client::new();
    assert!(app.becomes_ready(Duration::from_secs(15)).await, "ready");

    proxy.cut();
    let messages: Vec<_> = (0..20)
        .map(|i| (Some(format!("d{i}")), order("1", "1", "1")))
        .collect();
    q.publish_all(&messages).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.metrics.get("retried") >= 20
        })
        .await,
        "inserts retried"
    );
    // The outage lasts longer than DELIVERY_LIMIT + 2 backoff steps (each at
    // most retry_max): had every failed attempt given the batch back to the
    // queue (nack with requeue), the quorum queue would have dead-lettered it.
    tokio::time::sleep(retry_max * (service_kit::amqp::DELIVERY_LIMIT as u32 + 2)).await;
    assert_eq!(
        db.count_orders().await,
        0,
        "nothing stored while PostgreSQL is away"
    );
    assert_eq!(app.metrics.get("stored"), 0);
    assert_eq!(
        q.depth(&q.topology.dead_letter_queue).await,
        0,
        "no valid order dead-lettered"
    );
    // held by the consumer, unacknowledged: none ready in the queue
    assert_eq!(q.depth(&q.topology.queue).await, 0);
    let ready = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));

    proxy.restore();
    assert!(
        eventually(Duration::from_secs(20), || async {
            db.count_orders().await == 20
        })
        .await,
        "stored after PostgreSQL returned"
    );
    assert_eq!(db.duplicated_message_ids().await, 0);
    // stored from the held batch, not from redeliveries
    assert_eq!(app.metrics.get("duplicate"), 0);
    assert!(
        app.becomes_ready(Duration::from_secs(10)).await,
        "ready again"
    );
    app.stop().await;
    assert_eq!(q.depth(&q.topology.queue).await, 0);
    assert_eq!(q.depth(&q.topology.dead_letter_queue).await, 0);
}

/// An `orders` table from before message ids (the shape of other crud-master
/// implementations) is migrated at start: old rows kept, new orders stored
/// once — not requeued forever on a missing column.
#[tokio::test]
async fn an_older_orders_table_without_message_id_is_migrated() {
    let db = TestDb::new().await;
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE orders (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL, \
             number_of_items INTEGER NOT NULL, total_amount INTEGER NOT NULL); \
             INSERT INTO orders (user_id, number_of_items, total_amount) VALUES (1, 2, 30), (4, 5, 60);",
        )
        .await
        .unwrap();
    let q = TestQueue::new();
    let (p, metrics) = processor(&db).await;
    q.publish_all(&[
        (Some("new-1".into()), order("3", "5", "180.5")),
        (Some("new-1".into()), order("3", "5", "180.5")),
    ])
    .await;
    let mut session = Session::open(&q.amqp, &q.topology, 10).await.unwrap();
    let batch = take_batch(&mut session, 2).await;
    let report = p.process_batch(batch).await.unwrap();
    assert_eq!((report.stored, report.duplicate), (1, 1));
    assert_eq!(metrics.get("stored"), 1);
    let rows = db
        .client()
        .await
        .query(
            "SELECT message_id, user_id, total_amount::text FROM orders ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        [
            ("legacy:1".into(), "1".into(), "30.00".into()),
            ("legacy:2".into(), "4".into(), "60.00".into()),
            ("new-1".into(), "3".into(), "180.50".into()),
        ]
    );
    // a second start finds nothing left to do
    Store::new(&db.settings).unwrap().prepare().await.unwrap();
    assert_eq!(db.count_orders().await, 3);
    session.close().await;
}
