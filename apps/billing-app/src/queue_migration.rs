//! Replaces a work queue declared by an older version (a classic queue
//! without the quorum arguments of `service_kit::amqp::QueueTopology`) by
//! the quorum queue, without losing a message, and resumes after a crash at
//! any step. billing-app runs it before consuming ([`ensure_topology`]);
//! RabbitMQ cannot change the arguments of an existing queue, so the queue
//! has to be deleted and declared again:
//!
//! 1. declare the topology; `PRECONDITION_FAILED` (the queue exists with other
//!    arguments) means an old queue, go on with 2, else skip to 5;
//! 2. declare the durable queue `<queue>.migration` (classic: quorum queues
//!    refuse the `if_empty` delete of step 5);
//! 3. move every message of the old queue into it ([`move_messages`]:
//!    `basic.get`, publish with confirms and the original properties, ack
//!    the original only after the broker confirmed the copy);
//! 4. delete the old queue with `if_empty` and `if_unused`: refused while a
//!    publisher added messages meanwhile or an old consumer is still
//!    attached, then 3 again after a pause; back to 1 (which now declares
//!    the quorum queue);
//! 5. if `<queue>.migration` exists, move its messages into the work queue
//!    and delete it with `if_empty` (again until it is empty).
//!
//! Step 5 runs on every start, so a leftover `<queue>.migration` from a run
//! that crashed is drained first. A crash between a confirm and its ack
//! leaves a message in both queues: billing stores it once, by `message_id`.
//! Between 4 and 1 the work queue does not exist for a moment: the gateway
//! publishes `mandatory`, gets the message back and answers 503.

use std::time::Duration;

use service_kit::amqp::lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use service_kit::amqp::lapin::types::FieldTable;
use service_kit::amqp::lapin::{self, Channel, Confirmation, Connection};
use service_kit::amqp::{AmqpError, QueueTopology, is_not_found, is_precondition_failed};

/// Most messages moved per confirm round trip.
const MOVE_BATCH: usize = 500;

/// Pause before trying again to delete a queue that is not empty or not
/// unused.
const DELETE_RETRY: Duration = Duration::from_millis(200);

/// Why the topology could not be ensured.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The broker refused an operation or the connection failed.
    #[error(transparent)]
    Amqp(#[from] AmqpError),
    /// A copy was not confirmed (nack, or returned: the target queue vanished).
    #[error("moving messages from {from} to {to}: the copy was not confirmed")]
    NotConfirmed {
        /// source queue
        from: String,
        /// target queue
        to: String,
    },
}

impl From<lapin::Error> for MigrationError {
    fn from(e: lapin::Error) -> Self {
        Self::Amqp(AmqpError::Lapin(e))
    }
}

/// What [`ensure_topology`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MigrationReport {
    /// messages moved from an old work queue into `<queue>.migration`
    pub moved_out: u64,
    /// messages moved from `<queue>.migration` into the work queue
    pub moved_back: u64,
}

/// Declares the topology on `connection`, migrating an old work queue and
/// draining a leftover `<queue>.migration` first (see the module doc).
/// Every step runs on a channel of its own, since the broker closes a
/// channel on each refusal.
pub async fn ensure_topology(
    connection: &Connection,
    topology: &QueueTopology,
) -> Result<MigrationReport, MigrationError> {
    let mut report = MigrationReport::default();
    loop {
        let channel = connection.create_channel().await?;
        match topology.declare(&channel).await {
            Ok(()) => {
                close(channel).await;
                break;
            }
            Err(AmqpError::QueueArgumentsDiffer { queue, source }) => {
                tracing::warn!(%queue, error = %source,
                    "the queue has the arguments of an older version: migrating it to a quorum queue");
                report.moved_out += move_out_of_old_queue(connection, topology).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    report.moved_back += drain_migration_queue(connection, topology).await?;
    if report != MigrationReport::default() {
        tracing::info!(queue = %topology.queue, ?report, "queue migration finished");
    }
    Ok(report)
}

/// Steps 2–4: every message of the old queue into `<queue>.migration`, then
/// the old queue deleted.
async fn move_out_of_old_queue(
    connection: &Connection,
    topology: &QueueTopology,
) -> Result<u64, MigrationError> {
    let migration = topology.migration_queue();
    let channel = connection.create_channel().await?;
    channel
        .queue_declare(
            migration.as_str().into(),
            QueueDeclareOptions::durable(),
            QueueTopology::migration_queue_arguments(),
        )
        .await?;
    close(channel).await;
    let mut moved = 0;
    loop {
        moved += move_messages(connection, &topology.queue, &migration).await?;
        let channel = connection.create_channel().await?;
        let deleted = channel
            .queue_delete(
                topology.queue.as_str().into(),
                QueueDeleteOptions {
                    if_unused: true,
                    if_empty: true,
                    nowait: false,
                },
            )
            .await;
        match deleted {
            Ok(_) => {
                close(channel).await;
                tracing::info!(queue = %topology.queue, moved, "old queue emptied and deleted");
                return Ok(moved);
            }
            Err(e) if is_precondition_failed(&e) => {
                tracing::warn!(queue = %topology.queue, error = %e,
                    "old queue got new messages or still has a consumer (an older billing-app?): moving again");
                tokio::time::sleep(DELETE_RETRY).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Step 5: a `<queue>.migration` left by this or an earlier run is emptied
/// into the work queue and deleted.
async fn drain_migration_queue(
    connection: &Connection,
    topology: &QueueTopology,
) -> Result<u64, MigrationError> {
    let migration = topology.migration_queue();
    let mut moved = 0;
    loop {
        let channel = connection.create_channel().await?;
        let exists = channel
            .queue_declare(
                migration.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await;
        match exists {
            Ok(_) => close(channel).await,
            Err(e) if is_not_found(&e) => return Ok(moved),
            Err(e) => return Err(e.into()),
        }
        moved += move_messages(connection, &migration, &topology.queue).await?;
        let channel = connection.create_channel().await?;
        match channel
            .queue_delete(
                migration.as_str().into(),
                QueueDeleteOptions {
                    if_unused: false,
                    if_empty: true,
                    nowait: false,
                },
            )
            .await
        {
            Ok(_) => {
                close(channel).await;
                tracing::info!(queue = %migration, moved, "migration queue drained and deleted");
                return Ok(moved);
            }
            Err(e) if is_precondition_failed(&e) => tokio::time::sleep(DELETE_RETRY).await,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Moves every message of `from` into `to` (default exchange, `mandatory`,
/// original properties), acknowledging originals only after their copies
/// were confirmed; returns how many were moved. Stops when `from` is empty.
pub async fn move_messages(
    connection: &Connection,
    from: &str,
    to: &str,
) -> Result<u64, MigrationError> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut moved = 0u64;
    loop {
        let mut confirms = Vec::with_capacity(MOVE_BATCH);
        let mut last = None;
        while confirms.len() < MOVE_BATCH {
            let Some(message) = channel
                .basic_get(from.into(), BasicGetOptions { no_ack: false })
                .await?
            else {
                break;
            };
            let delivery = message.delivery;
            let confirm = channel
                .basic_publish(
                    "".into(),
                    to.into(),
                    BasicPublishOptions {
                        mandatory: true,
                        immediate: false,
                    },
                    &delivery.data,
                    delivery.properties.clone(),
                )
                .await?;
            confirms.push(confirm);
            last = Some(delivery.acker);
        }
        let Some(last) = last else { break };
        let n = confirms.len() as u64;
        let mut all_confirmed = true;
        for confirm in confirms {
            all_confirmed &= matches!(confirm.await?, Confirmation::Ack(None));
        }
        if !all_confirmed {
            // the originals stay in `from`
            let _ = last
                .nack(BasicNackOptions {
                    multiple: true,
                    requeue: true,
                })
                .await;
            return Err(MigrationError::NotConfirmed {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        last.ack(BasicAckOptions { multiple: true }).await?;
        moved += n;
    }
    close(channel).await;
    Ok(moved)
}

async fn close(channel: Channel) {
    if channel.status().connected() {
        let _ = channel.close(200, "done".into()).await;
    }
}
