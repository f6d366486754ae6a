use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn confirmed_publish_is_200_with_a_persistent_message_carrying_a_unique_id() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let body = r#"{"user_id":"3","number_of_items":"5","total_amount":"180"}"#;
    let r = gw.post_billing("/api/billing", body).await;
    assert_eq!(r.status(), 200);
    let a: serde_json::Value = r.json().await.unwrap();
    let r = gw
        .post_billing(
            "/api/billing/",
            r#"{"user_id":3,"number_of_items":5,"total_amount":180.5}"#,
        )
        .await;
    assert_eq!(r.status(), 200);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_ne!(a["message_id"], b["message_id"]);

    let m = q.get().await.expect("message in the queue");
    assert_eq!(m.delivery.data, body.as_bytes(), "published as received");
    let p = &m.delivery.properties;
    assert_eq!(*p.delivery_mode(), Some(2));
    assert_eq!(
        p.content_type().as_ref().unwrap().as_str(),
        "application/json"
    );
    assert_eq!(
        p.message_id().as_ref().unwrap().as_str(),
        a["message_id"].as_str().unwrap()
    );
    assert!(q.get().await.is_some());
    assert_eq!(gw.publish_metrics.get("confirmed"), 2);
    gw.stop().await;
}

#[tokio::test]
async fn hostile_billing_bodies_get_4xx_json_and_publish_nothing() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    for (body, code) in [
        ("{not json", "malformed_json"),
        ("", "malformed_json"),
        ("[1,2]", "invalid_body"),
        ("\"x\"", "invalid_body"),
        ("null", "invalid_body"),
        (
            r#"{"user_id":"3","number_of_items":"-5","total_amount":"180"}"#,
            "invalid_field",
        ),
        (
            r#"{"user_id":"3","number_of_items":"five","total_amount":"180"}"#,
            "invalid_field",
        ),
        (
            r#"{"user_id":"3","number_of_items":"5","total_amount":"-1"}"#,
            "invalid_field",
        ),
        (
            r#"{"user_id":"3","number_of_items":"5","total_amount":"abc"}"#,
            "invalid_field",
        ),
        (
            r#"{"user_id":"","number_of_items":"5","total_amount":"1"}"#,
            "invalid_field",
        ),
        (
            r#"{"number_of_items":"5","total_amount":"1"}"#,
            "invalid_field",
        ),
        (
            r#"{"user_id":{"a":1},"number_of_items":"5","total_amount":"1"}"#,
            "invalid_field",
        ),
    ] {
        let r = gw.post_billing("/api/billing", body).await;
        let e = assert_json_error(r, 400).await;
        assert_eq!(e["error"], code, "{body}");
    }
    // not JSON content type
    let r = gw
        .client
        .post(gw.url("/api/billing"))
        .header("content-type", "text/plain")
        .body(r#"{"user_id":"3","number_of_items":"5","total_amount":"180"}"#)
        .send()
        .await
        .unwrap();
    assert_json_error(r, 415).await;
    let r = gw
        .client
        .post(gw.url("/api/billing"))
        .body(r#"{"user_id":"3","number_of_items":"5","total_amount":"180"}"#)
        .send()
        .await
        .unwrap();
    assert_json_error(r, 415).await;
    // 12 MB
    let big = format!(
        r#"{{"user_id":"{}","number_of_items":"5","total_amount":"1"}}"#,
        "x".repeat(12 * 1024 * 1024)
    );
    if let Ok(r) = gw
        .client
        .post(gw.url("/api/billing"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
    {
        assert_json_error(r, 413).await;
    }
    // wrong method
    let r = gw.get("/api/billing").await;
    assert_json_error(r, 405).await;
    // nothing was published, the process is fine
    assert!(q.get().await.is_none());
    assert_eq!(gw.publish_metrics.get("confirmed"), 0);
    assert_eq!(gw.get("/healthz").await.status(), 200);
    gw.stop().await;
}

#[tokio::test]
async fn broker_unreachable_is_503_never_200() {
    let inv = FakeInventory::start().await;
    let mut q = TestQueue::new();
    q.amqp.port = 1; // closed port
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    for _ in 0..3 {
        let r = gw
            .post_billing(
                "/api/billing",
                r#"{"user_id":"3","number_of_items":"5","total_amount":"180"}"#,
            )
            .await;
        assert!(r.headers().contains_key("retry-after"));
        let e = assert_json_error(r, 503).await;
        assert_eq!(e["error"], "broker_unavailable");
    }
    assert_eq!(gw.publish_metrics.get("unavailable"), 3);
    assert_eq!(gw.publish_metrics.get("confirmed"), 0);
    // the gateway stays ready: the load balancer keeps it, /api/movies works
    assert_eq!(gw.get("/readyz").await.status(), 200);
    assert_eq!(gw.get("/healthz").await.status(), 200);
    assert_eq!(gw.get("/api/movies").await.status(), 200);
    // and the metrics tell the broker is away
    let metrics = gw.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l == "billing_broker_connected 0"),
        "{metrics}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn broker_state_metric_follows_the_publisher() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let metrics = gw.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l == "billing_broker_connected 1"),
        "{metrics}"
    );
    gw.stop().await;
}

/// The queue disappears while publishes are in flight on shared channels
/// (one broker ack can cover many publishes): a message the broker returned
/// as unroutable is never answered 200, whichever confirm carried it back.
/// Every 200 was delivered from the queue (or counted by the queue delete).
#[tokio::test]
async fn unroutable_publishes_are_never_200_under_concurrent_load() {
    use futures_util::StreamExt;
    use service_kit::amqp::lapin::options::{BasicConsumeOptions, QueueDeleteOptions};
    use service_kit::amqp::lapin::types::FieldTable;
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Arc::new(Gateway::start(settings(&inv.url, &q.amqp)).await);
    gw.wait_connected().await;
    // every message that reaches the queue is recorded at once
    let delivered = Arc::new(Mutex::new(HashSet::<String>::new()));
    let conn = q.connect("recorder").await;
    let recorder = |ch: service_kit::amqp::lapin::Channel, tag: &'static str| {
        let delivered = delivered.clone();
        let queue = q.topology.queue.clone();
        async move {
            let mut consumer = ch
                .basic_consume(
                    queue.as_str().into(),
                    tag.into(),
                    BasicConsumeOptions {
                        no_ack: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            tokio::spawn(async move {
                while let Some(Ok(d)) = consumer.next().await {
                    let id = d.properties.message_id().as_ref().unwrap().to_string();
                    delivered.lock().unwrap().insert(id);
                }
            });
        }
    };
    recorder(conn.create_channel().await.unwrap(), "before").await;

    let load = |n: usize| {
        let gw = gw.clone();
        tokio::spawn(async move {
            let mut answers = Vec::with_capacity(n);
            let mut inflight = futures_util::stream::iter(0..n)
                .map(|i| {
                    let gw = gw.clone();
                    async move {
                        let body = format!(
                            r#"{{"user_id":"{i}","number_of_items":"1","total_amount":"1"}}"#
                        );
                        let sent = std::time::Instant::now();
                        let r = gw.post_billing("/api/billing", &body).await;
                        let status = r.status().as_u16();
                        let v: serde_json::Value = r.json().await.unwrap();
                        (sent, status, v["message_id"].as_str().map(str::to_string))
                    }
                })
                .buffer_unordered(64);
            while let Some(a) = inflight.next().await {
                answers.push(a);
            }
            answers
        })
    };
    let running = load(3000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ch = conn.create_channel().await.unwrap();
    ch.queue_delete(
        q.topology.queue.as_str().into(),
        QueueDeleteOptions::default(),
    )
    .await
    .unwrap();
    // messages already on their way to the deleted queue are confirmed by
    // the broker and lost with it (the operator deleted them): only
    // publishes sent after the delete completed are checked
    let deleted_at = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // the queue comes back: publishes are routable again
    q.topology.declare(&ch).await.unwrap();
    recorder(ch.clone(), "after").await;
    let answers = running.await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let refused = answers.iter().filter(|(_, s, _)| *s == 503).count();
    let ok = answers.iter().filter(|(_, s, _)| *s == 200).count();
    assert_eq!(ok + refused, answers.len(), "only 200 or 503");
    assert!(refused > 0, "some publishes hit the missing queue");
    let checked: Vec<&String> = answers
        .iter()
        .filter(|(sent, s, _)| *s == 200 && *sent > deleted_at)
        .map(|(_, _, id)| id.as_ref().unwrap())
        .collect();
    assert!(
        checked.len() > 100,
        "publishes were confirmed after the queue came back"
    );
    let delivered = delivered.lock().unwrap().clone();
    let missing = checked
        .iter()
        .filter(|id| !delivered.contains(**id))
        .count();
    assert_eq!(
        missing, 0,
        "answers were 200 but their message never reached the queue"
    );
    let _ = conn.close(200, "bye".into()).await;
    if let Ok(gw) = Arc::try_unwrap(gw) {
        gw.stop().await;
    }
}

/// A queue deleted while the gateway is idle: the next publish comes back
/// unroutable (503, never 200), the gateway declares the queue again, and
/// the publish after it is stored.
#[tokio::test]
async fn a_deleted_queue_is_declared_again_after_an_unroutable_publish() {
    use service_kit::amqp::lapin::options::QueueDeleteOptions;
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let conn = q.connect("deleter").await;
    let ch = conn.create_channel().await.unwrap();
    ch.queue_delete(
        q.topology.queue.as_str().into(),
        QueueDeleteOptions::default(),
    )
    .await
    .unwrap();
    let _ = conn.close(200, "bye".into()).await;
    let body = r#"{"user_id":"5","number_of_items":"1","total_amount":"1"}"#;
    let first = gw.post_billing("/api/billing", body).await;
    assert_eq!(first.status(), 503, "the queue was gone: never 200");
    assert!(
        eventually(Duration::from_secs(10), || async {
            gw.post_billing("/api/billing", body).await.status() == 200
        })
        .await,
        "the gateway declared the queue again"
    );
    let m = q.get().await.expect("the later publish is in the queue");
    assert_eq!(m.delivery.data, body.as_bytes());
    gw.stop().await;
}

#[tokio::test]
async fn idempotency_key_gives_the_same_message_id_and_bad_keys_are_400() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let body = r#"{"user_id":"3","number_of_items":"5","total_amount":"180"}"#;
    let post = |key: &'static str| {
        gw.client
            .post(gw.url("/api/billing"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body)
            .send()
    };
    let first: serde_json::Value = post("order-7f3a").await.unwrap().json().await.unwrap();
    let again: serde_json::Value = post("order-7f3a").await.unwrap().json().await.unwrap();
    let other: serde_json::Value = post("order-other").await.unwrap().json().await.unwrap();
    assert_eq!(first["status"], "queued");
    assert_eq!(first["message_id"], again["message_id"]);
    assert_ne!(first["message_id"], other["message_id"]);
    // both copies are queued with that id: billing stores the first only
    let a = q.get().await.unwrap();
    let b = q.get().await.unwrap();
    for m in [&a, &b] {
        assert_eq!(
            m.delivery
                .properties
                .message_id()
                .as_ref()
                .unwrap()
                .as_str(),
            first["message_id"].as_str().unwrap()
        );
    }
    let long = "k".repeat(256);
    for bad in [&b""[..], b"has space", "é".as_bytes(), long.as_bytes()] {
        let r = gw
            .client
            .post(gw.url("/api/billing"))
            .header("content-type", "application/json")
            .header(
                "idempotency-key",
                reqwest::header::HeaderValue::from_bytes(bad).unwrap(),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let e = assert_json_error(r, 400).await;
        assert_eq!(e["error"], "invalid_idempotency_key", "key {bad:?}");
    }
    q.get().await.expect("third message (other key)");
    assert!(q.get().await.is_none(), "bad keys published nothing");
    gw.stop().await;
}

#[tokio::test]
async fn publisher_reconnects_after_the_connection_is_closed_by_the_broker() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    // force-close the gateway's connection from the broker side
    let out = std::process::Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output();
    let Ok(out) = out else {
        eprintln!("rabbitmqctl unavailable: skipping");
        return;
    };
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let mut closed = 0;
    for line in listing
        .lines()
        .filter(|l| l.contains(q.topology.queue.as_str()))
    {
        if let Some(pid) = line.split_whitespace().next() {
            let _ = std::process::Command::new("rabbitmqctl")
                .args(["-q", "close_connection", pid, "test: forced close"])
                .output();
            closed += 1;
        }
    }
    if closed == 0 {
        eprintln!("no gateway connection listed: skipping");
        return;
    }
    assert!(
        eventually(Duration::from_secs(15), || async {
            let r = gw
                .post_billing(
                    "/api/billing",
                    r#"{"user_id":"1","number_of_items":1,"total_amount":1}"#,
                )
                .await;
            r.status() == 200
        })
        .await,
        "publishing works again after the reconnect"
    );
    gw.stop().await;
}

/// A billing request whose body is still being read when SIGTERM arrives is
/// published and answered 200: the publisher outlives the HTTP drain.
#[tokio::test]
async fn billing_request_in_flight_during_shutdown_is_still_published() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let body = r#"{"user_id":"7","number_of_items":"1","total_amount":"9"}"#;
    let (first, rest) = body.split_at(10);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", gw.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/billing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    gw.shutdown.shutdown(); // same path as SIGTERM
    // long enough for a publisher stopped at SIGTERM to have closed
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        gw.publisher.is_connected(),
        "publisher still up while draining"
    );
    s.write_all(rest.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let m = q.get().await.expect("message in the queue");
    assert_eq!(m.delivery.data, body.as_bytes());
    let publisher = gw.publisher.clone();
    gw.stop().await;
    // and once the drain is over the publisher is down
    assert!(!publisher.is_connected());
}
