//! A classic `billing_queue` declared by an older version is replaced by the
//! quorum queue on start, without losing a message, also after a crash
//! midway (apps/billing-app/src/queue_migration.rs).

use std::time::Duration;

use service_kit::amqp::{AmqpError, PublisherDeclare};

use crate::helpers::*;

fn orders(prefix: &str, n: usize) -> Vec<(Option<String>, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                Some(format!("{prefix}{i:04}")),
                order(&i.to_string(), "1", "1"),
            )
        })
        .collect()
}

/// Every order stored exactly once, the work queue now has this version's
/// arguments, `<queue>.migration` is gone; stops `app`, after which nothing
/// is left in the queues.
async fn assert_migrated(db: &TestDb, q: &TestQueue, app: RunningApp, expected: i64) -> u64 {
    assert!(
        eventually(Duration::from_secs(60), || async {
            db.count_orders().await == expected
        })
        .await,
        "{expected} orders stored, got {}",
        db.count_orders().await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.count_orders().await, expected);
    assert_eq!(db.duplicated_message_ids().await, 0);
    q.declare_current()
        .await
        .expect("the queue has this version's (quorum) arguments");
    assert!(!q.exists(&q.topology.migration_queue()).await);
    let duplicates = app.metrics.get("duplicate");
    app.stop().await;
    assert_eq!(q.depth(&q.topology.queue).await, 0);
    assert_eq!(q.depth(&q.topology.dead_letter_queue).await, 0);
    duplicates
}

#[tokio::test]
async fn a_classic_queue_of_an_older_version_is_migrated_to_the_quorum_queue_without_losing_a_message()
 {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    q.declare_as_older_version().await;
    q.publish_to(&q.topology.queue, &orders("old", 300)).await;

    // what producer and consumer see before the migration
    let err = q.declare_current().await.unwrap_err();
    assert!(
        matches!(err, AmqpError::QueueArgumentsDiffer { .. }),
        "{err}"
    );
    let conn = connect(&q.amqp).await;
    assert_eq!(
        q.topology.declare_for_publisher(&conn).await.unwrap(),
        PublisherDeclare::ExistsWithOtherArguments
    );
    let _ = conn.close(200, "bye".into()).await;

    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert_eq!(assert_migrated(&db, &q, app, 300).await, 0);

    // and the gateway's declare now finds the current topology
    let conn = connect(&q.amqp).await;
    assert_eq!(
        q.topology.declare_for_publisher(&conn).await.unwrap(),
        PublisherDeclare::Declared
    );
    let _ = conn.close(200, "bye".into()).await;
}

#[tokio::test]
async fn a_migration_that_crashed_while_moving_out_is_finished_on_the_next_start() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    q.declare_as_older_version().await;
    q.publish_to(&q.topology.queue, &orders("a", 200)).await;
    // the crashed run had copied 100 more out and, for 20 of the 200 still in
    // the old queue, got the confirm of the copy but died before the ack
    q.declare_migration_queue().await;
    let mut copied = orders("b", 100);
    copied.extend(orders("a", 20));
    q.publish_to(&q.topology.migration_queue(), &copied).await;

    let app = RunningApp::start(settings(&db.settings, &q)).await;
    let duplicates = assert_migrated(&db, &q, app, 300).await;
    assert_eq!(duplicates, 20, "the copies of the unacked originals");
}

#[tokio::test]
async fn a_migration_that_crashed_after_deleting_the_old_queue_is_finished_on_the_next_start() {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    // the old queue is already deleted, its 150 messages wait in .migration
    q.declare_migration_queue().await;
    q.publish_to(&q.topology.migration_queue(), &orders("m", 150))
        .await;
    assert!(!q.exists(&q.topology.queue).await);

    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert_eq!(assert_migrated(&db, &q, app, 150).await, 0);
}

/// A publisher following the contract of `QueueTopology::declare_for_publisher`
/// (what the gateway is to do): one message at a time, `mandatory`, with
/// confirms; while the queue has the old arguments, or after a message came
/// back unroutable (queue missing), it declares again instead of publishing
/// (the gateway's 503). Runs until `stop`; returns the ids the broker
/// confirmed without returning them (the gateway's 200s), how many publishes
/// were held and how many came back unroutable (both 503s).
async fn publish_like_the_gateway(
    amqp: &service_kit::config::AmqpSettings,
    topology: &service_kit::amqp::QueueTopology,
    stop: tokio_util::sync::CancellationToken,
) -> (Vec<String>, usize, usize) {
    use service_kit::amqp::lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    use service_kit::amqp::lapin::{BasicProperties, Confirmation};
    let conn = connect(amqp).await;
    let ch = conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let (mut confirmed, mut held, mut returned) = (Vec::new(), 0, 0);
    let mut declared = false;
    let mut i = 0;
    while !stop.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if !declared {
            declared =
                topology.declare_for_publisher(&conn).await.unwrap() == PublisherDeclare::Declared;
            if !declared {
                held += 1;
                continue;
            }
        }
        let id = format!("live{i:05}");
        i += 1;
        let confirmation = ch
            .basic_publish(
                "".into(),
                topology.queue.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &order("9", "1", "1"),
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_message_id(id.as_str().into()),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        match confirmation {
            Confirmation::Ack(None) => confirmed.push(id),
            Confirmation::Ack(Some(_)) => {
                returned += 1;
                declared = false;
            }
            other => panic!("{other:?}"),
        }
    }
    let _ = conn.close(200, "bye".into()).await;
    (confirmed, held, returned)
}

#[tokio::test]
async fn every_message_a_publisher_following_the_contract_got_confirmed_during_the_migration_is_stored()
 {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    q.declare_as_older_version().await;
    q.publish_to(&q.topology.queue, &orders("old", 2000)).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let publisher = {
        let (amqp, topology, stop) = (q.amqp.clone(), q.topology.clone(), stop.clone());
        tokio::spawn(async move { publish_like_the_gateway(&amqp, &topology, stop).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert!(
        eventually(Duration::from_secs(60), || async {
            q.declare_current().await.is_ok() && !q.exists(&q.topology.migration_queue()).await
        })
        .await,
        "migrated"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    let (confirmed, held, returned) = publisher.await.unwrap();
    assert!(held > 0, "the publisher saw the old queue");
    assert!(
        confirmed.len() > 20,
        "published after the migration: {}",
        confirmed.len()
    );
    let expected = 2000 + confirmed.len() as i64;
    let all_stored = eventually(Duration::from_secs(30), || async {
        db.count_orders().await == expected
    })
    .await;
    let stored = db.message_ids().await;
    let missing: Vec<_> = confirmed
        .iter()
        .filter(|id| stored.binary_search(id).is_err())
        .collect();
    assert!(
        missing.is_empty(),
        "confirmed but not stored: {missing:?} (of {})",
        confirmed.len()
    );
    assert!(
        all_stored,
        "{expected} orders stored ({held} held, {returned} returned as unroutable), got {}",
        db.count_orders().await
    );
    assert_eq!(db.duplicated_message_ids().await, 0);
    app.stop().await;
    assert_eq!(q.depth(&q.topology.queue).await, 0);
}
