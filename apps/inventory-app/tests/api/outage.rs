//! PostgreSQL unreachable: 503 + Retry-After, fast, and recovery without restart.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{assert_json_error, spawn_app_behind_proxy};

#[tokio::test]
async fn database_down_gives_503_with_retry_after_then_recovers() {
    let app = spawn_app_behind_proxy().await;
    let proxy = app.proxy.as_ref().unwrap();
    let m = app.create_movie("Alien", "before the outage").await;
    let path = format!("/api/movies/{}", m.id);
    assert_eq!(app.get(&path).await.status(), 200);

    proxy.cut();
    let started = Instant::now();
    for _ in 0..3 {
        let resp = app.get(&path).await;
        assert_eq!(resp.status(), 503);
        let retry_after: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0);
        let err = assert_json_error(resp, 503).await;
        assert_eq!(err["error"], "service_unavailable");
    }
    assert_json_error(
        app.post_json("/api/movies", &json!({"title": "x"})).await,
        503,
    )
    .await;
    assert_json_error(app.get("/api/movies").await, 503).await;
    assert_json_error(app.delete("/api/movies").await, 503).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "503s must be fast"
    );
    // liveness does not depend on the database; readiness does
    assert_eq!(app.get("/healthz").await.status(), 200);
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    // bad input is still judged before the database is needed
    assert_json_error(app.get("/api/movies/abc").await, 400).await;

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let resp = app.get(&path).await;
        if resp.status() == 200 {
            assert_eq!(resp.json::<inventory_app::store::Movie>().await.unwrap(), m);
            break;
        }
        assert_eq!(resp.status(), 503);
        assert!(
            Instant::now() < deadline,
            "did not recover after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.create_movie("Aliens", "after the outage").await;
    assert_eq!(app.list("").await.len(), 2);
}
