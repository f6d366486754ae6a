//! The consumer loop around [`Processor::process_batch`]: connect with
//! backoff and jitter, consume, batch, process; on SIGTERM finish the batch
//! in hand and close; after a session ended abruptly, settle one message at
//! a time until the prefetch window is through (see [`crate::consumer`]).
use std::sync::atomic::Ordering;
use std::time::Duration;

use service_kit::amqp::{AmqpSettings, QueueTopology};
use service_kit::retry::Backoff;
use tokio_util::sync::CancellationToken;

use crate::config::ConsumerSettings;
use crate::consumer::{BatchError, Processor};
use crate::session::{NextBatch, Session};

/// How a session ended.
enum SessionEnd {
    /// Shutdown was requested.
    Shutdown,
    /// Careful mode settled the prefetch window: reconnect at full prefetch.
    Settled,
    /// The session broke: reconnect with backoff, carefully.
    Lost,
}

/// The consumer loop; returns when `shutdown` is cancelled.
pub async fn run(
    processor: Processor,
    amqp: AmqpSettings,
    settings: ConsumerSettings,
    shutdown: CancellationToken,
) {
    let topology = QueueTopology::from_settings(&amqp);
    let mut reconnect = Backoff::new(
        settings.retry_base,
        settings.retry_max.max(settings.retry_base),
    );
    // messages still to settle one at a time after an abrupt session end
    let mut careful_for = 0usize;
    while !shutdown.is_cancelled() {
        let careful = careful_for > 0;
        let prefetch = if careful { 1 } else { settings.prefetch };
        let opened = tokio::select! {
            _ = shutdown.cancelled() => break,
            s = Session::open(&amqp, &topology, prefetch) => s,
        };
        let session = match opened {
            Ok(s) => s,
            Err(e) => {
                let delay = reconnect.next_delay();
                tracing::error!(error = %e, broker = %service_kit::amqp::redacted(&amqp), retry_in_ms = delay.as_millis() as u64,
                    "cannot consume from RabbitMQ, retrying");
                if sleep_unless_shutdown(&shutdown, delay).await {
                    continue;
                }
                break;
            }
        };
        reconnect.reset();
        tracing::info!(queue = %topology.queue, prefetch, careful, "consuming");
        match consume(&processor, session, &settings, &shutdown, &mut careful_for).await {
            SessionEnd::Shutdown => break,
            SessionEnd::Settled => continue,
            SessionEnd::Lost => {}
        }
        processor.metrics.sessions_lost.inc();
        careful_for = usize::from(settings.prefetch);
        let delay = reconnect.next_delay();
        tracing::warn!(
            retry_in_ms = delay.as_millis() as u64,
            "RabbitMQ session lost, reconnecting (one message at a time until the prefetch window is settled)"
        );
        if !sleep_unless_shutdown(&shutdown, delay).await {
            break;
        }
    }
    processor.state.consuming.store(false, Ordering::Relaxed);
    tracing::info!("consumer stopped");
}

/// Sleeps for `delay`; false when shutdown came first.
async fn sleep_unless_shutdown(shutdown: &CancellationToken, delay: Duration) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(delay) => true,
    }
}

/// Batches and processes deliveries until the session ends; in careful mode
/// (`careful_for` > 0) one message at a time, counting them down.
async fn consume(
    processor: &Processor,
    mut session: Session,
    settings: &ConsumerSettings,
    shutdown: &CancellationToken,
    careful_for: &mut usize,
) -> SessionEnd {
    let careful = *careful_for > 0;
    let batch_size = if careful { 1 } else { settings.batch_size };
    let mut batch = Vec::with_capacity(settings.batch_size);
    let session_over = shutdown.child_token();
    let poller = session.poll_dead_letter_depth(
        processor.metrics.clone(),
        settings.dead_letter_poll,
        session_over.clone(),
    );
    processor.state.consuming.store(true, Ordering::Relaxed);
    let lost = loop {
        match session
            .next_batch(batch_size, settings.batch_wait, shutdown, &mut batch)
            .await
        {
            NextBatch::Shutdown => {
                processor.state.consuming.store(false, Ordering::Relaxed);
                session_over.cancel();
                session.close().await;
                return SessionEnd::Shutdown;
            }
            NextBatch::Lost => break true,
            NextBatch::Batch => {}
        }
        let n = batch.len();
        match processor.process_batch(std::mem::take(&mut batch)).await {
            Ok(report) => tracing::debug!(messages = n, ?report, "batch settled"),
            // only on shutdown: the next next_batch returns Shutdown
            Err(BatchError::DatabaseUnavailable { .. }) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "batch not settled, reconnecting");
                break true;
            }
        }
        if !session.is_connected() {
            break true;
        }
        if careful {
            *careful_for = careful_for.saturating_sub(n);
            if *careful_for == 0 {
                tracing::info!("settled the prefetch window one by one: back to full prefetch");
                break false;
            }
        }
    };
    processor.state.consuming.store(false, Ordering::Relaxed);
    session_over.cancel();
    // not awaited: its passive declare may hang on a half-dead connection
    poller.abort();
    session.close().await;
    if lost {
        SessionEnd::Lost
    } else {
        SessionEnd::Settled
    }
}
