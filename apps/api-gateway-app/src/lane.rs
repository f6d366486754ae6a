//! One confirm-mode channel and the task that owns it: publishes the jobs it
//! is handed, in order, and settles each job from the broker's confirms.
//!
//! Why a task per channel: a `basic.return` (unroutable message) is not tied
//! to the publish it answers. lapin hands each returned message to whichever
//! confirm it completes next — with one `basic.ack(multiple)` covering several
//! publishes, that can be another publish than the one that came back, which
//! would then be answered 200 although its message went nowhere. The broker
//! sends a message's `basic.return` before its `basic.ack`, and lapin
//! completes every confirm of one ack frame in one go, so by the time a
//! publish's confirm is ready, its own returned message (if any) has been
//! handed to a confirm that is ready too. The lane therefore settles confirms
//! in batches — everything ready at that moment — collects the `message_id`s
//! of all returned messages first, and only then answers each job: a job whose
//! id came back is `Returned`, whichever confirm carried it.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use service_kit::amqp::lapin::message::BasicReturnMessage;
use service_kit::amqp::lapin::options::BasicPublishOptions;
use service_kit::amqp::lapin::types::ShortString;
use service_kit::amqp::lapin::{BasicProperties, Channel, Confirmation, PublisherConfirm};
use tokio::sync::{mpsc, oneshot};

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

/// One message to publish and where to send its outcome.
pub struct Job {
    pub body: Vec<u8>,
    /// carries the `message_id` the lane matches returns by
    pub properties: BasicProperties,
    pub reply: oneshot::Sender<Result<(), PublishError>>,
}

impl Job {
    /// The message's `message_id` (empty if it has none).
    fn message_id(&self) -> &str {
        self.properties
            .message_id()
            .as_ref()
            .map_or("", |id| id.as_str())
    }
}

/// What a job's confirm resolved to: the broker's answer, or why none came.
type Settled = (Job, Result<Confirmation, PublishError>);

/// What a lane tells the connection task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneEvent {
    /// the channel failed: reconnect
    Broken,
    /// the broker returned a message as unroutable: the queue is missing or
    /// was replaced, declare it again
    Returned,
}

/// Jobs taken from the queue in one go: published one after the other
/// without waiting for the broker in between.
const JOBS_PER_TURN: usize = 64;

/// Runs until `jobs` is closed and every published job is settled, telling
/// `notify` what the connection task must know.
///
/// A publish is not awaited before the next one is sent: each job becomes a
/// pending future that writes the message and then waits for its confirm
/// (lapin numbers the publish and queues its frames in the same first poll,
/// so the delivery tags follow the order in which frames reach the broker
/// whatever order the futures run in). Waiting for each write before taking
/// the next job made the channel's throughput one message per round trip
/// through lapin's I/O loop.
pub async fn run(
    channel: Channel,
    queue: String,
    confirm_timeout: Duration,
    mut jobs: mpsc::Receiver<Job>,
    notify: impl Fn(LaneEvent),
) {
    let mut pending = FuturesUnordered::new();
    // message ids that came back unroutable and whose job is still pending
    let mut returned: HashSet<String> = HashSet::new();
    let mut taken = Vec::with_capacity(JOBS_PER_TURN);
    let mut open = true;
    loop {
        tokio::select! {
            n = jobs.recv_many(&mut taken, JOBS_PER_TURN), if open => {
                if n == 0 {
                    open = false;
                }
                for job in taken.drain(..) {
                    pending.push(publish_and_confirm(channel.clone(), &queue, confirm_timeout, job));
                }
            }
            Some(first) = pending.next(), if !pending.is_empty() => {
                let mut batch: Vec<Settled> = vec![first];
                while let Some(Some(more)) = pending.next().now_or_never() {
                    batch.push(more);
                }
                settle(batch, &mut returned, &queue, &notify);
            }
            else => break,
        }
    }
}

/// Publishes `job` and waits for the broker's confirm, both within
/// `confirm_timeout`. A failed publish is a [`PublishError::Broker`]: the
/// channel is broken ([`settle`] reports it).
fn publish_and_confirm(
    channel: Channel,
    queue: &str,
    confirm_timeout: Duration,
    job: Job,
) -> impl Future<Output = Settled> + use<> {
    let queue = ShortString::from(queue);
    async move {
        let exchange = async {
            let confirm = publish(&channel, queue, &job)
                .await
                .map_err(|e| PublishError::Broker(e.to_string()))?;
            confirm
                .await
                .map_err(|e| PublishError::Broker(e.to_string()))
        };
        let outcome = tokio::time::timeout(confirm_timeout, exchange)
            .await
            .unwrap_or(Err(PublishError::Timeout(confirm_timeout)));
        (job, outcome)
    }
}

async fn publish(
    channel: &Channel,
    queue: ShortString,
    job: &Job,
) -> service_kit::amqp::lapin::Result<PublisherConfirm> {
    channel
        .basic_publish(
            "".into(),
            queue,
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            &job.body,
            job.properties.clone(),
        )
        .await
}

/// Answers every job of `batch`: first records every returned message id
/// the batch carries, then decides each job by its own id.
fn settle(
    batch: Vec<Settled>,
    returned: &mut HashSet<String>,
    queue: &str,
    notify: &impl Fn(LaneEvent),
) {
    let mut decided = Vec::with_capacity(batch.len());
    for (job, outcome) in batch {
        let outcome = match outcome {
            Ok(Confirmation::Ack(carried)) => {
                note_returned(carried, returned);
                Ok(())
            }
            Ok(Confirmation::Nack(carried)) => {
                note_returned(carried, returned);
                Err(PublishError::Nacked)
            }
            Ok(Confirmation::NotRequested) => {
                // cannot happen on a confirm_select channel; never claim success
                notify(LaneEvent::Broken);
                Err(PublishError::Broker("channel not in confirm mode".into()))
            }
            Err(e @ PublishError::Broker(_)) => {
                notify(LaneEvent::Broken);
                Err(e)
            }
            Err(e) => Err(e),
        };
        decided.push((job, outcome));
    }
    for (job, outcome) in decided {
        let outcome = if returned.remove(job.message_id()) {
            notify(LaneEvent::Returned);
            tracing::error!(
                queue,
                message_id = %job.message_id(),
                "billing message returned as unroutable"
            );
            Err(PublishError::Returned(queue.to_string()))
        } else {
            outcome
        };
        let _ = job.reply.send(outcome);
    }
    // a returned id whose job timed out before its return was seen stays
    // here; bound the set rather than keep it forever
    if returned.len() > 10_000 {
        returned.clear();
    }
}

fn note_returned(carried: Option<BasicReturnMessage>, returned: &mut HashSet<String>) {
    if let Some(message) = carried
        && let Some(id) = message.delivery.properties.message_id()
    {
        returned.insert(id.as_str().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::amqp::lapin::message::Delivery;

    fn job(id: &str) -> (Job, oneshot::Receiver<Result<(), PublishError>>) {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            body: Vec::new(),
            properties: BasicProperties::default().with_message_id(id.into()),
            reply,
        };
        (job, rx)
    }

    fn returned_message(id: &str) -> Option<BasicReturnMessage> {
        let mut delivery = Delivery::mock(0, "".into(), "q".into(), false, Vec::new());
        delivery.properties = BasicProperties::default().with_message_id(id.into());
        Some(BasicReturnMessage {
            delivery,
            reply_code: 312,
            reply_text: "NO_ROUTE".into(),
        })
    }

    fn answer(rx: &mut oneshot::Receiver<Result<(), PublishError>>) -> Result<(), String> {
        rx.try_recv().expect("answered").map_err(|e| e.to_string())
    }

    #[test]
    fn a_return_carried_by_another_confirm_of_the_batch_fails_its_own_publish() {
        // one ack(multiple) completed both; lapin gave x's return to y
        let (x, mut x_rx) = job("x");
        let (y, mut y_rx) = job("y");
        let batch = vec![
            (x, Ok(Confirmation::Ack(None))),
            (y, Ok(Confirmation::Ack(returned_message("x")))),
        ];
        let mut returned = HashSet::new();
        settle(batch, &mut returned, "q", &|_| {});
        assert!(
            answer(&mut x_rx)
                .unwrap_err()
                .contains("could not be routed")
        );
        assert_eq!(answer(&mut y_rx), Ok(()));
        assert!(returned.is_empty());
    }

    #[test]
    fn a_return_carried_by_an_earlier_batch_fails_the_publish_when_it_settles() {
        let mut returned = HashSet::new();
        let (w, mut w_rx) = job("w");
        settle(
            vec![(w, Ok(Confirmation::Ack(returned_message("x"))))],
            &mut returned,
            "q",
            &|_| {},
        );
        assert_eq!(answer(&mut w_rx), Ok(()));
        let (x, mut x_rx) = job("x");
        settle(
            vec![(x, Ok(Confirmation::Ack(None)))],
            &mut returned,
            "q",
            &|_| {},
        );
        assert!(answer(&mut x_rx).is_err());
        assert!(returned.is_empty());
    }

    #[test]
    fn nack_timeout_and_broker_errors_are_never_success() {
        let broke = std::cell::Cell::new(0);
        let (a, mut a_rx) = job("a");
        let (b, mut b_rx) = job("b");
        let (c, mut c_rx) = job("c");
        let (d, mut d_rx) = job("d");
        let batch = vec![
            (a, Ok(Confirmation::Nack(None))),
            (b, Err(PublishError::Timeout(Duration::from_secs(1)))),
            (c, Err(PublishError::Broker("gone".into()))),
            (d, Ok(Confirmation::NotRequested)),
        ];
        settle(batch, &mut HashSet::new(), "q", &|e| {
            if e == LaneEvent::Broken {
                broke.set(broke.get() + 1)
            }
        });
        for rx in [&mut a_rx, &mut b_rx, &mut c_rx, &mut d_rx] {
            assert!(answer(rx).is_err());
        }
        assert_eq!(broke.get(), 2, "channel failures reconnect");
    }
}
