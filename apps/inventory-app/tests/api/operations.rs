//! /healthz, /readyz, /metrics and request ids.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_200() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "ok");
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["postgres"], "ok");
}

#[tokio::test]
async fn metrics_expose_the_http_series() {
    let app = spawn_app().await;
    app.create_movie("Alien", "").await;
    app.get("/api/movies/1").await;
    app.get("/api/movies/999999").await;
    app.get("/nowhere").await;
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    for needle in [
        r#"http_requests_total{method="POST",route="/api/movies",service="inventory-app",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/movies/{id}",service="inventory-app",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/movies/{id}",service="inventory-app",status="404"} 1"#,
        r#"http_requests_total{method="GET",route="unmatched",service="inventory-app",status="404"} 1"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/movies/{id}",service="inventory-app",le="+Inf"} 2"#,
        r#"http_requests_in_flight{service="inventory-app"}"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    // raw paths never become labels
    assert!(!text.contains("route=\"/nowhere\""));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let resp = app
        .api
        .get(app.url("/api/movies"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app.get("/api/movies/nope").await;
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "uuid expected, got {id}");
    // an unusable incoming id is replaced, not echoed
    let resp = app
        .api
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "bad id with spaces");
}
