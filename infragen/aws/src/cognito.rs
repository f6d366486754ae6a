//! Cognito user pool administration and operator sign-in
//! (`AdminInitiateAuth` with ADMIN_USER_PASSWORD_AUTH: the caller's IAM
//! credentials authorize the call, so the public app client need not accept
//! plain passwords from anyone on the internet).
use crate::config::Aws;
use crate::error::{ErrorKind, OpsError, Result, from_sdk};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use serde::Serialize;

/// A user of the pool, as `users list` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UserSummary {
    pub username: String,
    pub status: String,
    pub enabled: bool,
    pub email: Option<String>,
    pub created: Option<String>,
}

/// Tokens from a successful sign-in.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: Option<String>,
    pub expires_in: i32,
}

fn ctx(
    aws: &Aws,
    op: &'static str,
    pool: Option<&str>,
    user: Option<&str>,
) -> crate::error::CallContext {
    let mut c = aws.ctx(op);
    c.user_pool_id = pool.map(str::to_string);
    c.username = user.map(str::to_string);
    c
}

/// Checks a password before it goes to AWS (the pool enforces its own policy too).
pub fn check_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(OpsError::input("the password is empty")
            .with_hint("pipe it with --password-stdin or set INFRAGEN_USER_PASSWORD"));
    }
    if password.chars().any(char::is_control) {
        return Err(OpsError::input(
            "the password contains control characters (a stray newline?)",
        ));
    }
    Ok(())
}

/// Creates a user without sending an invitation, then sets `password` as its
/// permanent password (status CONFIRMED), so it can sign in at once.
pub async fn add_user(
    aws: &Aws,
    pool_id: &str,
    username: &str,
    email: Option<&str>,
    password: &str,
) -> Result<()> {
    check_password(password)?;
    let client = aws.cognito();
    let mut req = client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(username)
        .message_action(MessageActionType::Suppress);
    if let Some(email) = email {
        let attr = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|e| OpsError::input(format!("invalid user attribute {name}: {e}")))
        };
        req = req
            .user_attributes(attr("email", email)?)
            .user_attributes(attr("email_verified", "true")?);
    }
    req.send().await.map_err(|e| {
        from_sdk(
            e,
            &ctx(aws, "AdminCreateUser", Some(pool_id), Some(username)),
        )
    })?;

    let set = client
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password(password)
        .permanent(true)
        .send()
        .await;
    if let Err(e) = set {
        let err = from_sdk(
            e,
            &ctx(aws, "AdminSetUserPassword", Some(pool_id), Some(username)),
        );
        // Do not leave a user behind that nobody knows the password of.
        let _ = client
            .admin_delete_user()
            .user_pool_id(pool_id)
            .username(username)
            .send()
            .await;
        return Err(err);
    }
    Ok(())
}

/// Lists every user of the pool (all pages).
pub async fn list_users(aws: &Aws, pool_id: &str) -> Result<Vec<UserSummary>> {
    let client = aws.cognito();
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_users()
            .user_pool_id(pool_id)
            .set_pagination_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk(e, &ctx(aws, "ListUsers", Some(pool_id), None)))?;
        for u in out.users() {
            users.push(UserSummary {
                username: u.username().unwrap_or_default().to_string(),
                status: u
                    .user_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                enabled: u.enabled(),
                email: u
                    .attributes()
                    .iter()
                    .find(|a| a.name() == "email")
                    .and_then(|a| a.value())
                    .map(str::to_string),
                created: u.user_create_date().and_then(crate::time::format_time),
            });
        }
        match out.pagination_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(users)
}

/// Deletes a user.
pub async fn remove_user(aws: &Aws, pool_id: &str, username: &str) -> Result<()> {
    aws.cognito()
        .admin_delete_user()
        .user_pool_id(pool_id)
        .username(username)
        .send()
        .await
        .map_err(|e| {
            from_sdk(
                e,
                &ctx(aws, "AdminDeleteUser", Some(pool_id), Some(username)),
            )
        })?;
    Ok(())
}

/// Signs in with ADMIN_USER_PASSWORD_AUTH (needs `cognito-idp:AdminInitiateAuth`
/// on the pool) and returns the tokens.
pub async fn sign_in(
    aws: &Aws,
    pool_id: &str,
    client_id: &str,
    username: &str,
    password: &str,
) -> Result<Tokens> {
    check_password(password)?;
    let mut c = ctx(aws, "AdminInitiateAuth", Some(pool_id), Some(username));
    c.client_id = Some(client_id.to_string());
    let out = aws
        .cognito()
        .admin_initiate_auth()
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .user_pool_id(pool_id)
        .client_id(client_id)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map_err(|e| from_sdk(e, &c))?;
    if let Some(challenge) = out.challenge_name() {
        return Err(OpsError::new(
            ErrorKind::Denied,
            format!(
                "Cognito asks user `{username}` to answer the challenge {}",
                challenge.as_str()
            ),
        )
        .with_hint("create users with `infragen users add`, which sets a permanent password"));
    }
    let result = out
        .authentication_result()
        .ok_or_else(|| OpsError::new(ErrorKind::Service, "AdminInitiateAuth returned no tokens"))?;
    let id_token = result
        .id_token()
        .ok_or_else(|| OpsError::new(ErrorKind::Service, "AdminInitiateAuth returned no ID token"))?
        .to_string();
    Ok(Tokens {
        id_token,
        access_token: result.access_token().map(str::to_string),
        expires_in: result.expires_in(),
    })
}

/// The JWKS URL and issuer of a user pool: what a JWT verifier needs. On AWS
/// both are `https://cognito-idp.{region}.amazonaws.com/{pool_id}`-based; with
/// an endpoint override (moto) the JWKS is served at `{endpoint}/{pool_id}/…`
/// while the tokens' `iss` stays the AWS URL.
pub fn jwks_url(region: &str, pool_id: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => format!(
            "{}/{pool_id}/.well-known/jwks.json",
            e.trim_end_matches('/')
        ),
        None => format!("{}/.well-known/jwks.json", issuer(region, pool_id)),
    }
}

/// The `iss` claim of a user pool's tokens.
pub fn issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}
