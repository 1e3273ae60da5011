//! Servers' own libraries in SQLite: documents with what rebuilds them, and a version per server
//! that every change raises (in the same transaction).

use sqlx::{Sqlite, Transaction};

use super::SqliteStore;
use crate::store::rows::{DocumentRow, db_id};
use crate::store::{DocumentLimits, GuildId, StoreError, StoredDocument};

/// Raises a server's library version inside `tx`; returns the new one.
async fn bump(tx: &mut Transaction<'static, Sqlite>, guild: GuildId) -> Result<u64, StoreError> {
    let (version,): (i64,) = sqlx::query_as(
        "INSERT INTO library_versions (guild_id, version) VALUES (?, 1)
         ON CONFLICT (guild_id) DO UPDATE SET version = version + 1
         RETURNING version",
    )
    .bind(db_id(guild))
    .fetch_one(&mut **tx)
    .await?;
    Ok(u64::try_from(version).unwrap_or(0))
}

impl SqliteStore {
    pub(super) async fn add_documents_tx(
        &self,
        guild: GuildId,
        documents: &[StoredDocument],
        limits: DocumentLimits,
    ) -> Result<Result<u64, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let (count, passages, bytes): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(passages), 0), COALESCE(SUM(length(CAST(content AS BLOB))), 0)
             FROM library_documents WHERE guild_id = ?",
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
            let taken: Option<(i64,)> =
                sqlx::query_as("SELECT 1 FROM library_documents WHERE guild_id = ? AND doc_id = ?")
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
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        let mut tx = self.write_tx().await?;
        let removed =
            sqlx::query("DELETE FROM library_documents WHERE guild_id = ? AND doc_id = ?")
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

    pub(super) async fn documents_of(
        &self,
        guild: GuildId,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        let rows: Vec<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, format, title, author, publisher, date, content, passages, added_by,
                    added_at
             FROM library_documents WHERE guild_id = ? ORDER BY rowid",
        )
        .bind(db_id(guild))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(DocumentRow::into_document).collect()
    }

    pub(super) async fn library_of(
        &self,
        guild: GuildId,
    ) -> Result<(u64, Vec<StoredDocument>), StoreError> {
        // One read transaction: the version and the documents of one moment.
        let mut tx = self.pool.begin().await?;
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM library_versions WHERE guild_id = ?")
                .bind(db_id(guild))
                .fetch_optional(&mut *tx)
                .await?;
        let rows: Vec<DocumentRow> = sqlx::query_as(
            "SELECT doc_id, format, title, author, publisher, date, content, passages, added_by,
                    added_at
             FROM library_documents WHERE guild_id = ? ORDER BY rowid",
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
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM library_versions WHERE guild_id = ?")
                .bind(db_id(guild))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map_or(0, |(v,)| u64::try_from(v).unwrap_or(0)))
    }

    pub(super) async fn erase_server_tx(&self, guild: GuildId) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        for statement in [
            "DELETE FROM settings WHERE guild_id = ?",
            "DELETE FROM server_lines WHERE guild_id = ?",
            "DELETE FROM counters WHERE guild_id = ?",
            "DELETE FROM questions WHERE guild_id = ?",
            "DELETE FROM feedback WHERE guild_id = ?",
            "DELETE FROM audit_log WHERE guild_id = ?",
            "DELETE FROM library_documents WHERE guild_id = ?",
            "DELETE FROM watch_optouts WHERE guild_id = ?",
        ] {
            sqlx::query(statement)
                .bind(db_id(guild))
                .execute(&mut *tx)
                .await?;
        }
        // The version only rises (a library built before the erasure must not be taken for the
        // empty one); it is a number, not the server's data.
        bump(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::sqlite::SqliteStore;
    use crate::store::{DocumentFormat, DocumentLimits, Store, StoredDocument};

    const GUILD: u64 = 1;
    const OTHER: u64 = 2;
    const ROOMY: DocumentLimits = DocumentLimits {
        max_documents: 10,
        max_passages: 100,
        max_bytes: 10_000,
    };

    fn doc(id: &str, passages: u32) -> StoredDocument {
        StoredDocument {
            doc_id: id.to_string(),
            format: DocumentFormat::Plain,
            title: Some(format!("About {id}")),
            author: None,
            publisher: Some("Our server".into()),
            date: None,
            content: format!("Text of {id}.\n"),
            passages,
            added_by: 7,
            added_at: 1_000,
        }
    }

    #[tokio::test]
    async fn documents_are_added_whole_listed_in_order_and_removed_per_server() {
        let store = SqliteStore::in_memory().await.unwrap();
        assert_eq!(store.library_version(GUILD).await.unwrap(), 0);
        let v1 = store
            .add_documents(GUILD, &[doc("b", 1), doc("a", 2)], ROOMY)
            .await
            .unwrap()
            .unwrap();
        let listed = store.documents(GUILD).await.unwrap();
        assert_eq!(listed, vec![doc("b", 1), doc("a", 2)], "as added, in order");
        assert!(store.documents(OTHER).await.unwrap().is_empty());
        assert_eq!(store.remove_document(OTHER, "a").await.unwrap(), None);
        let v2 = store.remove_document(GUILD, "a").await.unwrap().unwrap();
        assert!(v2 > v1 && v1 > 0);
        assert_eq!(store.library_version(GUILD).await.unwrap(), v2);
        assert_eq!(store.documents(GUILD).await.unwrap(), vec![doc("b", 1)]);
    }

    #[tokio::test]
    async fn a_refused_addition_stores_nothing() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .add_documents(GUILD, &[doc("a", 1)], ROOMY)
            .await
            .unwrap()
            .unwrap();
        let taken = store
            .add_documents(GUILD, &[doc("new", 1), doc("a", 1)], ROOMY)
            .await
            .unwrap()
            .unwrap_err();
        assert!(taken.contains("`a`"), "{taken}");
        let few = DocumentLimits {
            max_documents: 2,
            ..ROOMY
        };
        let too_many = store
            .add_documents(GUILD, &[doc("x", 1), doc("y", 1)], few)
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            too_many.contains("3 documents") && too_many.contains("limit is 2"),
            "{too_many}"
        );
        let short = DocumentLimits {
            max_passages: 5,
            ..ROOMY
        };
        let too_long = store
            .add_documents(GUILD, &[doc("x", 5)], short)
            .await
            .unwrap()
            .unwrap_err();
        assert!(too_long.contains("6 passages"), "{too_long}");
        assert_eq!(store.documents(GUILD).await.unwrap(), vec![doc("a", 1)]);
        assert_eq!(
            store.library_version(GUILD).await.unwrap(),
            1,
            "no change, no new version"
        );
    }

    #[tokio::test]
    async fn a_library_survives_reopening_and_goes_with_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantern.db");
        {
            let store = SqliteStore::open(&path).await.unwrap();
            for guild in [GUILD, OTHER] {
                store
                    .add_documents(guild, &[doc("a", 1)], ROOMY)
                    .await
                    .unwrap()
                    .unwrap();
            }
            store.pool.close().await;
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.documents(GUILD).await.unwrap(), vec![doc("a", 1)]);
        let before = store.library_version(GUILD).await.unwrap();
        store.erase_server(GUILD).await.unwrap();
        assert!(store.documents(GUILD).await.unwrap().is_empty());
        assert!(
            store.library_version(GUILD).await.unwrap() > before,
            "versions only rise"
        );
        assert_eq!(
            store.documents(OTHER).await.unwrap().len(),
            1,
            "other servers keep theirs"
        );
    }
}
