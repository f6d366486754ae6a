//! `POST /api/billing` (and `/api/billing/`): validate, publish with
//! confirms, answer 200 only once the broker has the message.
//!
//! The message's `message_id` is billing's idempotency key. Without an
//! `Idempotency-Key` header it is a fresh UUID v4 (every request is an
//! order). With one, it is a UUID v5 of the key: the same key sent again —
//! a client retrying after a 503 or a timeout, through any gateway task —
//! yields the same `message_id`, and billing-app stores one order for it
//! however often it arrives. The window is as long as the order is kept;
//! the first body stored wins.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use service_kit::ApiError;
use service_kit::billing::BillingOrder;

use crate::publisher::{PublishError, Publisher};

/// The request header that makes a billing request idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Longest accepted `Idempotency-Key` (visible ASCII).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Namespace of the UUID v5 message ids derived from idempotency keys.
const IDEMPOTENCY_NAMESPACE: uuid::Uuid = uuid::uuid!("6f1c1a3e-93d4-4c4e-9a57-1f0d5b0c2a71");

/// The `message_id` of this request: derived from its `Idempotency-Key`, or
/// fresh without one.
fn message_id(req: &HttpRequest) -> Result<String, ApiError> {
    let Some(key) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(uuid::Uuid::new_v4().to_string());
    };
    let key = key.as_bytes();
    let visible = key.iter().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || !visible {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters (a UUID is a good choice)"
            ),
        ));
    }
    Ok(uuid::Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, key).to_string())
}

/// The 200 body.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Accepted {
    /// always `"queued"`
    pub status: String,
    /// the AMQP `message_id`, billing's idempotency key
    pub message_id: String,
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// The handler. The body arrives as bytes (size-limited by `PayloadConfig`),
/// is checked against the shared contract, and is published as received.
pub async fn post_billing(
    req: HttpRequest,
    body: web::Bytes,
    publisher: web::Data<Publisher>,
) -> Result<HttpResponse, ApiError> {
    if !is_json(&req) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON (Content-Type: application/json)",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("invalid JSON body: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    BillingOrder::parse(&value)
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
    let message_id = message_id(&req)?;
    match publisher.publish(&body, &message_id).await {
        Ok(()) => Ok(HttpResponse::Ok().json(Accepted {
            status: "queued".into(),
            message_id,
        })),
        Err(e) => {
            tracing::warn!(error = %e, "billing message not confirmed");
            let code = match e {
                PublishError::Nacked | PublishError::Returned(_) => "broker_refused",
                _ => "broker_unavailable",
            };
            let mut err = ApiError::unavailable(
                "the order could not be queued, retry later",
                anyhow::anyhow!(e.to_string()),
            );
            err.code = code;
            Err(err)
        }
    }
}
