//! One smoke check: a GET of one path through the test listener, which must
//! answer 2xx (the whole body read) within the timeout. Redirects are not
//! followed: a 3xx is a failure, as the path is expected to be served.

use std::error::Error as _;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What one check found; logged as one JSON line by [`CheckReport::log`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub path: String,
    pub url: String,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// From the start of the request to the last body byte, or to the failure.
    pub latency_ms: u64,
    pub passed: bool,
    /// Why it passed or failed, in words.
    pub reason: String,
}

/// GETs `url`; the request, body included, is bounded by `timeout`.
pub async fn run(
    client: &reqwest::Client,
    path: &str,
    url: &str,
    timeout: Duration,
) -> CheckReport {
    let started = Instant::now();
    let answer = tokio::time::timeout(timeout, get(client, url)).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status, passed, reason) = match answer {
        Err(_) => (None, false, no_answer(timeout)),
        Ok(Err(e)) if e.is_timeout() => (None, false, no_answer(timeout)),
        Ok(Err(e)) if e.is_connect() => (None, false, format!("could not connect: {}", chain(&e))),
        Ok(Err(e)) => (
            e.status().map(|s| s.as_u16()),
            false,
            format!("request failed: {}", chain(&e)),
        ),
        Ok(Ok(status)) if status.is_success() => {
            (Some(status.as_u16()), true, format!("answered {status}"))
        }
        Ok(Ok(status)) => (
            Some(status.as_u16()),
            false,
            format!("answered {status}, expected 2xx"),
        ),
    };
    CheckReport {
        path: path.to_string(),
        url: url.to_string(),
        status,
        latency_ms,
        passed,
        reason,
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<reqwest::StatusCode, reqwest::Error> {
    let response = client.get(url).send().await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

fn no_answer(timeout: Duration) -> String {
    format!("no complete answer within {} ms", timeout.as_millis())
}

/// The error and its causes, `: `-separated (reqwest's own message alone
/// rarely says "connection refused").
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl CheckReport {
    /// One structured log line: `smoke check` with path, url, status,
    /// latency_ms, passed and reason; a failure is logged at WARN.
    pub fn log(&self) {
        let status = self.status.map(u64::from);
        if self.passed {
            tracing::info!(path = %self.path, url = %self.url, status, latency_ms = self.latency_ms,
                passed = true, reason = %self.reason, "smoke check");
        } else {
            tracing::warn!(path = %self.path, url = %self.url, status, latency_ms = self.latency_ms,
                passed = false, reason = %self.reason, "smoke check");
        }
    }
}
