//! One consuming session of the billing consumer: a connection, a channel
//! with prefetch, a consumer, and a second channel that polls the
//! dead-letter queue's depth; batches of deliveries out of it.
use std::time::Duration;

use futures_util::StreamExt;
use service_kit::amqp::lapin::message::Delivery;
use service_kit::amqp::lapin::options::{
    BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions,
};
use service_kit::amqp::lapin::types::FieldTable;
use service_kit::amqp::lapin::{self, Channel, Connection};
use service_kit::amqp::{AmqpSettings, ConnectOptions, QueueTopology};
use tokio_util::sync::CancellationToken;

use crate::consumer::BillingMetrics;
use crate::queue_migration;

/// One consuming session: a connection, a channel with prefetch, a consumer,
/// and a second channel that polls the dead-letter queue's depth.
pub struct Session {
    connection: Connection,
    channel: Channel,
    consumer: lapin::Consumer,
    monitor: Channel,
    dead_letter_queue: String,
}

/// Why a session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum NextBatch {
    /// deliveries to process (never empty)
    Batch,
    /// shutdown was requested
    Shutdown,
    /// the consumer stream ended or failed: reconnect
    Lost,
}

impl Session {
    /// Connects, declares the topology (migrating an old classic work queue
    /// first, `crate::queue_migration`), sets the prefetch and starts consuming.
    pub async fn open(
        amqp: &AmqpSettings,
        topology: &QueueTopology,
        prefetch: u16,
    ) -> Result<Self, queue_migration::MigrationError> {
        // the queue in the name tells replicas and tests apart in the management UI
        let name = format!("billing-app consumer ({})", topology.queue);
        let connection =
            service_kit::amqp::connect(amqp, &ConnectOptions::default(), &name).await?;
        queue_migration::ensure_topology(&connection, topology).await?;
        let monitor = connection.create_channel().await?;
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await?;
        let tag = format!("billing-app-{}", uuid::Uuid::new_v4());
        let consumer = channel
            .basic_consume(
                topology.queue.as_str().into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok(Self {
            connection,
            channel,
            consumer,
            monitor,
            dead_letter_queue: topology.dead_letter_queue.clone(),
        })
    }

    /// Sets `billing_dead_letter_queue_messages` to the depth of
    /// `<queue>.dlq` now and every `every` until `stop` is cancelled or the
    /// session's connection is gone.
    pub fn poll_dead_letter_depth(
        &self,
        metrics: BillingMetrics,
        every: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let channel = self.monitor.clone();
        let queue = self.dead_letter_queue.clone();
        tokio::spawn(async move {
            loop {
                let declared = channel
                    .queue_declare(
                        queue.as_str().into(),
                        QueueDeclareOptions {
                            passive: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await;
                match declared {
                    Ok(q) => metrics.dead_letter_depth.set(i64::from(q.message_count())),
                    Err(e) => {
                        tracing::warn!(error = %e, %queue, "cannot poll the dead-letter queue");
                        return;
                    }
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        })
    }

    /// Waits for the first delivery (or shutdown), then collects more for at
    /// most `wait` or until `max` are in hand.
    pub async fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
        shutdown: &CancellationToken,
        out: &mut Vec<Delivery>,
    ) -> NextBatch {
        out.clear();
        let first = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return NextBatch::Shutdown,
            next = self.consumer.next() => next,
        };
        match first {
            Some(Ok(d)) => out.push(d),
            Some(Err(e)) => {
                tracing::warn!(error = %e, "consumer failed");
                return NextBatch::Lost;
            }
            None => return NextBatch::Lost,
        }
        let deadline = tokio::time::Instant::now() + wait;
        while out.len() < max {
            match tokio::time::timeout_at(deadline, self.consumer.next()).await {
                Ok(Some(Ok(d))) => out.push(d),
                // keep what we have: it is processed before reconnecting
                Ok(Some(Err(_))) | Ok(None) => break,
                Err(_) => break,
            }
        }
        NextBatch::Batch
    }

    /// True while the connection and channel are usable.
    pub fn is_connected(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }

    /// Closes the channel and the connection (unacked deliveries return to the queue).
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            let _ = self.channel.close(200, "bye".into()).await;
            let _ = self.connection.close(200, "bye".into()).await;
        })
        .await;
    }
}
