-- Lantern's store: per-server settings, server lines, counters, logged questions, feedback and
-- the moderators' audit log.
--
-- Discord ids are u64 but SQLite integers are i64: ids are stored through `id as i64` and read
-- back through `v as u64`, which round-trips every bit (ids above i64::MAX are stored as
-- negative numbers). Only equality is ever asked of them, never order, so that is harmless.
-- Times are Unix seconds; `day` is Unix seconds div 86400 (UTC days).
--
-- Migrations only ever add: an existing database must open with everything it held. Never edit
-- this file once released (sqlx checks its checksum on open and refuses a changed one): add
-- migrations/0002_....sql instead.

-- One JSON document of `ServerSettings` per server: serde defaults keep older documents
-- readable when fields are added, without a migration per setting.
CREATE TABLE settings (
    guild_id   INTEGER PRIMARY KEY,
    settings   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- AUTOINCREMENT so a removed line's id is never handed out again: a moderator's stale
-- `resources remove <id>` cannot delete a newer line.
CREATE TABLE server_lines (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    region   TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    contact  TEXT    NOT NULL,
    hours    TEXT    NOT NULL,
    topics   TEXT    NOT NULL, -- JSON array of topic names
    purpose  TEXT    NOT NULL,
    added_by INTEGER NOT NULL,
    added_at INTEGER NOT NULL
);
CREATE INDEX server_lines_by_guild ON server_lines (guild_id, id);

-- Anonymous daily counts (no user id, so `/forgetme` has nothing to erase here).
CREATE TABLE counters (
    guild_id INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    outcome  TEXT    NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, outcome)
) WITHOUT ROWID;

-- Question text, only for servers that turned logging on. `text_key` is the text trimmed and
-- lower-cased in Rust (SQLite's lower() only folds ASCII), to group "unanswered questions".
CREATE TABLE questions (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    outcome  TEXT    NOT NULL,
    text     TEXT    NOT NULL,
    text_key TEXT    NOT NULL,
    asked_at INTEGER NOT NULL
);
CREATE INDEX questions_by_user ON questions (user_id);                       -- forget
CREATE INDEX questions_by_guild_time ON questions (guild_id, asked_at);      -- purge_expired
CREATE INDEX questions_by_guild_outcome ON questions (guild_id, outcome, text_key); -- stats

-- One vote per member per answer message: changing one's mind replaces the row.
CREATE TABLE feedback (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    helpful    INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    at         INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX feedback_by_user ON feedback (user_id);   -- forget
CREATE INDEX feedback_by_guild ON feedback (guild_id); -- stats

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    actor    INTEGER NOT NULL,
    action   TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX audit_log_by_guild ON audit_log (guild_id, id);
