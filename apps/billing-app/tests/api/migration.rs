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
