//! Messages that never reach our code: the delivery limit of the quorum
//! work queue ends them, and nothing else is dead-lettered on the way.

use std::time::Duration;

use service_kit::amqp::DELIVERY_LIMIT;
use service_kit::testing::raw_amqp;

use crate::helpers::*;

#[tokio::test]
async fn a_message_that_makes_lapin_drop_the_connection_is_dead_lettered_after_the_delivery_limit_and_the_queue_keeps_flowing()
 {
    let db = TestDb::new().await;
    let q = TestQueue::new();
    // declared by this version (the gateway would have done it)
    q.declare_current().await.unwrap();
    // a foreign publisher: content_type is not UTF-8; RabbitMQ stores it,
    // lapin cannot parse the content header and drops the connection
    raw_amqp::publish_with_non_utf8_content_type(&q.amqp, &q.topology.queue, &order("6", "1", "1"))
        .await
        .expect("raw publish confirmed");
    q.publish_all(&[(Some("behind".into()), order("7", "1", "42"))])
        .await;

    let app = RunningApp::start(settings(&db.settings, &q)).await;
    assert!(
        eventually(Duration::from_secs(60), || async {
            db.count_orders().await == 1
        })
        .await,
        "the valid message behind the poison one is stored (sessions lost: {}, DLQ: {})",
        app.metrics.sessions_lost(),
        q.depth(&q.topology.dead_letter_queue).await
    );
    assert_eq!(db.message_ids().await, vec!["behind".to_string()]);
    assert!(
        eventually(Duration::from_secs(10), || async {
            q.depth(&q.topology.dead_letter_queue).await == 1
        })
        .await,
        "the poison message is in the DLQ"
    );
    // each return of the poison message was a connection lapin dropped
    assert!(
        app.metrics.sessions_lost() >= DELIVERY_LIMIT as u64,
        "sessions lost: {}",
        app.metrics.sessions_lost()
    );
    // it never reached our code: counted by the DLQ depth gauge, not as an outcome
    assert_eq!(app.metrics.get("dead_lettered"), 0);
    assert!(
        eventually(Duration::from_secs(5), || async {
            app.metrics.dead_letter_depth() == 1
        })
        .await,
        "billing_dead_letter_queue_messages = 1, got {}",
        app.metrics.dead_letter_depth()
    );
    let body = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.lines()
            .any(|l| l.starts_with("billing_dead_letter_queue_messages") && l.ends_with(" 1")),
        "{body}"
    );

    // the queue keeps flowing, at full prefetch again
    let later: Vec<_> = (0..50)
        .map(|i| (Some(format!("later{i}")), order("8", "1", "1")))
        .collect();
    q.publish_all(&later).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            db.count_orders().await == 51
        })
        .await,
        "later messages stored"
    );
    app.stop().await;
    assert_eq!(q.depth(&q.topology.queue).await, 0);
    assert_eq!(
        q.depth(&q.topology.dead_letter_queue).await,
        1,
        "only the poison message"
    );
    assert_eq!(db.duplicated_message_ids().await, 0);
}
