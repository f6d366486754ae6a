//! The SDK-free moto helper (the dev-only crate infragen/moto-harness) that
//! other crates' tests use to get a moto-signed Cognito token, checked
//! against the SDK code paths.
use moto_harness as moto;

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
use infragen_aws::{AwsSettings, ErrorKind};

#[test]
fn raw_helper_gives_a_verifiable_token_and_sdk_sign_in_agrees() {
    let server = moto::Moto::start();
    let user = moto::cognito_user(&server.endpoint, "gateway-test", "Passw0rd!-long-enough");
    let claims = infragen_aws::jwt::claims(&user.id_token).expect("JWT");
    assert_eq!(claims["iss"], user.issuer);
    assert_eq!(claims["aud"], user.client_id);
    assert_eq!(claims["token_use"], "id");
    let header = infragen_aws::jwt::header(&user.id_token).unwrap();
    assert_eq!(header["alg"], "RS256");

    let (status, body) = moto::http(
        &server.endpoint,
        "GET",
        user.jwks_url.trim_start_matches(&server.endpoint),
        &[],
        "",
    )
    .unwrap();
    assert_eq!(status, 200);
    let jwks: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == header["kid"]),
        "{jwks}"
    );
    assert_eq!(
        user.jwks_url,
        infragen_aws::cognito::jwks_url(moto::REGION, &user.user_pool_id, Some(&server.endpoint))
    );
    assert_eq!(
        user.issuer,
        infragen_aws::cognito::issuer(moto::REGION, &user.user_pool_id)
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let aws = infragen_aws::config::load(&AwsSettings {
            region: Some(moto::REGION.into()),
            endpoint_url: Some(server.endpoint.clone()),
            static_credentials: Some(("testing".into(), "testing".into())),
            ..AwsSettings::default()
        })
        .await
        .unwrap();
        // The operator's sign-in on an app client configured like the
        // generated one: admin flow, SRP and refresh, no USER_PASSWORD_AUTH.
        let client_id = aws
            .cognito()
            .create_user_pool_client()
            .user_pool_id(&user.user_pool_id)
            .client_name("generated-like")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .unwrap()
            .user_pool_client()
            .and_then(|c| c.client_id())
            .unwrap()
            .to_string();
        let tokens = infragen_aws::cognito::sign_in(
            &aws,
            &user.user_pool_id,
            &client_id,
            "gateway-test",
            "Passw0rd!-long-enough",
        )
        .await
        .unwrap();
        let signed_in = infragen_aws::jwt::claims(&tokens.id_token).unwrap();
        assert_eq!(signed_in["sub"], claims["sub"]);
        assert_eq!(signed_in["aud"], client_id.as_str());
        let err = infragen_aws::cognito::sign_in(
            &aws,
            &user.user_pool_id,
            &client_id,
            "gateway-test",
            "Wrong-passw0rd!-long-enough",
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied, "{err:?}");
        let users = infragen_aws::cognito::list_users(&aws, &user.user_pool_id)
            .await
            .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].username, "gateway-test");
        let err = infragen_aws::cognito::remove_user(&aws, &user.user_pool_id, "nobody")
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnknownUser, "{err:?}");
    });
}
