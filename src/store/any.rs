//! [`AnyStore`]: the store a process runs on, chosen by `[store] url`: SQLite (embedded, the
//! default) or PostgreSQL (several processes). The Discord layer and the command line hold this
//! one type; each method goes to the backend.

use std::path::Path;
use std::time::Duration;

use super::postgres::{PgStore, PoolOptions};
use super::sqlite::SqliteStore;
use super::{
    AuditEntry, DocumentLimits, Forgotten, GuildId, QuestionRecord, ServerLine, ServerSettings,
    Stats, Store, StoreError, StoredDocument, Timestamp, UserId,
};
use crate::config::StoreSettings;

/// The store, on either backend.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// One SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database shared by several processes.
    Postgres(PgStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> AnyStore {
        AnyStore::Sqlite(s)
    }
}

impl From<PgStore> for AnyStore {
    fn from(s: PgStore) -> AnyStore {
        AnyStore::Postgres(s)
    }
}

impl AnyStore {
    /// Opens the configured store: `url` `postgres://…` (or `postgresql://…`), `sqlite://PATH`,
    /// or, without a url, the SQLite file at `path`.
    pub async fn open(settings: &StoreSettings) -> Result<AnyStore, StoreError> {
        let url = settings.url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PoolOptions {
                max_connections: settings.max_connections,
                acquire_timeout: Duration::from_secs(settings.timeout_secs.into()),
            };
            return Ok(PgStore::open(url, options).await?.into());
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let path = if path.is_empty() {
            settings.path.as_path()
        } else {
            Path::new(path)
        };
        Ok(SqliteStore::open(path).await?.into())
    }
}

impl AnyStore {
    /// Changes other processes make, as they commit (PostgreSQL); `None` for SQLite, where one
    /// process owns the file.
    pub async fn changes(
        &self,
    ) -> Result<Option<tokio::sync::mpsc::UnboundedReceiver<super::postgres::Changed>>, StoreError>
    {
        match self {
            AnyStore::Sqlite(_) => Ok(None),
            AnyStore::Postgres(p) => Ok(Some(p.changes().await?)),
        }
    }
}

/// Calls one method on whichever backend this is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $call.await,
            AnyStore::Postgres($s) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn settings(&self, guild: GuildId) -> Result<ServerSettings, StoreError> {
        each!(self, s => s.settings(guild))
    }
    async fn save_settings(
        &self,
        guild: GuildId,
        settings: &ServerSettings,
    ) -> Result<(), StoreError> {
        each!(self, s => s.save_settings(guild, settings))
    }
    async fn update_settings<F>(
        &self,
        guild: GuildId,
        change: F,
    ) -> Result<Result<(ServerSettings, String), String>, StoreError>
    where
        F: FnOnce(&mut ServerSettings) -> Result<String, String> + Send,
    {
        each!(self, s => s.update_settings(guild, change))
    }
    async fn add_line(&self, guild: GuildId, line: &ServerLine) -> Result<i64, StoreError> {
        each!(self, s => s.add_line(guild, line))
    }
    async fn remove_line(&self, guild: GuildId, id: i64) -> Result<bool, StoreError> {
        each!(self, s => s.remove_line(guild, id))
    }
    async fn lines(&self, guild: GuildId) -> Result<Vec<ServerLine>, StoreError> {
        each!(self, s => s.lines(guild))
    }
    async fn record_questions(&self, records: &[QuestionRecord]) -> Result<(), StoreError> {
        each!(self, s => s.record_questions(records))
    }
    async fn record_feedback(
        &self,
        guild: GuildId,
        user: UserId,
        message: u64,
        helpful: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        each!(self, s => s.record_feedback(guild, user, message, helpful, at))
    }
    async fn stats(&self, guild: GuildId) -> Result<Stats, StoreError> {
        each!(self, s => s.stats(guild))
    }
    async fn audit(&self, guild: GuildId, entry: &AuditEntry) -> Result<(), StoreError> {
        each!(self, s => s.audit(guild, entry))
    }
    async fn audit_log(&self, guild: GuildId, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        each!(self, s => s.audit_log(guild, limit))
    }
    async fn watch_opted_out(&self, guild: GuildId, user: UserId) -> Result<bool, StoreError> {
        each!(self, s => s.watch_opted_out(guild, user))
    }
    async fn set_watch_opt_out(
        &self,
        guild: GuildId,
        user: UserId,
        out: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        each!(self, s => s.set_watch_opt_out(guild, user, out, at))
    }
    async fn forget(&self, user: UserId) -> Result<Forgotten, StoreError> {
        each!(self, s => s.forget(user))
    }
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        each!(self, s => s.purge_expired(now))
    }
    async fn add_documents(
        &self,
        guild: GuildId,
        documents: &[StoredDocument],
        limits: DocumentLimits,
    ) -> Result<Result<u64, String>, StoreError> {
        each!(self, s => s.add_documents(guild, documents, limits))
    }
    async fn remove_document(
        &self,
        guild: GuildId,
        doc_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        each!(self, s => s.remove_document(guild, doc_id))
    }
    async fn documents(&self, guild: GuildId) -> Result<Vec<StoredDocument>, StoreError> {
        each!(self, s => s.documents(guild))
    }
    async fn library(&self, guild: GuildId) -> Result<(u64, Vec<StoredDocument>), StoreError> {
        each!(self, s => s.library(guild))
    }
    async fn library_version(&self, guild: GuildId) -> Result<u64, StoreError> {
        each!(self, s => s.library_version(guild))
    }
    async fn erase_server(&self, guild: GuildId) -> Result<(), StoreError> {
        each!(self, s => s.erase_server(guild))
    }
}
