//! Hostile input: always a 4xx JSON error, never a 5xx, and the process keeps serving.

use serde_json::json;

use crate::helpers::{TestApp, assert_json_error, spawn_app};

async fn still_alive(app: &TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/api/movies").await.status(), 200);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    for body in [
        &b"{\"title\":"[..],
        b"{title: 'x'}",
        b"not json",
        b"",
        b"{\"title\":\"a\"} trailing",
        b"\xff\xfe\x00",
    ] {
        let resp = app
            .post_raw("/api/movies", Some("application/json"), body.to_vec())
            .await;
        let err = assert_json_error(resp, 400).await;
        assert_ne!(err["error"], "internal_error");
    }
    still_alive(&app).await;
}

#[tokio::test]
async fn wrong_types_are_400() {
    let app = spawn_app().await;
    let m = app.create_movie("Alien", "").await;
    for body in [
        json!({"title": 5, "description": "x"}),
        json!({"title": "x", "description": 7}),
        json!({"title": ["x"]}),
        json!({"title": {"nested": true}}),
        json!({"title": true}),
        json!([]),
        json!("Alien"),
        json!(42),
        json!(null),
    ] {
        let err = assert_json_error(app.post_json("/api/movies", &body).await, 400).await;
        assert_eq!(err["error"], "invalid_field", "{body}");
        assert_json_error(
            app.put_json(&format!("/api/movies/{}", m.id), &body).await,
            400,
        )
        .await;
    }
    still_alive(&app).await;
}

#[tokio::test]
async fn missing_empty_or_oversized_title_is_400() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"description": "no title"}),
        json!({"title": null}),
        json!({"title": ""}),
        json!({"title": "   \t\n "}),
        json!({"title": "x".repeat(201)}),
        json!({"title": "x".repeat(100_000)}),
        json!({"title": "nul\u{0}byte"}),
        json!({"title": "ok", "description": "d".repeat(10_001)}),
        json!({"title": "ok", "description": "nul\u{0}"}),
    ] {
        let err = assert_json_error(app.post_json("/api/movies", &body).await, 400).await;
        assert_eq!(err["error"], "invalid_field");
    }
    // the limits themselves are fine
    app.create_movie(&"t".repeat(200), &"d".repeat(10_000))
        .await;
    let m = app.create_movie("Alien", "").await;
    let err = assert_json_error(
        app.put_json(
            &format!("/api/movies/{}", m.id),
            &json!({"title": "x".repeat(100_000)}),
        )
        .await,
        400,
    )
    .await;
    assert!(err["message"].as_str().unwrap().contains("title"));
    assert_json_error(
        app.put_json(&format!("/api/movies/{}", m.id), &json!({"title": ""}))
            .await,
        400,
    )
    .await;
    assert_eq!(app.list("").await.len(), 2);
    still_alive(&app).await;
}

#[tokio::test]
async fn twelve_megabyte_body_is_413() {
    let app = spawn_app().await;
    let title = "x".repeat(12 * 1024 * 1024);
    let body = serde_json::to_vec(&json!({"title": title})).unwrap();
    // The server may answer before reading the body and close the
    // connection; what matters is the 413 JSON answer, and the server staying up.
    let resp = app
        .post_raw("/api/movies", Some("application/json"), body.clone())
        .await;
    let err = assert_json_error(resp, 413).await;
    assert_eq!(err["error"], "payload_too_large");
    // chunked, without Content-Length: the limit holds while streaming
    let stream = futures_stream(body);
    let resp = app
        .api
        .post(app.url("/api/movies"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    if let Ok(resp) = resp {
        assert_json_error(resp, 413).await;
    }
    still_alive(&app).await;
    assert!(app.list("").await.is_empty());
}

fn futures_stream(
    body: Vec<u8>,
) -> impl futures_core_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_core_stream::iter(
        body.chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect::<Vec<_>>(),
    )
}

mod futures_core_stream {
    pub use futures_util::stream::{Stream, iter};
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let app = spawn_app().await;
    let body = br#"{"title":"Alien","description":"x"}"#.to_vec();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let err = assert_json_error(app.post_raw("/api/movies", ct, body.clone()).await, 415).await;
        assert_eq!(err["error"], "unsupported_media_type", "{ct:?}");
    }
    let m = app.create_movie("Alien", "").await;
    let resp = app
        .api
        .put(app.url(&format!("/api/movies/{}", m.id)))
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_json_error(resp, 415).await;
    still_alive(&app).await;
}

#[tokio::test]
async fn malformed_ids_are_400_and_unknown_ids_404() {
    let app = spawn_app().await;
    let bad_ids = [
        "abc",
        "-1",
        "0",
        "1.5",
        "1e3",
        "+7",
        "%20",
        "9223372036854775808",
        "99999999999999999999999999999999",
        "%00",
        "%FF",
        "0x10",
    ];
    for id in bad_ids {
        let path = format!("/api/movies/{id}");
        let err = assert_json_error(app.get(&path).await, 400).await;
        assert!(
            ["invalid_id", "invalid_path"].contains(&err["error"].as_str().unwrap()),
            "{id}: {err}"
        );
        assert_json_error(app.delete(&path).await, 400).await;
        assert_json_error(app.put_json(&path, &json!({"title": "x"})).await, 400).await;
    }
    for id in ["1", "424242", "9223372036854775807"] {
        let path = format!("/api/movies/{id}");
        assert_json_error(app.get(&path).await, 404).await;
        assert_json_error(app.delete(&path).await, 404).await;
        assert_json_error(app.put_json(&path, &json!({"title": "x"})).await, 404).await;
    }
    still_alive(&app).await;
}

#[tokio::test]
async fn unknown_methods_are_405_and_unknown_routes_404() {
    let app = spawn_app().await;
    for (method, path) in [
        ("PATCH", "/api/movies"),
        ("PUT", "/api/movies"),
        ("PATCH", "/api/movies/1"),
        ("POST", "/api/movies/1"),
        ("POST", "/healthz"),
        ("DELETE", "/metrics"),
    ] {
        let resp = app
            .api
            .request(method.parse().unwrap(), app.url(path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let err = assert_json_error(resp, 405).await;
        assert_eq!(err["error"], "method_not_allowed", "{method} {path}");
    }
    for path in [
        "/",
        "/api",
        "/api/movie",
        "/api/movies/1/extra",
        "/api/billing",
        "/%2e%2e/etc/passwd",
    ] {
        let err = assert_json_error(app.get(path).await, 404).await;
        assert_eq!(err["error"], "not_found", "{path}");
    }
    still_alive(&app).await;
}

#[tokio::test]
async fn hostile_query_strings_never_fail_the_server() {
    let app = spawn_app().await;
    app.create_movie("Alien", "").await;
    assert_json_error(app.get("/api/movies?title=%00").await, 400).await;
    for q in [
        "?title=%ZZ",
        "?title=a&title=b",
        "?foo=bar",
        "?title",
        "?=&&=",
        "?title=%E2%82",
    ] {
        let resp = app.get(&format!("/api/movies{q}")).await;
        let status = resp.status().as_u16();
        assert!(status == 200 || status == 400, "{q}: {status}");
        if status == 400 {
            assert_json_error(resp, 400).await;
        }
    }
    let long = "a".repeat(5000);
    assert!(app.list(&format!("?title={long}")).await.is_empty());
    still_alive(&app).await;
}
