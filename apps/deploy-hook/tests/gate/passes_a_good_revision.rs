use deploy_hook::HookStatus;
use runtime_contract::probes::READINESS_PATH;
use serde_json::json;

use crate::helpers::{details, event_with, gate, recorded_event, spawn_inventory};

#[tokio::test]
async fn readiness_and_a_real_read_succeed_against_a_healthy_inventory() {
    let inventory = spawn_inventory().await;
    let paths = [READINESS_PATH, "/api/movies?limit=1"];
    let verdict = gate()
        .evaluate(event_with(details(&inventory.base_url, &paths, 2_000)))
        .await;
    assert_eq!(verdict.status, HookStatus::Succeeded, "{verdict:?}");
    assert_eq!(verdict.refused, None);
    let checked: Vec<_> = verdict.checks.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(checked, paths);
    for check in &verdict.checks {
        assert!(check.passed, "{check:?}");
        assert_eq!(check.status, Some(200));
        assert_eq!(check.reason, "answered 200 OK");
        assert!(check.latency_ms < 2_000, "{check:?}");
    }
}

#[tokio::test]
async fn the_handler_answers_the_json_ecs_reads() {
    let inventory = spawn_inventory().await;
    let response = gate()
        .handle(event_with(json!({"base_url": inventory.base_url})))
        .await;
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"hookStatus": "SUCCEEDED"})
    );
}

#[test]
fn the_recorded_event_calls_the_contract_readiness_path_and_a_read() {
    let event = recorded_event();
    assert_eq!(event["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT");
    let paths = &event["hookDetails"]["paths"];
    assert_eq!(paths[0], READINESS_PATH);
    assert_eq!(paths[1], "/api/movies?limit=1");
    let port = runtime_contract::apps::INVENTORY.default_port;
    assert_eq!(
        event["hookDetails"]["base_url"],
        format!("http://127.0.0.1:{port}")
    );
}
