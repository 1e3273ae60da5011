//! The engine's replies that are not answers to a question: help, about, support lines, a
//! passage whole, grounding steps and notices. Each ends with the disclaimer, like every reply.

use super::{Context, Engine, Shelf};
use crate::reply::{Block, Excerpt, Kind, LineEntry, Reply};
use crate::resources::SupportLine;
use crate::{answer, crisis};

impl Engine {
    /// How to use Lantern.
    pub fn help(&self, region: &str) -> Reply {
        Reply::text(
            Kind::Help,
            "Ask me a question and I'll share short quotes from this server's library of articles, with where each comes from. Try `/ask what is dissociation?` or mention me with your question. `/resources` lists support lines (for example `/resources uk addiction`), `/source` shows a quoted passage whole, `/about` says what I am and what I store, `/ground` walks you through a short grounding or breathing exercise, and `/talk` opens a private thread with this server's supporters where it has them. I can't give medical advice.",
            self.disclaimer(region),
        )
    }

    /// What Lantern is and is not, and what the shipped library holds.
    pub fn about(&self, region: &str) -> Reply {
        self.about_in(&self.shelf, region)
    }

    /// What Lantern is and is not, and what a server's library holds.
    pub fn about_in(&self, shelf: &Shelf, region: &str) -> Reply {
        let mut docs: Vec<String> = shelf
            .library
            .documents
            .iter()
            .take(20)
            .map(|d| {
                let by: Vec<&str> = [&d.author, &d.publisher]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                if by.is_empty() {
                    format!("\u{2022} {}", d.display_title())
                } else {
                    format!("\u{2022} {} ({})", d.display_title(), by.join(", "))
                }
            })
            .collect();
        if shelf.library.documents.len() > 20 {
            docs.push(format!(
                "\u{2022} … and {} more",
                shelf.library.documents.len() - 20
            ));
        }
        Reply::new(
            Kind::About,
            vec![
                Block::Text {
                    text: "Lantern answers questions with short, verbatim quotes from this server's library, each cited. It does not write advice of its own, it is not a clinician, and it is not a helpline: in a crisis it points to people who can help.".to_string(),
                },
                Block::Text {
                    text: format!("The library ({} documents):\n{}", shelf.library.documents.len(), docs.join("\n")),
                },
                Block::Text {
                    text: "What it stores: counts of questions and feedback per server; the text of questions only where a server's moderators turned logging on, deleted after their retention period. `/forgetme` erases what is stored about you. In channels a server's moderators chose for crisis watch, messages are read for signs of danger and never stored; `/lantern-optout` stops its replies to you.".to_string(),
                },
            ],
            self.disclaimer(region),
        )
    }

    /// Support lines for a region and topic, with a server's own lines after the built-in ones.
    pub fn resources_reply(
        &self,
        region: Option<&str>,
        topic: Option<&str>,
        ctx: &Context,
        server_lines: &[SupportLine],
    ) -> Reply {
        let lookup = self.resources.lookup(region, topic, &ctx.region);
        let mut blocks = Vec::new();
        if let Some(unknown) = &lookup.unknown_region {
            blocks.push(Block::Text {
                text: format!(
                    "I don't have lines for \u{201C}{}\u{201D} yet, so here is the international directory.",
                    crate::render::escape(unknown)
                ),
            });
        }
        if let Some(unknown) = &lookup.unknown_topic {
            let topics: Vec<&str> = self
                .resources
                .topics
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            blocks.push(Block::Text {
                text: format!(
                    "I don't know the topic \u{201C}{}\u{201D}; topics are: {}. Here are all the lines I have for this region.",
                    crate::render::escape(unknown),
                    topics.join(", ")
                ),
            });
        }
        blocks.push(Block::Text {
            text: format!(
                "Support lines for {}{} (emergency: {}):",
                lookup.region.name,
                lookup
                    .topic
                    .map(|t| format!(", {}", t.name))
                    .unwrap_or_default(),
                lookup.region.emergency
            ),
        });
        let mut lines: Vec<LineEntry> = lookup.lines.iter().map(|l| crisis::entry(l)).collect();
        lines.extend(
            server_lines
                .iter()
                .filter(|l| l.region == lookup.region.code)
                .filter(|l| lookup.topic.is_none_or(|t| l.topics.contains(&t.name)))
                .map(crisis::entry),
        );
        blocks.push(Block::Lines { lines });
        Reply::new(
            Kind::Resources,
            blocks,
            self.disclaimer(&lookup.region.code),
        )
    }

    /// A passage of the shipped library shown whole, with its citation.
    pub fn source(&self, passage_id: &str, region: &str) -> Reply {
        self.source_in(&self.shelf, passage_id, region)
    }

    /// A passage of a library shown whole, with its citation (`/source`).
    pub fn source_in(&self, shelf: &Shelf, passage_id: &str, region: &str) -> Reply {
        let library = &shelf.library;
        let disclaimer = self.disclaimer(region);
        let Some((_, passage)) = library.passage_by_id(passage_id.trim()) else {
            return Reply::text(
                Kind::Notice,
                "I can't find that passage. Use the id shown under an answer (like `document#section`).",
                disclaimer,
            );
        };
        let doc = library.document_of(passage);
        let whole = Excerpt {
            passage_id: passage.id.clone(),
            doc_id: doc.id.clone(),
            quote: library.passage_text(passage).to_string(),
            offset: passage.range.start,
            cut: false,
            highlights: Vec::new(),
            citation: answer::citation(library, passage),
            score: 0.0,
            passage_text: library.passage_text(passage).to_string(),
            content_note: None,
        };
        Reply::new(
            Kind::Source,
            vec![Block::Excerpts {
                label: None,
                excerpts: vec![whole],
            }],
            disclaimer,
        )
    }

    /// Step `step` of grounding exercise `exercise`, and whether another follows (`/ground`).
    pub fn ground(&self, exercise: usize, step: usize, region: &str) -> Option<(Reply, bool)> {
        self.grounding.step(exercise, step, self.disclaimer(region))
    }

    /// A short notice (confirmations, cooldowns, errors) with the disclaimer.
    pub fn notice(&self, kind: Kind, text: impl Into<String>, region: &str) -> Reply {
        Reply::text(kind, text, self.disclaimer(region))
    }
}
