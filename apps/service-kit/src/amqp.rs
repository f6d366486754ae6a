//! RabbitMQ building blocks shared by the producer (api-gateway-app) and the
//! consumer (billing-app): settings from the environment, a connect with a
//! timeout and the billing queue topology. (The billing message contract is
//! [`crate::billing`]; the reconnect backoff is [`crate::retry::Backoff`].)
//!
//! The queue topology lives here, not in either service, because RabbitMQ
//! refuses (`PRECONDITION_FAILED`) a `queue.declare` whose arguments differ
//! from the existing queue's: producer and consumer must declare the queue
//! with byte-identical arguments, so there is exactly one place that does it.
//!
//! The work queue is a quorum queue with a delivery limit
//! ([`DELIVERY_LIMIT`]): a message that keeps coming back — including one
//! whose properties make the client library drop the connection before our
//! code ever sees it — is dead-lettered instead of redelivered forever. A
//! queue declared by an older version (classic, without these arguments)
//! makes [`QueueTopology::declare`] fail with
//! [`AmqpError::QueueArgumentsDiffer`]; billing-app migrates it
//! (apps/billing-app/src/queue_migration.rs); a publisher holds its
//! messages meanwhile ([`QueueTopology::declare_for_publisher`]).

use std::time::Duration;

pub use lapin;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::{AMQPValue, FieldTable};
use lapin::uri::{AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

pub use crate::config::AmqpSettings;

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    /// The broker did not answer within the connect timeout.
    #[error("timed out after {0:?} connecting to RabbitMQ")]
    ConnectTimeout(Duration),
    /// The work queue exists with other arguments (e.g. a classic queue
    /// declared by a version before the quorum queue): RabbitMQ answered
    /// `PRECONDITION_FAILED` and closed the channel the declare ran on.
    #[error("queue {queue} exists with other arguments than this version declares: {source}")]
    QueueArgumentsDiffer {
        /// the work queue
        queue: String,
        /// the broker's answer
        source: lapin::Error,
    },
    /// The broker (or the network) refused an operation.
    #[error("RabbitMQ error: {0}")]
    Lapin(#[from] lapin::Error),
}

/// Whether `error` is the broker's `PRECONDITION_FAILED` (406) channel error:
/// a re-declaration with other arguments, or a `queue.delete` with
/// `if_empty`/`if_unused` on a queue that is not empty or not unused.
pub fn is_precondition_failed(error: &lapin::Error) -> bool {
    is_soft_error(error, AMQPSoftError::PRECONDITIONFAILED)
}

/// Whether `error` is the broker's `NOT_FOUND` (404) channel error, e.g. a
/// passive declare of a queue that does not exist.
pub fn is_not_found(error: &lapin::Error) -> bool {
    is_soft_error(error, AMQPSoftError::NOTFOUND)
}

fn is_soft_error(error: &lapin::Error, soft: AMQPSoftError) -> bool {
    matches!(error.kind(), lapin::ErrorKind::ProtocolError(e)
        if matches!(e.kind(), AMQPErrorKind::Soft(s) if *s == soft))
}

/// Connection tuning that is not part of [`AmqpSettings`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    /// TCP + AMQP handshake timeout (default 5 s).
    pub timeout: Duration,
    /// Heartbeat interval in seconds (default 30): a dead peer or a silent
    /// network drop is noticed within two intervals.
    pub heartbeat_secs: u16,
    /// Largest AMQP frame we accept, in bytes (default 16 KiB; the broker may
    /// lower it). lapin keeps a receive and a send buffer of 32 frames each,
    /// zero-filled, per connection: with RabbitMQ's default of 128 KiB that
    /// is 8 MiB of resident memory per idle connection, with 16 KiB 1 MiB.
    /// Larger messages are split into several frames, so any size still
    /// passes; our messages are a few hundred bytes.
    pub frame_max: u32,
}

/// [`ConnectOptions::frame_max`] default.
pub const DEFAULT_FRAME_MAX: u32 = 16 * 1024;

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            heartbeat_secs: 30,
            frame_max: DEFAULT_FRAME_MAX,
        }
    }
}

/// The connection URI of `settings` as a structure, with the heartbeat and
/// connection timeout of `options`.
pub fn uri(settings: &AmqpSettings, options: &ConnectOptions) -> AMQPUri {
    AMQPUri {
        scheme: if settings.tls {
            AMQPScheme::AMQPS
        } else {
            AMQPScheme::AMQP
        },
        authority: AMQPAuthority {
            userinfo: AMQPUserInfo {
                username: settings.user.clone(),
                password: settings.password.expose().clone(),
            },
            host: settings.host.clone(),
            port: settings.port,
        },
        vhost: settings.vhost.clone(),
        query: AMQPQueryString {
            heartbeat: Some(options.heartbeat_secs),
            frame_max: Some(options.frame_max),
            connection_timeout: Some(options.timeout.as_millis() as u64),
            ..Default::default()
        },
    }
}

/// `amqp(s)://user@host:port/vhost` — for logs, never with the password.
pub fn redacted(settings: &AmqpSettings) -> String {
    format!(
        "{}://{}@{}:{}/{}",
        if settings.tls { "amqps" } else { "amqp" },
        settings.user,
        settings.host,
        settings.port,
        settings.vhost
    )
}

/// Opens a connection, bounded by `options.timeout`.
/// `name` shows in the RabbitMQ management UI.
pub async fn connect(
    settings: &AmqpSettings,
    options: &ConnectOptions,
    name: &str,
) -> Result<Connection, AmqpError> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    match tokio::time::timeout(
        options.timeout,
        Connection::connect_uri(uri(settings, options), props),
    )
    .await
    {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(AmqpError::Lapin(e)),
        Err(_) => Err(AmqpError::ConnectTimeout(options.timeout)),
    }
}

/// `x-delivery-limit` of the work queue: a message returned to the queue
/// more often than this (nack/reject with requeue, or its channel closed
/// while it was unacknowledged — also when the client library drops the
/// connection because it cannot parse the message) is dead-lettered into
/// `<queue>.dlq`. billing-app never requeues on purpose (it holds a batch
/// while PostgreSQL is down), so only crashes and lost connections count.
///
/// Changing it changes the queue's arguments: RabbitMQ then refuses the
/// declaration, and billing-app's migration (written for the classic queue
/// of older versions) cannot replace a quorum queue, which refuses the
/// `if_empty` delete it relies on.
pub const DELIVERY_LIMIT: i64 = 10;

/// What [`QueueTopology::declare_for_publisher`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublisherDeclare {
    /// the topology is declared with this version's arguments: publish
    Declared,
    /// the work queue exists with other arguments (a classic queue of an
    /// older version that billing-app has not migrated yet): **do not
    /// publish** — answer 503 + `Retry-After` and declare again before the
    /// next publish (e.g. at most every second). billing-app deletes that
    /// queue during the migration, and RabbitMQ confirms (`basic.ack`) a
    /// message that reaches a queue while it is being deleted although the
    /// message is gone: a publisher that keeps publishing to the old queue
    /// can get a confirm for a lost message at that instant (seen in
    /// billing-app's migration tests).
    ExistsWithOtherArguments,
}

/// The names of a work queue, its dead-letter exchange and dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTopology {
    /// the work queue, e.g. `billing_queue`
    pub queue: String,
    /// `<queue>.dlx`, a durable direct exchange
    pub dead_letter_exchange: String,
    /// `<queue>.dlq`, a durable queue bound to the DLX
    pub dead_letter_queue: String,
}

impl QueueTopology {
    /// The topology of `settings.queue` (`BILLING_QUEUE`).
    pub fn from_settings(settings: &AmqpSettings) -> Self {
        Self::for_queue(&settings.queue)
    }

    /// The topology of `queue` (docs/contracts.md: dead letters go to `<queue>.dlq`).
    pub fn for_queue(queue: &str) -> Self {
        Self {
            queue: queue.to_string(),
            dead_letter_exchange: format!("{queue}.dlx"),
            dead_letter_queue: format!("{queue}.dlq"),
        }
    }

    /// `<queue>.migration`: the durable queue that holds the messages
    /// of an old classic work queue while billing-app replaces it
    /// (apps/billing-app/src/queue_migration.rs).
    pub fn migration_queue(&self) -> String {
        format!("{}.migration", self.queue)
    }

    /// The arguments of the work queue. Identical for every declarer.
    ///
    /// A quorum queue (replicated, counts deliveries) with a delivery limit
    /// of [`DELIVERY_LIMIT`] and the default (at-most-once) dead-lettering
    /// into `<queue>.dlx` → `<queue>.dlq`, both declared before the queue.
    ///
    /// Not at-least-once (`x-dead-letter-strategy=at-least-once` with
    /// `x-overflow=reject-publish`): its per-queue workers live under one
    /// node-wide supervisor, and a burst of worker crashes — which queues
    /// deleted while their worker starts cause, as the test suites do by the
    /// hundred — ends that supervisor for good; every at-least-once quorum
    /// queue then fails to start (`INTERNAL_ERROR` on declare) until the node
    /// restarts. Seen on the local RabbitMQ 3.10.8 during
    /// `cargo test -p api-gateway-app`; still open upstream
    /// (rabbitmq/rabbitmq-server#16652). At-most-once loses a dead letter only
    /// if `<queue>.dlq` cannot take it at that instant.
    pub fn queue_arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(DELIVERY_LIMIT),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(self.dead_letter_exchange.as_str().into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(self.dead_letter_queue.as_str().into()),
        );
        args
    }

    /// The arguments of `<queue>.migration`: none, a plain durable classic
    /// queue. Not a quorum queue: the migration deletes it with `if_empty`
    /// (so that a message arriving meanwhile is never deleted with it), which
    /// RabbitMQ refuses on quorum queues (`NOT_IMPLEMENTED`, a connection
    /// error). Durable queue and persistent messages survive a broker
    /// restart like the work queue's.
    pub fn migration_queue_arguments() -> FieldTable {
        FieldTable::default()
    }

    /// Declares (idempotently) the DLX, the DLQ and its binding, then the
    /// durable work queue that dead-letters into them.
    ///
    /// When the work queue exists with other arguments this answers
    /// [`AmqpError::QueueArgumentsDiffer`] and `channel` is closed by the
    /// broker (the DLX and DLQ are declared by then).
    pub async fn declare(&self, channel: &Channel) -> Result<(), AmqpError> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel
            .exchange_declare(
                self.dead_letter_exchange.as_str().into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(
                self.dead_letter_queue.as_str().into(),
                QueueDeclareOptions::durable(),
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_bind(
                self.dead_letter_queue.as_str().into(),
                self.dead_letter_exchange.as_str().into(),
                self.dead_letter_queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        match channel
            .queue_declare(
                self.queue.as_str().into(),
                QueueDeclareOptions::durable(),
                self.queue_arguments(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_precondition_failed(&e) => Err(AmqpError::QueueArgumentsDiffer {
                queue: self.queue.clone(),
                source: e,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// [`Self::declare`] for a publisher, on a channel of its own (opened on
    /// `connection` and closed again, so the publisher's channels survive a
    /// `PRECONDITION_FAILED`): a work queue that exists with other arguments
    /// is not an error but [`PublisherDeclare::ExistsWithOtherArguments`] —
    /// the publisher holds its messages (503) until billing-app migrated it.
    pub async fn declare_for_publisher(
        &self,
        connection: &Connection,
    ) -> Result<PublisherDeclare, AmqpError> {
        let channel = connection.create_channel().await?;
        let declared = self.declare(&channel).await;
        if channel.status().connected() {
            let _ = channel.close(200, "declared".into()).await;
        }
        match declared {
            Ok(()) => Ok(PublisherDeclare::Declared),
            Err(AmqpError::QueueArgumentsDiffer { queue, source }) => {
                tracing::warn!(%queue, error = %source,
                    "the queue exists with the arguments of an older version; not publishing until billing-app migrated it");
                Ok(PublisherDeclare::ExistsWithOtherArguments)
            }
            Err(e) => Err(e),
        }
    }
}
