//! The `movies` table. Every method is one statement (prepared and cached per
//! connection) and returns `DbError`, which the routes turn into 503 when the
//! database is unavailable.

use serde::Serialize;
use service_kit::db::{DbError, Pool, tokio_postgres::Row};

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

    /// All movies in id order, or those whose title contains `filter`
    /// (case-insensitive, every character literal — `%` and `_` included).
    pub async fn list(&self, filter: Option<&str>) -> Result<Vec<Movie>, DbError> {
        let client = self.pool.get().await?;
        let rows = match filter {
            None | Some("") => {
                let stmt = client
                    .prepare_cached("SELECT id, title, description FROM movies ORDER BY id")
                    .await?;
                client.query(&stmt, &[]).await?
            }
            Some(needle) => {
                // strpos() compares literally: no LIKE pattern to escape.
                let stmt = client
                    .prepare_cached(
                        "SELECT id, title, description FROM movies \
                         WHERE strpos(lower(title), lower($1)) > 0 ORDER BY id",
                    )
                    .await?;
                client.query(&stmt, &[&needle]).await?
            }
        };
        rows.iter().map(Movie::from_row).collect()
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
