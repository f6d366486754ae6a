//! Test harness for moto, the local AWS emulator (PyPI `moto[server]`, pinned
//! in scripts/requirements-aws.txt, installed into .cache/venv by
//! scripts/install-tools.sh).
//!
//! A dev-only crate (std + serde_json, no AWS SDK) so that any crate's tests
//! can use it without pulling the SDK in: `moto-harness = { path = … }` under
//! `[dev-dependencies]`, then
//!
//! ```ignore
//! use moto_harness as moto;
//! let server = moto::Moto::start();                     // free loopback port, killed on drop
//! let cognito = moto::cognito_user(&server.endpoint, "alice", "Passw0rd!long");
//! // cognito.id_token, cognito.jwks_url, cognito.issuer, cognito.client_id (the audience)
//! let arn = moto::create_secret(&server.endpoint, "db", r#"{"username":"app","password":"p1"}"#);
//! moto::put_secret_value(&server.endpoint, &arn, r#"{"username":"app","password":"p2"}"#);
//! ```
//!
//! A missing `moto_server` is a test failure with instructions, never a skip.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The region the harness uses (moto accepts any).
pub const REGION: &str = "us-east-1";

/// A running `moto_server`, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    log: PathBuf,
}

/// Finds `moto_server`: `$MOTO_SERVER`, else `.cache/venv/bin/moto_server` in
/// the workspace (searched upwards from this crate).
pub fn moto_server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dir: Option<&Path> = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(".cache/venv/bin/moto_server");
        if candidate.exists() {
            return candidate;
        }
        dir = d.parent();
    }
    panic!(
        "moto_server not found (looked for .cache/venv/bin/moto_server above {}). \
         These tests need the AWS emulator and must not be skipped: run `scripts/install-tools.sh` \
         (it installs scripts/requirements-aws.txt), or set MOTO_SERVER=/path/to/moto_server.",
        start.display()
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local addr").port()
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let bin = moto_server_path();
        assert!(
            bin.exists(),
            "moto_server not found at {}: run scripts/install-tools.sh (these tests must not be skipped)",
            bin.display()
        );
        let mut last_err = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("moto-{}-{port}.log", std::process::id()));
            let log_file = std::fs::File::create(&log).expect("create moto log file");
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ALLOW_NONEXISTENT_REGION", "true")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone log handle"))
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let mut moto = Moto {
                child,
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
                log,
            };
            match moto.wait_ready(Duration::from_secs(60)) {
                Ok(()) => return moto,
                Err(e) => last_err = e, // port taken in between, or a slow start: retry
            }
        }
        panic!("moto_server did not start: {last_err}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "moto_server exited with {status}; log:\n{}",
                    self.log_text()
                ));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                && http(&self.endpoint, "GET", "/moto-api/data.json", &[], "")
                    .is_ok_and(|(s, _)| s == 200)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no answer on port {} after {timeout:?}; log:\n{}",
                    self.port,
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// moto's own log (requests, tracebacks), for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Environment for a client talking to this moto: endpoint, region, fake
    /// credentials, no profile, no instance metadata lookups.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_CONFIG_FILE", "/nonexistent/aws-config".to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws-credentials".to_string(),
            ),
        ]
    }

    /// Variables a client must not inherit from the developer's shell.
    pub const ENV_REMOVE: &'static [&'static str] = &[
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "INFRAGEN_USER_PASSWORD",
    ];
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A minimal HTTP/1.1 request (`Connection: close`); returns status and body.
pub fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String), String> {
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(hostport).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Calls an AWS JSON-protocol action on moto: `service` is the credential
/// scope that routes the request (moto does not check signatures),
/// `target` the `X-Amz-Target` header.
pub fn json_call(endpoint: &str, service: &str, target: &str, body: Value) -> Value {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20250101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let (status, text) = http(
        endpoint,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", target),
            ("Authorization", &auth),
        ],
        &body.to_string(),
    )
    .unwrap_or_else(|e| panic!("{target} on moto failed: {e}"));
    assert!(status == 200, "{target} on moto returned {status}: {text}");
    if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&text).expect("moto returns JSON")
    }
}

/// Calls a Cognito Identity Provider action on moto.
pub fn cognito_call(endpoint: &str, action: &str, body: Value) -> Value {
    json_call(
        endpoint,
        "cognito-idp",
        &format!("AWSCognitoIdentityProviderService.{action}"),
        body,
    )
}

/// Calls a Secrets Manager action on moto (`CreateSecret`, `PutSecretValue`, …).
pub fn secretsmanager_call(endpoint: &str, action: &str, body: Value) -> Value {
    json_call(
        endpoint,
        "secretsmanager",
        &format!("secretsmanager.{action}"),
        body,
    )
}

/// Creates a secret holding `value` (a string, e.g. RDS's
/// `{"username","password"}` JSON) and returns its ARN.
pub fn create_secret(endpoint: &str, name: &str, value: &str) -> String {
    let out = secretsmanager_call(
        endpoint,
        "CreateSecret",
        json!({"Name": name, "SecretString": value}),
    );
    out["ARN"].as_str().expect("secret ARN").to_string()
}

/// Stores `value` as the secret's new current version (what a rotation ends with).
pub fn put_secret_value(endpoint: &str, arn: &str, value: &str) {
    secretsmanager_call(
        endpoint,
        "PutSecretValue",
        json!({"SecretId": arn, "SecretString": value}),
    );
}

/// Everything a JWT verifier test needs from one moto user pool.
#[derive(Debug, Clone)]
pub struct CognitoUser {
    pub user_pool_id: String,
    /// The app client id: the tokens' audience (`aud` of the ID token).
    pub client_id: String,
    pub username: String,
    pub id_token: String,
    pub access_token: String,
    /// `{endpoint}/{pool}/.well-known/jwks.json`, served by moto.
    pub jwks_url: String,
    /// `https://cognito-idp.us-east-1.amazonaws.com/{pool}`: moto signs the real Cognito issuer.
    pub issuer: String,
}

/// Creates a pool, an app client like the generated one (admin sign-in, SRP,
/// refresh; no USER_PASSWORD_AUTH), a confirmed user with
/// `password`, signs in and returns the tokens and verification settings.
pub fn cognito_user(endpoint: &str, username: &str, password: &str) -> CognitoUser {
    let pool = cognito_call(
        endpoint,
        "CreateUserPool",
        json!({"PoolName": format!("test-{}", std::process::id())}),
    );
    let user_pool_id = pool["UserPool"]["Id"]
        .as_str()
        .expect("pool id")
        .to_string();
    let client = cognito_call(
        endpoint,
        "CreateUserPoolClient",
        json!({
            "UserPoolId": user_pool_id,
            "ClientName": "api",
            "ExplicitAuthFlows": [
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
        }),
    );
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("client id")
        .to_string();
    cognito_call(
        endpoint,
        "AdminCreateUser",
        json!({"UserPoolId": user_pool_id, "Username": username, "MessageAction": "SUPPRESS"}),
    );
    cognito_call(
        endpoint,
        "AdminSetUserPassword",
        json!({"UserPoolId": user_pool_id, "Username": username, "Password": password, "Permanent": true}),
    );
    let auth = cognito_call(
        endpoint,
        "AdminInitiateAuth",
        json!({
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "UserPoolId": user_pool_id,
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        }),
    );
    let result = &auth["AuthenticationResult"];
    CognitoUser {
        jwks_url: format!(
            "{}/{user_pool_id}/.well-known/jwks.json",
            endpoint.trim_end_matches('/')
        ),
        issuer: format!("https://cognito-idp.{REGION}.amazonaws.com/{user_pool_id}"),
        id_token: result["IdToken"].as_str().expect("IdToken").to_string(),
        access_token: result["AccessToken"]
            .as_str()
            .expect("AccessToken")
            .to_string(),
        username: username.to_string(),
        user_pool_id,
        client_id,
    }
}
