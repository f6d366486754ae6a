//! `infragen deploy --wait` outcomes that moto cannot produce (it never starts
//! tasks): a circuit-breaker rollback (exit 4) and a steady state (exit 0),
//! against a scripted ECS endpoint on a loopback port.
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/inventory-app";
const ARN: &str = "arn:aws:ecs:us-east-1:123456789012";

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    RolledBack,
    Steady,
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

fn deployment(
    id: &str,
    status: &str,
    rev: u32,
    running: i32,
    rollout: &str,
    reason: &str,
) -> Value {
    json!({
        "id": id, "status": status,
        "taskDefinition": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "desiredCount": 2, "runningCount": running, "pendingCount": 0, "failedTasks": 0,
        "rolloutState": rollout, "rolloutStateReason": reason,
        "createdAt": 1767225600.0, "updatedAt": 1767225600.0
    })
}

fn service(rev: u32, running: i32, deployments: Vec<Value>, events: Vec<Value>) -> Value {
    json!({
        "serviceName": "shop-inventory",
        "serviceArn": format!("{ARN}:service/shop/shop-inventory"),
        "clusterArn": format!("{ARN}:cluster/shop"),
        "status": "ACTIVE", "desiredCount": 2, "runningCount": running, "pendingCount": 0,
        "taskDefinition": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "deployments": deployments, "events": events
    })
}

/// Answers one ECS JSON-protocol call; `updated` tells whether UpdateService ran.
fn answer(target: &str, updated: &mut bool, polls: &mut u32, outcome: Outcome) -> Value {
    match target {
        "DescribeClusters" => {
            json!({"clusters": [{"clusterName": "shop", "status": "ACTIVE"}], "failures": []})
        }
        "DescribeTaskDefinition" => json!({"taskDefinition": td(1, "1.0.0"), "tags": []}),
        "RegisterTaskDefinition" => json!({"taskDefinition": td(2, "2.0.0")}),
        "UpdateService" => {
            *updated = true;
            json!({"service": service(2, 2, vec![
                deployment("ecs-svc/2", "PRIMARY", 2, 0, "IN_PROGRESS", "ECS deployment ecs-svc/2 in progress."),
                deployment("ecs-svc/1", "ACTIVE", 1, 2, "COMPLETED", ""),
            ], vec![])})
        }
        "DescribeServices" if !*updated => json!({"services": [service(1, 2, vec![
            deployment("ecs-svc/1", "PRIMARY", 1, 2, "COMPLETED", "ECS deployment ecs-svc/1 completed."),
        ], vec![])], "failures": []}),
        "DescribeServices" => {
            *polls += 1;
            let s = match (outcome, *polls) {
                // First poll: still rolling; second: the circuit breaker rolled back.
                (_, 1) => service(
                    2,
                    2,
                    vec![
                        deployment("ecs-svc/2", "PRIMARY", 2, 1, "IN_PROGRESS", ""),
                        deployment("ecs-svc/1", "ACTIVE", 1, 1, "COMPLETED", ""),
                    ],
                    vec![],
                ),
                (Outcome::RolledBack, _) => service(
                    1,
                    2,
                    vec![
                        deployment("ecs-svc/3", "PRIMARY", 1, 2, "IN_PROGRESS", ""),
                        deployment(
                            "ecs-svc/2",
                            "ACTIVE",
                            2,
                            0,
                            "FAILED",
                            "ECS deployment circuit breaker: tasks failed to start.",
                        ),
                    ],
                    vec![json!({"id": "e2", "createdAt": 1767225700.0,
                    "message": "(service shop-inventory) rolling back to deployment ecs-svc/3."})],
                ),
                (Outcome::Steady, _) => service(
                    2,
                    2,
                    vec![deployment(
                        "ecs-svc/2",
                        "PRIMARY",
                        2,
                        2,
                        "COMPLETED",
                        "ECS deployment ecs-svc/2 completed.",
                    )],
                    vec![json!({"id": "e3", "createdAt": 1767225700.0,
                    "message": "(service shop-inventory) has reached a steady state."})],
                ),
            };
            json!({"services": [s], "failures": []})
        }
        other => panic!("unexpected ECS call {other}"),
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
type Calls = Arc<Mutex<Vec<(String, String)>>>;

/// A scripted ECS endpoint; returns its URL and the calls it received.
fn fake_ecs(outcome: Outcome) -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    std::thread::spawn(move || {
        let (mut updated, mut polls, mut throttled) = (false, 0, false);
        for stream in listener.incoming().take(100) {
            let Ok(mut stream) = stream else { continue };
            let Some((target, body)) = read_request(&mut stream) else {
                continue;
            };
            // In the steady scenario the second poll is throttled once: the
            // wait loop must report it and poll again, not fail.
            let throttle = outcome == Outcome::Steady
                && target == "DescribeServices"
                && updated
                && polls == 1
                && !throttled;
            let (status, reply) = if throttle {
                throttled = true;
                (
                    "400 Bad Request",
                    json!({"__type": "ThrottlingException", "message": "Rate exceeded"})
                        .to_string(),
                )
            } else {
                (
                    "200 OK",
                    answer(&target, &mut updated, &mut polls, outcome).to_string(),
                )
            };
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

fn deploy_wait(endpoint: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_infragen"))
        .args([
            "deploy",
            "--cluster",
            "shop",
            "--service",
            "shop-inventory",
            "--image-tag",
            "2.0.0",
        ])
        .args([
            "--wait",
            "--timeout",
            "30",
            "--poll-interval",
            "1",
            "--tf-dir",
            "/nonexistent",
        ])
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

#[test]
fn circuit_breaker_rollback_fails_with_exit_code_4() {
    let (endpoint, calls) = fake_ecs(Outcome::RolledBack);
    let out = deploy_wait(&endpoint);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "stderr:\n{stderr}");
    assert!(
        stderr.contains(
            "error: deployment of shop-inventory:2 to `shop-inventory` was rolled back by the deployment circuit breaker"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("tasks failed to start") || stderr.contains("rolling back"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: the service runs shop-inventory:1 again"),
        "{stderr}"
    );

    let calls = calls.lock().unwrap();
    let register = calls
        .iter()
        .find(|(t, _)| t == "RegisterTaskDefinition")
        .expect("registered a revision");
    let body: Value = serde_json::from_str(&register.1).unwrap();
    assert_eq!(body["family"], "shop-inventory");
    assert_eq!(
        body["containerDefinitions"][0]["image"],
        format!("{REPO}:2.0.0")
    );
    assert_eq!(body["cpu"], "256");
    let update = calls
        .iter()
        .find(|(t, _)| t == "UpdateService")
        .expect("updated the service");
    let body: Value = serde_json::from_str(&update.1).unwrap();
    assert!(
        body["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("shop-inventory:2"),
        "{body}"
    );
}

#[test]
fn steady_state_succeeds() {
    let (endpoint, _) = fake_ecs(Outcome::Steady);
    let out = deploy_wait(&endpoint);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("shop-inventory is steady on shop-inventory:2: 2/2 tasks running"),
        "{stdout}"
    );
    // Progress lines (not a TTY): the rollout, then the new event.
    assert!(stderr.contains("running 1/2"), "{stderr}");
    assert!(stderr.contains("has reached a steady state"), "{stderr}");
    assert!(
        stderr.contains("poll failed (DescribeServices was throttled"),
        "{stderr}"
    );
}
