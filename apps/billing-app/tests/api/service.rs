//! The whole service: HTTP surface, backlog drain, shutdown, drain rate.

use std::time::{Duration, Instant};

use crate::helpers::*;

#[tokio::test]
async fn drains_the_backlog_at_start_and_serves_health_metrics_and_json_errors() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    // backlog before the service exists
    q.publish_all(&[
        (Some("b1".into()), order("1", "1", "1")),
        (Some("b2".into()), order("2", "2", "2")),
        (Some("bad".into()), b"{".to_vec()),
    ])
    .await;
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert!(
        eventually(Duration::from_secs(15), || async {
            db.count_orders().await == 2
        })
        .await
    );
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert!(app.becomes_ready(Duration::from_secs(10)).await);
    let metrics = c
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"billing_messages_total{outcome="stored"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"billing_messages_total{outcome="dead_lettered"} 1"#));
    assert!(metrics.contains("http_requests_total"));
    let r = c.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let r = c.post(app.url("/healthz")).send().await.unwrap();
    assert!(r.status() == 405 || r.status() == 404, "{}", r.status());
    app.stop().await;
}

#[tokio::test]
async fn shutdown_stops_consuming_and_leaves_later_messages_queued() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    q.publish_all(&[(Some("s1".into()), order("1", "1", "1"))])
        .await;
    assert!(
        eventually(Duration::from_secs(15), || async {
            db.count_orders().await == 1
        })
        .await
    );
    let started = Instant::now();
    app.stop().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    q.publish_all(&[(Some("s2".into()), order("1", "1", "1"))])
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.count_orders().await, 1);
    assert_eq!(
        q.depth(&q.topology.queue).await,
        1,
        "waits for the next start"
    );
}

#[tokio::test]
async fn broker_unreachable_at_start_is_retried_and_health_stays_live() {
    let db = TestDb::new().await;
    let mut q = TestQueue::new();
    q.amqp.port = 1; // nothing listens there
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    let c = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    let r = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    app.stop().await;
}

#[tokio::test]
async fn drain_rate_of_a_5000_message_backlog() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let n = 5000usize;
    let messages: Vec<_> = (0..n)
        .map(|i| {
            (
                Some(format!("r{i}")),
                order(&(i % 97).to_string(), "3", "12.5"),
            )
        })
        .collect();
    q.publish_all(&messages).await;
    // migrate first so the measurement is the drain alone
    billing_app::store::Store::new(&db.settings)
        .unwrap()
        .prepare()
        .await
        .unwrap();
    let started = Instant::now();
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert!(
        eventually(Duration::from_secs(60), || async {
            db.count_orders().await == n as i64
        })
        .await
    );
    let secs = started.elapsed().as_secs_f64();
    // first to last commit, as PostgreSQL saw it (excludes startup)
    let span: f64 = db
        .client()
        .await
        .query_one(
            "SELECT EXTRACT(EPOCH FROM max(created_at) - min(created_at))::float8 FROM orders",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    println!(
        "billing drain: {n} messages in {secs:.2} s including startup ({:.0} msg/s); \
         first-to-last commit {span:.3} s ({:.0} msg/s)",
        n as f64 / secs,
        n as f64 / span.max(0.001)
    );
    app.stop().await;
    assert_eq!(db.duplicated_message_ids().await, 0);
}

#[tokio::test]
async fn reconnects_after_the_broker_closes_the_connection() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    q.publish_all(&[(Some("c1".into()), order("1", "1", "1"))])
        .await;
    assert!(
        eventually(Duration::from_secs(15), || async {
            db.count_orders().await == 1
        })
        .await
    );
    // close billing's connection from the broker side
    let Ok(out) = std::process::Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output()
    else {
        eprintln!("rabbitmqctl unavailable: skipping");
        return;
    };
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let pids: Vec<String> = listing
        .lines()
        .filter(|l| l.contains(q.topology.queue.as_str()))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(!pids.is_empty(), "billing's connection is listed");
    for pid in pids {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["-q", "close_connection", &pid, "test: forced close"])
            .output();
    }
    q.publish_all(&[(Some("c2".into()), order("2", "2", "2"))])
        .await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            db.count_orders().await == 2
        })
        .await,
        "consuming again after the reconnect"
    );
    assert_eq!(db.duplicated_message_ids().await, 0);
    app.stop().await;
}
