//! Cognito-style JWT verification: RSA keys generated in the test (openssl
//! CLI), a JWKS served by a local HTTP server.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use api_gateway_app::config::AuthSettings;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::*;

struct Key {
    pem: Vec<u8>,
    jwk: Value,
}

fn rsa_key(kid: &str) -> Key {
    let dir = std::env::temp_dir().join(unique("jwt_key"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key.pem");
    let ok = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&path)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl CLI")
        .success();
    assert!(ok);
    let modulus = Command::new("openssl")
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&path)
        .output()
        .unwrap();
    let hex = String::from_utf8(modulus.stdout).unwrap();
    let hex = hex.trim().trim_start_matches("Modulus=");
    let n: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let pem = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Key {
        pem,
        jwk: json!({"kty":"RSA","alg":"RS256","use":"sig","kid":kid,"n":b64.encode(&n),"e":"AQAB"}),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(key: &Key, kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(&key.pem).unwrap(),
    )
    .unwrap()
}

struct Jwks {
    url: String,
    hits: Arc<AtomicUsize>,
    keys: Arc<std::sync::RwLock<Vec<Value>>>,
}

async fn start_jwks(keys: Vec<Value>) -> Jwks {
    let hits = Arc::new(AtomicUsize::new(0));
    let keys = Arc::new(std::sync::RwLock::new(keys));
    let (h, k) = (hits.clone(), keys.clone());
    let server = HttpServer::new(move || {
        let (h, k) = (h.clone(), k.clone());
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                let (h, k) = (h.clone(), k.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let keys = k.read().unwrap().clone();
                    HttpResponse::Ok().json(json!({ "keys": keys }))
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Jwks {
        url: format!("http://127.0.0.1:{port}/jwks.json"),
        hits,
        keys,
    }
}

const ISS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST";
const CLIENT: &str = "test-client-id";

#[tokio::test]
async fn cognito_tokens_are_verified() {
    let good = rsa_key("kid-1");
    let other = rsa_key("kid-2");
    let jwks = start_jwks(vec![good.jwk.clone()]).await;
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let mut s = settings(&inv.url, &q.amqp);
    s.auth = AuthSettings {
        enabled: true,
        jwks_url: jwks.url.clone(),
        issuer: ISS.into(),
        audience: CLIENT.into(),
        min_refresh: Duration::from_secs(2),
    };
    let gw = Gateway::start(s).await;
    let call = |tok: Option<String>| {
        let req = gw.client.get(gw.url("/api/movies"));
        let req = match tok {
            Some(t) => req.header("authorization", format!("Bearer {t}")),
            None => req,
        };
        req.send()
    };
    let exp = now() + 3600;
    let id_token = token(
        &good,
        "kid-1",
        json!({"sub":"u1","iss":ISS,"aud":CLIENT,"token_use":"id","exp":exp}),
    );
    let access_token = token(
        &good,
        "kid-1",
        json!({"sub":"u1","iss":ISS,"client_id":CLIENT,"token_use":"access","exp":exp}),
    );
    assert_eq!(
        call(Some(id_token)).await.unwrap().status(),
        200,
        "ID token (aud)"
    );
    assert_eq!(
        call(Some(access_token)).await.unwrap().status(),
        200,
        "access token (client_id)"
    );

    let cases = [
        ("missing", None),
        ("garbage", Some("not.a.jwt".to_string())),
        (
            "forged: other key, known kid",
            Some(token(
                &other,
                "kid-1",
                json!({"iss":ISS,"aud":CLIENT,"exp":exp}),
            )),
        ),
        (
            "expired",
            Some(token(
                &good,
                "kid-1",
                json!({"iss":ISS,"aud":CLIENT,"exp":now() - 600}),
            )),
        ),
        (
            "wrong audience",
            Some(token(
                &good,
                "kid-1",
                json!({"iss":ISS,"aud":"someone-else","exp":exp}),
            )),
        ),
        (
            "wrong client_id",
            Some(token(
                &good,
                "kid-1",
                json!({"iss":ISS,"client_id":"someone-else","exp":exp}),
            )),
        ),
        (
            "wrong issuer",
            Some(token(
                &good,
                "kid-1",
                json!({"iss":"https://evil","aud":CLIENT,"exp":exp}),
            )),
        ),
        (
            "no exp",
            Some(token(&good, "kid-1", json!({"iss":ISS,"aud":CLIENT}))),
        ),
        (
            "unknown kid",
            Some(token(
                &other,
                "kid-2",
                json!({"iss":ISS,"aud":CLIENT,"exp":exp}),
            )),
        ),
    ];
    for (name, tok) in cases {
        let r = call(tok).await.unwrap();
        let body = assert_json_error(r, 401).await;
        assert_eq!(body["error"], "unauthorized", "{name}");
    }
    // tampered payload
    let t = token(
        &good,
        "kid-1",
        json!({"sub":"u1","iss":ISS,"aud":CLIENT,"exp":exp}),
    );
    let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    parts[1] = b64.encode(json!({"sub":"admin","iss":ISS,"aud":CLIENT,"exp":exp}).to_string());
    assert_json_error(call(Some(parts.join("."))).await.unwrap(), 401).await;

    // exempt paths
    for p in ["/healthz", "/metrics", "/openapi.json"] {
        assert_eq!(gw.get(p).await.status(), 200, "{p}");
    }
    // unknown kids do not hammer the JWKS endpoint
    let before = jwks.hits.load(Ordering::SeqCst);
    for _ in 0..10 {
        let t = token(&other, "kid-2", json!({"iss":ISS,"aud":CLIENT,"exp":exp}));
        assert_eq!(call(Some(t)).await.unwrap().status(), 401);
    }
    assert!(
        jwks.hits.load(Ordering::SeqCst) - before <= 1,
        "rate-limited refresh"
    );
    // key rotation: the pool publishes kid-2, the gateway picks it up on the
    // next refresh window
    jwks.keys.write().unwrap().push(other.jwk.clone());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let t = token(&other, "kid-2", json!({"iss":ISS,"aud":CLIENT,"exp":exp}));
    assert_eq!(
        call(Some(t)).await.unwrap().status(),
        200,
        "rotated key accepted"
    );
    gw.stop().await;
}

#[tokio::test]
async fn unreachable_jwks_is_503_with_retry_after_not_401() {
    let key = rsa_key("kid-1");
    // a port nobody listens on
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let mut s = settings(&inv.url, &q.amqp);
    s.auth = AuthSettings {
        enabled: true,
        jwks_url: format!("http://127.0.0.1:{closed}/jwks.json"),
        issuer: ISS.into(),
        audience: CLIENT.into(),
        min_refresh: Duration::from_secs(30),
    };
    let gw = Gateway::start(s).await;
    let tok = token(
        &key,
        "kid-1",
        json!({"sub":"u1","iss":ISS,"aud":CLIENT,"exp":now() + 3600}),
    );
    // the first request tries the fetch, the second is inside the rate limit:
    // both 503, never 401 (the token may be valid)
    for _ in 0..2 {
        let r = gw
            .client
            .get(gw.url("/api/movies"))
            .header("authorization", format!("Bearer {tok}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        let secs: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&secs), "retry-after {secs}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "auth_unavailable");
    }
    // no token at all is still 401: nothing to verify
    let r = gw.get("/api/movies").await;
    assert_eq!(r.status(), 401);
    assert!(inv.seen.lock().unwrap().is_empty());
    gw.stop().await;
}
