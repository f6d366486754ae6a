//! The crud-master contract, endpoint by endpoint.

use serde_json::{Value, json};

use crate::helpers::{assert_json_error, spawn_app};

#[tokio::test]
async fn post_answers_200_with_the_created_movie() {
    let app = spawn_app().await;
    let resp = app
        .post_json(
            "/api/movies",
            &json!({"title": "Alien", "description": "In space no one can hear you scream"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = resp.json().await.unwrap();
    assert!(body["id"].as_i64().unwrap() > 0);
    assert_eq!(body["title"], "Alien");
    assert_eq!(body["description"], "In space no one can hear you scream");
}

#[tokio::test]
async fn title_is_trimmed_and_description_defaults_to_empty() {
    let app = spawn_app().await;
    let resp = app
        .post_json("/api/movies", &json!({"title": "  Heat  "}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "Heat");
    assert_eq!(body["description"], "");
    let resp = app
        .post_json(
            "/api/movies",
            &json!({"title": "Ran", "description": null, "extra": 1}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn get_all_returns_every_movie_in_id_order() {
    let app = spawn_app().await;
    assert!(app.list("").await.is_empty());
    let a = app.create_movie("Alien", "a").await;
    let b = app.create_movie("Brazil", "b").await;
    let c = app.create_movie("Solaris — Солярис", "c ✓").await;
    assert_eq!(app.list("").await, vec![a, b, c]);
}

#[tokio::test]
async fn get_one_returns_the_movie_or_404() {
    let app = spawn_app().await;
    let m = app.create_movie("Alien", "a").await;
    let resp = app.get(&format!("/api/movies/{}", m.id)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<inventory_app::store::Movie>().await.unwrap(), m);
    assert_json_error(app.get(&format!("/api/movies/{}", m.id + 1000)).await, 404).await;
}

#[tokio::test]
async fn put_updates_the_movie_or_404() {
    let app = spawn_app().await;
    let m = app.create_movie("Alien", "a").await;
    let path = format!("/api/movies/{}", m.id);
    let resp = app
        .put_json(&path, &json!({"title": "Aliens", "description": "b"}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": m.id, "title": "Aliens", "description": "b"})
    );
    // a field left out keeps its value
    let resp = app.put_json(&path, &json!({"description": "c"})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": m.id, "title": "Aliens", "description": "c"})
    );
    let stored: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(stored, body);
    assert_json_error(
        app.put_json(
            "/api/movies/987654",
            &json!({"title": "x", "description": "y"}),
        )
        .await,
        404,
    )
    .await;
    // an update must change something
    assert_json_error(app.put_json(&path, &json!({})).await, 400).await;
}

#[tokio::test]
async fn delete_one_removes_it_then_404() {
    let app = spawn_app().await;
    let m = app.create_movie("Alien", "a").await;
    let other = app.create_movie("Brazil", "b").await;
    let path = format!("/api/movies/{}", m.id);
    let resp = app.delete(&path).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<inventory_app::store::Movie>().await.unwrap(), m);
    assert_json_error(app.get(&path).await, 404).await;
    assert_json_error(app.delete(&path).await, 404).await;
    assert_eq!(app.list("").await, vec![other]);
}

#[tokio::test]
async fn delete_all_removes_every_movie() {
    let app = spawn_app().await;
    for t in ["a", "b", "c"] {
        app.create_movie(t, "").await;
    }
    let resp = app.delete("/api/movies").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"deleted": 3}));
    assert!(app.list("").await.is_empty());
    // idempotent
    let resp = app.delete("/api/movies").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"deleted": 0}));
}

#[tokio::test]
async fn title_filter_is_a_case_insensitive_substring() {
    let app = spawn_app().await;
    let alien = app.create_movie("Alien", "").await;
    let aliens = app.create_movie("ALIENS", "").await;
    let _heat = app.create_movie("Heat", "").await;
    assert_eq!(
        app.list("?title=alien").await,
        vec![alien.clone(), aliens.clone()]
    );
    assert_eq!(app.list("?title=LiEn").await, vec![alien, aliens]);
    assert!(app.list("?title=nothing").await.is_empty());
    // empty filter: everything
    assert_eq!(app.list("?title=").await.len(), 3);
}

#[tokio::test]
async fn percent_and_underscore_in_the_filter_are_literal() {
    let app = spawn_app().await;
    let pct = app.create_movie("100% Pure", "").await;
    let _plain = app.create_movie("1000 Pure", "").await;
    let snake = app.create_movie("snake_case", "").await;
    let _other = app.create_movie("snakeXcase", "").await;
    let backslash = app.create_movie(r"back\slash", "").await;
    // %25 = '%', %5C = '\'
    assert_eq!(app.list("?title=%25").await, vec![pct.clone()]);
    assert_eq!(app.list("?title=100%25").await, vec![pct]);
    assert_eq!(app.list("?title=_").await, vec![snake.clone()]);
    assert_eq!(app.list("?title=e_c").await, vec![snake]);
    assert_eq!(app.list("?title=%5C").await, vec![backslash]);
    // a pattern that would match everything as LIKE matches nothing here
    assert!(app.list("?title=%25_%25").await.is_empty());
}

#[tokio::test]
async fn non_ascii_titles_filter_case_insensitively() {
    let app = spawn_app().await;
    let m = app.create_movie("Élan Vital", "").await;
    assert_eq!(app.list("?title=%C3%A9lan").await, vec![m]); // "élan"
}

#[tokio::test]
async fn every_route_answers_the_same_with_a_trailing_slash() {
    let app = spawn_app().await;
    // the crud-master audit posts to /api/movies/: no redirect, the body is kept
    let resp = app
        .post_json(
            "/api/movies/",
            &json!({"title": "A new movie", "description": "Very short description"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let resp = app.get("/api/movies/").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([created]));
    let resp = app.get("/api/movies/?title=NEW").await;
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([created]));
    let resp = app.get("/api/movies/?title=absent").await;
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([]));
    let resp = app.get(&format!("/api/movies/{id}/")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), created);
    let resp = app
        .put_json(
            &format!("/api/movies/{id}/"),
            &json!({"title": "Renamed", "description": "d"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["title"], "Renamed");
    for path in ["/healthz/", "/readyz/", "/metrics/"] {
        assert_eq!(app.get(path).await.status(), 200, "GET {path}");
    }
    assert_eq!(
        app.delete(&format!("/api/movies/{id}/")).await.status(),
        200
    );
    assert_json_error(app.get(&format!("/api/movies/{id}/")).await, 404).await;
    assert_eq!(app.delete("/api/movies/").await.status(), 200);
}
