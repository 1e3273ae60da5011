//! Servers' own libraries. A moderator's file is read into documents by the same parsers as the
//! shipped library (every problem with file and line, nothing kept when there is one), stored in
//! a form that rebuilds each document exactly, and composed with the shipped articles (unless
//! the server chose to keep only its own) into the library its questions are answered from.
//! Built libraries are kept in memory per server, the least recently used dropped first.
//!
//! Pure: no I/O. The Discord layer and the command line fetch and store; this module decides.

use std::path::Path;
use std::sync::Arc;

mod shelves;

pub use shelves::{Shelves, Ticket};

use crate::corpus::{self, Chunking, Document, Library};
use crate::engine::{Engine, Shelf};
use crate::problem::{Problem, Problems};
use crate::store::{DocumentFormat, StoredDocument, Timestamp, UserId};

/// What a moderator says about a plain-text file (a Markdown file states it in its front matter;
/// a JSONL FAQ in its lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// The document's title.
    pub title: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// Its publisher or organisation.
    pub publisher: Option<String>,
    /// Its publication date (YYYY-MM-DD).
    pub date: Option<String>,
}

/// Who adds a file, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// The moderator.
    pub by: UserId,
    /// When.
    pub at: Timestamp,
}

/// Reads a file a moderator added: Markdown with TOML front matter (`.md`), plain text (`.txt`,
/// described by `meta`) or a JSONL FAQ (`.jsonl`, one `{"_id","title","text"}` per line). Every
/// problem names the file and, where it has one, the line; with any problem nothing is returned.
pub fn read_upload(
    file_name: &str,
    bytes: &[u8],
    meta: &Meta,
    max_bytes: usize,
    added: Added,
    chunking: Chunking,
) -> Result<Vec<StoredDocument>, Problems> {
    let path = Path::new(file_name);
    let fail =
        |line: Option<usize>, message: String| Problems(vec![Problem::new(path, line, message)]);
    if bytes.len() > max_bytes {
        return Err(fail(
            None,
            format!(
                "the file has {} bytes; a library file may have at most {max_bytes}",
                bytes.len()
            ),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{FEFF}').unwrap_or(t),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(fail(Some(line), "the file is not UTF-8 text".to_string()));
        }
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let (documents, stored): (Vec<Document>, Vec<(DocumentFormat, String)>) = match extension
        .as_deref()
    {
        Some("md" | "markdown") => {
            let doc = corpus::parse_markdown(path, text).map_err(Problems)?;
            (
                vec![doc],
                vec![(DocumentFormat::Markdown, text.to_string())],
            )
        }
        Some("txt") => {
            let doc = plain_text(path, text, meta)?;
            let body = doc.body.clone();
            (vec![doc], vec![(DocumentFormat::Plain, body)])
        }
        Some("jsonl") => {
            let docs = corpus::parse_jsonl(path, text).map_err(Problems)?;
            if docs.is_empty() {
                return Err(fail(None, "the file has no documents".to_string()));
            }
            // Ids a moderator can type back (`remove`, `show`), as a front matter's are.
            let bad: Vec<Problem> = docs
                .iter()
                .filter(|d| !corpus::valid_id(&d.id))
                .map(|d| {
                    let line = text.lines().position(|l| l.contains(&d.id)).map(|i| i + 1);
                    Problem::new(
                        path,
                        line,
                        "\"_id\" must be lowercase letters, digits, `-` or `_` (at most 80)",
                    )
                })
                .collect();
            if !bad.is_empty() {
                return Err(Problems(bad));
            }
            let stored = docs
                .iter()
                .map(|d| (DocumentFormat::Plain, d.body.clone()))
                .collect();
            (docs, stored)
        }
        _ => {
            return Err(fail(
                    None,
                    "a library file is Markdown with front matter (.md), plain text (.txt) or a JSONL FAQ (.jsonl)".to_string(),
                ));
        }
    };
    let mut problems = Vec::new();
    corpus::check_unique_ids(&documents, &mut problems);
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let split = Library::new(documents, chunking);
    let mut passages = vec![0u32; split.documents.len()];
    for p in &split.passages {
        passages[p.doc] += 1;
    }
    Ok(split
        .documents
        .into_iter()
        .zip(stored)
        .zip(passages)
        .map(|((d, (format, content)), passages)| StoredDocument {
            doc_id: d.id,
            format,
            title: d.title,
            author: d.author,
            publisher: d.publisher,
            date: d.date,
            content,
            passages,
            added_by: added.by,
            added_at: added.at,
        })
        .collect())
}

/// A plain-text file as one document: its id from the file's name, its metadata from `meta`.
fn plain_text(path: &Path, text: &str, meta: &Meta) -> Result<Document, Problems> {
    let fail = |message: &str| Problems(vec![Problem::new(path, None, message)]);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let id: String = stem
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    if !corpus::valid_id(&id) {
        return Err(fail(
            "name the file with letters or digits (its name, less `.txt`, is the document's id)",
        ));
    }
    if let Some(date) = &meta.date
        && !corpus::valid_date(date)
    {
        return Err(fail("date must be YYYY-MM-DD"));
    }
    if text.trim().is_empty() {
        return Err(Problems(vec![Problem::new(
            path,
            Some(1),
            "the file is empty",
        )]));
    }
    let named = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    Ok(Document {
        id,
        title: named(&meta.title),
        author: named(&meta.author),
        publisher: named(&meta.publisher),
        date: meta.date.clone(),
        source: None,
        file: path.to_path_buf(),
        body: text.to_string(),
        blocks: corpus::parse_plain_blocks(text),
    })
}

/// A stored document, rebuilt exactly as it was read when added.
pub fn rebuild(stored: &StoredDocument) -> Result<Document, Problems> {
    match stored.format {
        DocumentFormat::Markdown => {
            let file = format!("{}.md", stored.doc_id);
            corpus::parse_markdown(Path::new(&file), &stored.content).map_err(Problems)
        }
        DocumentFormat::Plain => Ok(Document {
            id: stored.doc_id.clone(),
            title: stored.title.clone(),
            author: stored.author.clone(),
            publisher: stored.publisher.clone(),
            date: stored.date.clone(),
            source: None,
            file: format!("{}.txt", stored.doc_id).into(),
            body: stored.content.clone(),
            blocks: corpus::parse_plain_blocks(&stored.content),
        }),
    }
}

/// A server's library: the shipped documents (when it keeps them) and then its own. An id of its
/// own that a shipped document already has is a problem (checked when a file is added, so a
/// stored library only meets it if the shipped library changed since).
pub fn compose(
    shipped: &Library,
    own: &[StoredDocument],
    with_shipped: bool,
    chunking: Chunking,
) -> Result<Library, Problems> {
    let mut documents: Vec<Document> = if with_shipped {
        shipped.documents.clone()
    } else {
        Vec::new()
    };
    let mut problems = Vec::new();
    for stored in own {
        match rebuild(stored) {
            Ok(d) => documents.push(d),
            Err(Problems(mut ps)) => problems.append(&mut ps),
        }
    }
    corpus::check_unique_ids(&documents, &mut problems);
    if problems.is_empty() {
        Ok(Library::new(documents, chunking))
    } else {
        Err(Problems(problems))
    }
}

/// The library a server's questions are answered from: the shipped one as it is when the server
/// has no documents of its own and keeps the shipped articles (no copy), else its own documents
/// (after the shipped ones, if it keeps them), indexed. `version` is the stored library's.
pub fn server_shelf(
    engine: &Engine,
    own: &[StoredDocument],
    version: u64,
    with_shipped: bool,
) -> Result<Arc<Shelf>, String> {
    if own.is_empty() && with_shipped {
        return Ok(engine.shelf.clone());
    }
    let chunking = engine.retrieval.chunking;
    let library =
        compose(&engine.shelf.library, own, with_shipped, chunking).map_err(|e| e.to_string())?;
    let shelf = Shelf::build(library, version).map_err(|e| e.to_string())?;
    Ok(Arc::new(shelf))
}

/// Ids among `adding` that the shipped library already uses (a server keeping the shipped
/// articles cannot have a second document under one of their ids).
pub fn clashes_with_shipped<'a>(shipped: &Library, adding: &'a [StoredDocument]) -> Vec<&'a str> {
    adding
        .iter()
        .filter(|a| shipped.documents.iter().any(|d| d.id == a.doc_id))
        .map(|a| a.doc_id.as_str())
        .collect()
}

/// One line of an export: the JSONL layout `/lantern library add` reads back.
#[derive(serde::Serialize)]
struct ExportLine<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    title: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
}

/// A server's own documents as one JSONL file (what `library add` reads back): each document's
/// text as stored (a Markdown document's body, without its front matter), with its metadata.
pub fn export(own: &[StoredDocument]) -> String {
    let mut out = String::new();
    for stored in own {
        let body = match rebuild(stored) {
            Ok(d) => d.body,
            Err(_) => stored.content.clone(),
        };
        let line = ExportLine {
            id: &stored.doc_id,
            title: stored.title.as_deref().unwrap_or(""),
            text: &body,
            author: stored.author.as_deref(),
            publisher: stored.publisher.as_deref(),
            date: stored.date.as_deref(),
        };
        if let Ok(json) = serde_json::to_string(&line) {
            out.push_str(&json);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDED: Added = Added { by: 7, at: 100 };

    fn read(name: &str, text: &str) -> Result<Vec<StoredDocument>, Problems> {
        read_upload(
            name,
            text.as_bytes(),
            &Meta {
                title: Some("Our FAQ".into()),
                ..Meta::default()
            },
            10_000,
            ADDED,
            Chunking::default(),
        )
    }

    const MARKDOWN: &str = "+++\nid = \"grounding\"\ntitle = \"Grounding\"\nauthor = \"A. Mod\"\n+++\n\n## Why\n\nGrounding brings attention back to the room when a flashback pulls it away.\n";

    #[test]
    fn every_format_rebuilds_exactly_what_was_read() {
        let jsonl = "{\"_id\":\"q1\",\"title\":\"What is a trigger?\",\"text\":\"A trigger is a reminder of trauma.\"}\n{\"_id\":\"q2\",\"title\":\"Meetings\",\"text\":\"Meetings are on Tuesdays.\"}\n";
        for (name, text, n) in [
            ("grounding.md", MARKDOWN, 1),
            (
                "Our FAQ.txt",
                "Meetings are on Tuesdays.\nBring a friend.\n",
                1,
            ),
            ("faq.jsonl", jsonl, 2),
        ] {
            let stored = read(name, text).unwrap();
            assert_eq!(stored.len(), n, "{name}");
            for s in &stored {
                let doc = rebuild(s).unwrap();
                assert_eq!(doc.id, s.doc_id);
                assert!(text.contains(doc.body.trim()), "{name}: body kept verbatim");
                assert!(s.passages >= 1, "{name}");
                assert_eq!((s.added_by, s.added_at), (7, 100));
            }
        }
        let txt = &read("Our FAQ.txt", "Meetings are on Tuesdays.\n").unwrap()[0];
        assert_eq!(txt.doc_id, "our-faq");
        assert_eq!(txt.title.as_deref(), Some("Our FAQ"));
        let md = &read("grounding.md", MARKDOWN).unwrap()[0];
        assert_eq!(md.author.as_deref(), Some("A. Mod"));
    }

    #[test]
    fn problems_name_the_file_and_line_and_keep_nothing() {
        let e = read(
            "faq.jsonl",
            "{\"_id\":\"ok\",\"text\":\"a\"}\n{\"_id\":\"Bad Id!\",\"text\":\"b\"}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("faq.jsonl:2") && e.contains("lowercase"), "{e}");
        let broken_line = "{\"_id\":\"q1\",\"text\":\"fine\"}\n{not json\n";
        let e = read("faq.jsonl", broken_line).unwrap_err().to_string();
        assert!(e.contains("faq.jsonl:2"), "{e}");
        let e = read("a.md", "no front matter").unwrap_err().to_string();
        assert!(e.contains("a.md:1"), "{e}");
        let e = read("a.pdf", "x").unwrap_err().to_string();
        assert!(e.contains("(.md)"), "{e}");
        let bytes = |bytes: &[u8]| {
            read_upload(
                "a.txt",
                bytes,
                &Meta::default(),
                100,
                ADDED,
                Chunking::default(),
            )
            .unwrap_err()
            .to_string()
        };
        let e = bytes(&[b'o', b'k', b'\n', 0xff]);
        assert!(e.contains("a.txt:2") && e.contains("UTF-8"), "{e}");
        let e = bytes(&[b'a'; 101]);
        assert!(e.contains("at most 100"), "{e}");
        let twice = "{\"_id\":\"q\",\"text\":\"a\"}\n{\"_id\":\"q\",\"text\":\"b\"}\n";
        assert!(read("faq.jsonl", twice).is_err(), "an id used twice");
    }

    #[test]
    fn a_server_library_holds_its_documents_after_the_shipped_ones_or_alone() {
        let shipped = corpus::parse_jsonl(
            Path::new("shipped.jsonl"),
            "{\"_id\":\"s1\",\"text\":\"Shipped article text.\"}\n",
        )
        .unwrap();
        let shipped = Library::new(shipped, Chunking::default());
        let own = read("grounding.md", MARKDOWN).unwrap();
        let both = compose(&shipped, &own, true, Chunking::default()).unwrap();
        let ids: Vec<&str> = both.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["s1", "grounding"]);
        let alone = compose(&shipped, &own, false, Chunking::default()).unwrap();
        assert_eq!(alone.documents.len(), 1);
        let clash = read("s1.txt", "Another text.").unwrap();
        assert_eq!(clashes_with_shipped(&shipped, &clash), ["s1"]);
    }

    #[test]
    fn an_export_reads_back_as_the_same_documents() {
        let mut own = read("grounding.md", MARKDOWN).unwrap();
        own.extend(read("Our FAQ.txt", "Meetings are on Tuesdays.\n").unwrap());
        let file = export(&own);
        let again = read("export.jsonl", &file).unwrap();
        assert_eq!(again.len(), 2);
        for (a, b) in own.iter().zip(&again) {
            let (a, b) = (rebuild(a).unwrap(), rebuild(b).unwrap());
            assert_eq!(
                (&a.id, &a.title, &a.author, &a.body),
                (&b.id, &b.title, &b.author, &b.body)
            );
        }
    }
}
