//! `GET /api/movies`: streamed, every movie by default, optional paging.

use serde_json::json;
use service_kit::db;

use crate::helpers::{assert_json_error, spawn_app};

#[tokio::test]
async fn paging_with_limit_and_after_walks_the_list_in_id_order() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for t in ["Alien", "Brazil", "Cube", "Dune", "Heat"] {
        all.push(app.create_movie(t, "").await);
    }
    assert_eq!(app.list("?limit=2").await, all[..2]);
    let after = all[1].id;
    assert_eq!(
        app.list(&format!("?after={after}&limit=2")).await,
        all[2..4]
    );
    let after = all[3].id;
    assert_eq!(app.list(&format!("?after={after}")).await, all[4..]);
    assert!(app.list(&format!("?after={}", all[4].id)).await.is_empty());
    assert_eq!(app.list("?title=U&limit=1").await, all[2..3]);
    assert_eq!(app.list("").await, all, "no parameters: every movie");
    for bad in [
        "?limit=0",
        "?limit=10001",
        "?after=-1",
        "?limit=abc",
        "?after=1.5",
    ] {
        let e = assert_json_error(app.get(&format!("/api/movies{bad}")).await, 400).await;
        assert_eq!(e["error"], "invalid_query", "{bad}");
    }
}

#[tokio::test]
async fn a_large_list_is_streamed_in_chunks_and_complete() {
    let app = spawn_app().await;
    let pool = db::pool(&app.db.settings).unwrap();
    db::client(&pool)
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO movies (title, description) \
             SELECT 'Movie ' || g, repeat('d', 100) FROM generate_series(1, 30000) g",
        )
        .await
        .unwrap();
    let resp = app.get("/api/movies").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    assert!(resp.headers().get("content-length").is_none());
    let movies: Vec<serde_json::Value> = resp.json().await.unwrap();
    assert_eq!(movies.len(), 30_000);
    assert_eq!(movies[0]["title"], "Movie 1");
    assert_eq!(movies[29_999]["title"], "Movie 30000");
    assert_eq!(movies[5]["description"], json!("d".repeat(100)));
}
