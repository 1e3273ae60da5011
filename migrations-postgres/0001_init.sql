-- Lantern's store on PostgreSQL: the same tables as the SQLite store (migrations/), in
-- PostgreSQL's types. Several bot processes share one database.
--
-- Discord ids are u64 and BIGINT is i64: ids are stored through `id as i64` and read back through
-- `v as u64`, which round-trips every bit; only equality is ever asked of them. Times are Unix
-- seconds; `day` is Unix seconds div 86400 (UTC days).
--
-- Migrations only ever add: never edit this file once released; add 0002_....sql instead.

CREATE TABLE settings (
    guild_id   BIGINT PRIMARY KEY,
    settings   TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE server_lines (
    id       BIGSERIAL PRIMARY KEY,
    guild_id BIGINT NOT NULL,
    region   TEXT   NOT NULL,
    name     TEXT   NOT NULL,
    contact  TEXT   NOT NULL,
    hours    TEXT   NOT NULL,
    topics   TEXT   NOT NULL, -- JSON array of topic names
    purpose  TEXT   NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX server_lines_by_guild ON server_lines (guild_id, id);

CREATE TABLE counters (
    guild_id BIGINT NOT NULL,
    day      BIGINT NOT NULL,
    outcome  TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (guild_id, day, outcome)
);

CREATE TABLE questions (
    id       BIGSERIAL PRIMARY KEY,
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    outcome  TEXT   NOT NULL,
    text     TEXT   NOT NULL,
    text_key TEXT   NOT NULL,
    asked_at BIGINT NOT NULL
);
CREATE INDEX questions_by_user ON questions (user_id);
CREATE INDEX questions_by_guild_time ON questions (guild_id, asked_at);
CREATE INDEX questions_by_guild_outcome ON questions (guild_id, outcome, text_key);

CREATE TABLE feedback (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    helpful    BIGINT NOT NULL CHECK (helpful IN (0, 1)),
    at         BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX feedback_by_user ON feedback (user_id);
CREATE INDEX feedback_by_guild ON feedback (guild_id);

CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    guild_id BIGINT NOT NULL,
    actor    BIGINT NOT NULL,
    action   TEXT   NOT NULL,
    detail   TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX audit_log_by_guild ON audit_log (guild_id, id);

-- Servers' own libraries (see migrations/0002_libraries.sql): `seq` keeps the order they were
-- added in.
CREATE TABLE library_documents (
    seq       BIGSERIAL,
    guild_id  BIGINT NOT NULL,
    doc_id    TEXT   NOT NULL,
    format    TEXT   NOT NULL CHECK (format IN ('markdown', 'plain')),
    title     TEXT,
    author    TEXT,
    publisher TEXT,
    date      TEXT,
    content   TEXT   NOT NULL,
    passages  BIGINT NOT NULL,
    added_by  BIGINT NOT NULL,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, doc_id)
);

CREATE TABLE library_versions (
    guild_id BIGINT PRIMARY KEY,
    version  BIGINT NOT NULL
);
