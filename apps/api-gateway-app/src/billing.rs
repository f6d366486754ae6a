//! `POST /api/billing` (and `/api/billing/`): validate, publish with
//! confirms, answer 200 only once the broker has the message.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use service_kit::ApiError;
use service_kit::amqp::billing::BillingOrder;

use crate::publisher::{PublishError, Publisher};

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
    match publisher.publish(&body).await {
        Ok(message_id) => Ok(HttpResponse::Ok().json(Accepted {
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
