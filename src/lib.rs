//! Lantern: answers questions in peer-support Discord servers with short, cited, verbatim quotes
//! from the server's library of articles, and the support-line disclaimer on every reply.
//!
//! Data flows one way: text in → safety screen → retrieval → reply composition → rendering →
//! transport. Modules in reading order:

/// Problems in files people write, named by file and line.
pub mod problem;
/// Words, normalisation and stemming shared by every part that reads text.
pub mod text;
/// Sentence boundaries in article prose.
pub mod sentence;
/// Documents and passages of the library.
pub mod corpus;
/// Synonym and acronym groups.
pub mod synonyms;
/// Typo correction over the library's terms.
pub mod spelling;
/// Question text to weighted concepts.
pub mod query;
/// The tantivy index and BM25F scoring (the only tantivy user).
pub mod index;
/// `lantern.toml`.
pub mod config;
/// The safety screen (the only maker of a searchable `Question`).
pub mod safety;
/// Support lines by region and topic, and the disclaimer.
pub mod resources;
/// Ranked, reranked and gated passages for a question.
pub mod retrieval;
/// The reply value.
pub mod reply;
/// Verbatim quotes and library replies.
pub mod answer;
/// The crisis reply.
pub mod crisis;
/// Replies as Discord messages and terminal text.
pub mod render;
/// The engine: one API for the CLI and Discord.
pub mod engine;
/// Evaluation: development cases and BEIR runs.
pub mod eval;
/// Persistent per-server state: SQLite behind the `Store` trait (the only SQL user).
pub mod store;
/// The Discord layer (the only serenity/poise user).
pub mod discord;
/// The command line.
pub mod cli;
