//! Rows as both stores read them, and what they become.

use super::{AuditEntry, DocumentFormat, ServerLine, Stats, StoreError, StoredDocument, Timestamp};

/// Discord ids are u64, SQL integers are i64. `as` reinterprets the bits both ways, so every id
/// round-trips exactly; ids above `i64::MAX` are stored as negative numbers, which is harmless
/// because ids are only ever compared for equality.
pub(super) fn db_id(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`db_id`].
pub(super) fn id_from_db(v: i64) -> u64 {
    v as u64
}

/// A count from SQL (`COUNT`, `SUM` of non-negative values) as u64.
pub(super) fn count_from_db(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The grouping key for "unanswered questions": trimmed and lower-cased here rather than in SQL,
/// because SQLite's `lower()` only folds ASCII and `trim()` only strips spaces.
pub(super) fn text_key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A `server_lines` row as stored (topics as JSON, `added_by` as i64).
#[derive(sqlx::FromRow)]
pub(super) struct LineRow {
    id: i64,
    region: String,
    name: String,
    contact: String,
    hours: String,
    topics: String,
    purpose: String,
    added_by: i64,
    added_at: Timestamp,
}

impl LineRow {
    pub(super) fn into_line(self) -> Result<ServerLine, StoreError> {
        let topics = serde_json::from_str(&self.topics)
            .map_err(|e| StoreError::Corrupt(format!("topics of server line {}: {e}", self.id)))?;
        Ok(ServerLine {
            id: self.id,
            region: self.region,
            name: self.name,
            contact: self.contact,
            hours: self.hours,
            topics,
            purpose: self.purpose,
            added_by: id_from_db(self.added_by),
            added_at: self.added_at,
        })
    }
}

/// A `library_documents` row as stored.
#[derive(sqlx::FromRow)]
pub(super) struct DocumentRow {
    doc_id: String,
    format: String,
    title: Option<String>,
    author: Option<String>,
    publisher: Option<String>,
    date: Option<String>,
    content: String,
    passages: i64,
    added_by: i64,
    added_at: i64,
}

impl DocumentRow {
    pub(super) fn into_document(self) -> Result<StoredDocument, StoreError> {
        let format = match self.format.as_str() {
            "markdown" => DocumentFormat::Markdown,
            "plain" => DocumentFormat::Plain,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "document format {other:?} is unknown"
                )));
            }
        };
        Ok(StoredDocument {
            doc_id: self.doc_id,
            format,
            title: self.title,
            author: self.author,
            publisher: self.publisher,
            date: self.date,
            content: self.content,
            passages: u32::try_from(self.passages).unwrap_or(0),
            added_by: id_from_db(self.added_by),
            added_at: self.added_at,
        })
    }
}

/// An audit row (actor, action, detail, at) as an entry.
pub(super) fn audit_entry((actor, action, detail, at): (i64, String, String, i64)) -> AuditEntry {
    AuditEntry {
        actor: id_from_db(actor),
        action,
        detail,
        at,
    }
}

/// A server's figures from its counters by outcome, its feedback totals and its most frequent
/// unanswered questions.
pub(super) fn stats_from(
    counts: Vec<(String, i64)>,
    helpful: i64,
    not_helpful: i64,
    top: Vec<(String, i64)>,
) -> Stats {
    let mut stats = Stats {
        helpful: count_from_db(helpful),
        not_helpful: count_from_db(not_helpful),
        top_unanswered: top
            .into_iter()
            .map(|(text, n)| (text, count_from_db(n)))
            .collect(),
        ..Stats::default()
    };
    for (outcome, n) in counts {
        let n = count_from_db(n);
        // Outcomes this version does not know (a newer version wrote them) still count
        // as questions.
        stats.questions += n;
        match outcome.as_str() {
            "answered" => stats.answered += n,
            "no_match" => stats.no_match += n,
            "crisis" => stats.crisis += n,
            "medical_advice" => stats.medical_advice += n,
            _ => {}
        }
    }
    stats
}
