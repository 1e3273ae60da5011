//! Lantern: answers questions in peer-support Discord servers with short, cited, verbatim quotes
//! from the server's library of articles, and the support-line disclaimer on every reply.
//!
//! Modules in reading order (data flows one way: text in → safety screen → retrieval → reply
//! composition → rendering → transport):

pub mod answer;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod crisis;
pub mod discord;
pub mod engine;
pub mod eval;
pub mod index;
pub mod problem;
pub mod query;
pub mod render;
pub mod reply;
pub mod resources;
pub mod retrieval;
pub mod safety;
pub mod sentence;
pub mod spelling;
pub mod store;
pub mod synonyms;
pub mod text;
