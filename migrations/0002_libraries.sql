-- Servers' own libraries (`/lantern library add`). One row per document, with what rebuilds it
-- exactly: a Markdown file with front matter as added (`format` 'markdown'), or the text of a
-- plain-text file or JSONL entry with its metadata in the row (`format` 'plain'). Quotes are
-- byte ranges of the rebuilt body, so `content` is kept as added, never reformatted.
CREATE TABLE library_documents (
    guild_id  INTEGER NOT NULL,
    doc_id    TEXT    NOT NULL,
    format    TEXT    NOT NULL CHECK (format IN ('markdown', 'plain')),
    title     TEXT,
    author    TEXT,
    publisher TEXT,
    date      TEXT,
    content   TEXT    NOT NULL,
    passages  INTEGER NOT NULL,
    added_by  INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, doc_id)
);

-- One more with every change to a server's library: built libraries and cached replies are keyed
-- by it, so a change is never answered from the library before it.
CREATE TABLE library_versions (
    guild_id INTEGER PRIMARY KEY,
    version  INTEGER NOT NULL
);
