//! `infragen deploy` and `infragen status` through the ECS service deployment
//! lifecycle, against a scripted ECS endpoint on a loopback port.
//!
//! Why scripted: moto (the emulator `ops_moto.rs` uses) has none of the
//! ServiceDeployment calls — `ListServiceDeployments`,
//! `DescribeServiceDeployments`, `StopServiceDeployment`,
//! `ContinueServiceDeployment` answer an HTML 500 there — and never starts
//! tasks, so it can neither roll a deployment forward nor back. The endpoint
//! below replays the JSON shapes of the ECS API reference (field names as the
//! service returns them: `lifecycleStage`, `targetServiceRevision`,
//! `requestedProductionTrafficWeight`, `deploymentCircuitBreaker.failureCount`,
//! `alarms.triggeredAlarmNames`, `rollback.reason`, `lifecycleHookDetails`…),
//! one answer per poll, and records every request so the tests can check what
//! the CLI sent.
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/inventory-app";
const ARN: &str = "arn:aws:ecs:us-east-1:123456789012";
/// When ECS created the deployment the UpdateService started.
const UPDATED_AT: f64 = 1767225600.0;

fn sd_arn(id: &str) -> String {
    format!("{ARN}:service-deployment/shop/shop-inventory/{id}")
}

fn td(rev: u32, tag: &str) -> Value {
    json!({
        "taskDefinitionArn": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "family": "shop-inventory",
        "revision": rev,
        "containerDefinitions": [{"name": "inventory", "image": format!("{REPO}:{tag}"), "essential": true}],
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "status": "ACTIVE"
    })
}

fn deployment(id: &str, status: &str, rev: u32, running: i32, rollout: &str) -> Value {
    json!({
        "id": id, "status": status,
        "taskDefinition": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "desiredCount": 2, "runningCount": running, "pendingCount": 0, "failedTasks": 0,
        "rolloutState": rollout, "rolloutStateReason": "",
        "createdAt": UPDATED_AT, "updatedAt": UPDATED_AT
    })
}

fn service(rev: u32, deployments: Vec<Value>) -> Value {
    json!({
        "serviceName": "shop-inventory",
        "serviceArn": format!("{ARN}:service/shop/shop-inventory"),
        "clusterArn": format!("{ARN}:cluster/shop"),
        "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
        "taskDefinition": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "deployments": deployments,
        "events": [{"id": "e1", "createdAt": UPDATED_AT - 86000.0,
                    "message": "(service shop-inventory) has reached a steady state."}]
    })
}

fn revision(id: &str, running: i32, production: Option<f64>, test: Option<f64>) -> Value {
    let mut r = json!({
        "arn": format!("{ARN}:service-revision/shop/shop-inventory/{id}"),
        "requestedTaskCount": 2, "runningTaskCount": running, "pendingTaskCount": 2 - running
    });
    if let Some(p) = production {
        r["requestedProductionTrafficWeight"] = json!(p);
    }
    if let Some(t) = test {
        r["requestedTestTrafficWeight"] = json!(t);
    }
    r
}

/// A `ServiceDeployment` as DescribeServiceDeployments returns it.
/// `new_weight` is the new revision's share of production traffic (None for
/// a rolling deployment, which has no traffic weights).
fn sd(status: &str, stage: &str, strategy: &str, new_weight: Option<f64>) -> Value {
    let old_weight = new_weight.map(|w| 100.0 - w);
    let test = new_weight.map(|_| 100.0);
    json!({
        "serviceDeploymentArn": sd_arn("2Xb8YpTzK1nQ"),
        "serviceArn": format!("{ARN}:service/shop/shop-inventory"),
        "clusterArn": format!("{ARN}:cluster/shop"),
        "createdAt": UPDATED_AT,
        "startedAt": UPDATED_AT + 1.0,
        "updatedAt": UPDATED_AT + 30.0,
        "sourceServiceRevisions": [revision("5195270375958341201", 2, old_weight, test.map(|_| 0.0))],
        "targetServiceRevision": revision("4980306466373577095", 2, new_weight, test),
        "status": status,
        "statusReason": "",
        "lifecycleStage": stage,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "maximumPercent": 200, "minimumHealthyPercent": 100,
            "alarms": {"alarmNames": ["shop-inventory-5xx-ratio", "shop-inventory-p99"], "enable": true, "rollback": true},
            "strategy": strategy,
            "bakeTimeInMinutes": 10,
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}
        },
        "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 0, "threshold": 3},
        "alarms": {"status": "MONITORING", "alarmNames": ["shop-inventory-5xx-ratio", "shop-inventory-p99"]}
    })
}

/// What the endpoint answers: DescribeServiceDeployments returns
/// `deployments[n]` on its n-th call (the last one again after that);
/// ListServiceDeployments lists an older, finished deployment and the
/// current one with the status of the answer DescribeServiceDeployments
/// would give now.
struct Script {
    deployments: Vec<Value>,
    /// Throttle the second DescribeServices poll once (the wait loop must retry).
    throttle_once: bool,
}

#[derive(Default)]
struct State {
    updated: bool,
    sd_calls: usize,
    service_polls: u32,
    throttled: bool,
}

fn current<'a>(script: &'a Script, st: &State) -> &'a Value {
    let i = st.sd_calls.min(script.deployments.len() - 1);
    &script.deployments[i]
}

fn list_answer(script: &Script, st: &State) -> Value {
    let now = current(script, st);
    json!({"serviceDeployments": [
        {"serviceDeploymentArn": sd_arn("1Qa7XwRzJ0mP"), "serviceArn": format!("{ARN}:service/shop/shop-inventory"),
         "clusterArn": format!("{ARN}:cluster/shop"), "createdAt": UPDATED_AT - 86400.0,
         "startedAt": UPDATED_AT - 86399.0, "finishedAt": UPDATED_AT - 86000.0,
         "targetServiceRevisionArn": format!("{ARN}:service-revision/shop/shop-inventory/5195270375958341201"),
         "status": "SUCCESSFUL", "statusReason": ""},
        {"serviceDeploymentArn": now["serviceDeploymentArn"], "serviceArn": now["serviceArn"],
         "clusterArn": now["clusterArn"], "createdAt": UPDATED_AT + 0.4, "startedAt": UPDATED_AT + 1.0,
         "targetServiceRevisionArn": now["targetServiceRevision"]["arn"],
         "status": now["status"], "statusReason": now["statusReason"]}
    ]})
}

/// Answers one ECS JSON-protocol call.
fn answer(target: &str, script: &Script, st: &mut State) -> Value {
    let rolled_back = current(script, st)["status"]
        .as_str()
        .is_some_and(|s| s.starts_with("ROLLBACK"));
    match target {
        "DescribeClusters" => {
            json!({"clusters": [{"clusterName": "shop", "status": "ACTIVE"}], "failures": []})
        }
        "DescribeTaskDefinition" => json!({"taskDefinition": td(1, "1.0.0"), "tags": []}),
        "RegisterTaskDefinition" => json!({"taskDefinition": td(2, "2.0.0")}),
        "UpdateService" => {
            st.updated = true;
            json!({"service": service(2, vec![
                deployment("ecs-svc/2", "PRIMARY", 2, 0, "IN_PROGRESS"),
                deployment("ecs-svc/1", "ACTIVE", 1, 2, "COMPLETED"),
            ])})
        }
        "DescribeServices" if !st.updated || rolled_back => json!({"services": [service(1, vec![
            deployment("ecs-svc/1", "PRIMARY", 1, 2, "COMPLETED"),
        ])], "failures": []}),
        "DescribeServices" => {
            st.service_polls += 1;
            let mut s = service(
                2,
                vec![
                    deployment("ecs-svc/2", "PRIMARY", 2, 1, "IN_PROGRESS"),
                    deployment("ecs-svc/1", "ACTIVE", 1, 1, "COMPLETED"),
                ],
            );
            // A new event from the second poll on (the first poll's are history).
            if st.service_polls > 1 {
                s["events"] = json!([{"id": "e2", "createdAt": UPDATED_AT + 20.0,
                    "message": "(service shop-inventory) has started 1 tasks: (task 4f1c)."},
                    s["events"][0].clone()]);
            }
            json!({"services": [s], "failures": []})
        }
        "ListServiceDeployments" => list_answer(script, st),
        "DescribeServiceDeployments" => {
            let d = current(script, st).clone();
            st.sd_calls += 1;
            json!({"serviceDeployments": [d], "failures": []})
        }
        "StopServiceDeployment" | "ContinueServiceDeployment" => {
            json!({"serviceDeploymentArn": current(script, st)["serviceDeploymentArn"]})
        }
        other => json!({"__unexpected": other}),
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let target = header("x-amz-target")?.rsplit('.').next()?.to_string();
    Some((
        target,
        String::from_utf8_lossy(&buf[header_end..]).to_string(),
    ))
}

/// (X-Amz-Target operation, request body) of every call received.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// Starts the scripted endpoint; returns its URL and the calls it received.
fn fake_ecs(script: Script) -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    std::thread::spawn(move || {
        let mut st = State::default();
        for stream in listener.incoming().take(400) {
            let Ok(mut stream) = stream else { continue };
            let Some((target, body)) = read_request(&mut stream) else {
                continue;
            };
            let throttle = script.throttle_once
                && target == "DescribeServices"
                && st.updated
                && st.service_polls == 1
                && !st.throttled;
            let (status, reply) = if throttle {
                st.throttled = true;
                let e = json!({"__type": "ThrottlingException", "message": "Rate exceeded"});
                ("400 Bad Request", e.to_string())
            } else {
                ("200 OK", answer(&target, &script, &mut st).to_string())
            };
            let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            seen.lock().unwrap().push((target, body));
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    (url, calls)
}

fn infragen(endpoint: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_infragen"))
        .args(args)
        .args(["--cluster", "shop", "--tf-dir", "/nonexistent"])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap()
}

/// `deploy` with `wait` flags (and a 30 s timeout unless they give one).
fn deploy(endpoint: &str, wait: &[&str]) -> std::process::Output {
    let mut args = vec![
        "deploy",
        "--service",
        "shop-inventory",
        "--image-tag",
        "2.0.0",
        "--poll-interval",
        "1",
    ];
    args.extend(wait);
    if !wait.contains(&"--timeout") {
        args.extend(["--timeout", "30"]);
    }
    infragen(endpoint, &args)
}

fn texts(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn calls_to(calls: &Calls, op: &str) -> Vec<Value> {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == op)
        .map(|(_, b)| b.clone())
        .collect()
}

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
    assert_eq!(list[0]["createdAt"]["after"].as_f64(), Some(UPDATED_AT));
    assert_eq!(list.len(), 1, "found once, then described by ARN");
    let described = calls_to(&calls, "DescribeServiceDeployments");
    assert!(described.len() >= 4);
    assert!(
        described
            .iter()
            .all(|b| b["serviceDeploymentArns"] == json!([sd_arn("2Xb8YpTzK1nQ")]))
    );
}

fn alarm_rollback() -> Value {
    let mut d = sd(
        "ROLLBACK_IN_PROGRESS",
        "TEST_TRAFFIC_SHIFT",
        "BLUE_GREEN",
        Some(0.0),
    );
    d["statusReason"] =
        json!("Service deployment rolled back because of alarm shop-inventory-5xx-ratio.");
    d["alarms"] = json!({"status": "TRIGGERED",
        "alarmNames": ["shop-inventory-5xx-ratio", "shop-inventory-p99"],
        "triggeredAlarmNames": ["shop-inventory-5xx-ratio"]});
    d["rollback"] = json!({"reason": "CloudWatch alarm shop-inventory-5xx-ratio is in ALARM state.",
        "startedAt": UPDATED_AT + 200.0,
        "serviceRevisionArn": format!("{ARN}:service-revision/shop/shop-inventory/5195270375958341201")});
    d
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

fn paused() -> Value {
    let mut d = sd(
        "IN_PROGRESS",
        "POST_TEST_TRAFFIC_SHIFT",
        "BLUE_GREEN",
        Some(0.0),
    );
    d["lifecycleHookDetails"] = json!([{
        "hookId": "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "targetType": "PAUSE", "status": "AWAITING_ACTION",
        "expiresAt": UPDATED_AT + 600.0, "timeoutAction": "ROLLBACK"
    }]);
    d
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
