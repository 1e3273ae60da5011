//! The reply value: what Lantern says, before it is rendered for Discord or a terminal. A reply
//! cannot exist without its support-line disclaimer: [`Reply::new`] takes one, and only the
//! resources module makes a [`Disclaimer`].

use std::ops::Range;

use serde::Serialize;

use crate::safety::Level;

/// The support-line disclaimer for a region: not medical advice, plus the region's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclaimer {
    region: String,
    text: String,
}

impl Disclaimer {
    /// Only `resources` builds disclaimers (from the support-line data).
    pub(crate) fn new(region: String, text: String) -> Disclaimer {
        Disclaimer { region, text }
    }

    /// The region code it was built for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The text, appended to every message.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What kind of reply this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Quotes from the library.
    Answer,
    /// Nothing in the library is relevant enough.
    NoMatch,
    /// Someone may be in danger: crisis lines first.
    Crisis,
    /// A medical-advice request, declined.
    MedicalAdvice,
    /// How to use Lantern (also for empty messages).
    Help,
    /// What Lantern is and is not.
    About,
    /// Support lines for a region and topic.
    Resources,
    /// A cited passage shown whole.
    Source,
    /// A confirmation or notice (moderator actions, feedback thanks, cooldowns).
    Notice,
    /// Something went wrong on Lantern's side.
    Error,
    /// A step of a grounding or breathing exercise (`/ground`).
    Grounding,
}

/// Where a quote comes from, for its numbered citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// Document title (or an honest "Untitled article (publisher)").
    pub title: String,
    /// Author, when the article names one.
    pub author: Option<String>,
    /// Publisher, when the article names one.
    pub publisher: Option<String>,
    /// Date, when the article states one.
    pub date: Option<String>,
    /// Heading path of the passage ("Parent › Child"), when it has one.
    pub section: Option<String>,
}

/// A verbatim quote from a passage, with its citation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excerpt {
    /// The passage's stable id (for `/source` and "more results").
    pub passage_id: String,
    /// The document's id.
    pub doc_id: String,
    /// The quote: a verbatim substring of the document body, cut at sentence boundaries.
    pub quote: String,
    /// Byte offset of the quote in the document body (so it can be checked and found again).
    pub offset: usize,
    /// True when a single over-long sentence had to be cut (rendered with "…").
    pub cut: bool,
    /// Ranges of `quote` holding words of the question (may be shown bold).
    pub highlights: Vec<Range<usize>>,
    /// Where it comes from.
    pub citation: Citation,
    /// Retrieval score of the passage.
    pub score: f32,
    /// The whole passage text.
    pub passage_text: String,
    /// The topics it discusses that the server asked to be noted (`content_notes` on): it is
    /// shown behind a spoiler under this note. `None`: shown as is.
    pub content_note: Option<String>,
}

/// A support line as shown to members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineEntry {
    /// Service name.
    pub name: String,
    /// How to reach it.
    pub contact: String,
    /// Hours.
    pub hours: String,
    /// What it is for.
    pub purpose: String,
    /// Shown to moderators: the line still needs re-checking.
    pub check: bool,
}

/// A piece of a reply, in display order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Lantern's own words.
    Text {
        /// The text (its formatting is kept; mentions in it are neutralised when rendered).
        text: String,
    },
    /// A list of support lines.
    Lines {
        /// The lines.
        lines: Vec<LineEntry>,
    },
    /// Quoted excerpts with numbered citations.
    Excerpts {
        /// A label shown above the quotes ("General information from the library").
        label: Option<String>,
        /// The excerpts, best first.
        excerpts: Vec<Excerpt>,
    },
}

/// A complete reply: kind, content and the disclaimer that ends every message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    kind: Kind,
    /// For a crisis reply: its tier.
    level: Option<Level>,
    /// Support lines come before anything else (crisis replies, and answers about suicide,
    /// self-harm or overdose).
    lines_first: bool,
    blocks: Vec<Block>,
    disclaimer: Disclaimer,
}

impl Reply {
    /// A reply; the disclaimer is not optional.
    pub fn new(kind: Kind, blocks: Vec<Block>, disclaimer: Disclaimer) -> Reply {
        let lines_first = matches!(
            blocks.iter().find(|b| !matches!(b, Block::Text { .. })),
            Some(Block::Lines { .. })
        ) && kind != Kind::Resources;
        Reply {
            kind,
            level: None,
            lines_first,
            blocks,
            disclaimer,
        }
    }

    /// A crisis reply of a tier.
    pub fn crisis(level: Level, blocks: Vec<Block>, disclaimer: Disclaimer) -> Reply {
        Reply {
            level: Some(level),
            ..Reply::new(Kind::Crisis, blocks, disclaimer)
        }
    }

    /// The crisis tier, for a crisis reply.
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// Whether support lines come before any quote or answer.
    pub fn lines_first(&self) -> bool {
        self.lines_first
    }

    /// A reply of Lantern's own words.
    pub fn text(kind: Kind, text: impl Into<String>, disclaimer: Disclaimer) -> Reply {
        Reply::new(kind, vec![Block::Text { text: text.into() }], disclaimer)
    }

    /// Notes the topics each excerpt discusses (`note` gives them, or `None`), so rendering
    /// puts it behind a spoiler under a content note.
    pub fn note_excerpts(&mut self, note: impl Fn(&Excerpt) -> Option<String>) {
        for block in &mut self.blocks {
            if let Block::Excerpts { excerpts, .. } = block {
                for e in excerpts {
                    e.content_note = note(e);
                }
            }
        }
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Its blocks.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Its disclaimer.
    pub fn disclaimer(&self) -> &Disclaimer {
        &self.disclaimer
    }

    /// Every excerpt, in order.
    pub fn excerpts(&self) -> impl Iterator<Item = &Excerpt> {
        self.blocks.iter().flat_map(|b| match b {
            Block::Excerpts { excerpts, .. } => excerpts.as_slice(),
            _ => &[],
        })
    }
}
