//! inventory-app's response body, passed on to the client as it arrives.
//!
//! An actix [`MessageBody`] over hyper's [`Incoming`]: data frames go out
//! as they come (constant memory for any size), trailers are dropped, and
//! the request's deadline still applies: a body that stalls past it ends
//! the response with an error (the client sees a truncated response).
//! The size is inventory's `Content-Length` when it sent one, else the body
//! goes out chunked.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use tokio::time::{Instant, Sleep};

/// Why a streamed body stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("inventory-app's response body: {0}")]
    Upstream(#[from] hyper::Error),
    #[error("inventory-app's response body did not finish in time")]
    Timeout,
}

/// A streamed upstream body with a deadline.
pub struct UpstreamBody {
    incoming: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl UpstreamBody {
    /// Streams `incoming`, cut off at `deadline`.
    pub fn new(incoming: Incoming, deadline: Instant) -> Self {
        Self {
            incoming,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl MessageBody for UpstreamBody {
    type Error = BodyError;

    fn size(&self) -> BodySize {
        match self.incoming.size_hint().exact() {
            Some(n) => BodySize::Sized(n),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.incoming).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    // trailers: HTTP/1.1 responses to the client carry none
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    return match this.deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Some(Err(BodyError::Timeout))),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// Reads a whole (small) body before the deadline.
pub async fn collect(incoming: Incoming, deadline: Instant) -> Result<Bytes, BodyError> {
    match tokio::time::timeout_at(deadline, incoming.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(BodyError::Timeout),
    }
}
