//! The built binary: SIGTERM with requests in flight, `healthcheck`, bad configuration.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::helpers::{CutProxy, TestDb, postgres_addr};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_inventory-app");

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn command(port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HTTP_HOST", "127.0.0.1")
        .env("HTTP_PORT", port.to_string())
        .env("HTTP_WORKERS", "2")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .kill_on_drop(true);
    if std::env::var_os("TEST_LOG").is_none() {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    cmd
}

pub(crate) async fn wait_ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("inventory-app exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "inventory-app never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("running") as libc::pid_t;
    // SAFETY: plain kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(rc, 0, "kill(SIGTERM)");
}

/// SIGTERM, then the exit code (within 10 s).
pub(crate) async fn terminate(child: &mut Child) -> Option<i32> {
    sigterm(child);
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited within 10 s of SIGTERM")
        .unwrap()
        .code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_and_exits_0() {
    let db = TestDb::create().await;
    // Requests are made slow by delaying PostgreSQL's answers in a proxy.
    let proxy = CutProxy::start(postgres_addr()).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = command(port)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", proxy.port.to_string())
        .env("PGDATABASE", db.name())
        .env("SHUTDOWN_TIMEOUT_SECS", "20")
        .spawn()
        .expect("spawn inventory-app");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_ready(&client, &base, &mut child).await;
    let created: serde_json::Value = client
        .post(format!("{base}/api/movies"))
        .json(&serde_json::json!({"title": "Alien", "description": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();

    proxy.set_delay(Duration::from_millis(800));
    let mut in_flight = Vec::new();
    for _ in 0..6 {
        let client = client.clone();
        let url = format!("{base}/api/movies/{id}");
        in_flight.push(tokio::spawn(async move {
            let started = Instant::now();
            let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let body = resp.text().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((status, body, started.elapsed()))
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    sigterm(&child);

    for task in in_flight {
        let (status, body, took) = task.await.unwrap().expect("in-flight request failed");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Alien"));
        assert!(
            took >= Duration::from_millis(700),
            "request was not actually slow: {took:?}"
        );
    }
    // no new connections once draining
    tokio::time::sleep(Duration::from_millis(200)).await;
    let late = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(late.is_err(), "still accepting after SIGTERM: {late:?}");
    let status = tokio::time::timeout(Duration::from_secs(25), child.wait())
        .await
        .expect("inventory-app did not exit after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0), "exit status {status}");
    assert!(signalled.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_subcommand_probes_healthz() {
    let db = TestDb::create().await;
    let port = free_port();
    // nothing listening yet: exit 1
    let status = command(port).arg("healthcheck").status().await.unwrap();
    assert_eq!(status.code(), Some(1));
    let mut child = command(port).env("PGDATABASE", db.name()).spawn().unwrap();
    let client = reqwest::Client::new();
    wait_ready(&client, &format!("http://127.0.0.1:{port}"), &mut child).await;
    let status = command(port).arg("healthcheck").status().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let status = command(port).arg("bogus").status().await.unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(terminate(&mut child).await, Some(0));
}

#[tokio::test]
async fn invalid_configuration_exits_2_naming_the_variable() {
    for (var, value) in [
        ("HTTP_PORT", "eighty"),
        ("PGSSLMODE", "sometimes"),
        ("PG_POOL_SIZE", "0"),
        ("PGPASSWORD_SECRET_ARN", "my-database-secret"),
    ] {
        let out = Command::new(BIN)
            .env_clear()
            .env(var, value)
            .output()
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(var), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_while_the_database_is_down_and_becomes_ready_when_it_returns() {
    let db = TestDb::create().await;
    let proxy = CutProxy::start(postgres_addr()).await;
    proxy.cut();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = command(port)
        .env("PGPORT", proxy.port.to_string())
        .env("PGDATABASE", db.name())
        .env("PGCONNECT_TIMEOUT", "1")
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let r = client
        .get(format!("{base}/api/movies"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    proxy.restore();
    wait_ready(&client, &base, &mut child).await;
    let r = client
        .get(format!("{base}/api/movies"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(terminate(&mut child).await, Some(0));
}
