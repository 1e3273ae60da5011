//! The store: per-server settings, server-specific support lines, feedback, counters, logged
//! questions (only where a server turned logging on, deleted after its retention period) and the
//! moderators' audit log. Behind the [`Store`] trait so a PostgreSQL backend can serve several
//! bot processes later; [`sqlite::SqliteStore`] is the embedded default. Knows no Discord types:
//! ids are plain integers, times are Unix seconds.

pub mod any;
pub mod postgres;
mod rows;
pub mod sqlite;

use std::future::Future;

use serde::{Deserialize, Serialize};

/// A Discord server (guild) id.
pub type GuildId = u64;
/// A Discord user id.
pub type UserId = u64;
/// A Discord channel id.
pub type ChannelId = u64;
/// Seconds since the Unix epoch.
pub type Timestamp = i64;

/// Errors from the store. Messages name what failed, never the data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, corruption, constraint).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Stored settings could not be read back.
    #[error("stored settings are unreadable: {0}")]
    Corrupt(String),
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A server's settings; every field has a default so older rows stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Region code for the disclaimer and crisis lines (`None`: the bot's default region).
    pub region: Option<String>,
    /// Channels where mentioning the bot gets an answer (empty: every channel).
    pub mention_channels: Vec<ChannelId>,
    /// Where moderators are told about crisis replies (`None`: no alerts).
    pub alert_channel: Option<ChannelId>,
    /// At most one alert per member per this many seconds.
    pub alert_period_secs: u32,
    /// A member waits this many seconds between questions.
    pub cooldown_secs: u32,
    /// At most this many replies per channel per minute.
    pub channel_cap_per_minute: u32,
    /// `/ask` replies are ephemeral unless the member asks otherwise.
    pub private_by_default: bool,
    /// Crisis replies to `/ask` are public (by default they are ephemeral).
    pub crisis_public: bool,
    /// Moderators are also alerted to concern and someone-else replies (emergency and crisis
    /// replies always alert).
    pub concern_alerts: bool,
    /// Store question text (for "unanswered questions" in stats).
    pub logging: bool,
    /// Logged question text is deleted after this many days.
    pub retention_days: u32,
    /// Members with this role may use moderator commands (besides Manage Server).
    pub moderator_role: Option<u64>,
    /// Channels where the bot is paused.
    pub paused_channels: Vec<ChannelId>,
    /// The shipped articles stay in the server's library beside its own documents.
    pub shipped_articles: bool,
    /// Quotes that discuss abuse, self-harm, suicide or overdose are shown behind a spoiler
    /// under a content note.
    pub content_notes: bool,
    /// Members with this role are the server's supporters: "Talk to someone here" opens a
    /// private thread with them (`None`: the button is not shown).
    pub supporter_role: Option<u64>,
    /// The channel where those private threads are opened.
    pub support_channel: Option<ChannelId>,
    /// A member may open one such thread per this many seconds.
    pub talk_period_secs: u32,
    /// Channels crisis watch reads (empty: none). Only danger is answered there.
    pub watch_channels: Vec<ChannelId>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            region: None,
            mention_channels: Vec::new(),
            alert_channel: None,
            alert_period_secs: 3600,
            cooldown_secs: 10,
            channel_cap_per_minute: 20,
            private_by_default: false,
            crisis_public: false,
            concern_alerts: true,
            logging: false,
            retention_days: 30,
            moderator_role: None,
            paused_channels: Vec::new(),
            shipped_articles: true,
            content_notes: false,
            supporter_role: None,
            support_channel: None,
            talk_period_secs: 1800,
            watch_channels: Vec::new(),
        }
    }
}

/// A support line a server's moderators added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLine {
    /// Row id (for `resources remove`); 0 before it is stored.
    pub id: i64,
    /// Region code it belongs to.
    pub region: String,
    /// Service name.
    pub name: String,
    /// How to reach it (phone, text, web).
    pub contact: String,
    /// Hours.
    pub hours: String,
    /// Topic names.
    pub topics: Vec<String>,
    /// What it is for.
    pub purpose: String,
    /// The moderator who added it.
    pub added_by: UserId,
    /// When.
    pub added_at: Timestamp,
}

/// How a stored document is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// `content` is a Markdown file with TOML front matter, parsed as the shipped library is.
    Markdown,
    /// `content` is the text itself (a plain-text file or one JSONL entry); the metadata is in
    /// the row.
    Plain,
}

impl DocumentFormat {
    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Markdown => "markdown",
            DocumentFormat::Plain => "plain",
        }
    }
}

/// A document of a server's own library, as stored: enough to rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The document's id (unique in the server's library).
    pub doc_id: String,
    /// How `content` is read.
    pub format: DocumentFormat,
    /// Title, author, publisher and date (ISO), as the document states them.
    pub title: Option<String>,
    /// See `title`.
    pub author: Option<String>,
    /// See `title`.
    pub publisher: Option<String>,
    /// See `title`.
    pub date: Option<String>,
    /// The text (see [`DocumentFormat`]).
    pub content: String,
    /// Passages it was split into when added.
    pub passages: u32,
    /// The moderator who added it.
    pub added_by: UserId,
    /// When.
    pub added_at: Timestamp,
}

/// How much one server may keep in its own library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Most documents.
    pub max_documents: usize,
    /// Most passages, over all its documents.
    pub max_passages: usize,
    /// Most bytes of text, over all its documents.
    pub max_bytes: usize,
}

/// Whether `adding` fits beside a server's `existing` (documents, passages, bytes of text); else
/// why not, for the moderator.
pub(crate) fn check_limits(
    (documents, passages, bytes): (usize, usize, usize),
    adding: &[StoredDocument],
    limits: DocumentLimits,
) -> Result<(), String> {
    let more: usize = adding.iter().map(|d| d.passages as usize).sum();
    let more_bytes: usize = adding.iter().map(|d| d.content.len()).sum();
    if bytes + more_bytes > limits.max_bytes {
        return Err(format!(
            "this server's library would hold {} bytes of text; the limit is {}. Remove some first.",
            bytes + more_bytes,
            limits.max_bytes
        ));
    }
    if documents + adding.len() > limits.max_documents {
        return Err(format!(
            "this server's library would have {} documents; the limit is {}. Remove some first.",
            documents + adding.len(),
            limits.max_documents
        ));
    }
    if passages + more > limits.max_passages {
        return Err(format!(
            "this server's library would have {} passages; the limit is {}. Remove some first.",
            passages + more,
            limits.max_passages
        ));
    }
    Ok(())
}

/// Why a document was refused: its id is already in the server's library.
pub(crate) fn taken_message(doc_id: &str) -> String {
    format!(
        "a document with id `{doc_id}` is already in this server's library; remove it first to replace it."
    )
}

/// What a question led to (for counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Quotes from the library.
    Answered,
    /// Nothing relevant in the library.
    NoMatch,
    /// A crisis reply.
    Crisis,
    /// A medical-advice refusal.
    MedicalAdvice,
}

impl Outcome {
    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::NoMatch => "no_match",
            Outcome::Crisis => "crisis",
            Outcome::MedicalAdvice => "medical_advice",
        }
    }
}

/// A server's figures for `/lantern stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Questions asked.
    pub questions: u64,
    /// Answered from the library.
    pub answered: u64,
    /// Not in the library.
    pub no_match: u64,
    /// Crisis replies.
    pub crisis: u64,
    /// Medical-advice refusals.
    pub medical_advice: u64,
    /// "Helpful" clicks.
    pub helpful: u64,
    /// "Not helpful" clicks.
    pub not_helpful: u64,
    /// Most frequent unanswered questions (text, count), when logging is on; at most 10.
    pub top_unanswered: Vec<(String, u64)>,
}

/// One moderator action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who.
    pub actor: UserId,
    /// What (`config set`, `resources add`, ...).
    pub action: String,
    /// Details (the new value, the line's name, ...).
    pub detail: String,
    /// When.
    pub at: Timestamp,
}

/// A question to count in a server's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRecord {
    /// The server.
    pub guild: GuildId,
    /// The member (stored only with the text, for `/forgetme`).
    pub user: UserId,
    /// What the question led to.
    pub outcome: Outcome,
    /// The question text, only where the server turned logging on.
    pub text: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// What `/forgetme` erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Logged questions deleted.
    pub questions: u64,
    /// Feedback rows deleted.
    pub feedback: u64,
}

/// Persistent state. Every method is one transaction: a failure changes nothing.
pub trait Store: Send + Sync + 'static {
    /// A server's settings (defaults when it has none stored).
    fn settings(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<ServerSettings, StoreError>> + Send;
    /// Replaces a server's settings.
    fn save_settings(
        &self,
        guild: GuildId,
        settings: &ServerSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Changes a server's settings in one read-modify-write transaction, so concurrent changes
    /// (other moderators, other processes) are all kept. `change` returns what to tell the
    /// moderator, or why the value was refused (then nothing is written). Returns the settings
    /// as stored.
    fn update_settings<F>(
        &self,
        guild: GuildId,
        change: F,
    ) -> impl Future<Output = Result<Result<(ServerSettings, String), String>, StoreError>> + Send
    where
        F: FnOnce(&mut ServerSettings) -> Result<String, String> + Send;
    /// Adds a server line; returns its id.
    fn add_line(
        &self,
        guild: GuildId,
        line: &ServerLine,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Removes a server line; false when no such line belongs to the server.
    fn remove_line(
        &self,
        guild: GuildId,
        id: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// A server's lines, oldest first.
    fn lines(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<Vec<ServerLine>, StoreError>> + Send;
    /// Counts questions, in one transaction; stores a question's text (with the asker, for
    /// `/forgetme`) only when it has one, which callers give only where the server turned
    /// logging on.
    fn record_questions(
        &self,
        records: &[QuestionRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Counts one question (see [`Store::record_questions`]).
    fn record_question(
        &self,
        guild: GuildId,
        user: UserId,
        outcome: Outcome,
        text: Option<&str>,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let record = QuestionRecord {
            guild,
            user,
            outcome,
            text: text.map(str::to_string),
            at,
        };
        async move { self.record_questions(std::slice::from_ref(&record)).await }
    }

    /// Records (or changes) a member's feedback on one answer message.
    fn record_feedback(
        &self,
        guild: GuildId,
        user: UserId,
        message: u64,
        helpful: bool,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A server's figures.
    fn stats(&self, guild: GuildId) -> impl Future<Output = Result<Stats, StoreError>> + Send;
    /// Appends to the audit log.
    fn audit(
        &self,
        guild: GuildId,
        entry: &AuditEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The newest audit entries, newest first.
    fn audit_log(
        &self,
        guild: GuildId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;
    /// Adds documents to a server's own library in one transaction: all of them, or none when
    /// an id is already there or the limits would be passed (then why, for the moderator).
    /// Returns the library's new version.
    fn add_documents(
        &self,
        guild: GuildId,
        documents: &[StoredDocument],
        limits: DocumentLimits,
    ) -> impl Future<Output = Result<Result<u64, String>, StoreError>> + Send;
    /// Removes a document from a server's own library; the library's new version, or `None`
    /// when the server has no such document.
    fn remove_document(
        &self,
        guild: GuildId,
        doc_id: &str,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
    /// A server's own documents, in the order they were added.
    fn documents(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<Vec<StoredDocument>, StoreError>> + Send;
    /// A server's library version and its documents, read together (one snapshot).
    fn library(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<(u64, Vec<StoredDocument>), StoreError>> + Send;
    /// The version of a server's own library: 0 before anything was added, then one more with
    /// every change.
    fn library_version(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Erases everything stored for a server (the bot was removed from it): settings, lines,
    /// counters, logged questions, feedback, the audit log, crisis-watch opt-outs and its
    /// library.
    fn erase_server(&self, guild: GuildId) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Whether a member asked crisis watch not to answer their messages in a server.
    fn watch_opted_out(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records a member's choice about crisis watch in a server: `out` opts out, `false` opts
    /// back in. Only the ids and the time are stored.
    fn set_watch_opt_out(
        &self,
        guild: GuildId,
        user: UserId,
        out: bool,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Erases what is stored about a member in every server (logged questions, feedback, the
    /// audit log's record of support threads they opened). A
    /// crisis-watch opt-out is kept: it is the member's wish, and forgetting it would start
    /// watching them again.
    fn forget(&self, user: UserId) -> impl Future<Output = Result<Forgotten, StoreError>> + Send;
    /// Deletes logged questions older than each server's retention period (and all logged
    /// questions of servers that turned logging off); returns how many were deleted.
    fn purge_expired(&self, now: Timestamp)
    -> impl Future<Output = Result<u64, StoreError>> + Send;
}
