//! A scripted ECS endpoint for the `deploy` / `status` tests: it replays
//! the JSON shapes of the ECS API reference for the ServiceDeployment calls,
//! which moto does not implement (see `ops_fake_ecs.rs`).
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/inventory-app";
pub const ARN: &str = "arn:aws:ecs:us-east-1:123456789012";
/// When ECS created the deployment the UpdateService started.
pub const UPDATED_AT: f64 = 1767225600.0;

pub fn sd_arn(id: &str) -> String {
    format!("{ARN}:service-deployment/shop/shop-inventory/{id}")
}

pub fn td(rev: u32, tag: &str) -> Value {
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

pub fn deployment(id: &str, status: &str, rev: u32, running: i32, rollout: &str) -> Value {
    json!({
        "id": id, "status": status,
        "taskDefinition": format!("{ARN}:task-definition/shop-inventory:{rev}"),
        "desiredCount": 2, "runningCount": running, "pendingCount": 0, "failedTasks": 0,
        "rolloutState": rollout, "rolloutStateReason": "",
        "createdAt": UPDATED_AT, "updatedAt": UPDATED_AT
    })
}

pub fn service(rev: u32, deployments: Vec<Value>) -> Value {
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

pub fn revision(id: &str, running: i32, production: Option<f64>, test: Option<f64>) -> Value {
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
pub fn sd(status: &str, stage: &str, strategy: &str, new_weight: Option<f64>) -> Value {
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
pub struct Script {
    pub deployments: Vec<Value>,
    /// Throttle the second DescribeServices poll once (the wait loop must retry).
    pub throttle_once: bool,
}

#[derive(Default)]
pub struct State {
    updated: bool,
    sd_calls: usize,
    service_polls: u32,
    throttled: bool,
}

pub fn current<'a>(script: &'a Script, st: &State) -> &'a Value {
    let i = st.sd_calls.min(script.deployments.len() - 1);
    &script.deployments[i]
}

pub fn list_answer(script: &Script, st: &State) -> Value {
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
pub fn answer(target: &str, script: &Script, st: &mut State) -> Value {
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

pub fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
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
pub type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// Starts the scripted endpoint; returns its URL and the calls it received.
pub fn fake_ecs(script: Script) -> (String, Calls) {
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

pub fn infragen(endpoint: &str, args: &[&str]) -> std::process::Output {
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
pub fn deploy(endpoint: &str, wait: &[&str]) -> std::process::Output {
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

pub fn texts(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

pub fn calls_to(calls: &Calls, op: &str) -> Vec<Value> {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == op)
        .map(|(_, b)| b.clone())
        .collect()
}

/// A blue/green deployment rolled back by its 5xx-ratio alarm.
pub fn alarm_rollback() -> Value {
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

/// A blue/green deployment paused at a PAUSE hook after the test traffic shift.
pub fn paused() -> Value {
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
