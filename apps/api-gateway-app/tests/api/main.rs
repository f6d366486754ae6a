//! api-gateway-app against a fake inventory and the real RabbitMQ.
mod audit;
mod auth;
mod billing;
mod helpers;
mod moto;
mod openapi;
mod postman;
mod proxy;
