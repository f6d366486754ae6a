//! RabbitMQ building blocks shared by the producer (api-gateway-app) and the
//! consumer (billing-app): settings from the environment, a connect with a
//! timeout, exponential backoff with full jitter, the billing queue topology
//! and the billing message contract.
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
//!
//! The message contract lives here for the same reason: the gateway refuses
//! with 400 exactly the bodies the consumer would dead-letter.

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

/// Exponential backoff with full jitter (AWS architecture blog, "Exponential
/// Backoff And Jitter"): the n-th delay is uniform in `[base, min(max, base·2ⁿ)]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting at `base`, capped at `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next attempt; each call doubles the ceiling.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let lo = self.base.as_millis() as u64;
        let hi = (ceiling.as_millis() as u64).max(lo);
        Duration::from_millis(rand::random_range(lo..=hi))
    }

    /// Back to the first step (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
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

pub mod billing {
    //! The billing message contract: the JSON object posted to the gateway,
    //! e.g. `{"user_id":"3","number_of_items":"5","total_amount":"180"}`,
    //! numeric fields as JSON strings or JSON numbers.
    //!
    //! Rules (identical in producer and consumer):
    //! - `user_id`: a non-blank string (or an integer), at most 255 characters;
    //! - `number_of_items`: an integer in `1..=2^31-1`;
    //! - `total_amount`: a non-negative decimal with at most 2 fraction digits
    //!   and at most 15 integer digits (stored as `NUMERIC(17,2)`).
    //!
    //! Unknown extra fields are ignored (forward compatibility).

    use serde_json::Value;
    use std::fmt;

    /// A validated billing order. The only way to build one is [`BillingOrder::parse`].
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct BillingOrder {
        user_id: String,
        number_of_items: i64,
        total_amount: String,
    }

    /// Why a billing body is refused: which field, and why.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct InvalidOrder {
        /// the offending field (`body` when it is the whole document)
        pub field: &'static str,
        /// human explanation
        pub reason: String,
    }

    impl fmt::Display for InvalidOrder {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }

    impl std::error::Error for InvalidOrder {}

    fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidOrder {
        InvalidOrder {
            field,
            reason: reason.into(),
        }
    }

    /// The longest accepted `user_id`.
    pub const MAX_USER_ID_LEN: usize = 255;
    const MAX_INT_DIGITS: usize = 15;
    const MAX_FRACTION_DIGITS: usize = 2;

    impl BillingOrder {
        /// Parses raw bytes (must be a JSON object).
        pub fn parse_bytes(body: &[u8]) -> Result<Self, InvalidOrder> {
            let value: Value = serde_json::from_slice(body)
                .map_err(|e| invalid("body", format!("not valid JSON: {e}")))?;
            Self::parse(&value)
        }

        /// Validates a JSON value.
        pub fn parse(value: &Value) -> Result<Self, InvalidOrder> {
            let obj = value
                .as_object()
                .ok_or_else(|| invalid("body", "must be a JSON object"))?;
            let user_id = match obj.get("user_id") {
                None | Some(Value::Null) => return Err(invalid("user_id", "is required")),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
                Some(_) => return Err(invalid("user_id", "must be a string")),
            };
            if user_id.trim().is_empty() {
                return Err(invalid("user_id", "must not be empty"));
            }
            if user_id.chars().count() > MAX_USER_ID_LEN {
                return Err(invalid(
                    "user_id",
                    format!("must be at most {MAX_USER_ID_LEN} characters"),
                ));
            }
            if user_id.chars().any(|c| c == '\0') {
                return Err(invalid("user_id", "must not contain NUL characters"));
            }
            let number_of_items = match obj.get("number_of_items") {
                None | Some(Value::Null) => return Err(invalid("number_of_items", "is required")),
                Some(Value::String(s)) => parse_count(s.trim())?,
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(i) => check_count(i)?,
                    None => {
                        return Err(invalid("number_of_items", "must be a positive integer"));
                    }
                },
                Some(_) => {
                    return Err(invalid(
                        "number_of_items",
                        "must be a positive integer (number or string)",
                    ));
                }
            };
            let total_amount = match obj.get("total_amount") {
                None | Some(Value::Null) => return Err(invalid("total_amount", "is required")),
                Some(Value::String(s)) => parse_amount(s.trim())?,
                Some(Value::Number(n)) => parse_amount(&n.to_string())?,
                Some(_) => {
                    return Err(invalid(
                        "total_amount",
                        "must be a non-negative decimal (number or string)",
                    ));
                }
            };
            Ok(Self {
                user_id,
                number_of_items,
                total_amount,
            })
        }

        /// The user id, as given.
        pub fn user_id(&self) -> &str {
            &self.user_id
        }

        /// The number of items, `>= 1`.
        pub fn number_of_items(&self) -> i64 {
            self.number_of_items
        }

        /// The total amount as a canonical decimal string (`"180"`, `"12.5"`),
        /// suitable for a `::numeric` cast.
        pub fn total_amount(&self) -> &str {
            &self.total_amount
        }
    }

    fn check_count(i: i64) -> Result<i64, InvalidOrder> {
        if (1..=i64::from(i32::MAX)).contains(&i) {
            Ok(i)
        } else {
            Err(invalid(
                "number_of_items",
                format!("must be an integer between 1 and {}", i32::MAX),
            ))
        }
    }

    fn parse_count(s: &str) -> Result<i64, InvalidOrder> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 12 {
            return Err(invalid("number_of_items", "must be a positive integer"));
        }
        let i: i64 = s
            .parse()
            .map_err(|_| invalid("number_of_items", "must be a positive integer"))?;
        check_count(i)
    }

    /// Validates a decimal and returns it canonicalised (no leading zeros,
    /// no trailing fraction zeros). Accepts `"180"`, `"180.5"`, `"0.99"`;
    /// refuses signs, exponents and a dot without digits on both sides.
    fn parse_amount(s: &str) -> Result<String, InvalidOrder> {
        let bad = || {
            invalid(
                "total_amount",
                format!(
                    "must be a non-negative decimal with at most {MAX_INT_DIGITS} integer and {MAX_FRACTION_DIGITS} fraction digits"
                ),
            )
        };
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac_part.is_empty())
        {
            return Err(bad());
        }
        let int_part = int_part.trim_start_matches('0');
        let frac_part = frac_part.trim_end_matches('0');
        if int_part.len() > MAX_INT_DIGITS || frac_part.len() > MAX_FRACTION_DIGITS {
            return Err(bad());
        }
        let int_part = if int_part.is_empty() { "0" } else { int_part };
        Ok(if frac_part.is_empty() {
            int_part.to_string()
        } else {
            format!("{int_part}.{frac_part}")
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn accepts_strings_and_numbers() {
            let a = BillingOrder::parse(
                &json!({"user_id":"3","number_of_items":"5","total_amount":"180"}),
            )
            .unwrap();
            let b =
                BillingOrder::parse(&json!({"user_id":3,"number_of_items":5,"total_amount":180}))
                    .unwrap();
            assert_eq!(a, b);
            assert_eq!(a.total_amount(), "180");
            let c = BillingOrder::parse(
                &json!({"user_id":"u","number_of_items":1,"total_amount":12.50}),
            )
            .unwrap();
            assert_eq!(c.total_amount(), "12.5");
            let d = BillingOrder::parse(
                &json!({"user_id":"u","number_of_items":" 7 ","total_amount":"007.10"}),
            )
            .unwrap();
            assert_eq!((d.number_of_items(), d.total_amount()), (7, "7.1"));
        }

        #[test]
        fn refuses_garbage() {
            for body in [
                json!([]),
                json!("x"),
                json!({}),
                json!({"user_id":"","number_of_items":"5","total_amount":"1"}),
                json!({"user_id":"  ","number_of_items":"5","total_amount":"1"}),
                json!({"user_id":{},"number_of_items":"5","total_amount":"1"}),
                json!({"user_id":"3","number_of_items":"-5","total_amount":"1"}),
                json!({"user_id":"3","number_of_items":-5,"total_amount":"1"}),
                json!({"user_id":"3","number_of_items":0,"total_amount":"1"}),
                json!({"user_id":"3","number_of_items":"five","total_amount":"1"}),
                json!({"user_id":"3","number_of_items":5.5,"total_amount":"1"}),
                json!({"user_id":"3","number_of_items":"5.0","total_amount":"1"}),
                json!({"user_id":"3","number_of_items":99999999999i64,"total_amount":"1"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"-1"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":-1}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"abc"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"1.234"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"1e3"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"NaN"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"."}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"1."}),
                json!({"user_id":"3","number_of_items":"5","total_amount":"1234567890123456"}),
                json!({"user_id":"3","number_of_items":"5","total_amount":true}),
                json!({"user_id":"3","number_of_items":"5"}),
                json!({"user_id":"x".repeat(256),"number_of_items":"5","total_amount":"1"}),
            ] {
                assert!(BillingOrder::parse(&body).is_err(), "accepted {body}");
            }
            assert!(BillingOrder::parse_bytes(b"{not json").is_err());
        }
    }
}
