use std::sync::LazyLock;
use std::time::Duration;

use inventory_app::config::Settings;
use inventory_app::startup::{self, InventoryApp};
use inventory_app::store::Movie;
use serde_json::{Value, json};
use service_kit::config::{HttpSettings, LogSettings, PgSettings};
use service_kit::db;
use service_kit::server::ShutdownHandle;
pub use service_kit::testing::{CutProxy, assert_json_error, postgres_addr};
use service_kit::testing::{TestDatabase, empty_env};

static TRACING: LazyLock<()> = LazyLock::new(service_kit::telemetry::init_for_tests);

/// A freshly created, migrated database (`service_kit::testing`), dropped
/// (WITH FORCE) when this value drops.
pub struct TestDb {
    /// Settings for the app's pool (8 connections).
    pub settings: PgSettings,
    db: TestDatabase,
}

impl TestDb {
    pub async fn create() -> Self {
        let db = TestDatabase::create("inventory_test").await;
        let mut settings = db.settings.clone();
        settings.pool_size = 8;
        let pool = db::pool(&settings).unwrap();
        startup::migrate(&pool).await.expect("migrations");
        pool.close();
        Self { settings, db }
    }

    pub fn name(&self) -> &str {
        self.db.name()
    }
}

pub struct TestApp {
    pub address: String,
    #[allow(dead_code)]
    pub port: u16,
    pub api: reqwest::Client,
    pub proxy: Option<CutProxy>,
    shutdown: ShutdownHandle,
    // Dropped last: the server must let go of its connections first.
    #[allow(dead_code)]
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// The app on a fresh, migrated database, listening on a random port.
pub async fn spawn_app() -> TestApp {
    spawn(false).await
}

/// Like [`spawn_app`], but the app reaches PostgreSQL through a [`CutProxy`].
pub async fn spawn_app_behind_proxy() -> TestApp {
    spawn(true).await
}

async fn spawn(behind_proxy: bool) -> TestApp {
    LazyLock::force(&TRACING);
    let db = TestDb::create().await;
    let mut pg = db.settings.clone();
    let proxy = if behind_proxy {
        let proxy = CutProxy::start(postgres_addr()).await;
        pg.port = proxy.port;
        pg.connect_timeout = Duration::from_secs(1);
        Some(proxy)
    } else {
        None
    };
    let settings = Settings {
        http: HttpSettings::for_tests(),
        log: LogSettings::from_source(&empty_env()).unwrap(),
        database: pg,
    };
    let app = InventoryApp::build(settings).expect("build app");
    let port = app.port();
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        proxy,
        shutdown,
        db,
    };
    app.wait_ready().await;
    app
}

impl TestApp {
    /// Waits until `/readyz` answers 200: the app's own migration worker
    /// (nothing left to apply on the migrated database) has reported in.
    async fn wait_ready(&self) {
        for _ in 0..200 {
            if self.get("/readyz").await.status() == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("inventory-app not ready after 5 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.api.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.api
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.api
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.api
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self.api.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send().await.expect("POST")
    }

    /// Creates a movie and returns it (asserting the 200 of the contract).
    pub async fn create_movie(&self, title: &str, description: &str) -> Movie {
        let resp = self
            .post_json(
                "/api/movies",
                &json!({"title": title, "description": description}),
            )
            .await;
        assert_eq!(resp.status(), 200, "create {title:?}");
        resp.json().await.unwrap()
    }

    pub async fn list(&self, query: &str) -> Vec<Movie> {
        let resp = self.get(&format!("/api/movies{query}")).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}
