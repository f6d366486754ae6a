//! The billing publisher: one connection, a few confirm-mode channels used
//! round-robin (`PUBLISH_CHANNELS`), kept up
//! by a background task that reconnects with exponential backoff and jitter.
//!
//! [`Publisher::publish`] answers `Ok` only when the broker acknowledged the
//! message (publisher confirms). The message is persistent
//! (`delivery_mode = 2`), carries a fresh UUID `message_id` (billing's
//! idempotency key) and `content_type = application/json`, and is published
//! `mandatory`, so a message that no queue would take comes back (basic.return)
//! and is reported as a failure instead of vanishing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::{IntCounterVec, Opts};
use service_kit::amqp::lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use service_kit::amqp::lapin::{BasicProperties, Channel, Confirmation, Connection};
use service_kit::amqp::{AmqpSettings, Backoff, ConnectOptions, QueueTopology};
use tokio::sync::{Notify, RwLock};
use tokio_util::sync::CancellationToken;

/// Why a message was not confirmed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No channel to the broker right now.
    #[error("the message broker is unavailable")]
    Unavailable,
    /// The broker did not confirm within the timeout.
    #[error("the message broker did not confirm within {0:?}")]
    Timeout(Duration),
    /// The broker answered basic.nack.
    #[error("the message broker refused the message (nack)")]
    Nacked,
    /// The message was unroutable (basic.return): the queue does not exist.
    #[error("the message could not be routed to queue {0}")]
    Returned(String),
    /// The channel failed during the publish.
    #[error("the message broker connection failed: {0}")]
    Broker(String),
}

/// `billing_publish_total{outcome="confirmed|nacked|unavailable"}`.
#[derive(Clone)]
pub struct PublishMetrics {
    total: IntCounterVec,
}

impl PublishMetrics {
    /// Registers the counter on the service registry.
    pub fn new(metrics: &service_kit::metrics::Metrics) -> Self {
        let total = IntCounterVec::new(
            Opts::new(
                "billing_publish_total",
                "Billing messages published, by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let total = metrics.register(total.clone()).unwrap_or(total);
        for o in ["confirmed", "nacked", "unavailable"] {
            total.with_label_values(&[o]);
        }
        Self { total }
    }

    /// Current value (tests).
    pub fn get(&self, outcome: &str) -> u64 {
        self.total.with_label_values(&[outcome]).get()
    }
}

struct Inner {
    channel: RwLock<Option<(Connection, Vec<Channel>)>>,
    next: AtomicUsize,
    channels: usize,
    connected: AtomicBool,
    in_flight: AtomicUsize,
    broken: Notify,
    topology: QueueTopology,
    confirm_timeout: Duration,
    metrics: PublishMetrics,
}

/// Handle to the publisher. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

impl Publisher {
    /// Starts the background connection task; returns at once. Publishing
    /// answers [`PublishError::Unavailable`] until the first connection.
    /// The connection is closed once `shutdown` is cancelled (the gateway
    /// passes the kit's `server_stopped`, cancelled after the HTTP drain).
    pub fn start(
        settings: AmqpSettings,
        confirm_timeout: Duration,
        reconnect_max: Duration,
        channels: usize,
        metrics: PublishMetrics,
        shutdown: CancellationToken,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let inner = Arc::new(Inner {
            channel: RwLock::new(None),
            next: AtomicUsize::new(0),
            channels: channels.max(1),
            connected: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            broken: Notify::new(),
            topology: QueueTopology::from_settings(&settings),
            confirm_timeout,
            metrics,
        });
        let task = connection_loop(inner.clone(), settings, reconnect_max, shutdown);
        (Self { inner }, task)
    }

    /// True while a confirm-mode channel is open.
    pub fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Relaxed)
    }

    /// The queue messages go to.
    pub fn queue(&self) -> &str {
        &self.inner.topology.queue
    }

    /// Publishes `body`; returns its `message_id` once the broker confirmed.
    pub async fn publish(&self, body: &[u8]) -> Result<String, PublishError> {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        let result = self.try_publish(body).await;
        self.inner.in_flight.fetch_sub(1, Ordering::SeqCst);
        let outcome = match &result {
            Ok(_) => "confirmed",
            Err(PublishError::Nacked) | Err(PublishError::Returned(_)) => "nacked",
            Err(_) => "unavailable",
        };
        self.inner.metrics.total.with_label_values(&[outcome]).inc();
        result
    }

    async fn try_publish(&self, body: &[u8]) -> Result<String, PublishError> {
        let channel = {
            let guard = self.inner.channel.read().await;
            let i = self.inner.next.fetch_add(1, Ordering::Relaxed);
            match guard.as_ref().map(|(_, chs)| &chs[i % chs.len()]) {
                Some(ch) if ch.status().connected() => ch.clone(),
                _ => return Err(PublishError::Unavailable),
            }
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(message_id.as_str().into())
            .with_timestamp(timestamp)
            .with_app_id("api-gateway-app".into());
        let queue = self.inner.topology.queue.as_str();
        let publish = async {
            channel
                .basic_publish(
                    "".into(),
                    queue.into(),
                    BasicPublishOptions {
                        mandatory: true,
                        immediate: false,
                    },
                    body,
                    properties,
                )
                .await?
                .await
        };
        match tokio::time::timeout(self.inner.confirm_timeout, publish).await {
            Ok(Ok(Confirmation::Ack(None))) => Ok(message_id),
            Ok(Ok(Confirmation::Ack(Some(returned)))) => {
                tracing::error!(queue, reply = %returned.reply_text, "billing message returned as unroutable");
                Err(PublishError::Returned(queue.to_string()))
            }
            Ok(Ok(Confirmation::Nack(_))) => Err(PublishError::Nacked),
            Ok(Ok(Confirmation::NotRequested)) => {
                // cannot happen on a confirm_select channel; never claim success
                self.mark_broken();
                Err(PublishError::Broker("channel not in confirm mode".into()))
            }
            Ok(Err(e)) => {
                self.mark_broken();
                Err(PublishError::Broker(e.to_string()))
            }
            Err(_) => Err(PublishError::Timeout(self.inner.confirm_timeout)),
        }
    }

    fn mark_broken(&self) {
        self.inner.connected.store(false, Ordering::Relaxed);
        self.inner.broken.notify_one();
    }
}

async fn open(
    inner: &Inner,
    settings: &AmqpSettings,
) -> Result<(Connection, Vec<Channel>), String> {
    let name = format!("api-gateway-app publisher ({})", inner.topology.queue);
    let conn = service_kit::amqp::connect(settings, &ConnectOptions::default(), &name)
        .await
        .map_err(|e| e.to_string())?;
    let setup = async {
        let mut chs = Vec::with_capacity(inner.channels);
        for _ in 0..inner.channels {
            let ch = conn.create_channel().await?;
            ch.confirm_select(ConfirmSelectOptions::default()).await?;
            chs.push(ch);
        }
        Ok::<_, service_kit::amqp::AmqpError>(chs)
    };
    let chs = match setup.await {
        Ok(chs) => chs,
        Err(e) => {
            let _ = conn.close(200, "setup failed".into()).await;
            return Err(e.to_string());
        }
    };
    // declare the queue (same arguments as billing-app): messages accepted
    // while billing-app is down wait in the durable queue
    if let Err(e) = inner.topology.declare(&chs[0]).await {
        let _ = conn.close(200, "setup failed".into()).await;
        return Err(e.to_string());
    }
    Ok((conn, chs))
}

async fn connection_loop(
    inner: Arc<Inner>,
    settings: AmqpSettings,
    reconnect_max: Duration,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), reconnect_max);
    loop {
        let opened = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = open(&inner, &settings) => r,
        };
        match opened {
            Ok((conn, chs)) => {
                backoff.reset();
                *inner.channel.write().await = Some((conn, chs));
                inner.connected.store(true, Ordering::Relaxed);
                tracing::info!(broker = %service_kit::amqp::redacted(&settings), "publisher connected");
                // watch: a failed publish notifies; a silent drop is seen by polling
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = inner.broken.notified() => break,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    let healthy = inner.channel.read().await.as_ref().is_some_and(|(c, chs)| {
                        c.status().connected() && chs.iter().all(|ch| ch.status().connected())
                    });
                    if !healthy {
                        break;
                    }
                }
                if shutdown.is_cancelled() {
                    // let requests already publishing get their confirm
                    let deadline = tokio::time::Instant::now() + inner.confirm_timeout;
                    while inner.in_flight.load(Ordering::SeqCst) > 0
                        && tokio::time::Instant::now() < deadline
                    {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                inner.connected.store(false, Ordering::Relaxed);
                // take the connection out and release the write lock before
                // the (up to 2 s) close: publishes meanwhile see `None` and
                // answer Unavailable at once instead of queueing on the lock
                let taken = inner.channel.write().await.take();
                if let Some((conn, _)) = taken {
                    // waits for pending confirms to settle only briefly
                    let _ =
                        tokio::time::timeout(Duration::from_secs(2), conn.close(200, "bye".into()))
                            .await;
                }
                if shutdown.is_cancelled() {
                    break;
                }
                tracing::warn!("publisher connection lost, reconnecting");
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::error!(error = %e, broker = %service_kit::amqp::redacted(&settings),
                    retry_in_ms = delay.as_millis() as u64, "cannot connect the publisher, retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    inner.connected.store(false, Ordering::Relaxed);
    tracing::info!("publisher stopped");
}
