use std::path::PathBuf;
use std::time::Duration;

use deploy_hook::Gate;
use inventory_app::config::Settings;
use inventory_app::startup::{self, InventoryApp};
use runtime_contract::probes::READINESS_PATH;
use serde_json::{Value, json};
use service_kit::config::{HttpSettings, LogSettings};
use service_kit::db;
use service_kit::server::ShutdownHandle;
use service_kit::testing::{CutProxy, TestDatabase, empty_env, postgres_addr};
use tokio::net::TcpListener;

/// The recorded `POST_TEST_TRAFFIC_SHIFT` event the cargo-lambda check
/// (scripts/checks/17-deploy-hook.sh) invokes the function with.
pub fn recorded_event() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events/post-test-traffic-shift.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The recorded event with its `hookDetails` replaced.
pub fn event_with(details: Value) -> Value {
    let mut event = recorded_event();
    event["hookDetails"] = details;
    event
}

/// `hookDetails` calling `paths` on `base_url` with `timeout_ms`.
pub fn details(base_url: &str, paths: &[&str], timeout_ms: u64) -> Value {
    json!({"base_url": base_url, "paths": paths, "timeout_ms": timeout_ms})
}

pub fn gate() -> Gate {
    service_kit::telemetry::init_for_tests();
    Gate::new().unwrap()
}

/// inventory-app on a fresh, migrated database, reaching PostgreSQL
/// through a [`CutProxy`] so a test can take its database away.
pub struct Inventory {
    pub base_url: String,
    pub proxy: CutProxy,
    shutdown: ShutdownHandle,
    _db: TestDatabase,
}

impl Drop for Inventory {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

pub async fn spawn_inventory() -> Inventory {
    let db = TestDatabase::create("deploy_hook_test").await;
    let pool = db::pool(&db.settings).unwrap();
    startup::migrate(&pool).await.expect("migrations");
    pool.close();
    let proxy = CutProxy::start(postgres_addr()).await;
    let mut pg = db.settings.clone();
    pg.port = proxy.port;
    pg.connect_timeout = Duration::from_secs(1);
    let settings = Settings {
        http: HttpSettings::for_tests(),
        log: LogSettings::from_source(&empty_env()).unwrap(),
        database: pg,
    };
    let app = InventoryApp::build(settings).expect("build inventory-app");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run_until_stopped());
    let inventory = Inventory {
        base_url,
        proxy,
        shutdown,
        _db: db,
    };
    inventory.wait_ready().await;
    inventory
}

impl Inventory {
    /// Waits until the readiness path answers 200 (the app's migration
    /// worker has reported in), as ECS waits for healthy targets before it
    /// shifts test traffic.
    async fn wait_ready(&self) {
        let url = format!("{}{READINESS_PATH}", self.base_url);
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("inventory-app not ready after 5 s");
    }
}

/// A port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener that accepts connections and never answers; dropped with
/// the returned task.
pub async fn silent_listener() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}
