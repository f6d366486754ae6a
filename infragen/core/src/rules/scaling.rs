//! `[service.scaling]` and `desired`: a fixed count, or bounds with at least
//! one target-tracking policy.
use super::broker::is_rabbitmq_4;
use super::fields::ranged;
use crate::diagnostics::Problems;
use crate::model::{Broker, QueueBacklog, Scaling};
use crate::parse::raw::{RawQueueBacklog, RawScaling, RawService};

/// The service's scaling: `desired` as a fixed count without a
/// `[service.scaling]` table.
pub(super) fn scaling(
    s: &RawService,
    broker: Option<&Broker>,
    container_insights: bool,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> Scaling {
    let Some(sc) = &s.scaling else {
        let d = ranged(
            p,
            &at("desired"),
            s.desired,
            1,
            0,
            1000,
            "desired is 0–1000",
        );
        return Scaling {
            min: d,
            max: d,
            cpu_target: None,
            requests_per_target: None,
            queue_backlog: None,
        };
    };
    let min = ranged(p, &at("scaling.min"), sc.min, 1, 0, 1000, "min is 0–1000");
    let max = ranged(
        p,
        &at("scaling.max"),
        sc.max,
        min as i64,
        1,
        1000,
        "max is 1–1000",
    );
    if min > max {
        p.invalid(
            at("scaling.max"),
            format!("max ({max}) is less than min ({min})"),
            "set max ≥ min",
        );
    }
    let sc = Scaling {
        min,
        max,
        cpu_target: cpu_target(sc, at, p),
        requests_per_target: requests_per_target(sc, at, p),
        queue_backlog: sc
            .queue_backlog
            .as_ref()
            .map(|q| queue_backlog(q, s, broker, container_insights, at, p)),
    };
    if sc.min < sc.max
        && sc.cpu_target.is_none()
        && sc.requests_per_target.is_none()
        && sc.queue_backlog.is_none()
    {
        p.invalid(
            at("scaling"),
            format!("min ({}) < max ({}) but no scaling policy", sc.min, sc.max),
            "add `cpu_target`, `requests_per_target` or `queue_backlog`, or set min = max",
        );
    }
    sc
}

fn cpu_target(sc: &RawScaling, at: &dyn Fn(&str) -> String, p: &mut Problems) -> Option<u32> {
    sc.cpu_target.map(|v| {
        ranged(
            p,
            &at("scaling.cpu_target"),
            Some(v),
            60,
            1,
            100,
            "a CPU utilisation target is a percentage, 1–100",
        )
    })
}

fn requests_per_target(
    sc: &RawScaling,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> Option<u32> {
    sc.requests_per_target.map(|v| {
        ranged(
            p,
            &at("scaling.requests_per_target"),
            Some(v),
            1000,
            1,
            1_000_000,
            "1–1000000 requests per target per minute",
        )
    })
}

/// Queue-backlog scaling: a named queue on an Amazon MQ broker the service uses.
fn queue_backlog(
    q: &RawQueueBacklog,
    s: &RawService,
    broker: Option<&Broker>,
    container_insights: bool,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> QueueBacklog {
    if q.queue.is_empty() {
        p.invalid(
            at("scaling.queue_backlog.queue"),
            "the queue name is empty",
            "name the queue whose depth drives scaling, e.g. billing_queue",
        );
    }
    match broker {
        _ if s.broker.is_none() => p.invalid(
            at("scaling.queue_backlog"),
            "queue-backlog scaling needs the service to use the broker",
            "add `broker = \"<broker name>\"` to the service",
        ),
        Some(b) if b.container().is_some() => p.invalid(
            at("scaling.queue_backlog"),
            "queue-backlog scaling reads Amazon MQ's CloudWatch metrics; a container broker publishes none",
            "use `kind = \"amazon_mq\"` for the broker or scale this service on `cpu_target`",
        ),
        Some(b) if is_rabbitmq_4(&b.engine_version) => p.invalid(
            at("scaling.queue_backlog"),
            format!(
                "queue-backlog scaling reads Amazon MQ's per-queue metric MessageReadyCount, which RabbitMQ {} brokers do not publish",
                b.engine_version
            ),
            "use engine_version = \"3.13\" for the broker, or scale this service on `cpu_target`",
        ),
        _ => {}
    }
    if !container_insights {
        p.invalid(
            at("scaling.queue_backlog"),
            "queue-backlog scaling divides the queue depth by RunningTaskCount, a Container Insights metric, and the cluster has Container Insights off",
            "set `cluster.container_insights = \"enabled\"` (or `\"enhanced\"`), or scale this service on `cpu_target`",
        );
    }
    QueueBacklog {
        queue: q.queue.clone(),
        target: ranged(
            p,
            &at("scaling.queue_backlog.target"),
            Some(q.target),
            1,
            1,
            100000,
            "target is 1–100000 messages per task",
        ),
    }
}

/// The initial task count: `desired` within the scaling bounds, `min` by default.
pub(super) fn desired(
    s: &RawService,
    scaling: &Scaling,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) -> u32 {
    match (&s.scaling, s.desired) {
        (Some(_), Some(d)) => {
            let d = ranged(p, &at("desired"), Some(d), 1, 0, 1000, "desired is 0–1000");
            if scaling.min <= scaling.max && (d < scaling.min || d > scaling.max) {
                p.invalid(
                    at("desired"),
                    format!(
                        "desired ({d}) is outside scaling min–max ({}–{})",
                        scaling.min, scaling.max
                    ),
                    "set min ≤ desired ≤ max",
                );
            }
            d
        }
        (Some(_), None) => scaling.min,
        (None, _) => scaling.min,
    }
}
