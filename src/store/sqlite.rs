//! [`SqliteStore`]: the embedded [`Store`], one SQLite file in WAL mode, schema in
//! `migrations/` (embedded at compile time and applied on open).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Transaction;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::{
    AuditEntry, DocumentLimits, Forgotten, GuildId, Outcome, QuestionRecord, ServerLine,
    ServerSettings, Stats, Store, StoreError, StoredDocument, Timestamp, UserId,
};

/// The files in `migrations/`, embedded at compile time. Cargo rebuilds when one of them changes
/// but not when a new one appears (without a build script printing
/// `cargo:rerun-if-changed=migrations`): after adding one, make sure this file is recompiled.
mod library;

use super::rows::{LineRow, audit_entry, db_id, id_from_db, stats_from, text_key};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

const SECS_PER_DAY: i64 = 86_400;

fn now_secs() -> Timestamp {
    super::unix_now()
}

/// The embedded store: a small connection pool over one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating the folder and file if missing) the database at `path` and brings its
    /// schema up to date. Migrations only add, so nothing stored is lost.
    ///
    /// Several stores (or processes) may open one existing file at once. Two creating a *new*
    /// file at the same instant may see "database is locked": switching a new file to WAL takes
    /// a lock SQLite does not wait for.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Blocking, but once at startup and tiny; tokio's `fs` feature is not enabled.
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL: readers never block the writer, so stats don't stall answers.
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable against application crashes in WAL mode; a power cut may lose
            // the last commits (counters, a vote), never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    /// A private in-memory database (for tests). One connection that is never recycled: the
    /// database lives exactly as long as that connection.
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    /// Applies pending migrations inside one `BEGIN IMMEDIATE` transaction: stores opening a
    /// file with pending migrations at once (say, two processes after an upgrade) are
    /// serialised by the write lock (the later ones wait, then find the migrations applied)
    /// instead of racing to create the same tables.
    async fn migrated(pool: SqlitePool) -> Result<SqliteStore, StoreError> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        MIGRATOR.run(&mut *tx).await?;
        tx.commit().await?;
        Ok(SqliteStore { pool })
    }

    /// A transaction for writes. IMMEDIATE takes the write lock up front, so a concurrent writer
    /// waits out the busy timeout; a deferred transaction that read first could instead fail
    /// with SQLITE_BUSY when upgrading to a write.
    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Writes a server's settings (insert or replace).
async fn upsert_settings<'e>(
    executor: impl sqlx::Executor<'e, Database = Sqlite>,
    guild: GuildId,
    settings: &ServerSettings,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(settings).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO settings (guild_id, settings, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (guild_id) DO UPDATE
         SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(db_id(guild))
    .bind(json)
    .bind(now_secs())
    .execute(executor)
    .await?;
    Ok(())
}

impl Store for SqliteStore {
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
        self.documents_of(guild).await
    }

    async fn library_version(&self, guild: GuildId) -> Result<u64, StoreError> {
        self.version_of(guild).await
    }

    async fn library(&self, guild: GuildId) -> Result<(u64, Vec<StoredDocument>), StoreError> {
        self.library_of(guild).await
    }

    async fn erase_server(&self, guild: GuildId) -> Result<(), StoreError> {
        self.erase_server_tx(guild).await
    }

    async fn settings(&self, guild: GuildId) -> Result<ServerSettings, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT settings FROM settings WHERE guild_id = ?")
                .bind(db_id(guild))
                .fetch_optional(&self.pool)
                .await?;
        match json {
            None => Ok(ServerSettings::default()),
            // Unreadable settings are an error, not a reset: silently falling back to defaults
            // would, say, turn a server's alert channel off without anyone noticing.
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("settings of guild {guild}: {e}"))),
        }
    }

    async fn save_settings(
        &self,
        guild: GuildId,
        settings: &ServerSettings,
    ) -> Result<(), StoreError> {
        upsert_settings(&self.pool, guild, settings).await
    }

    async fn update_settings<F>(
        &self,
        guild: GuildId,
        change: F,
    ) -> Result<Result<(ServerSettings, String), String>, StoreError>
    where
        F: FnOnce(&mut ServerSettings) -> Result<String, String> + Send,
    {
        // IMMEDIATE takes the write lock before reading, so two changes cannot both read the
        // old settings (a deferred transaction would fail or lose one of them).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let json: Option<String> =
            sqlx::query_scalar("SELECT settings FROM settings WHERE guild_id = ?")
                .bind(db_id(guild))
                .fetch_optional(&mut *tx)
                .await?;
        let mut settings = match json {
            None => ServerSettings::default(),
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("settings of guild {guild}: {e}")))?,
        };
        let said = match change(&mut settings) {
            Ok(said) => said,
            Err(why) => return Ok(Err(why)),
        };
        upsert_settings(&mut *tx, guild, &settings).await?;
        tx.commit().await?;
        Ok(Ok((settings, said)))
    }

    async fn add_line(&self, guild: GuildId, line: &ServerLine) -> Result<i64, StoreError> {
        let topics =
            serde_json::to_string(&line.topics).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let result = sqlx::query(
            "INSERT INTO server_lines
             (guild_id, region, name, contact, hours, topics, purpose, added_by, added_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&self.pool)
        .await?;
        Ok(result.last_insert_rowid())
    }

    async fn remove_line(&self, guild: GuildId, id: i64) -> Result<bool, StoreError> {
        // The guild condition keeps one server's moderators away from another server's lines.
        let result = sqlx::query("DELETE FROM server_lines WHERE id = ? AND guild_id = ?")
            .bind(id)
            .bind(db_id(guild))
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn lines(&self, guild: GuildId) -> Result<Vec<ServerLine>, StoreError> {
        let rows: Vec<LineRow> = sqlx::query_as(
            "SELECT id, region, name, contact, hours, topics, purpose, added_by, added_at
             FROM server_lines WHERE guild_id = ? ORDER BY id",
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
        // A burst is mostly one server, one day, a few outcomes: add them up first, so a batch
        // costs a few counter updates rather than one per question.
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
        let mut tx = self.write_tx().await?;
        for ((guild, day, outcome), n) in counts {
            sqlx::query(
                "INSERT INTO counters (guild_id, day, outcome, count) VALUES (?, ?, ?, ?)
                 ON CONFLICT (guild_id, day, outcome) DO UPDATE SET count = count + excluded.count",
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
                 VALUES (?, ?, ?, ?, ?, ?)",
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
        // One row per (message, member): a changed vote replaces the old one.
        sqlx::query(
            "INSERT INTO feedback (guild_id, user_id, message_id, helpful, at) VALUES (?, ?, ?, ?, ?)
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
        // A read transaction, so the three queries see one snapshot.
        let mut tx = self.pool.begin().await?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT outcome, SUM(count) FROM counters WHERE guild_id = ? GROUP BY outcome",
        )
        .bind(db_id(guild))
        .fetch_all(&mut *tx)
        .await?;
        let (helpful, not_helpful): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(helpful = 1), 0), COALESCE(SUM(helpful = 0), 0)
             FROM feedback WHERE guild_id = ?",
        )
        .bind(db_id(guild))
        .fetch_one(&mut *tx)
        .await?;
        let top: Vec<(String, i64)> = sqlx::query_as(
            "SELECT text_key, COUNT(*) AS n FROM questions
             WHERE guild_id = ? AND outcome = ?
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
            "INSERT INTO audit_log (guild_id, actor, action, detail, at) VALUES (?, ?, ?, ?, ?)",
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
        // Newest = appended last (the id), whatever the clock said.
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT actor, action, detail, at FROM audit_log
             WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(db_id(guild))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(audit_entry).collect())
    }

    async fn watch_opted_out(&self, guild: GuildId, user: UserId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT at FROM watch_optouts WHERE guild_id = ? AND user_id = ?")
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
                "INSERT INTO watch_optouts (guild_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET at = excluded.at",
            )
            .bind(db_id(guild))
            .bind(db_id(user))
            .bind(at)
        } else {
            sqlx::query("DELETE FROM watch_optouts WHERE guild_id = ? AND user_id = ?")
                .bind(db_id(guild))
                .bind(db_id(user))
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Deletes the member's logged questions and feedback in every server. The audit log is
    /// kept: it records moderators' actions on their servers, not what members asked. The
    /// counters are kept too: they are anonymous daily totals.
    async fn forget(&self, user: UserId) -> Result<Forgotten, StoreError> {
        let mut tx = self.write_tx().await?;
        let questions = sqlx::query("DELETE FROM questions WHERE user_id = ?")
            .bind(db_id(user))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let feedback = sqlx::query("DELETE FROM feedback WHERE user_id = ?")
            .bind(db_id(user))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // A member's own "talk" entries (support threads they opened) name them; moderators'
        // actions stay.
        sqlx::query("DELETE FROM audit_log WHERE actor = ? AND action = 'talk'")
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
        let mut tx = self.write_tx().await?;
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT guild_id, settings FROM settings")
            .fetch_all(&mut *tx)
            .await?;
        let mut deleted = 0;
        for (guild, json) in rows {
            // Retention is read through serde (not SQL's json_extract) so missing fields get
            // the same defaults as everywhere else. Unreadable settings must neither stop the
            // purge for every server nor keep this server's questions forever: they get the
            // default retention (deleting early is the safe side of members' privacy).
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
                sqlx::query("DELETE FROM questions WHERE guild_id = ? AND asked_at < ?")
                    .bind(guild)
                    .bind(cutoff(days))
            } else {
                // Logging is off: the server no longer wants text kept, so none of it stays.
                sqlx::query("DELETE FROM questions WHERE guild_id = ?").bind(guild)
            };
            deleted += query.execute(&mut *tx).await?.rows_affected();
        }
        // Servers that never saved settings: the default retention.
        deleted += sqlx::query(
            "DELETE FROM questions WHERE asked_at < ?
             AND guild_id NOT IN (SELECT guild_id FROM settings)",
        )
        .bind(cutoff(default_days))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: GuildId = 1;
    const OTHER_GUILD: GuildId = 2;
    const DAY: i64 = SECS_PER_DAY;
    /// 2026-01-01T00:00:00Z.
    const T0: Timestamp = 1_767_225_600;

    fn line(name: &str) -> ServerLine {
        ServerLine {
            id: 0,
            region: "gb".into(),
            name: name.into(),
            contact: "116 123".into(),
            hours: "24/7".into(),
            topics: vec!["grief".into(), "loneliness".into()],
            purpose: "someone to talk to".into(),
            added_by: 42,
            added_at: T0,
        }
    }

    fn with_id(id: i64, line: ServerLine) -> ServerLine {
        ServerLine { id, ..line }
    }

    fn custom_settings() -> ServerSettings {
        ServerSettings {
            region: Some("gb".into()),
            mention_channels: vec![10, u64::MAX],
            alert_channel: Some(11),
            logging: true,
            retention_days: 7,
            paused_channels: vec![12],
            ..ServerSettings::default()
        }
    }

    fn entry(actor: UserId, action: &str, at: Timestamp) -> AuditEntry {
        let detail = format!("{action} detail");
        AuditEntry {
            actor,
            action: action.into(),
            detail,
            at,
        }
    }

    async fn ask(store: &SqliteStore, guild: GuildId, user: UserId, text: Option<&str>, at: i64) {
        let outcome = Outcome::NoMatch;
        store
            .record_question(guild, user, outcome, text, at)
            .await
            .unwrap();
    }

    async fn vote(store: &SqliteStore, guild: GuildId, user: UserId, msg: u64, helpful: bool) {
        store
            .record_feedback(guild, user, msg, helpful, T0)
            .await
            .unwrap();
    }

    async fn count(store: &SqliteStore, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    async fn store_raw_settings(store: &SqliteStore, guild: GuildId, json: &str) {
        sqlx::query("INSERT INTO settings (guild_id, settings, updated_at) VALUES (?, ?, 0)")
            .bind(db_id(guild))
            .bind(json)
            .execute(&store.pool)
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_setting_changes_are_all_kept_even_across_stores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        // Two stores on one file stand for two processes.
        let a = SqliteStore::open(&path).await.unwrap();
        let b = SqliteStore::open(&path).await.unwrap();
        for round in 0..5u32 {
            let mut tasks = Vec::new();
            for k in 0..8u32 {
                let store = if k % 2 == 0 { a.clone() } else { b.clone() };
                tasks.push(tokio::spawn(async move {
                    store
                        .update_settings(GUILD, move |s| {
                            match k % 4 {
                                0 => s.cooldown_secs = round * 10 + k,
                                1 => s.channel_cap_per_minute = round * 10 + k,
                                2 => s.retention_days = round * 10 + k + 1,
                                _ => s.paused_channels.push(u64::from(round * 100 + k)),
                            }
                            Ok(format!("change {k}"))
                        })
                        .await
                        .unwrap()
                        .unwrap()
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let s = a.settings(GUILD).await.unwrap();
            let paused: Vec<u64> = (0..8u32)
                .filter(|k| k % 4 == 3)
                .map(|k| u64::from(round * 100 + k))
                .collect();
            for p in paused {
                assert!(s.paused_channels.contains(&p), "round {round}: {s:?}");
            }
        }
        let s = b.settings(GUILD).await.unwrap();
        assert_eq!(s.paused_channels.len(), 10, "every pause was kept: {s:?}");
        // A refused value writes nothing.
        let before = a.settings(GUILD).await.unwrap();
        let refused = a
            .update_settings(GUILD, |s| {
                s.cooldown_secs = 12345;
                Err("no".to_string())
            })
            .await
            .unwrap();
        assert_eq!(refused, Err("no".to_string()));
        assert_eq!(a.settings(GUILD).await.unwrap(), before);
    }

    #[tokio::test]
    async fn settings_default_then_round_trip() {
        let store = SqliteStore::in_memory().await.unwrap();
        assert_eq!(
            store.settings(GUILD).await.unwrap(),
            ServerSettings::default()
        );

        store
            .save_settings(GUILD, &custom_settings())
            .await
            .unwrap();
        assert_eq!(store.settings(GUILD).await.unwrap(), custom_settings());
        assert_eq!(
            store.settings(OTHER_GUILD).await.unwrap(),
            ServerSettings::default()
        );

        // Saving again replaces.
        let changed = ServerSettings {
            cooldown_secs: 99,
            ..custom_settings()
        };
        store.save_settings(GUILD, &changed).await.unwrap();
        assert_eq!(store.settings(GUILD).await.unwrap(), changed);
    }

    #[tokio::test]
    async fn settings_missing_fields_take_defaults() {
        let store = SqliteStore::in_memory().await.unwrap();
        store_raw_settings(&store, GUILD, r#"{"logging": true}"#).await;
        let expected = ServerSettings {
            logging: true,
            ..ServerSettings::default()
        };
        assert_eq!(store.settings(GUILD).await.unwrap(), expected);
    }

    #[tokio::test]
    async fn corrupt_settings_are_an_error_not_a_reset() {
        let store = SqliteStore::in_memory().await.unwrap();
        store_raw_settings(&store, GUILD, "{not json").await;
        let err = store.settings(GUILD).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        assert_eq!(
            store.settings(OTHER_GUILD).await.unwrap(),
            ServerSettings::default()
        );
    }

    #[tokio::test]
    async fn a_batch_of_questions_is_counted_in_one_go() {
        let store = SqliteStore::in_memory().await.unwrap();
        let record = |outcome, text: Option<&str>| QuestionRecord {
            guild: GUILD,
            user: 7,
            outcome,
            text: text.map(str::to_string),
            at: T0,
        };
        let batch = [
            record(Outcome::Answered, None),
            record(Outcome::NoMatch, Some("sourdough")),
            record(Outcome::NoMatch, Some("sourdough")),
            record(Outcome::Crisis, None),
        ];
        store.record_questions(&batch).await.unwrap();
        store.record_questions(&[]).await.unwrap();
        let stats = store.stats(GUILD).await.unwrap();
        assert_eq!(
            (
                stats.questions,
                stats.answered,
                stats.no_match,
                stats.crisis
            ),
            (4, 1, 2, 1)
        );
        assert_eq!(stats.top_unanswered, [("sourdough".to_string(), 2)]);
    }

    #[tokio::test]
    async fn lines_add_list_remove() {
        let store = SqliteStore::in_memory().await.unwrap();
        let a = store.add_line(GUILD, &line("A")).await.unwrap();
        let b = store.add_line(GUILD, &line("B")).await.unwrap();
        let c = store.add_line(OTHER_GUILD, &line("C")).await.unwrap();
        assert!(a < b && b < c);
        let both = vec![with_id(a, line("A")), with_id(b, line("B"))];
        assert_eq!(store.lines(GUILD).await.unwrap(), both);

        // Another server's line cannot be removed from here.
        assert!(!store.remove_line(GUILD, c).await.unwrap());
        assert_eq!(
            store.lines(OTHER_GUILD).await.unwrap(),
            vec![with_id(c, line("C"))]
        );

        assert!(store.remove_line(GUILD, a).await.unwrap());
        assert!(!store.remove_line(GUILD, a).await.unwrap());
        assert_eq!(
            store.lines(GUILD).await.unwrap(),
            vec![with_id(b, line("B"))]
        );

        // Ids are not reused after a removal.
        assert!(store.add_line(GUILD, &line("D")).await.unwrap() > c);
    }

    #[tokio::test]
    async fn counters_and_stats() {
        let store = SqliteStore::in_memory().await.unwrap();
        assert_eq!(store.stats(GUILD).await.unwrap(), Stats::default());

        let asked = |outcome, text, at| store.record_question(GUILD, 7, outcome, text, at);
        asked(Outcome::Answered, None, T0).await.unwrap();
        asked(Outcome::Answered, None, T0 + DAY).await.unwrap();
        asked(Outcome::Crisis, None, T0).await.unwrap();
        asked(Outcome::MedicalAdvice, Some("dose?"), T0)
            .await
            .unwrap();
        // "b" three times (case and surrounding whitespace ignored), "a" and "c" twice (a tie,
        // broken by text), then ten more once each to go past the limit of 10.
        for text in ["b", " B", "B\n", "c", "a", "C ", "A"] {
            ask(&store, GUILD, 7, Some(text), T0).await;
        }
        for i in 0..10 {
            ask(&store, GUILD, 7, Some(&format!("q{i}")), T0 + 2 * DAY).await;
        }
        ask(&store, GUILD, 7, None, T0).await;
        ask(&store, OTHER_GUILD, 7, Some("b"), T0).await;

        vote(&store, GUILD, 7, 100, true).await;
        vote(&store, GUILD, 8, 100, false).await;
        vote(&store, GUILD, 8, 101, true).await;
        vote(&store, OTHER_GUILD, 8, 200, true).await;

        let mut top = vec![
            ("b".to_string(), 3),
            ("a".to_string(), 2),
            ("c".to_string(), 2),
        ];
        top.extend((0..7).map(|i| (format!("q{i}"), 1)));
        let expected = Stats {
            questions: 22,
            answered: 2,
            no_match: 18,
            crisis: 1,
            medical_advice: 1,
            helpful: 2,
            not_helpful: 1,
            top_unanswered: top,
        };
        assert_eq!(store.stats(GUILD).await.unwrap(), expected);
        // One counter row per (guild, day, outcome): 4 on T0, 1 each on the next two days.
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM counters WHERE guild_id = 1").await,
            6
        );
    }

    #[tokio::test]
    async fn changed_vote_counts_once() {
        let store = SqliteStore::in_memory().await.unwrap();
        vote(&store, GUILD, 7, 100, true).await;
        vote(&store, GUILD, 7, 100, false).await;
        let stats = store.stats(GUILD).await.unwrap();
        assert_eq!((stats.helpful, stats.not_helpful), (0, 1));
        vote(&store, GUILD, 7, 100, true).await;
        let stats = store.stats(GUILD).await.unwrap();
        assert_eq!((stats.helpful, stats.not_helpful), (1, 0));
    }

    #[tokio::test]
    async fn audit_log_newest_first_per_guild() {
        let store = SqliteStore::in_memory().await.unwrap();
        for (i, action) in ["config set", "resources add", "resources remove"]
            .iter()
            .enumerate()
        {
            store
                .audit(GUILD, &entry(9, action, T0 + i as i64))
                .await
                .unwrap();
        }
        store
            .audit(OTHER_GUILD, &entry(9, "elsewhere", T0))
            .await
            .unwrap();
        let newest = vec![
            entry(9, "resources remove", T0 + 2),
            entry(9, "resources add", T0 + 1),
        ];
        assert_eq!(store.audit_log(GUILD, 2).await.unwrap(), newest);
        assert_eq!(store.audit_log(GUILD, 10).await.unwrap().len(), 3);
        assert_eq!(store.audit_log(3, 10).await.unwrap(), vec![]);
    }

    #[tokio::test]
    async fn forget_erases_one_member_everywhere() {
        let store = SqliteStore::in_memory().await.unwrap();
        let (me, you) = (7, 8);
        for guild in [GUILD, OTHER_GUILD] {
            for user in [me, you] {
                ask(&store, guild, user, Some("hi"), T0).await;
                vote(&store, guild, user, guild * 100, true).await;
            }
        }
        ask(&store, GUILD, me, Some("more"), T0).await;
        store
            .audit(GUILD, &entry(me, "config set", T0))
            .await
            .unwrap();

        let forgotten = Forgotten {
            questions: 3,
            feedback: 2,
        };
        assert_eq!(store.forget(me).await.unwrap(), forgotten);
        assert_eq!(store.forget(me).await.unwrap(), Forgotten::default());

        let left: Vec<(i64, i64)> =
            sqlx::query_as("SELECT user_id, guild_id FROM questions ORDER BY guild_id")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(left, vec![(8, 1), (8, 2)]);
        for guild in [GUILD, OTHER_GUILD] {
            let stats = store.stats(guild).await.unwrap();
            assert_eq!(
                (stats.helpful, stats.not_helpful),
                (1, 0),
                "the other vote stays"
            );
            assert_eq!(stats.top_unanswered, vec![("hi".to_string(), 1)]);
        }
        // Counters are anonymous totals and the audit log records moderators' actions: kept.
        assert_eq!(store.stats(GUILD).await.unwrap().questions, 3);
        assert_eq!(store.audit_log(GUILD, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn purge_honours_retention_and_logging_off() {
        let store = SqliteStore::in_memory().await.unwrap();
        let now = T0 + 100 * DAY;
        let (week, off, unset, corrupt) = (1, 2, 3, 4);
        let weekly = ServerSettings {
            logging: true,
            retention_days: 7,
            ..Default::default()
        };
        store.save_settings(week, &weekly).await.unwrap();
        let no_logging = ServerSettings {
            logging: false,
            ..Default::default()
        };
        store.save_settings(off, &no_logging).await.unwrap();
        store_raw_settings(&store, corrupt, "{not json").await;
        for guild in [week, off, unset, corrupt] {
            for age_days in [1, 6, 8, 29, 31] {
                ask(
                    &store,
                    guild,
                    7,
                    Some(&age_days.to_string()),
                    now - age_days * DAY,
                )
                .await;
            }
        }
        // week: 8, 29, 31 days old; off: all five; unset and corrupt (30 days): 31.
        assert_eq!(store.purge_expired(now).await.unwrap(), 3 + 5 + 1 + 1);
        assert_eq!(store.purge_expired(now).await.unwrap(), 0);

        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT guild_id, text FROM questions ORDER BY guild_id, asked_at DESC")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        let left: Vec<(i64, &str)> = rows.iter().map(|(g, t)| (*g, t.as_str())).collect();
        let recent = ["1", "6", "8", "29"];
        let expected: Vec<(i64, &str)> =
            [(week, &recent[..2]), (unset, &recent), (corrupt, &recent)]
                .into_iter()
                .flat_map(|(guild, texts)| texts.iter().map(move |t| (guild as i64, *t)))
                .collect();
        assert_eq!(left, expected);
    }

    #[tokio::test]
    async fn a_failed_write_changes_nothing() {
        let store = SqliteStore::in_memory().await.unwrap();
        // Break record_question's second statement: its first (the counter) must roll back.
        sqlx::query("DROP TABLE questions")
            .execute(&store.pool)
            .await
            .unwrap();
        let result = store
            .record_question(GUILD, 7, Outcome::NoMatch, Some("hi"), T0)
            .await;
        assert!(result.is_err());
        assert_eq!(count(&store, "SELECT COUNT(*) FROM counters").await, 0);
    }

    #[tokio::test]
    async fn everything_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // The folder does not exist yet: open creates it.
        let path = dir.path().join("nested").join("lantern.db");
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .save_settings(GUILD, &custom_settings())
            .await
            .unwrap();
        let id = store.add_line(GUILD, &line("A")).await.unwrap();
        ask(&store, GUILD, 7, Some("why"), T0).await;
        vote(&store, GUILD, 7, 100, true).await;
        store
            .audit(GUILD, &entry(9, "config set", T0))
            .await
            .unwrap();
        store.pool.close().await;
        drop(store);

        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.settings(GUILD).await.unwrap(), custom_settings());
        assert_eq!(
            store.lines(GUILD).await.unwrap(),
            vec![with_id(id, line("A"))]
        );
        let stats = store.stats(GUILD).await.unwrap();
        assert_eq!((stats.questions, stats.no_match, stats.helpful), (1, 1, 1));
        assert_eq!(stats.top_unanswered, vec![("why".to_string(), 1)]);
        assert_eq!(
            store.audit_log(GUILD, 10).await.unwrap(),
            vec![entry(9, "config set", T0)]
        );
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn two_stores_share_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lantern.db");
        // An existing WAL file without our tables (as after an upgrade that adds a migration):
        // both stores open it at once and must not race to apply the migrations.
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        sqlx::ConnectOptions::connect(&options).await.unwrap();
        let (a, b) = tokio::join!(SqliteStore::open(&path), SqliteStore::open(&path));
        let (a, b) = (a.unwrap(), b.unwrap());

        a.save_settings(GUILD, &custom_settings()).await.unwrap();
        assert_eq!(b.settings(GUILD).await.unwrap(), custom_settings());

        // Concurrent writers through both stores: the write lock serialises them, none is lost.
        let writes: Vec<_> = (0..20)
            .map(|user| {
                let store = if user % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { ask(&store, GUILD, user, Some("q"), T0).await })
            })
            .collect();
        for write in writes {
            write.await.unwrap();
        }
        assert_eq!(a.stats(GUILD).await.unwrap().no_match, 20);
        assert_eq!(count(&b, "SELECT COUNT(*) FROM questions").await, 20);
    }

    #[tokio::test]
    async fn ids_above_i64_max_round_trip() {
        let store = SqliteStore::in_memory().await.unwrap();
        let (guild, user, message) = (u64::MAX, i64::MAX as u64 + 1, u64::MAX - 5);
        let settings = ServerSettings {
            moderator_role: Some(u64::MAX - 1),
            ..custom_settings()
        };
        store.save_settings(guild, &settings).await.unwrap();
        assert_eq!(store.settings(guild).await.unwrap(), settings);
        assert_eq!(
            store.settings(i64::MAX as u64).await.unwrap(),
            ServerSettings::default()
        );

        let mine = ServerLine {
            added_by: user,
            ..line("A")
        };
        let id = store.add_line(guild, &mine).await.unwrap();
        assert_eq!(store.lines(guild).await.unwrap(), vec![with_id(id, mine)]);

        ask(&store, guild, user, Some("x"), T0).await;
        vote(&store, guild, user, message, true).await;
        store
            .audit(guild, &entry(user, "config set", T0))
            .await
            .unwrap();
        assert_eq!(
            store.audit_log(guild, 1).await.unwrap(),
            vec![entry(user, "config set", T0)]
        );
        let stats = store.stats(guild).await.unwrap();
        assert_eq!((stats.no_match, stats.helpful), (1, 1));
        let message_id: i64 = count(&store, "SELECT message_id FROM feedback").await;
        assert_eq!(id_from_db(message_id), message);
        let forgotten = Forgotten {
            questions: 1,
            feedback: 1,
        };
        assert_eq!(store.forget(user).await.unwrap(), forgotten);
    }
}
