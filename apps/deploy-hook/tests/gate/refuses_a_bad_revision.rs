use std::time::{Duration, Instant};

use deploy_hook::HookStatus;
use runtime_contract::probes::READINESS_PATH;
use serde_json::json;

use crate::helpers::{closed_port, details, event_with, gate, silent_listener, spawn_inventory};

#[tokio::test]
async fn a_path_answering_404_fails_the_gate_and_says_which() {
    let inventory = spawn_inventory().await;
    let paths = [READINESS_PATH, "/api/movies/999999999"];
    let verdict = gate()
        .evaluate(event_with(details(&inventory.base_url, &paths, 2_000)))
        .await;
    assert_eq!(verdict.status, HookStatus::Failed);
    assert!(verdict.checks[0].passed, "{verdict:?}");
    let bad = &verdict.checks[1];
    assert!(!bad.passed);
    assert_eq!(bad.status, Some(404));
    assert_eq!(bad.reason, "answered 404 Not Found, expected 2xx");
    assert_eq!(
        verdict.failures(),
        "/api/movies/999999999: answered 404 Not Found, expected 2xx"
    );
    assert_eq!(
        serde_json::to_value(verdict.response()).unwrap(),
        json!({"hookStatus": "FAILED"})
    );
}

#[tokio::test]
async fn readiness_answering_503_without_its_database_fails_the_gate() {
    let inventory = spawn_inventory().await;
    inventory.proxy.cut();
    let verdict = gate()
        .evaluate(event_with(details(
            &inventory.base_url,
            &[READINESS_PATH],
            5_000,
        )))
        .await;
    assert_eq!(verdict.status, HookStatus::Failed, "{verdict:?}");
    assert_eq!(verdict.checks[0].status, Some(503));
    assert_eq!(
        verdict.checks[0].reason,
        "answered 503 Service Unavailable, expected 2xx"
    );
}

#[tokio::test]
async fn a_closed_port_fails_the_gate_with_the_connection_error() {
    let port = closed_port().await;
    let verdict = gate()
        .evaluate(event_with(details(
            &format!("http://127.0.0.1:{port}"),
            &[READINESS_PATH],
            2_000,
        )))
        .await;
    assert_eq!(verdict.status, HookStatus::Failed);
    let check = &verdict.checks[0];
    assert_eq!(check.status, None);
    assert!(check.reason.starts_with("could not connect: "), "{check:?}");
    assert!(
        check.reason.to_lowercase().contains("connection refused"),
        "{check:?}"
    );
}

#[tokio::test]
async fn a_revision_that_never_answers_fails_within_the_timeout() {
    let (port, _listener) = silent_listener().await;
    let started = Instant::now();
    // Three paths, checked concurrently: the whole gate takes one timeout.
    let verdict = gate()
        .evaluate(event_with(details(
            &format!("http://127.0.0.1:{port}"),
            &[READINESS_PATH, "/api/movies?limit=1", "/healthz"],
            300,
        )))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(verdict.status, HookStatus::Failed);
    for check in &verdict.checks {
        assert_eq!(
            check.reason, "no complete answer within 300 ms",
            "{check:?}"
        );
        assert!((300..1_500).contains(&check.latency_ms), "{check:?}");
    }
    assert!(elapsed < Duration::from_millis(1_500), "took {elapsed:?}");
}

#[tokio::test]
async fn one_failing_path_among_passing_ones_fails_the_gate() {
    let inventory = spawn_inventory().await;
    let port = closed_port().await;
    // A healthy base URL for the readiness path is not enough: every path must pass.
    let verdict = gate()
        .evaluate(event_with(details(
            &inventory.base_url,
            &[READINESS_PATH, "/nope"],
            2_000,
        )))
        .await;
    assert_eq!(verdict.status, HookStatus::Failed);
    assert_eq!(verdict.checks.iter().filter(|c| c.passed).count(), 1);
    let verdict = gate()
        .evaluate(event_with(details(
            &format!("http://127.0.0.1:{port}"),
            &[READINESS_PATH],
            2_000,
        )))
        .await;
    assert_eq!(verdict.status, HookStatus::Failed);
}
