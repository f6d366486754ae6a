//! The built binary after an RDS-style password rotation: the login comes
//! from a Secrets Manager secret (moto) named by `PGPASSWORD_SECRET_ARN`, on
//! a PostgreSQL of its own that checks passwords (the shared one trusts
//! 127.0.0.1). The password changes under the running consumer, its
//! connections are killed, the secret is updated a moment later (as RDS
//! does): every order published before, during and after is stored exactly
//! once, none is dead-lettered, without a restart.

use std::process::Stdio;
use std::time::{Duration, Instant};

use moto_harness as moto;
use serde_json::json;
use service_kit::testing::password_postgres::ADMIN_PASSWORD;
use service_kit::testing::{PasswordPostgres, unique};
use tokio::process::{Child, Command};

use crate::helpers::{TestQueue, eventually, order};

const BIN: &str = env!("CARGO_BIN_EXE_billing-app");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn login(password: &str) -> String {
    json!({"username": "billing", "password": password}).to_string()
}

fn orders(from: u32, to: u32) -> Vec<(Option<String>, Vec<u8>)> {
    (from..to)
        .map(|i| {
            (
                Some(format!("rotation-{i}")),
                order(&i.to_string(), "2", "19.90"),
            )
        })
        .collect()
}

async fn ready(base: &str, child: &mut Child) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("billing-app exited early: {status}");
        }
        assert!(Instant::now() < deadline, "billing-app never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_consuming_after_the_password_rotates() {
    let moto = moto::Moto::start();
    let pg = PasswordPostgres::start();
    let admin = pg.admin().await;
    admin
        .batch_execute("CREATE ROLE billing LOGIN PASSWORD 'first-password'")
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE orders OWNER billing")
        .await
        .unwrap();
    let (orders_db, conn) =
        service_kit::db::pg_config(&pg.settings("orders", "postgres", ADMIN_PASSWORD))
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(conn);
    let count = || async {
        orders_db
            .query_one("SELECT count(*) FROM orders", &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(-1)
    };
    let arn = moto::create_secret(&moto.endpoint, &unique("rds"), &login("first-password"));
    let q = TestQueue::new();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .envs(moto.env())
        .env("HTTP_HOST", "127.0.0.1")
        .env("HTTP_PORT", port.to_string())
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", pg.port.to_string())
        .env("PGDATABASE", "orders")
        .env("PGPASSWORD_SECRET_ARN", &arn)
        .env("BILLING_QUEUE", &q.amqp.queue)
        .env("BILLING_RETRY_MAX_MS", "2000")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .kill_on_drop(true);
    if std::env::var_os("TEST_LOG").is_none() {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let mut child = cmd.spawn().expect("spawn billing-app");
    ready(&base, &mut child).await;

    q.publish_all(&orders(0, 10)).await;
    assert!(eventually(Duration::from_secs(15), || async { count().await == 10 }).await);

    // The rotation: the database first, then (1 s later) the secret; orders
    // keep arriving throughout.
    admin
        .batch_execute("ALTER ROLE billing PASSWORD 'second-password'")
        .await
        .unwrap();
    let killed = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'billing'",
            &[],
        )
        .await
        .unwrap();
    assert!(killed > 0, "billing-app had no connection to kill");
    q.publish_all(&orders(10, 20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    moto::put_secret_value(&moto.endpoint, &arn, &login("second-password"));
    let secret_updated = Instant::now();
    q.publish_all(&orders(20, 30)).await;

    assert!(
        eventually(Duration::from_secs(20), || async { count().await == 30 }).await,
        "orders stored after the rotation: {} of 30",
        count().await
    );
    eprintln!(
        "rotation: all 30 orders stored {:?} after the secret update",
        secret_updated.elapsed()
    );
    let distinct: i64 = orders_db
        .query_one("SELECT count(DISTINCT message_id) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(distinct, 30);
    assert_eq!(q.depth(&q.amqp.dead_letter_queue()).await, 0);
    assert_eq!(q.depth(&q.amqp.queue).await, 0);

    let pid = child.id().expect("running") as i32;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
