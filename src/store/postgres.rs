//! [`PgStore`]: the [`Store`] on PostgreSQL, for several bot processes sharing one database.
//! Schema in `migrations-postgres/` (embedded, applied on open under an advisory lock, so
//! processes starting together migrate once). The same contract as the SQLite store, tested by
//! the same tests (`tests/integration/store_contract.rs`).
//!
//! Where SQLite takes its one write lock (`BEGIN IMMEDIATE`), a read-modify-write here takes a
//! per-server advisory lock for its transaction: concurrent changes to one server, from any
//! process, queue instead of losing one another.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::{Executor, Transaction};

use super::rows::{LineRow, audit_entry, db_id, id_from_db, stats_from, text_key};
use super::{
    AuditEntry, DocumentLimits, Forgotten, GuildId, Outcome, QuestionRecord, ServerLine,
    ServerSettings, Stats, Store, StoreError, StoredDocument, Timestamp, UserId,
};

mod changes;
mod library;

use changes::notify;
pub use changes::{CHANGES, Changed};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations-postgres");

const SECS_PER_DAY: i64 = 86_400;

/// Advisory-lock key for migrations (any constant no server id can collide with in meaning:
/// server locks use the two-key form).
const MIGRATION_LOCK: i64 = 0x4c61_6e74_6572_6e00;

/// Pool size and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Most connections per process.
    pub max_connections: u32,
    /// How long a query waits for a connection (and a connection attempt may take).
    pub acquire_timeout: Duration,
}

/// The store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db`, or a Unix socket with `?host=/dir`) and
    /// brings the schema up to date. Migrations only add, so nothing stored is lost.
    pub async fn open(url: &str, options: PoolOptions) -> Result<PgStore, StoreError> {
        let connect: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        MIGRATOR.run(&mut *tx).await?;
        tx.commit().await?;
        Ok(PgStore { pool })
    }

    /// Closes the pool (waits for connections in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction holding `guild`'s lock until it ends.
    async fn locked(&self, guild: GuildId) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two-key form: (namespace, the server id's low and high halves folded).
        let key = (db_id(guild) ^ (db_id(guild) >> 32)) as i32;
        sqlx::query("SELECT pg_advisory_xact_lock(1, $1)")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

async fn upsert_settings<'e>(
    executor: impl Executor<'e, Database = Postgres>,
    guild: GuildId,
    settings: &ServerSettings,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(settings).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO settings (guild_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (guild_id) DO UPDATE
         SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(db_id(guild))
    .bind(json)
    .bind(super::unix_now())
    .execute(executor)
    .await?;
    Ok(())
}

fn parse_settings(guild: GuildId, json: Option<String>) -> Result<ServerSettings, StoreError> {
    match json {
        None => Ok(ServerSettings::default()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("settings of guild {guild}: {e}"))),
    }
}

impl Store for PgStore {
    async fn settings(&self, guild: GuildId) -> Result<ServerSettings, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT settings FROM settings WHERE guild_id = $1")
                .bind(db_id(guild))
                .fetch_optional(&self.pool)
                .await?;
        parse_settings(guild, json)
    }

    async fn save_settings(
        &self,
        guild: GuildId,
        settings: &ServerSettings,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_settings(&mut *tx, guild, settings).await?;
        notify(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_settings<F>(
        &self,
        guild: GuildId,
        change: F,
    ) -> Result<Result<(ServerSettings, String), String>, StoreError>
    where
        F: FnOnce(&mut ServerSettings) -> Result<String, String> + Send,
    {
        let mut tx = self.locked(guild).await?;
        let json: Option<String> =
            sqlx::query_scalar("SELECT settings FROM settings WHERE guild_id = $1")
                .bind(db_id(guild))
                .fetch_optional(&mut *tx)
                .await?;
        let mut settings = parse_settings(guild, json)?;
        let said = match change(&mut settings) {
            Ok(said) => said,
            Err(why) => return Ok(Err(why)),
        };
        upsert_settings(&mut *tx, guild, &settings).await?;
        notify(&mut tx, guild).await?;
        tx.commit().await?;
        Ok(Ok((settings, said)))
    }

    async fn add_line(&self, guild: GuildId, line: &ServerLine) -> Result<i64, StoreError> {
        let topics =
            serde_json::to_string(&line.topics).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO server_lines
             (guild_id, region, name, contact, hours, topics, purpose, added_by, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(db_id(guild))
        .bind(&line.region)
        .bind(&line.name)
        .bind(&line.contact)
        .bind(&line.hours)
        .bind(topics)
        .bind(&line.purpose)
        .bind(db_id(line.added_by))
        .bind(line.added_at)
        .fetch_one(&self.pool)
        .await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES)
            .bind(guild.to_string())
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    async fn remove_line(&self, guild: GuildId, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM server_lines WHERE id = $1 AND guild_id = $2")
            .bind(id)
            .bind(db_id(guild))
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn lines(&self, guild: GuildId) -> Result<Vec<ServerLine>, StoreError> {
        let rows: Vec<LineRow> = sqlx::query_as(
            "SELECT id, region, name, contact, hours, topics, purpose, added_by, added_at
             FROM server_lines WHERE guild_id = $1 ORDER BY id",
        )
        .bind(db_id(guild))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(LineRow::into_line).collect()
    }

    async fn record_questions(&self, records: &[QuestionRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // Added up first, and written in key order, so concurrent batches from several
        // processes lock counter rows in one order (no deadlock).
        let mut counts: std::collections::BTreeMap<(i64, i64, &str), i64> = Default::default();
        for r in records {
            *counts
                .entry((
                    db_id(r.guild),
                    r.at.div_euclid(SECS_PER_DAY),
                    r.outcome.as_str(),
                ))
                .or_default() += 1;
        }
        let mut tx = self.pool.begin().await?;
        for ((guild, day, outcome), n) in counts {
            sqlx::query(
                "INSERT INTO counters (guild_id, day, outcome, count) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (guild_id, day, outcome)
                 DO UPDATE SET count = counters.count + excluded.count",
            )
            .bind(guild)
            .bind(day)
            .bind(outcome)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        }
        for r in records {
            let Some(text) = &r.text else {
                continue;
            };
            sqlx::query(
                "INSERT INTO questions (guild_id, user_id, outcome, text, text_key, asked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(db_id(r.guild))
            .bind(db_id(r.user))
            .bind(r.outcome.as_str())
            .bind(text)
            .bind(text_key(text))
            .bind(r.at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_feedback(
        &self,
        guild: GuildId,
        user: UserId,
        message: u64,
        helpful: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO feedback (guild_id, user_id, message_id, helpful, at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (message_id, user_id) DO UPDATE
             SET guild_id = excluded.guild_id, helpful = excluded.helpful, at = excluded.at",
        )
        .bind(db_id(guild))
        .bind(db_id(user))
        .bind(db_id(message))
        .bind(i64::from(helpful))
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn stats(&self, guild: GuildId) -> Result<Stats, StoreError> {
        // One snapshot for the three queries.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT outcome, SUM(count)::BIGINT FROM counters WHERE guild_id = $1 GROUP BY outcome",
        )
        .bind(db_id(guild))
        .fetch_all(&mut *tx)
        .await?;
        let (helpful, not_helpful): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(helpful), 0)::BIGINT, COALESCE(SUM(1 - helpful), 0)::BIGINT
             FROM feedback WHERE guild_id = $1",
        )
        .bind(db_id(guild))
        .fetch_one(&mut *tx)
        .await?;
        let top: Vec<(String, i64)> = sqlx::query_as(
            "SELECT text_key, COUNT(*) AS n FROM questions
             WHERE guild_id = $1 AND outcome = $2
             GROUP BY text_key ORDER BY n DESC, text_key ASC LIMIT 10",
        )
        .bind(db_id(guild))
        .bind(Outcome::NoMatch.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(stats_from(counts, helpful, not_helpful, top))
    }

    async fn audit(&self, guild: GuildId, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (guild_id, actor, action, detail, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(db_id(guild))
        .bind(db_id(entry.actor))
        .bind(&entry.action)
        .bind(&entry.detail)
        .bind(entry.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, guild: GuildId, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT actor, action, detail, at FROM audit_log
             WHERE guild_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(db_id(guild))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(audit_entry).collect())
    }

    async fn watch_opted_out(&self, guild: GuildId, user: UserId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT at FROM watch_optouts WHERE guild_id = $1 AND user_id = $2")
                .bind(db_id(guild))
                .bind(db_id(user))
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn set_watch_opt_out(
        &self,
        guild: GuildId,
        user: UserId,
        out: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let query = if out {
            sqlx::query(
                "INSERT INTO watch_optouts (guild_id, user_id, at) VALUES ($1, $2, $3) ON CONFLICT (guild_id, user_id) DO UPDATE SET at = excluded.at",
            )
            .bind(db_id(guild))
            .bind(db_id(user))
            .bind(at)
        } else {
            sqlx::query("DELETE FROM watch_optouts WHERE guild_id = $1 AND user_id = $2")
                .bind(db_id(guild))
                .bind(db_id(user))
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn forget(&self, user: UserId) -> Result<Forgotten, StoreError> {
        let mut tx = self.pool.begin().await?;
        let questions = sqlx::query("DELETE FROM questions WHERE user_id = $1")
            .bind(db_id(user))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let feedback = sqlx::query("DELETE FROM feedback WHERE user_id = $1")
            .bind(db_id(user))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // A member's own "talk" entries (support threads they opened) name them; moderators'
        // actions stay.
        sqlx::query("DELETE FROM audit_log WHERE actor = $1 AND action = 'talk'")
            .bind(db_id(user))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Forgotten {
            questions,
            feedback,
        })
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        let default_days = ServerSettings::default().retention_days;
        let cutoff = |days: u32| now.saturating_sub(i64::from(days) * SECS_PER_DAY);
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT guild_id, settings FROM settings")
            .fetch_all(&mut *tx)
            .await?;
        let mut deleted = 0;
        for (guild, json) in rows {
            let (logging, days) = match serde_json::from_str::<ServerSettings>(&json) {
                Ok(s) => (s.logging, s.retention_days),
                Err(_) => {
                    tracing::warn!(
                        guild = id_from_db(guild),
                        "unreadable settings: purging with the default retention"
                    );
                    (true, default_days)
                }
            };
            let query = if logging {
                sqlx::query("DELETE FROM questions WHERE guild_id = $1 AND asked_at < $2")
                    .bind(guild)
                    .bind(cutoff(days))
            } else {
                sqlx::query("DELETE FROM questions WHERE guild_id = $1").bind(guild)
            };
            deleted += query.execute(&mut *tx).await?.rows_affected();
        }
        deleted += sqlx::query(
            "DELETE FROM questions WHERE asked_at < $1
             AND guild_id NOT IN (SELECT guild_id FROM settings)",
        )
        .bind(cutoff(default_days))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(deleted)
    }

    async fn add_documents(
        &self,
        guild: GuildId,
        documents: &[StoredDocument],
        limits: DocumentLimits,
    ) -> Result<Result<u64, String>, StoreError> {
        self.add_documents_tx(guild, documents, limits).await
    }

    async fn remove_document(
        &self,
        guild: GuildId,
        doc_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        self.remove_document_tx(guild, doc_id).await
    }

    async fn documents(&self, guild: GuildId) -> Result<Vec<StoredDocument>, StoreError> {
        Ok(self.library_of(guild).await?.1)
    }

    async fn library(&self, guild: GuildId) -> Result<(u64, Vec<StoredDocument>), StoreError> {
        self.library_of(guild).await
    }

    async fn library_version(&self, guild: GuildId) -> Result<u64, StoreError> {
        self.version_of(guild).await
    }

    async fn erase_server(&self, guild: GuildId) -> Result<(), StoreError> {
        self.erase_server_tx(guild).await
    }
}
