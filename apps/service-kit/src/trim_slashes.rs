//! [`TrimSlashes`]: every route answers the same with and without a
//! trailing slash (`/api/movies/`, `/healthz/`), and repeated slashes count
//! as one (`/api//movies`), query kept, no redirect (clients do not re-send
//! a POST body after a 308).
//!
//! The same rewrite as actix's `NormalizePath::trim()`, without its regex
//! and its copy of every path: a path with no trailing or repeated slash,
//! nearly every request, is left as it is without allocating.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, Url, forward_ready};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;
use actix_web::web::Bytes;

/// The middleware (outermost: it must run before routing).
#[derive(Debug, Clone, Copy, Default)]
pub struct TrimSlashes;

/// `path` without trailing slashes and with runs of `/` merged, or `None`
/// when it is already so (the root stays `/`).
pub fn normalized(path: &str) -> Option<String> {
    let trailing = path.len() > 1 && path.ends_with('/');
    if !trailing && !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for piece in path.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(piece);
    }
    if out.is_empty() {
        out.push('/');
    }
    (out != path).then_some(out)
}

impl<S, B> Transform<S, ServiceRequest> for TrimSlashes
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = TrimSlashesMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TrimSlashesMiddleware { service }))
    }
}

pub struct TrimSlashesMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for TrimSlashesMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if let Some(path) = normalized(req.uri().path()) {
            let pq = match req.uri().query() {
                Some(q) => format!("{path}?{q}"),
                None => path,
            };
            let mut parts = req.uri().clone().into_parts();
            if let Ok(pq) = PathAndQuery::from_maybe_shared(Bytes::from(pq)) {
                parts.path_and_query = Some(pq);
                if let Ok(uri) = Uri::from_parts(parts) {
                    // nothing is matched yet at the outermost layer: the
                    // router starts afresh on the new path
                    req.match_info_mut().set(Url::new(uri.clone()));
                    req.head_mut().uri = uri;
                }
            }
        }
        self.service.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_and_repeated_slashes_go_the_rest_stays() {
        for (path, want) in [
            ("/api/movies/", Some("/api/movies")),
            ("/api//movies///42//", Some("/api/movies/42")),
            ("//", Some("/")),
            ("///", Some("/")),
            ("/healthz/", Some("/healthz")),
            ("/", None),
            ("/api/movies", None),
            ("/api/movies/42", None),
            ("/a.b/c%2F", None),
        ] {
            assert_eq!(normalized(path).as_deref(), want, "{path}");
        }
    }
}
