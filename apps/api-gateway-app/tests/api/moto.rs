//! Tokens issued by a Cognito emulator (moto server, started by the shared
//! dev-only crate infragen/moto-harness) are accepted; tampered ones are not.

use std::time::Duration;

use api_gateway_app::config::AuthSettings;
use base64::Engine;

use crate::helpers::*;
use moto_harness as moto;

#[tokio::test]
async fn moto_issued_cognito_tokens_pass_and_tampered_ones_do_not() {
    let (server, user) = tokio::task::spawn_blocking(|| {
        let server = moto::Moto::start();
        let user = moto::cognito_user(&server.endpoint, "alice", "Passw0rd!long-enough");
        (server, user)
    })
    .await
    .unwrap();
    let inv = FakeInventory::start().await;
    let q = TestQueue::new();
    let mut s = settings(&inv.url, &q.amqp);
    s.auth = AuthSettings {
        enabled: true,
        jwks_url: user.jwks_url.clone(),
        issuer: user.issuer.clone(),
        audience: user.client_id.clone(),
        min_refresh: Duration::from_secs(30),
    };
    let gw = Gateway::start(s).await;
    let call = |tok: &str| {
        gw.client
            .get(gw.url("/api/movies"))
            .header("authorization", format!("Bearer {tok}"))
            .send()
    };
    assert_eq!(
        call(&user.id_token).await.unwrap().status(),
        200,
        "ID token"
    );
    assert_eq!(
        call(&user.access_token).await.unwrap().status(),
        200,
        "access token"
    );

    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts: Vec<String> = user.id_token.split('.').map(str::to_string).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = "someone-else".into();
    parts[1] = b64.encode(claims.to_string());
    assert_json_error(call(&parts.join(".")).await.unwrap(), 401).await;
    gw.stop().await;
    drop(server);
}
