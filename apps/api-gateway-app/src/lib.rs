//! api-gateway-app: the entry point of the crud-master application.
//!
//! - `/api/movies[/…]` → inventory-app, through a circuit breaker ([`proxy`], [`breaker`]);
//! - `POST /api/billing` → `billing_queue` with publisher confirms ([`billing`], [`publisher`]);
//! - optional Cognito JWT verification ([`auth`]);
//! - `GET /openapi.json` ([`startup::OPENAPI_JSON`]).

pub mod auth;
pub mod billing;
pub mod breaker;
pub mod config;
pub mod hop_headers;
pub mod lane;
pub mod path_check;
pub mod proxy;
pub mod publisher;
pub mod startup;
pub mod upstream;
pub mod upstream_body;
