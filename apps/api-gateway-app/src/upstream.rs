//! The HTTP/1.1 client from the gateway to inventory-app.
//!
//! hyper's pooled client (hyper-util's `legacy::Client`), one per HTTP
//! worker: its keep-alive connections are driven on the worker thread that
//! uses them, so a proxied request makes no wake-up across threads. HTTPS
//! targets go through rustls (ring, webpki roots), plain HTTP as is.
//!
//! `INVENTORY_URL` is parsed once, at start-up ([`Target`]); each request's
//! URI is then `scheme://authority` + the base path + the incoming path and
//! query, assembled without re-parsing a whole URL.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// Idle keep-alive connections kept per worker.
const POOL_MAX_IDLE: usize = 64;
/// How long an idle connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where requests go: `INVENTORY_URL`, parsed once.
#[derive(Debug, Clone)]
pub struct Target {
    scheme: Scheme,
    authority: Authority,
    /// the path of `INVENTORY_URL` without a trailing slash (usually empty)
    base_path: Arc<str>,
}

impl Target {
    /// Parses `url` (`http://` or `https://`, host, optional port and path).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse()?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{url}: no scheme"))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{url}: no host"))?;
        if uri.query().is_some() {
            anyhow::bail!("{url}: a query string has no place in the base URL");
        }
        Ok(Self {
            scheme,
            authority,
            base_path: uri.path().trim_end_matches('/').into(),
        })
    }

    /// The URI for the incoming `path_and_query` (which starts with `/`).
    /// `None` when the result is not a valid URI.
    pub fn uri(&self, path_and_query: &str) -> Option<Uri> {
        let pq = if self.base_path.is_empty() {
            PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(path_and_query.as_bytes()))
        } else {
            let mut joined = String::with_capacity(self.base_path.len() + path_and_query.len());
            joined.push_str(&self.base_path);
            joined.push_str(path_and_query);
            PathAndQuery::from_maybe_shared(Bytes::from(joined))
        }
        .ok()?;
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .ok()
    }

    /// Whether `path` (of a URI built by [`Target::uri`]) is inventory's
    /// `/api/movies` or below.
    pub fn is_under_movies(&self, path: &str) -> bool {
        path.strip_prefix(&*self.base_path)
            .and_then(|p| p.strip_prefix("/api/movies"))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// A pooled HTTP/1.1 client (keep-alive, `TCP_NODELAY`, connect timeout).
pub type UpstreamClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A new client with a pool of its own.
pub fn client(connect_timeout: Duration) -> UpstreamClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE)
        .pool_timer(TokioTimer::new())
        .build(https)
}

fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_base_plus_incoming_path_and_query() {
        let t = Target::parse("http://127.0.0.1:8080").unwrap();
        let uri = t.uri("/api/movies/42?x=1").unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:8080/api/movies/42?x=1");
        assert!(t.is_under_movies(uri.path()));

        let t = Target::parse("https://inventory.internal/v1/").unwrap();
        let uri = t.uri("/api/movies").unwrap();
        assert_eq!(uri.to_string(), "https://inventory.internal/v1/api/movies");
        assert!(t.is_under_movies(uri.path()));
        assert!(!t.is_under_movies("/v1/api/moviesx"));
        assert!(!t.is_under_movies("/api/movies"));
        assert!(!t.is_under_movies("/v1/metrics"));
    }

    #[test]
    fn invalid_incoming_targets_give_no_uri() {
        let t = Target::parse("http://127.0.0.1:8080").unwrap();
        assert!(t.uri("/api/movies/a b").is_none());
        assert!(Target::parse("127.0.0.1:8080/x").is_err());
        assert!(Target::parse("http://h/x?q=1").is_err());
    }
}
