//! Lantern: answers questions in peer-support Discord servers with short, cited, verbatim quotes
//! from the server's library of articles, and the support-line disclaimer on every reply.
//!
//! Data flows one way: text in → safety screen → retrieval → reply composition → rendering →
//! transport. The modules, in reading order:
//!
//! - [`problem`] — problems in files people write, named by file and line.
//! - [`text`] — words, normalisation and stemming shared by every part that reads text.
//! - [`sentence`] — sentence boundaries in article prose.
//! - [`corpus`] — documents and passages of the library.
//! - [`synonyms`] — synonym and acronym groups.
//! - [`spelling`] — typo correction over the library's terms.
//! - [`focus`] — which parts of a message ask the question.
//! - [`query`] — question text to weighted concepts.
//! - [`index`] — the tantivy index and BM25F scoring (the only tantivy user).
//! - [`config`] — `lantern.toml`.
//! - [`safety`] — the safety screen (the only maker of a searchable question).
//! - [`resources`] — support lines by region and topic, and the disclaimer.
//! - [`retrieval`] — ranked, reranked and gated passages for a question.
//! - [`reply`] — the reply value.
//! - [`answer`] — verbatim quotes and library replies.
//! - [`crisis`] — the crisis reply.
//! - [`render`] — replies as Discord messages (and the one escape for echoed text).
//! - [`plain`] — replies as plain terminal text for the command line.
//! - [`engine`] — the engine, one API for the command line and Discord.
//! - [`eval`] — evaluation, development cases and BEIR runs.
//! - [`store`] — persistent per-server state, SQLite behind a trait (the only SQL user).
//! - [`discord`] — the Discord layer (the only serenity/poise user).
//! - [`cli`] — the command line.

pub mod problem;
pub mod text;
pub mod sentence;
pub mod corpus;
pub mod synonyms;
pub mod spelling;
pub mod focus;
pub mod query;
pub mod index;
pub mod config;
pub mod safety;
pub mod resources;
pub mod retrieval;
pub mod reply;
pub mod answer;
pub mod crisis;
pub mod grounding;
pub mod render;
pub mod plain;
pub mod engine;
pub mod libraries;
pub mod eval;
pub mod store;
pub mod discord;
pub mod cli;
