use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use api_gateway_app::breaker::State;

use crate::helpers::*;

#[tokio::test]
async fn proxied_response_is_exact_status_headers_and_body() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    let direct = reqwest::get(format!("{}/api/movies/fixed", inv.url))
        .await
        .unwrap();
    let via = gw.get("/api/movies/fixed").await;
    assert_eq!(via.status(), 201);
    assert_eq!(via.status(), direct.status());
    for h in [
        "content-type",
        "x-inventory",
        "cache-control",
        "content-length",
    ] {
        assert_eq!(via.headers().get(h), direct.headers().get(h), "header {h}");
    }
    let cookies: Vec<_> = via.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    // Connection-listed headers: unit test in src/proxy.rs (actix rewrites an
    // upstream's Connection header before the gateway can see it)
    assert!(via.headers().get("transfer-encoding").is_none());
    assert_eq!(via.text().await.unwrap(), direct.text().await.unwrap());

    // error statuses pass through too (JSON ones here, non-JSON ones below)
    let via = gw.get("/api/movies/teapot").await;
    assert_eq!(via.status(), 418);
    assert_eq!(via.headers().get("x-inventory").unwrap(), "teapot");
    assert_eq!(
        via.text().await.unwrap(),
        r#"{"error":"teapot","message":"short and stout"}"#
    );
    gw.stop().await;
}

#[tokio::test]
async fn proxied_requests_are_labelled_api_movies_and_others_keep_theirs() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    assert_eq!(gw.get("/api/movies").await.status(), 200);
    assert_eq!(gw.get("/api/movies/fixed").await.status(), 201);
    assert_eq!(gw.get("/api/movies/fixed").await.status(), 201);
    assert_eq!(gw.get("/api/moviesx").await.status(), 404);
    let metrics = gw.get("/metrics").await.text().await.unwrap();
    let count = |route: &str, status: &str| {
        let line = format!(
            r#"http_requests_total{{method="GET",route="{route}",service="api-gateway-app",status="{status}"}} "#
        );
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .unwrap_or_else(|| panic!("no {line}in\n{metrics}"))
            .to_string()
    };
    // the static /api/movies scope names every proxied request alike
    assert_eq!(count("/api/movies", "200"), "1");
    assert_eq!(count("/api/movies", "201"), "2");
    // a path that only starts like it is no movies request
    assert_eq!(count("unmatched", "404"), "1");
    gw.stop().await;
}

#[tokio::test]
async fn non_json_upstream_error_bodies_pass_through_byte_exact() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    for (path, status) in [("/api/movies/plain502", 502), ("/api/movies/html404", 404)] {
        let direct = reqwest::get(format!("{}{path}", inv.url)).await.unwrap();
        let via = gw.get(path).await;
        assert_eq!(direct.status(), status);
        assert_eq!(via.status(), status, "{path}");
        for h in ["content-type", "x-inventory", "content-length"] {
            assert_eq!(via.headers().get(h), direct.headers().get(h), "{path}: {h}");
        }
        assert_eq!(
            via.bytes().await.unwrap(),
            direct.bytes().await.unwrap(),
            "{path}"
        );
    }
    // the gateway's own errors stay JSON: an unknown route
    let r = gw.get("/api/nope").await;
    assert_json_error(r, 404).await;
    gw.stop().await;
}

#[tokio::test]
async fn request_method_path_query_headers_and_body_are_forwarded() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    let res = gw
        .client
        .put(gw.url("/api/movies/echo/42?title=a%25b&x=1"))
        .header("content-type", "application/json")
        .header("x-custom", "kept")
        .header("connection", "x-drop-me")
        .header("x-drop-me", "1")
        .header("x-request-id", "req-123")
        .body(r#"{"title":"t"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("x-request-id").unwrap(), "req-123");
    let echo: serde_json::Value = res.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/api/movies/echo/42");
    assert_eq!(echo["query"], "title=a%25b&x=1");
    assert_eq!(echo["body"], r#"{"title":"t"}"#);
    assert_eq!(echo["headers"]["x-custom"], "kept");
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["headers"]["x-request-id"], "req-123");
    assert!(echo["headers"].get("x-drop-me").is_none());
    assert!(
        echo["headers"]["x-forwarded-for"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1")
    );

    // /api/movies itself, with the query string
    let res = gw.get("/api/movies?title=x").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["path"], "/api/movies");
    gw.stop().await;
}

#[tokio::test]
async fn oversized_requests_are_refused_and_large_responses_stream_through() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    let res = gw
        .client
        .post(gw.url("/api/movies"))
        .header("content-type", "application/json")
        .body(vec![b'a'; 12 * 1024 * 1024])
        .send()
        .await;
    // actix may answer 413 before reading the whole body and close the
    // connection; either the 413 arrives or the connection is cut, never a 2xx/5xx
    if let Ok(res) = res {
        assert_json_error(res, 413).await;
    }
    let res = gw.get("/api/movies/big").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], "3145728");
    let body = res.bytes().await.unwrap();
    assert_eq!(body.len(), 3 * 1024 * 1024);
    assert!(body.iter().all(|&b| b == b'x'));
    assert_eq!(gw.get("/healthz").await.status(), 200);
    gw.stop().await;
}

#[tokio::test]
async fn circuit_breaker_opens_on_failures_answers_fast_and_closes_again() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    inv.failing.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        let r = gw.get("/api/movies").await;
        assert_eq!(r.status(), 500, "5xx passed through while closed");
    }
    assert_eq!(gw.breaker.state(), State::Open);
    let started = Instant::now();
    let r = gw.get("/api/movies").await;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(r.headers().contains_key("retry-after"));
    let body = assert_json_error(r, 503).await;
    assert_eq!(body["error"], "inventory_unavailable");
    let metrics = gw.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"inventory_circuit_state{service="inventory-app"} 2"#),
        "{metrics}"
    );

    inv.failing.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = gw.get("/api/movies").await;
    assert_eq!(r.status(), 200, "half-open probe passes");
    assert_eq!(gw.breaker.state(), State::Closed);
    // readiness does not depend on inventory
    gw.stop().await;
}

#[tokio::test]
async fn inventory_down_is_503_json_with_retry_after() {
    let q = TestQueue::new();
    let gw = Gateway::start(settings("http://127.0.0.1:1", &q.amqp)).await;
    let r = gw.get("/api/movies/1").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_json_error(r, 503).await;
    gw.stop().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_complete() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    gw.wait_connected().await;
    let client = gw.client.clone();
    let slow_url = gw.url("/api/movies/slow");
    let in_flight = tokio::spawn(async move { client.get(slow_url).send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    gw.stop().await; // same path as SIGTERM
    let res = in_flight
        .await
        .unwrap()
        .expect("in-flight request answered");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["slow"], true);
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Sends `GET {target}` byte for byte (reqwest would resolve `..` itself)
/// and returns the status and the body.
async fn raw_get(port: u16, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[tokio::test]
async fn dot_segments_are_refused_and_never_reach_inventory() {
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let gw = Gateway::start(settings(&inv.url, &q.amqp)).await;
    for target in [
        "/api/movies/../../metrics",
        "/api/movies/..",
        "/api/movies/../movies/42",
        "/api/movies/./42",
        "/api/movies/x/.",
        "/api/movies/%2e%2e/%2e%2e/metrics",
        "/api/movies/%2E%2E/%2E%2E/metrics",
        "/api/movies/.%2e/.%2e/metrics",
        "/api/movies/%2e./metrics",
        "/api/movies/%2e/42",
        "/api/movies/..%2f..%2fmetrics",
        "/api/movies/..%5c..%5cmetrics",
        "/api/movies/../../metrics?x=1",
    ] {
        let (status, body) = raw_get(gw.port, target).await;
        assert_eq!(status, 400, "{target}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "invalid_path", "{target}");
        assert!(json["message"].is_string(), "{target}");
    }
    assert!(
        inv.seen.lock().unwrap().is_empty(),
        "inventory got {:?}",
        inv.seen.lock().unwrap()
    );
    // not a breaker failure, and ordinary paths still pass (also ones with dots)
    assert_eq!(gw.breaker.state(), State::Closed);
    for target in ["/api/movies/42", "/api/movies/a..b", "/api/movies/...x"] {
        let (status, body) = raw_get(gw.port, target).await;
        assert_eq!(status, 200, "{target}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["path"], target);
    }
    assert_eq!(
        *inv.seen.lock().unwrap(),
        ["/api/movies/42", "/api/movies/a..b", "/api/movies/...x"]
    );
    gw.stop().await;
}
