//! Servers' own libraries in PostgreSQL: documents with what rebuilds them, and a version per
//! server that every change raises and announces (in the same transaction).

use sqlx::Transaction;
use sqlx::postgres::Postgres;

use super::{PgStore, notify};
use crate::store::rows::{DocumentRow, db_id};
use crate::store::{DocumentLimits, GuildId, StoreError, StoredDocument};

async fn bump(tx: &mut Transaction<'static, Postgres>, guild: GuildId) -> Result<u64, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO library_versions (guild_id, version) VALUES ($1, 1)
         ON CONFLICT (guild_id) DO UPDATE SET version = library_versions.version + 1
         RETURNING version",
    )
    .bind(db_id(guild))
    .fetch_one(&mut **tx)
    .await?;
    notify(tx, guild).await?;
    Ok(u64::try_from(version).unwrap_or(0))
}

impl PgStore {
    pub(super) async fn add_documents_tx(
        &self,
        guild: GuildId,
        documents: &[StoredDocument],
        limits: DocumentLimits,
    ) -> Result<Result<u64, String>, StoreError> {
        let mut tx = self.locked(guild).await?;
        let (count, passages, bytes): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(passages), 0)::BIGINT,
                    COALESCE(SUM(octet_length(content)), 0)::BIGINT
             FROM library_documents WHERE guild_id = $1",
        )
        .bind(db_id(guild))
        .fetch_one(&mut *tx)
        .await?;
        let size = |n: i64| usize::try_from(n).unwrap_or(0);
        let existing = (size(count), size(passages), size(bytes));
        if let Err(why) = crate::store::check_limits(existing, documents, limits) {
            return Ok(Err(why));
        }
        for d in documents {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT 1::BIGINT FROM library_documents WHERE guild_id = $1 AND doc_id = $2",
            )
            .bind(db_id(guild))
            .bind(&d.doc_id)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Ok(Err(crate::store::taken_message(&d.doc_id)));
            }
            sqlx::query(
                "INSERT INTO library_documents
                 (guild_id, doc_id, format, title, author, publisher, date, content, passages,
                  added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(db_id(guild))
            .bind(&d.doc_id)
            .bind(d.format.as_str())
            .bind(&d.title)
            .bind(&d.author)
            .bind(&d.publisher)
            .bind(&d.date)
            .bind(&d.content)
            .bind(i64::from(d.passages))
            .bind(db_id(d.added_by))
            .bind(d.added_at)
            .execute(&mut *tx)
            .await?;
        }
        let version = bump(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(Ok(version))
    }

    pub(super) async fn remove_document_tx(
        &self,
        guild: GuildId,
        doc_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.locked(guild).await?;
        let removed =
            sqlx::query("DELETE FROM library_documents WHERE guild_id = $1 AND doc_id = $2")
                .bind(db_id(guild))
                .bind(doc_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed == 0 {
            return Ok(None);
        }
        let version = bump(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(Some(version))
    }

    pub(super) async fn library_of(
        &self,
        guild: GuildId,
    ) -> Result<(u64, Vec<StoredDocument>), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM library_versions WHERE guild_id = $1")
                .bind(db_id(guild))
                .fetch_optional(&mut *tx)
                .await?;
        let rows: Vec<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, format, title, author, publisher, date, content, passages, added_by,
                    added_at
             FROM library_documents WHERE guild_id = $1 ORDER BY seq",
        )
        .bind(db_id(guild))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let documents = rows
            .into_iter()
            .map(DocumentRow::into_document)
            .collect::<Result<_, _>>()?;
        Ok((
            version.map_or(0, |v| u64::try_from(v).unwrap_or(0)),
            documents,
        ))
    }

    pub(super) async fn version_of(&self, guild: GuildId) -> Result<u64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM library_versions WHERE guild_id = $1")
                .bind(db_id(guild))
                .fetch_optional(&self.pool)
                .await?;
        Ok(version.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    }

    pub(super) async fn erase_server_tx(&self, guild: GuildId) -> Result<(), StoreError> {
        let mut tx = self.locked(guild).await?;
        for statement in [
            "DELETE FROM settings WHERE guild_id = $1",
            "DELETE FROM server_lines WHERE guild_id = $1",
            "DELETE FROM counters WHERE guild_id = $1",
            "DELETE FROM questions WHERE guild_id = $1",
            "DELETE FROM feedback WHERE guild_id = $1",
            "DELETE FROM audit_log WHERE guild_id = $1",
            "DELETE FROM library_documents WHERE guild_id = $1",
            "DELETE FROM watch_optouts WHERE guild_id = $1",
        ] {
            sqlx::query(statement)
                .bind(db_id(guild))
                .execute(&mut *tx)
                .await?;
        }
        bump(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(())
    }
}
