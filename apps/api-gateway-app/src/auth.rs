//! Optional Cognito JWT verification (defence in depth behind Amazon API
//! Gateway's JWT authorizer). Off unless `AUTH_ENABLED=true`.
//!
//! - signature: RS256 with a key from the pool's JWKS, chosen by `kid`;
//! - `iss` must equal `AUTH_ISSUER`; `exp` must be in the future (60 s leeway);
//! - audience: Cognito ID tokens carry `aud` = app client id, access tokens
//!   carry `client_id` instead: either must equal `AUTH_AUDIENCE`;
//! - `token_use`, when present, must be `id` or `access`.
//!
//! Keys are cached. A token with an unknown `kid` triggers one JWKS refresh,
//! at most once per `AUTH_JWKS_MIN_REFRESH_SECS` (so forged `kid`s cannot make
//! the gateway hammer Cognito; the interval is at least 5 s). A refused token
//! is 401 JSON; when the key is not cached and the JWKS could not be fetched
//! (network error, non-200, unreadable), the answer is 503 `auth_unavailable`
//! with `Retry-After` (the time until the next fetch attempt), since the token
//! may well be valid.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use service_kit::ApiError;
use tokio::sync::{Mutex, RwLock};

use crate::config::AuthSettings;

/// Why a token was refused (the message goes to the client).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// no `Authorization: Bearer …`
    #[error("missing bearer token")]
    Missing,
    /// not a JWT, bad signature, expired, wrong issuer…
    #[error("invalid token: {0}")]
    Invalid(String),
    /// signed by a key the pool does not publish
    #[error("unknown signing key")]
    UnknownKey,
    /// neither `aud` nor `client_id` is the expected client
    #[error("token is not for this application")]
    WrongAudience,
    /// the key is not cached and the last JWKS fetch failed; retry after
    /// the given number of seconds
    #[error("signing keys unavailable, retry later")]
    KeysUnavailable(u64),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims the gateway looks at.
#[derive(Debug, Deserialize)]
pub struct Claims {
    /// subject (the Cognito user's id)
    pub sub: Option<String>,
    aud: Option<Audience>,
    client_id: Option<String>,
    token_use: Option<String>,
}

struct Cache {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
    /// the last fetch attempt failed (network error, non-200, bad JSON)
    failed: bool,
}

/// Verifies tokens against a JWKS.
pub struct JwtVerifier {
    settings: AuthSettings,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    refresh: Mutex<()>,
}

impl JwtVerifier {
    /// A verifier; keys are fetched on first use.
    pub fn new(settings: AuthSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            settings,
            http,
            cache: RwLock::new(Cache {
                keys: HashMap::new(),
                fetched: None,
                failed: false,
            }),
            refresh: Mutex::new(()),
        })
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, DecodingKey>> {
        let set: JwkSet = self
            .http
            .get(&self.settings.jwks_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                keys.insert(kid, key);
            }
        }
        Ok(keys)
    }

    /// Refreshes the cache unless it was refreshed less than `min_refresh`
    /// ago. One refresh at a time.
    async fn refresh(&self) {
        let _one = self.refresh.lock().await;
        let recent = self
            .cache
            .read()
            .await
            .fetched
            .is_some_and(|t| t.elapsed() < self.settings.min_refresh);
        if recent {
            return;
        }
        match self.fetch().await {
            Ok(keys) => {
                let mut c = self.cache.write().await;
                c.keys = keys;
                c.fetched = Some(Instant::now());
                c.failed = false;
            }
            Err(e) => {
                tracing::warn!(error = %e, url = %self.settings.jwks_url, "cannot fetch the JWKS");
                // rate-limit failures too; cached keys stay usable
                let mut c = self.cache.write().await;
                c.fetched = Some(Instant::now());
                c.failed = true;
            }
        }
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(k) = self.cache.read().await.keys.get(kid) {
            return Ok(k.clone());
        }
        self.refresh().await;
        let c = self.cache.read().await;
        match c.keys.get(kid) {
            Some(k) => Ok(k.clone()),
            None if c.failed => {
                let wait = c
                    .fetched
                    .map(|t| self.settings.min_refresh.saturating_sub(t.elapsed()))
                    .unwrap_or(self.settings.min_refresh);
                Err(AuthError::KeysUnavailable(
                    wait.as_secs_f64().ceil().max(1.0) as u64,
                ))
            }
            None => Err(AuthError::UnknownKey),
        }
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("no kid in the header".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.settings.issuer.as_str()]);
        validation.validate_aud = false; // checked below: aud or client_id
        validation.set_required_spec_claims(&["exp", "iss"]);
        let data = decode::<Claims>(token, &key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let expected = self.settings.audience.as_str();
        let aud_ok = match &claims.aud {
            Some(Audience::One(a)) => a == expected,
            Some(Audience::Many(v)) => v.iter().any(|a| a == expected),
            None => false,
        };
        let client_ok = claims.client_id.as_deref() == Some(expected);
        if !(aud_ok || client_ok) {
            return Err(AuthError::WrongAudience);
        }
        if let Some(u) = claims.token_use.as_deref()
            && u != "id"
            && u != "access"
        {
            return Err(AuthError::Invalid(format!("token_use {u:?} not accepted")));
        }
        Ok(claims)
    }
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let v = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware (`from_fn`): 401 JSON unless the request carries a valid token
/// (503 `auth_unavailable` + `Retry-After` when the JWKS cannot be fetched).
pub async fn require_jwt(
    verifier: web::Data<JwtVerifier>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let result = match bearer(&req) {
        None => Err(AuthError::Missing),
        Some(token) => verifier.verify(token).await.map(|_| ()),
    };
    if let Err(e) = result {
        tracing::info!(reason = %e, path = %req.path(), "request refused by JWT verification");
        let err = match e {
            AuthError::KeysUnavailable(secs) => {
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "auth_unavailable",
                    e.to_string(),
                );
                err.retry_after = Some(secs);
                err
            }
            _ => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
        };
        let res = err.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
