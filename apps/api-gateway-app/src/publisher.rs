//! The billing publisher: one connection, a few confirm-mode channels used
//! round-robin (`PUBLISH_CHANNELS`), each owned by a [`lane`] task, kept up
//! by a background task that reconnects with exponential backoff and jitter.
//!
//! [`Publisher::publish`] answers `Ok` only when the broker acknowledged the
//! message (publisher confirms) and did not return it. The message is
//! persistent (`delivery_mode = 2`), carries the `message_id` it is given
//! (billing's idempotency key) and `content_type = application/json`, and is
//! published `mandatory`, so a message that no queue would take comes back
//! (basic.return) and is reported as a failure instead of vanishing; the lane
//! matches returns to publishes by `message_id`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::{IntCounterVec, IntGauge, Opts};
use service_kit::amqp::lapin::options::ConfirmSelectOptions;
use service_kit::amqp::lapin::{BasicProperties, Channel, Connection};
use service_kit::amqp::{AmqpSettings, ConnectOptions, PublisherDeclare, QueueTopology};
use service_kit::retry::Backoff;
use service_kit::runtime_contract::metrics;
use tokio::sync::{Notify, RwLock, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub use crate::lane::PublishError;
use crate::lane::{self, Job, LaneEvent};

/// `billing_publish_total{outcome="confirmed|nacked|unavailable"}` and
/// `billing_broker_connected` (1 while the publisher has an open channel).
#[derive(Clone)]
pub struct PublishMetrics {
    total: IntCounterVec,
    connected: IntGauge,
}

impl PublishMetrics {
    /// Registers the counter on the service registry.
    pub fn new(metrics: &service_kit::metrics::Metrics) -> Self {
        let total = IntCounterVec::new(
            Opts::new(
                metrics::BILLING_PUBLISH_TOTAL,
                "Billing messages published, by outcome",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let total = metrics.register(total.clone()).unwrap_or(total);
        for o in ["confirmed", "nacked", "unavailable"] {
            total.with_label_values(&[o]);
        }
        let connected = IntGauge::new(
            metrics::BILLING_BROKER_CONNECTED,
            "1 while the billing publisher is connected to the broker, else 0",
        )
        .expect("valid metric");
        let connected = metrics.register(connected.clone()).unwrap_or(connected);
        Self { total, connected }
    }

    /// Current value (tests).
    pub fn get(&self, outcome: &str) -> u64 {
        self.total.with_label_values(&[outcome]).get()
    }
}

struct Inner {
    /// one job sender per confirm-mode channel; `None` while disconnected
    lanes: RwLock<Option<Vec<mpsc::Sender<Job>>>>,
    next: AtomicUsize,
    channels: usize,
    connected: AtomicBool,
    broken: Notify,
    returned: Notify,
    topology: QueueTopology,
    confirm_timeout: Duration,
    metrics: PublishMetrics,
}

impl Inner {
    fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
        self.metrics.connected.set(i64::from(connected));
    }

    fn mark_broken(&self) {
        self.set_connected(false);
        self.broken.notify_one();
    }
}

/// How often the publisher looks again at a queue billing-app has not
/// migrated yet.
const QUEUE_NOT_MIGRATED_RETRY: Duration = Duration::from_secs(1);

/// Jobs a lane holds before a publish waits for room (back-pressure).
const LANE_CAPACITY: usize = 1024;

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
            lanes: RwLock::new(None),
            next: AtomicUsize::new(0),
            channels: channels.max(1),
            connected: AtomicBool::new(false),
            broken: Notify::new(),
            returned: Notify::new(),
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

    /// Publishes `body` with `message_id` (billing's idempotency key);
    /// returns once the broker confirmed that the queue has it.
    pub async fn publish(&self, body: &[u8], message_id: &str) -> Result<(), PublishError> {
        let result = tokio::time::timeout(
            self.inner.confirm_timeout,
            self.try_publish(body, message_id),
        )
        .await
        .unwrap_or(Err(PublishError::Timeout(self.inner.confirm_timeout)));
        let outcome = match &result {
            Ok(()) => "confirmed",
            Err(PublishError::Nacked) | Err(PublishError::Returned(_)) => "nacked",
            Err(_) => "unavailable",
        };
        self.inner.metrics.total.with_label_values(&[outcome]).inc();
        result
    }

    async fn try_publish(&self, body: &[u8], message_id: &str) -> Result<(), PublishError> {
        let lane = {
            let guard = self.inner.lanes.read().await;
            let i = self.inner.next.fetch_add(1, Ordering::Relaxed);
            match guard.as_ref() {
                Some(lanes) if self.is_connected() => lanes[i % lanes.len()].clone(),
                _ => return Err(PublishError::Unavailable),
            }
        };
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(message_id.into())
            .with_timestamp(timestamp)
            .with_app_id("api-gateway-app".into());
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            body: body.to_vec(),
            properties,
            reply,
        };
        lane.send(job)
            .await
            .map_err(|_| PublishError::Unavailable)?;
        outcome
            .await
            .unwrap_or_else(|_| Err(PublishError::Broker("the channel closed".into())))
    }
}

/// Why the publisher could not open.
enum OpenError {
    /// no connection, or the broker refused a step
    Broker(String),
    /// `billing_queue` still has an older version's arguments: billing-app
    /// migrates it on start; publishing meanwhile could lose confirmed
    /// messages (see [`PublisherDeclare::ExistsWithOtherArguments`])
    QueueNotMigrated,
}

async fn open(
    inner: &Inner,
    settings: &AmqpSettings,
) -> Result<(Connection, Vec<Channel>), OpenError> {
    let name = format!("api-gateway-app publisher ({})", inner.topology.queue);
    let conn = service_kit::amqp::connect(settings, &ConnectOptions::default(), &name)
        .await
        .map_err(|e| OpenError::Broker(e.to_string()))?;
    let setup = async {
        // declare the queue (same arguments as billing-app): messages
        // accepted while billing-app is down wait in the durable queue
        let declared = inner.topology.declare_for_publisher(&conn).await?;
        let mut chs = Vec::with_capacity(inner.channels);
        for _ in 0..inner.channels {
            let ch = conn.create_channel().await?;
            ch.confirm_select(ConfirmSelectOptions::default()).await?;
            chs.push(ch);
        }
        Ok::<_, service_kit::amqp::AmqpError>((declared, chs))
    };
    let failed = match setup.await {
        Ok((PublisherDeclare::Declared, chs)) => return Ok((conn, chs)),
        Ok((PublisherDeclare::ExistsWithOtherArguments, _)) => OpenError::QueueNotMigrated,
        Err(e) => OpenError::Broker(e.to_string()),
    };
    let _ = conn.close(200, "setup failed".into()).await;
    Err(failed)
}

/// Starts one lane per channel and publishes them; returns the lane tasks.
async fn start_lanes(inner: &Arc<Inner>, chs: &[Channel]) -> Vec<tokio::task::JoinHandle<()>> {
    let mut senders = Vec::with_capacity(chs.len());
    let mut tasks = Vec::with_capacity(chs.len());
    for ch in chs {
        let (tx, rx) = mpsc::channel(LANE_CAPACITY);
        let owner = inner.clone();
        tasks.push(tokio::spawn(lane::run(
            ch.clone(),
            inner.topology.queue.clone(),
            inner.confirm_timeout,
            rx,
            move |event| match event {
                LaneEvent::Broken => owner.mark_broken(),
                LaneEvent::Returned => owner.returned.notify_one(),
            },
        )));
        senders.push(tx);
    }
    *inner.lanes.write().await = Some(senders);
    inner.set_connected(true);
    tasks
}

/// Waits until the connection breaks (a lane reports it, or polling sees a
/// closed connection or channel), the queue cannot be declared again after a
/// message came back unroutable, or `shutdown` is cancelled.
async fn watch(inner: &Inner, conn: &Connection, chs: &[Channel], shutdown: &CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = inner.broken.notified() => return,
            _ = inner.returned.notified() => {
                // the queue is missing (deleted) or was replaced: declare it
                // again; if it now has other arguments, stop publishing
                match inner.topology.declare_for_publisher(conn).await {
                    Ok(PublisherDeclare::Declared) => {}
                    Ok(PublisherDeclare::ExistsWithOtherArguments) | Err(_) => return,
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        let healthy = conn.status().connected() && chs.iter().all(|ch| ch.status().connected());
        if !healthy {
            return;
        }
    }
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
                let lanes = start_lanes(&inner, &chs).await;
                tracing::info!(broker = %service_kit::amqp::redacted(&settings), "publisher connected");
                watch(&inner, &conn, &chs, &shutdown).await;
                inner.set_connected(false);
                // new publishes answer Unavailable at once; each lane settles
                // what it already holds (bounded by the confirm timeout)
                inner.lanes.write().await.take();
                let settle = futures_util::future::join_all(lanes);
                let _ = tokio::time::timeout(inner.confirm_timeout, settle).await;
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.close(200, "bye".into()))
                    .await;
                if shutdown.is_cancelled() {
                    break;
                }
                tracing::warn!("publisher connection lost, reconnecting");
            }
            Err(OpenError::QueueNotMigrated) => {
                // a broker that answers is not backed off: look again every
                // second, so publishing resumes soon after billing-app migrated
                tracing::warn!(queue = %inner.topology.queue,
                    "billing queue not migrated by billing-app yet; answering 503 meanwhile");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(QUEUE_NOT_MIGRATED_RETRY) => {}
                }
            }
            Err(OpenError::Broker(e)) => {
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
    inner.set_connected(false);
    tracing::info!("publisher stopped");
}
