//! The `movies` table. Every method is one statement (prepared and cached per
//! connection) and returns `DbError`, which the routes turn into 503 when the
//! database is unavailable.

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use service_kit::db::tokio_postgres::Row;
use service_kit::db::tokio_postgres::types::ToSql;
use service_kit::db::{DbError, Pool};

use crate::domain::{MovieChanges, MovieId, MovieTitle, NewMovie};

/// A stored movie, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Movie {
    pub id: i64,
    pub title: String,
    pub description: String,
}

impl Movie {
    fn from_row(row: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
        })
    }
}

/// Which movies `GET /api/movies` returns: all of them by default (the
/// crud-master contract), or a page (`after` an id, at most `limit`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// case-insensitive substring of the title, every character literal
    pub title: Option<String>,
    /// only ids greater than this (0: from the start)
    pub after: i64,
    /// at most this many (None: all)
    pub limit: Option<i64>,
}

/// Data access for movies. Cheap to clone.
#[derive(Clone)]
pub struct MovieStore {
    pool: Pool,
}

impl MovieStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The movies of `query` in id order, as a stream of rows read from
    /// PostgreSQL as they arrive (constant memory whatever the table size).
    /// The statement has started when this returns, so an unavailable
    /// database is an error here, before any response is sent. The pooled
    /// connection stays with the stream until it ends.
    pub async fn list(
        &self,
        query: &ListQuery,
    ) -> Result<impl Stream<Item = Result<Movie, DbError>> + use<>, DbError> {
        let client = self.pool.get().await?;
        // strpos() compares literally: no LIKE pattern to escape; a NULL
        // limit is LIMIT ALL
        let stmt = client
            .prepare_cached(
                "SELECT id, title, description FROM movies \
                 WHERE ($1::text IS NULL OR strpos(lower(title), lower($1)) > 0) AND id > $2 \
                 ORDER BY id LIMIT $3",
            )
            .await?;
        let params: [&(dyn ToSql + Sync); 3] = [&query.title, &query.after, &query.limit];
        let rows = client.query_raw(&stmt, params).await?;
        let rows = Box::pin(rows);
        Ok(futures_util::stream::unfold(
            (client, rows),
            |(client, mut rows)| async move {
                let row = rows.next().await?;
                let movie = row.map_err(DbError::from).and_then(|r| Movie::from_row(&r));
                Some((movie, (client, rows)))
            },
        ))
    }

    pub async fn get(&self, id: MovieId) -> Result<Option<Movie>, DbError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached("SELECT id, title, description FROM movies WHERE id = $1")
            .await?;
        let row = client.query_opt(&stmt, &[&id.get()]).await?;
        row.as_ref().map(Movie::from_row).transpose()
    }

    pub async fn create(&self, movie: &NewMovie) -> Result<Movie, DbError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO movies (title, description) VALUES ($1, $2) \
                 RETURNING id, title, description",
            )
            .await?;
        let row = client
            .query_one(&stmt, &[&movie.title.as_str(), &movie.description.as_str()])
            .await?;
        Movie::from_row(&row)
    }

    /// Applies `changes`; `None` when no movie has this id.
    pub async fn update(
        &self,
        id: MovieId,
        changes: &MovieChanges,
    ) -> Result<Option<Movie>, DbError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE movies SET title = COALESCE($2, title), \
                 description = COALESCE($3, description) WHERE id = $1 \
                 RETURNING id, title, description",
            )
            .await?;
        let title = changes.title.as_ref().map(MovieTitle::as_str);
        let description = changes.description.as_ref().map(|d| d.as_str());
        let row = client
            .query_opt(&stmt, &[&id.get(), &title, &description])
            .await?;
        row.as_ref().map(Movie::from_row).transpose()
    }

    /// Deletes one movie and returns it; `None` when no movie has this id.
    pub async fn delete(&self, id: MovieId) -> Result<Option<Movie>, DbError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached("DELETE FROM movies WHERE id = $1 RETURNING id, title, description")
            .await?;
        let row = client.query_opt(&stmt, &[&id.get()]).await?;
        row.as_ref().map(Movie::from_row).transpose()
    }

    /// Deletes every movie; returns how many there were.
    pub async fn delete_all(&self) -> Result<u64, DbError> {
        let client = self.pool.get().await?;
        let stmt = client.prepare_cached("DELETE FROM movies").await?;
        Ok(client.execute(&stmt, &[]).await?)
    }
}
