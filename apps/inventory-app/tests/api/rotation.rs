//! The built binary after an RDS-style password rotation: the login comes
//! from a Secrets Manager secret (moto) named by `PGPASSWORD_SECRET_ARN`, on
//! a PostgreSQL of its own that checks passwords (the shared one trusts
//! 127.0.0.1). The password changes under the running service, its
//! connections are killed, the secret is updated a moment later (as RDS
//! does): the service serves again by itself, and no request in between
//! gets anything but a 200 or a clean 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use moto_harness as moto;
use serde_json::json;
use service_kit::testing::{PasswordPostgres, unique};
use tokio::process::Command;

use crate::binary::{BIN, command, free_port, terminate, wait_ready};

fn login(user: &str, password: &str) -> String {
    json!({"username": user, "password": password}).to_string()
}

/// One request of the load: when it was sent, its status (0: no answer),
/// and whether a 503 carried `Retry-After`.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    sent: Instant,
    status: u16,
    retry_after: bool,
}

/// GET and POST alternately every 20 ms until `stop`.
async fn load(client: reqwest::Client, base: String, stop: Arc<AtomicBool>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let sent = Instant::now();
        let request = if n.is_multiple_of(2) {
            client.get(format!("{base}/api/movies"))
        } else {
            client
                .post(format!("{base}/api/movies"))
                .json(&json!({"title": format!("m{n}"), "description": "rotation"}))
        };
        let (status, retry_after) = match request.send().await {
            Ok(r) => (r.status().as_u16(), r.headers().contains_key("retry-after")),
            Err(_) => (0, false),
        };
        outcomes.push(Outcome {
            sent,
            status,
            retry_after,
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_again_by_itself_after_the_password_rotates_with_no_500() {
    let moto = moto::Moto::start();
    let pg = PasswordPostgres::start();
    let admin = pg.admin().await;
    admin
        .batch_execute("CREATE ROLE inventory LOGIN PASSWORD 'first-password'")
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE movies OWNER inventory")
        .await
        .unwrap();
    let arn = moto::create_secret(
        &moto.endpoint,
        &unique("rds"),
        &login("inventory", "first-password"),
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // PGUSER stays the default `postgres`: the secret's username must win.
    let mut child = command(port)
        .envs(moto.env())
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", pg.port.to_string())
        .env("PGDATABASE", "movies")
        .env("PGPASSWORD_SECRET_ARN", &arn)
        .spawn()
        .expect("spawn inventory-app");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    wait_ready(&client, &base, &mut child).await;

    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load(client.clone(), base.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The rotation: the database first, then (1 s later) the secret.
    let rotated_at = Instant::now();
    admin
        .batch_execute("ALTER ROLE inventory PASSWORD 'second-password'")
        .await
        .unwrap();
    let killed = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'inventory'",
            &[],
        )
        .await
        .unwrap();
    assert!(killed > 0, "the service had no connection to kill");
    tokio::time::sleep(Duration::from_secs(1)).await;
    moto::put_secret_value(&moto.endpoint, &arn, &login("inventory", "second-password"));
    let secret_updated = Instant::now();

    // Served again within a bounded time, then keeps serving.
    let deadline = secret_updated + Duration::from_secs(15);
    let recovered = loop {
        let r = client.get(format!("{base}/api/movies")).send().await;
        if r.is_ok_and(|r| r.status() == 200) {
            break Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "not serving 15 s after the secret was updated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let outcomes = load.await.unwrap();

    let count = |s: u16| outcomes.iter().filter(|o| o.status == s).count();
    eprintln!(
        "rotation: {} requests, {} × 200, {} × 503; serving {:?} after the secret update ({:?} after the password change)",
        outcomes.len(),
        count(200),
        count(503),
        recovered - secret_updated,
        recovered - rotated_at,
    );
    let odd: Vec<_> = outcomes
        .iter()
        .filter(|o| o.status != 200 && o.status != 503)
        .collect();
    assert!(odd.is_empty(), "answers other than 200/503: {odd:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.status == 503)
            .all(|o| o.retry_after),
        "a 503 without Retry-After"
    );
    let after: Vec<_> = outcomes
        .iter()
        .filter(|o| o.sent > recovered + Duration::from_millis(200))
        .collect();
    assert!(after.len() > 20, "too little load after recovery");
    assert!(
        after.iter().all(|o| o.status == 200),
        "failures after recovery: {after:?}"
    );
    // Every connection the service holds now logged in with the new password.
    let live: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'inventory'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(live > 0, "no connection after the rotation");
    assert_eq!(terminate(&mut child).await, Some(0));
}

#[tokio::test]
async fn a_secret_that_does_not_exist_stops_the_start_with_a_clear_error() {
    let moto = moto::Moto::start();
    // moto loads its Secrets Manager backend on the first call, which can take
    // seconds on a busy machine: warm it up so the service's bounded read
    // meets a ready emulator and gets its answer.
    moto::secretsmanager_call(&moto.endpoint, "ListSecrets", json!({}));
    let arn = format!(
        "arn:aws:secretsmanager:{}:123456789012:secret:no-such-secret-AbCdEf",
        moto::REGION
    );
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(BIN)
            .env_clear()
            .envs(moto.env())
            .env("HTTP_HOST", "127.0.0.1")
            .env("HTTP_PORT", free_port().to_string())
            .env("PGPASSWORD_SECRET_ARN", &arn)
            .output(),
    )
    .await
    .expect("exits within 30 s")
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PGPASSWORD_SECRET_ARN"), "{stdout}");
    assert!(stdout.contains(&arn), "{stdout}");
    assert!(stdout.contains("ResourceNotFoundException"), "{stdout}");
}
