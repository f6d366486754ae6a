//! `/api/movies` and `/api/movies/{id}`.
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/movies[?title=s][&after=id][&limit=n]` | 200 array, streamed (filter: case-insensitive substring, literal `%`/`_`; paging optional) |
//! | `POST /api/movies` | 200 created movie; 400 invalid body; 413 over 64 KiB; 415 not JSON |
//! | `DELETE /api/movies` | 200 `{"deleted": n}` |
//! | `GET /api/movies/{id}` | 200 movie; 404 unknown; 400 malformed id |
//! | `PUT /api/movies/{id}` | 200 updated movie; 404 unknown; 400 malformed id or body |
//! | `DELETE /api/movies/{id}` | 200 deleted movie; 404 unknown; 400 malformed id |
//!
//! Other methods: 405 JSON. Database unavailable: 503 + `Retry-After`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use service_kit::ApiError;

use super::json_array::json_array;
use crate::domain::{MovieChanges, MovieId, MovieTitle, NewMovie, ValidationError};
use crate::store::{ListQuery, MovieStore};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/movies")
            .route(web::get().to(list_movies))
            .route(web::post().to(create_movie))
            .route(web::delete().to(delete_all_movies)),
    )
    .service(
        web::resource("/api/movies/{id}")
            .route(web::get().to(get_movie))
            .route(web::put().to(update_movie))
            .route(web::delete().to(delete_movie)),
    );
}

/// Body of POST and PUT. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct MovieBody {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The query string of `GET /api/movies`: an optional title filter and
/// optional paging (`limit` movies with an id greater than `after`).
#[derive(Debug, Deserialize)]
pub struct ListParams {
    pub title: Option<String>,
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

/// Largest accepted `limit`.
pub const MAX_LIMIT: i64 = 10_000;

impl ListParams {
    /// The store query, or 400 `invalid_query`.
    fn parse(self) -> Result<ListQuery, ApiError> {
        let bad = |m: &str| ApiError::bad_request("invalid_query", m.to_string());
        if self.title.as_deref().is_some_and(|t| t.contains('\0')) {
            return Err(bad("title filter must not contain NUL"));
        }
        if self.after.is_some_and(|a| a < 0) {
            return Err(bad("after must be a movie id (an integer >= 0)"));
        }
        if self.limit.is_some_and(|l| !(1..=MAX_LIMIT).contains(&l)) {
            return Err(bad(&format!("limit must be between 1 and {MAX_LIMIT}")));
        }
        Ok(ListQuery {
            title: self.title.filter(|t| !t.is_empty()),
            after: self.after.unwrap_or(0),
            limit: self.limit,
        })
    }
}

fn invalid(e: ValidationError) -> ApiError {
    let code = if e.field == "id" {
        "invalid_id"
    } else {
        "invalid_field"
    };
    ApiError::bad_request(code, e.to_string())
}

fn not_found(id: MovieId) -> ApiError {
    ApiError::not_found(format!("no movie with id {}", id.get()))
}

async fn list_movies(
    store: web::Data<MovieStore>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.into_inner().parse()?;
    // Longer than any stored title: nothing can match.
    if query
        .title
        .as_deref()
        .is_some_and(|t| t.chars().count() > MovieTitle::MAX_CHARS)
    {
        return Ok(HttpResponse::Ok().json(Vec::<()>::new()));
    }
    let movies = store.list(&query).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(json_array(Box::pin(movies))))
}

async fn create_movie(
    store: web::Data<MovieStore>,
    body: web::Json<MovieBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let movie =
        NewMovie::parse(body.title.as_deref(), body.description.as_deref()).map_err(invalid)?;
    let created = store.create(&movie).await?;
    tracing::info!(movie_id = created.id, "movie created");
    Ok(HttpResponse::Ok().json(created))
}

async fn delete_all_movies(store: web::Data<MovieStore>) -> Result<HttpResponse, ApiError> {
    let deleted = store.delete_all().await?;
    tracing::info!(deleted, "all movies deleted");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "deleted": deleted })))
}

async fn get_movie(
    store: web::Data<MovieStore>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = MovieId::parse(&id).map_err(invalid)?;
    match store.get(id).await? {
        Some(m) => Ok(HttpResponse::Ok().json(m)),
        None => Err(not_found(id)),
    }
}

async fn update_movie(
    store: web::Data<MovieStore>,
    id: web::Path<String>,
    body: web::Json<MovieBody>,
) -> Result<HttpResponse, ApiError> {
    let id = MovieId::parse(&id).map_err(invalid)?;
    let body = body.into_inner();
    let changes =
        MovieChanges::parse(body.title.as_deref(), body.description.as_deref()).map_err(invalid)?;
    match store.update(id, &changes).await? {
        Some(m) => Ok(HttpResponse::Ok().json(m)),
        None => Err(not_found(id)),
    }
}

async fn delete_movie(
    store: web::Data<MovieStore>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = MovieId::parse(&id).map_err(invalid)?;
    match store.delete(id).await? {
        Some(m) => Ok(HttpResponse::Ok().json(m)),
        None => Err(not_found(id)),
    }
}
