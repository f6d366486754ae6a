//! A stream of items as a chunked JSON array body: `[`, the items separated
//! by commas, `]`, sent in chunks of about [`CHUNK_BYTES`] as the items
//! arrive. Memory stays constant whatever the number of items.
//!
//! An item error after the response has started cannot become a status any
//! more: the stream fails, the server aborts the chunked body, and the client
//! sees a broken response — never a truncated array that parses as complete.

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

/// Bytes gathered before a chunk is sent.
pub const CHUNK_BYTES: usize = 16 * 1024;

/// The JSON array of `items`, chunked.
pub fn json_array<T, E>(
    items: impl Stream<Item = Result<T, E>> + Unpin + 'static,
) -> impl Stream<Item = Result<Bytes, E>> + 'static
where
    T: Serialize,
    E: std::fmt::Display + 'static,
{
    struct State<S> {
        items: S,
        buf: Vec<u8>,
        first: bool,
        done: bool,
    }
    let state = State {
        items,
        buf: Vec::with_capacity(CHUNK_BYTES + 1024),
        first: true,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if st.first {
            st.buf.push(b'[');
        }
        while st.buf.len() < CHUNK_BYTES {
            match st.items.next().await {
                Some(Ok(item)) => {
                    if !st.first {
                        st.buf.push(b',');
                    }
                    st.first = false;
                    // serializing a plain struct into a Vec cannot fail
                    serde_json::to_writer(&mut st.buf, &item).expect("serializable item");
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "list aborted mid-stream");
                    st.done = true;
                    return Some((Err(e), st));
                }
                None => {
                    if st.first {
                        // empty array: the '[' was pushed above
                        st.first = false;
                    }
                    st.buf.push(b']');
                    st.done = true;
                    break;
                }
            }
        }
        st.first = false;
        let chunk = Bytes::from(std::mem::replace(
            &mut st.buf,
            Vec::with_capacity(CHUNK_BYTES + 1024),
        ));
        Some((Ok(chunk), st))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(items: Vec<Result<u32, String>>) -> (String, Option<String>) {
        let mut out = String::new();
        let mut s = std::pin::pin!(json_array(futures_util::stream::iter(items)));
        while let Some(chunk) = s.next().await {
            match chunk {
                Ok(b) => out.push_str(std::str::from_utf8(&b).unwrap()),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn arrays_of_every_size_are_valid_json() {
        assert_eq!(collect(vec![]).await, ("[]".into(), None));
        assert_eq!(collect(vec![Ok(7)]).await, ("[7]".into(), None));
        let many: Vec<Result<u32, String>> = (0..20_000).map(Ok).collect();
        let (text, err) = collect(many).await;
        assert!(err.is_none());
        let parsed: Vec<u32> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, (0..20_000).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_error_mid_stream_fails_the_stream_after_a_valid_prefix() {
        let mut items: Vec<Result<u32, String>> = (0..10_000).map(Ok).collect();
        items.push(Err("connection lost".into()));
        let (text, err) = collect(items).await;
        assert_eq!(err.as_deref(), Some("connection lost"));
        assert!(text.starts_with("[0,1,2"));
        assert!(
            serde_json::from_str::<Vec<u32>>(&text).is_err(),
            "never a complete array"
        );
    }
}
