//! The request id of the request being served on this thread, for log lines.
//!
//! [`WithRequestId`] wraps a request's future: while it is polled, the
//! thread's current request id is that request's, and every JSON log line
//! written meanwhile carries it ([`crate::json_line`]). This replaces a
//! `tracing` span per request (created, entered and left on every poll,
//! looked up by the subscriber's registry): two thread-local swaps per poll.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

thread_local! {
    static CURRENT: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

/// Calls `f` with the request id of the request being polled on this
/// thread, if any.
pub fn with_current<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    let id = CURRENT
        .try_with(|current| current.try_borrow().ok().and_then(|id| id.clone()))
        .ok()
        .flatten();
    f(id.as_deref())
}

/// A future polled with its request id as the thread's current one (an
/// `Unpin` future, e.g. a boxed one).
pub struct WithRequestId<F> {
    id: Rc<str>,
    inner: F,
}

impl<F> WithRequestId<F> {
    pub fn new(id: Rc<str>, inner: F) -> Self {
        Self { id, inner }
    }
}

/// Restores the previous request id when the poll ends (also on a panic).
struct Restore(Option<Rc<str>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

impl<F: Future + Unpin> Future for WithRequestId<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let id = Rc::clone(&self.id);
        let _restore = Restore(CURRENT.with(|current| current.replace(Some(id))));
        Pin::new(&mut self.inner).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_current_only_while_its_future_is_polled() {
        let current = || with_current(|id| id.map(str::to_string));
        let inner = async { current() };
        let outer = WithRequestId::new(Rc::from("r-1"), Box::pin(inner));
        assert_eq!(current(), None);
        let seen = futures_util::FutureExt::now_or_never(outer).unwrap();
        assert_eq!(seen.as_deref(), Some("r-1"));
        assert_eq!(current(), None);
    }

    #[test]
    fn a_nested_request_id_restores_the_outer_one() {
        let current = || with_current(|id| id.map(str::to_string));
        let outer = WithRequestId::new(
            Rc::from("outer"),
            Box::pin(async move {
                let inner =
                    WithRequestId::new(Rc::from("inner"), Box::pin(async move { current() }));
                let seen = inner.await;
                (seen, current())
            }),
        );
        let (inner, after) = futures_util::FutureExt::now_or_never(outer).unwrap();
        assert_eq!(inner.as_deref(), Some("inner"));
        assert_eq!(after.as_deref(), Some("outer"));
    }
}
