//! The billing consumer.
//!
//! One step, [`Processor::process_batch`], takes the deliveries collected by
//! [`Session::next_batch`] and settles every one of them:
//! - a body that can never become an order is rejected without requeue, so
//!   RabbitMQ dead-letters it into `<queue>.dlq`;
//! - the valid ones are inserted in one statement
//!   (`INSERT … SELECT FROM unnest(…) ON CONFLICT (message_id) DO NOTHING`)
//!   and acknowledged with one `basic.ack(multiple)` **after** it committed;
//! - when PostgreSQL is unavailable the batch stays in hand, unacknowledged,
//!   and the insert is retried with backoff until it commits; only a lost
//!   channel or shutdown gives the messages back to the queue. They are
//!   never nacked with requeue on purpose: the work queue is a quorum queue
//!   with a delivery limit (`service_kit::amqp::DELIVERY_LIMIT`), and every
//!   return counts towards it, so requeueing through a database outage
//!   would dead-letter valid orders.
//!
//! [`crate::consumer_loop::run`] is the thin loop around it, over a
//! [`crate::session::Session`]: connect with backoff and jitter,
//! migrate and declare the topology (`crate::queue_migration`), consume,
//! batch, process, and on SIGTERM stop taking deliveries, finish the batch in
//! hand and close. After a session ended abruptly (e.g. lapin dropped the
//! connection because it could not parse a delivery) the next session takes
//! one message at a time until it settled as many as the prefetch window
//! held, so only the message that breaks the connection keeps coming back
//! and reaches the delivery limit — not the valid ones prefetched with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts};
use service_kit::amqp::lapin;
use service_kit::amqp::lapin::message::Delivery;
use service_kit::amqp::lapin::options::{BasicAckOptions, BasicRejectOptions};
use service_kit::billing::BillingOrder;
use service_kit::retry::Backoff;
use service_kit::runtime_contract::metrics;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::store::{NewOrder, Store, StoreError};

/// `billing_messages_total{outcome}`, `billing_dead_letter_queue_messages`,
/// `billing_consumer_sessions_lost_total`.
#[derive(Clone)]
pub struct BillingMetrics {
    messages: IntCounterVec,
    pub(crate) dead_letter_depth: IntGauge,
    pub(crate) sessions_lost: IntCounter,
}

impl BillingMetrics {
    /// Registers the counter on the service's registry.
    pub fn new(metrics: &service_kit::metrics::Metrics) -> Self {
        let messages = IntCounterVec::new(
            Opts::new(
                metrics::BILLING_MESSAGES_TOTAL,
                "Billing messages handled, by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        // a second registration (programming error) keeps a working, unexported counter
        let messages = metrics.register(messages.clone()).unwrap_or(messages);
        for outcome in ["stored", "duplicate", "dead_lettered", "retried"] {
            messages.with_label_values(&[outcome]);
        }
        // Messages that never reach this code (the client library drops the
        // connection on them) are dead-lettered by the broker after
        // DELIVERY_LIMIT returns: the DLQ depth counts them with ours.
        let dead_letter_depth = IntGauge::new(
            metrics::BILLING_DEAD_LETTER_QUEUE_MESSAGES,
            "Messages waiting in <queue>.dlq (polled with a passive declare)",
        )
        .expect("valid metric");
        let dead_letter_depth = metrics
            .register(dead_letter_depth.clone())
            .unwrap_or(dead_letter_depth);
        let sessions_lost = IntCounter::new(
            metrics::BILLING_CONSUMER_SESSIONS_LOST_TOTAL,
            "Consuming sessions that ended without shutdown (broker gone, or a delivery the client could not parse)",
        )
        .expect("valid metric");
        let sessions_lost = metrics
            .register(sessions_lost.clone())
            .unwrap_or(sessions_lost);
        Self {
            messages,
            dead_letter_depth,
            sessions_lost,
        }
    }

    fn add(&self, outcome: &str, n: u64) {
        if n > 0 {
            self.messages.with_label_values(&[outcome]).inc_by(n);
        }
    }

    /// Current value of one outcome (tests).
    pub fn get(&self, outcome: &str) -> u64 {
        self.messages.with_label_values(&[outcome]).get()
    }

    /// Last polled depth of `<queue>.dlq` (tests).
    pub fn dead_letter_depth(&self) -> i64 {
        self.dead_letter_depth.get()
    }

    /// Sessions lost so far (tests).
    pub fn sessions_lost(&self) -> u64 {
        self.sessions_lost.get()
    }
}

/// What one batch became.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    /// new rows in `orders`
    pub stored: u64,
    /// valid messages whose `message_id` was already stored (redeliveries)
    pub duplicate: u64,
    /// rejected into the dead-letter queue
    pub dead_lettered: u64,
    /// failed insert attempts × messages, while PostgreSQL was unavailable
    /// and the batch was held for another attempt
    pub retried: u64,
}

/// A batch that could not be settled completely.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// PostgreSQL unavailable until shutdown: the valid messages were left
    /// unacknowledged and return to the queue when the channel closes.
    #[error("database unavailable ({report:?}): {cause}")]
    DatabaseUnavailable {
        /// what did happen
        report: BatchReport,
        /// why
        cause: StoreError,
    },
    /// The channel or connection failed while settling: unsettled messages
    /// return to the queue when the broker notices; redeliveries are
    /// deduplicated by `message_id`.
    #[error("broker error while settling a batch: {0}")]
    Broker(#[from] lapin::Error),
    /// The channel is already closed (acker poisoned).
    #[error("channel closed before the batch was settled")]
    ChannelClosed,
}

/// Shared health flags (readiness).
#[derive(Debug, Default)]
pub struct ConsumerState {
    /// consuming on an open channel
    pub consuming: AtomicBool,
    /// the last insert failed because PostgreSQL was unavailable
    pub database_down: AtomicBool,
}

/// The idempotency key: the AMQP `message_id`, or a hash of the body when the
/// publisher set none (identical bodies without ids then count as one).
pub fn idempotency_key(delivery: &Delivery) -> String {
    match delivery.properties.message_id() {
        Some(id) if !id.as_str().trim().is_empty() => id.as_str().to_string(),
        _ => {
            let digest = Sha256::digest(&delivery.data);
            let mut key = String::with_capacity(7 + 64);
            key.push_str("sha256:");
            for b in digest {
                key.push_str(&format!("{b:02x}"));
            }
            key
        }
    }
}

/// Turns a delivery into an order, or says why it never can be one.
pub fn decode(delivery: &Delivery) -> Result<NewOrder, String> {
    let order = BillingOrder::parse_bytes(&delivery.data).map_err(|e| e.to_string())?;
    let message_id = idempotency_key(delivery);
    if message_id.len() > 255 {
        return Err("message_id longer than 255 bytes".into());
    }
    Ok(NewOrder {
        message_id,
        user_id: order.user_id().to_string(),
        number_of_items: i32::try_from(order.number_of_items())
            .map_err(|_| "number_of_items out of range".to_string())?,
        total_amount: order.total_amount().to_string(),
    })
}

/// The consumer step: store, dead-letter or requeue a batch.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    pub(crate) metrics: BillingMetrics,
    pub(crate) state: Arc<ConsumerState>,
    backoff: Arc<tokio::sync::Mutex<Backoff>>,
    shutdown: CancellationToken,
}

fn ok_or_closed(settled: bool) -> Result<(), BatchError> {
    if settled {
        Ok(())
    } else {
        Err(BatchError::ChannelClosed)
    }
}

impl Processor {
    /// A processor writing to `store`; `retry_base`/`retry_max` bound the
    /// backoff between insert attempts while PostgreSQL is down; `shutdown`
    /// ends those attempts (the held messages then go back to the queue).
    pub fn new(
        store: Store,
        metrics: BillingMetrics,
        state: Arc<ConsumerState>,
        retry_base: Duration,
        retry_max: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            store,
            metrics,
            state,
            backoff: Arc::new(tokio::sync::Mutex::new(Backoff::new(retry_base, retry_max))),
            shutdown,
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The shared health flags.
    pub fn state(&self) -> &Arc<ConsumerState> {
        &self.state
    }

    /// Settles every delivery of `batch` (deliveries of one channel, in
    /// delivery-tag order, with nothing older left unsettled on it).
    pub async fn process_batch(&self, batch: Vec<Delivery>) -> Result<BatchReport, BatchError> {
        let mut report = BatchReport::default();
        let mut valid: Vec<(Delivery, NewOrder)> = Vec::with_capacity(batch.len());
        for delivery in batch {
            match decode(&delivery) {
                Ok(order) => valid.push((delivery, order)),
                Err(reason) => {
                    tracing::warn!(
                        delivery_tag = delivery.delivery_tag,
                        message_id = ?delivery.properties.message_id(),
                        %reason,
                        "poison message: dead-lettering"
                    );
                    let settled = delivery
                        .acker
                        .reject(BasicRejectOptions { requeue: false })
                        .await?;
                    ok_or_closed(settled)?;
                    report.dead_lettered += 1;
                    self.metrics.add("dead_lettered", 1);
                }
            }
        }
        if valid.is_empty() {
            return Ok(report);
        }
        let orders: Vec<NewOrder> = valid.iter().map(|(_, o)| o.clone()).collect();
        loop {
            match self.store.insert_orders(&orders).await {
                Ok(stored) => {
                    self.on_db_success().await;
                    let (last, _) = valid.last().expect("non-empty");
                    let settled = last.acker.ack(BasicAckOptions { multiple: true }).await?;
                    // the rows are committed; if the ack is lost the messages come
                    // back and are counted as duplicates
                    ok_or_closed(settled)?;
                    report.stored = stored;
                    report.duplicate = valid.len() as u64 - stored;
                    self.metrics.add("stored", report.stored);
                    self.metrics.add("duplicate", report.duplicate);
                    return Ok(report);
                }
                Err(StoreError::Rejected(cause)) => {
                    tracing::warn!(%cause, "batch refused by the database, retrying one by one");
                    return self.one_by_one(valid, report).await;
                }
                Err(cause @ StoreError::Unavailable(_)) => {
                    report = self.hold_and_wait(&valid, report, cause).await?;
                }
            }
        }
    }

    async fn on_db_success(&self) {
        self.state.database_down.store(false, Ordering::Relaxed);
        self.backoff.lock().await.reset();
    }

    /// After a failed insert of `held` (PostgreSQL unavailable): counts the
    /// retry, waits one backoff step with the messages still unacknowledged,
    /// and returns `Ok` when another attempt should be made — `Err` on
    /// shutdown or when the channel was lost (the broker then gives the
    /// messages back to the queue; that return counts towards the delivery
    /// limit, once per lost channel, not once per attempt).
    async fn hold_and_wait(
        &self,
        held: &[(Delivery, NewOrder)],
        mut report: BatchReport,
        cause: StoreError,
    ) -> Result<BatchReport, BatchError> {
        self.state.database_down.store(true, Ordering::Relaxed);
        report.retried += held.len() as u64;
        self.metrics.add("retried", held.len() as u64);
        let delay = self.backoff.lock().await.next_delay();
        tracing::error!(%cause, retry_in_ms = delay.as_millis() as u64, messages = held.len(),
            "PostgreSQL unavailable: holding the batch unacknowledged and retrying the insert");
        tokio::select! {
            _ = self.shutdown.cancelled() => {
                return Err(BatchError::DatabaseUnavailable { report, cause });
            }
            _ = tokio::time::sleep(delay) => {}
        }
        if !held.iter().all(|(d, _)| d.acker.usable()) {
            return Err(BatchError::ChannelClosed);
        }
        Ok(report)
    }

    async fn one_by_one(
        &self,
        valid: Vec<(Delivery, NewOrder)>,
        mut report: BatchReport,
    ) -> Result<BatchReport, BatchError> {
        let mut rest = valid.into_iter();
        while let Some((delivery, order)) = rest.next() {
            let inserted = self.store.insert_orders(std::slice::from_ref(&order)).await;
            match inserted {
                Ok(n) => {
                    ok_or_closed(delivery.acker.ack(BasicAckOptions::default()).await?)?;
                    report.stored += n;
                    report.duplicate += 1 - n;
                    self.metrics.add("stored", n);
                    self.metrics.add("duplicate", 1 - n);
                }
                Err(StoreError::Rejected(cause)) => {
                    tracing::warn!(%cause, message_id = %order.message_id, "database refused the order: dead-lettering");
                    ok_or_closed(
                        delivery
                            .acker
                            .reject(BasicRejectOptions { requeue: false })
                            .await?,
                    )?;
                    report.dead_lettered += 1;
                    self.metrics.add("dead_lettered", 1);
                }
                Err(cause @ StoreError::Unavailable(_)) => {
                    let mut remaining = vec![(delivery, order)];
                    remaining.extend(rest);
                    report = self.hold_and_wait(&remaining, report, cause).await?;
                    rest = remaining.into_iter();
                }
            }
        }
        self.on_db_success().await;
        Ok(report)
    }
}
