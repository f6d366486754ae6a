//! billing-app against the real PostgreSQL and RabbitMQ of the machine.
mod consumer;
mod helpers;
mod migration;
mod poison;
mod rotation;
mod service;
