//! `infragen deploy` and `infragen status` through the ECS service deployment
//! lifecycle, against a scripted ECS endpoint on a loopback port.
//!
//! Why scripted: moto (the emulator `ops_moto.rs` uses) has none of the
//! ServiceDeployment calls — `ListServiceDeployments`,
//! `DescribeServiceDeployments`, `StopServiceDeployment`,
//! `ContinueServiceDeployment` answer an HTML 500 there — and never starts
//! tasks, so it can neither roll a deployment forward nor back. The endpoint
//! in `fake_ecs/` replays the JSON shapes of the ECS API reference (field names as the
//! service returns them: `lifecycleStage`, `targetServiceRevision`,
//! `requestedProductionTrafficWeight`, `deploymentCircuitBreaker.failureCount`,
//! `alarms.triggeredAlarmNames`, `rollback.reason`, `lifecycleHookDetails`…),
//! one answer per poll, and records every request so the tests can check what
//! the CLI sent.
mod fake_ecs;

use fake_ecs::*;
use serde_json::{Value, json};

#[test]
fn canary_progresses_to_steady() {
    let (endpoint, calls) = fake_ecs(Script {
        deployments: vec![
            sd("IN_PROGRESS", "SCALE_UP", "CANARY", Some(0.0)),
            sd(
                "IN_PROGRESS",
                "PRODUCTION_TRAFFIC_SHIFT",
                "CANARY",
                Some(10.0),
            ),
            sd("IN_PROGRESS", "BAKE_TIME", "CANARY", Some(100.0)),
            sd("SUCCESSFUL", "CLEAN_UP", "CANARY", Some(100.0)),
        ],
        throttle_once: true,
    });
    let out = deploy(&endpoint, &["--wait"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("shop-inventory is steady on shop-inventory:2"),
        "{stdout}"
    );
    // Progress: every stage, the canary's weights, the breaker's count.
    for line in [
        "stage SCALE_UP",
        "stage PRODUCTION_TRAFFIC_SHIFT · production 90% old / 10% new · test 100% new",
        "circuit breaker 0/3 failed tasks",
        "stage BAKE_TIME · production 0% old / 100% new",
        "poll failed (DescribeServices was throttled",
        "has started 1 tasks",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
    // The deploy looked for deployments created since its UpdateService,
    // then followed that one by ARN (the older SUCCESSFUL one is ignored).
    let list = calls_to(&calls, "ListServiceDeployments");
    assert_eq!(list[0]["cluster"], "shop");
    assert_eq!(list[0]["service"], "shop-inventory");
    assert_eq!(
        list[0]["createdAt"]["after"].as_f64(),
        Some(UPDATED_AT - 5.0)
    );
    assert_eq!(list.len(), 1, "found once, then described by ARN");
    let described = calls_to(&calls, "DescribeServiceDeployments");
    assert!(described.len() >= 4);
    assert!(
        described
            .iter()
            .all(|b| b["serviceDeploymentArns"] == json!([sd_arn("2Xb8YpTzK1nQ")]))
    );
}

#[test]
fn blue_green_rolled_back_by_an_alarm_exits_6_with_the_reason() {
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![
            sd("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", "BLUE_GREEN", Some(0.0)),
            alarm_rollback(),
        ],
        throttle_once: false,
    });
    let out = deploy(&endpoint, &["--wait-until", "production-traffic-shift"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(6), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "error: deployment of shop-inventory:2 to `shop-inventory` was rolled back before reaching \
             the PRODUCTION_TRAFFIC_SHIFT stage: CloudWatch alarm shop-inventory-5xx-ratio is in ALARM state.; \
             alarm in ALARM: shop-inventory-5xx-ratio"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: the service runs shop-inventory:1 again"),
        "{stderr}"
    );
    assert!(
        stderr.contains("production 100% old / 0% new · test 100% new"),
        "{stderr}"
    );
}

#[test]
fn circuit_breaker_tripping_is_a_rollback_with_its_count() {
    let mut failing = sd("IN_PROGRESS", "SCALE_UP", "ROLLING", None);
    failing["deploymentCircuitBreaker"]["failureCount"] = json!(2);
    let mut tripped = sd("ROLLBACK_SUCCESSFUL", "SCALE_UP", "ROLLING", None);
    tripped["deploymentCircuitBreaker"] =
        json!({"status": "TRIGGERED", "failureCount": 3, "threshold": 3});
    tripped["statusReason"] = json!("ECS deployment circuit breaker: tasks failed to start.");
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![failing, tripped],
        throttle_once: false,
    });
    let out = deploy(&endpoint, &["--wait"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(6), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("circuit breaker 2/3 failed tasks"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "rolled back before reaching a steady state: ECS deployment circuit breaker: tasks failed to start.; \
             circuit breaker 3/3 failed tasks"
        ),
        "{stderr}"
    );
}

#[test]
fn a_failed_rollback_exits_4() {
    let mut d = sd("ROLLBACK_FAILED", "SCALE_UP", "ROLLING", None);
    d["statusReason"] = json!("The rollback failed: the previous revision cannot start.");
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![d],
        throttle_once: false,
    });
    let out = deploy(&endpoint, &["--wait"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("failed: the rollback failed: The rollback failed"),
        "{stderr}"
    );
}

#[test]
fn wait_until_a_stage_returns_when_it_is_reached() {
    let (endpoint, calls) = fake_ecs(Script {
        deployments: vec![
            sd("IN_PROGRESS", "SCALE_UP", "LINEAR", Some(0.0)),
            sd("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", "LINEAR", Some(0.0)),
            sd(
                "IN_PROGRESS",
                "PRODUCTION_TRAFFIC_SHIFT",
                "LINEAR",
                Some(25.0),
            ),
        ],
        throttle_once: false,
    });
    let out = deploy(&endpoint, &["--wait-until", "test-traffic-shift"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "shop-inventory reached the TEST_TRAFFIC_SHIFT stage: IN_PROGRESS · stage TEST_TRAFFIC_SHIFT"
        ),
        "{stdout}"
    );
    assert_eq!(
        calls_to(&calls, "DescribeServiceDeployments").len(),
        2,
        "stops polling at the stage"
    );
}

#[test]
fn timeout_exits_5() {
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![sd("IN_PROGRESS", "SCALE_UP", "CANARY", Some(0.0))],
        throttle_once: false,
    });
    let started = std::time::Instant::now();
    let out = deploy(&endpoint, &["--wait", "--timeout", "2"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "timed out after 2s waiting for `shop-inventory` to reach a steady state (IN_PROGRESS · stage SCALE_UP"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("infragen deploy rollback --service shop-inventory"),
        "{stderr}"
    );
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn rollback_abort_and_continue_send_the_right_requests() {
    for (command, op, field, value) in [
        ("rollback", "StopServiceDeployment", "stopType", "ROLLBACK"),
        ("abort", "StopServiceDeployment", "stopType", "ABORT"),
        (
            "continue",
            "ContinueServiceDeployment",
            "action",
            "CONTINUE",
        ),
    ] {
        let (endpoint, calls) = fake_ecs(Script {
            deployments: vec![paused()],
            throttle_once: false,
        });
        let out = infragen(
            &endpoint,
            &["deploy", command, "--service", "shop-inventory"],
        );
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{command}: {stdout}\n{stderr}");
        let sent = calls_to(&calls, op);
        assert_eq!(sent.len(), 1, "{command}");
        assert_eq!(sent[0]["serviceDeploymentArn"], sd_arn("2Xb8YpTzK1nQ"));
        assert_eq!(sent[0][field], value, "{command}: {}", sent[0]);
        if command == "continue" {
            assert_eq!(
                sent[0]["hookId"],
                "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw"
            );
            assert!(
                stdout.contains(
                    "continued deployment 2Xb8YpTzK1nQ of shop-inventory past hook ecs-pause-"
                ),
                "{stdout}"
            );
        } else {
            assert!(
                stdout.contains("deployment 2Xb8YpTzK1nQ of shop-inventory (was IN_PROGRESS at stage POST_TEST_TRAFFIC_SHIFT)"),
                "{stdout}"
            );
        }
    }
}

#[test]
fn nothing_in_progress_exits_7() {
    // Only finished deployments: nothing to roll back or continue.
    let (endpoint, calls) = fake_ecs(Script {
        deployments: vec![sd("SUCCESSFUL", "CLEAN_UP", "CANARY", Some(100.0))],
        throttle_once: false,
    });
    for command in ["rollback", "abort", "continue"] {
        let out = infragen(
            &endpoint,
            &["deploy", command, "--service", "shop-inventory"],
        );
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(7), "{command}: {stderr}");
        assert!(
            stderr.contains(
                "error: no deployment of `shop-inventory` is in progress in cluster `shop`"
            ),
            "{stderr}"
        );
    }
    assert!(calls_to(&calls, "StopServiceDeployment").is_empty());
    // In progress but not paused: nothing to continue.
    let (endpoint, calls) = fake_ecs(Script {
        deployments: vec![sd("IN_PROGRESS", "SCALE_UP", "CANARY", Some(0.0))],
        throttle_once: false,
    });
    let out = infragen(
        &endpoint,
        &["deploy", "continue", "--service", "shop-inventory"],
    );
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("is not paused at a hook (stage SCALE_UP)"),
        "{stderr}"
    );
    assert!(calls_to(&calls, "ContinueServiceDeployment").is_empty());
}

#[test]
fn status_shows_the_lifecycle() {
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![paused()],
        throttle_once: false,
    });
    let out = infragen(&endpoint, &["status", "--service", "shop-inventory"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("DEPLOYMENTS  LIFECYCLE\n")
            && stdout.contains("1            IN_PROGRESS POST_TEST_TRAFFIC_SHIFT\n"),
        "{stdout}"
    );
    for line in [
        "  service deployment 2Xb8YpTzK1nQ: IN_PROGRESS",
        "    stage            POST_TEST_TRAFFIC_SHIFT (BLUE_GREEN, bake 10 min)",
        "    traffic          production 100% old / 0% new · test 100% new",
        "    new revision     2/2 running, 0 pending",
        "    circuit breaker  0/3 failed tasks (MONITORING)",
        "    alarms           shop-inventory-5xx-ratio, shop-inventory-p99 (MONITORING)",
        "    hook             PAUSE ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw AWAITING_ACTION until",
        "then ROLLBACK; `infragen deploy continue --service shop-inventory`",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }

    // A finished rollback stays visible with its reason and the alarm.
    let (endpoint, _) = fake_ecs(Script {
        deployments: vec![alarm_rollback()],
        throttle_once: false,
    });
    let out = infragen(
        &endpoint,
        &["status", "--service", "shop-inventory", "--json"],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let status: Value = serde_json::from_str(&stdout).unwrap();
    let l = &status["services"][0]["lifecycle"];
    assert_eq!(l["status"], "ROLLBACK_IN_PROGRESS");
    assert_eq!(l["stage"], "TEST_TRAFFIC_SHIFT");
    assert_eq!(
        l["alarms"]["triggered_alarms"],
        json!(["shop-inventory-5xx-ratio"])
    );
    assert_eq!(
        l["rollback"]["reason"],
        "CloudWatch alarm shop-inventory-5xx-ratio is in ALARM state."
    );
    assert_eq!(l["circuit_breaker"]["threshold"], 3);
    assert_eq!(l["target"]["production_weight"], 0.0);
}
