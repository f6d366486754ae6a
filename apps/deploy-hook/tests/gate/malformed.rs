use deploy_hook::HookStatus;
use serde_json::{Value, json};

use crate::helpers::{event_with, gate, recorded_event};

/// The gate's verdict on `event`: FAILED, refused before any check, with a
/// reason containing `want`.
async fn assert_refused(event: Value, want: &str) {
    let verdict = gate().evaluate(event.clone()).await;
    assert_eq!(verdict.status, HookStatus::Failed, "{event}");
    assert!(verdict.checks.is_empty(), "{verdict:?}");
    let reason = verdict.refused.expect("a reason");
    assert!(reason.contains(want), "{event}: {reason:?} lacks {want:?}");
}

#[tokio::test]
async fn malformed_hook_details_fail_the_gate_with_the_reason() {
    let cases = [
        (json!(null), "hookDetails is missing"),
        (json!("base_url=http://h"), "a string that is not JSON"),
        (
            json!({"base_url": "http://h", "paths": "/readyz"}),
            "invalid type: string \"/readyz\", expected a sequence",
        ),
        (
            json!({"base_url": "http://h", "timeout": 5}),
            "unknown field `timeout`",
        ),
        (
            json!({"base_url": "tcp://h:1"}),
            "the scheme must be http or https",
        ),
        (
            json!({"base_url": "http://h", "paths": ["readyz"]}),
            "must start with a single /",
        ),
        (
            json!({"base_url": "http://h", "timeout_ms": 0}),
            "timeout_ms 0",
        ),
    ];
    for (details, want) in cases {
        assert_refused(event_with(details), want).await;
    }
}

#[tokio::test]
async fn the_committed_malformed_event_fails_the_gate() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/events/malformed-hook-details.json"
    );
    let event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_refused(event, "hookDetails: invalid type: string \"/readyz\"").await;
}

#[tokio::test]
async fn an_event_that_is_not_a_lifecycle_hook_fails_the_gate() {
    assert_refused(
        json!({"hello": "world"}),
        "not an ECS lifecycle hook event: missing field `executionId`",
    )
    .await;
    assert_refused(json!([1, 2, 3]), "not an ECS lifecycle hook event").await;
    let mut event = recorded_event();
    event["executionDetails"] = json!("nope");
    assert_refused(event, "not an ECS lifecycle hook event").await;
}
