//! Evaluation commands: the development cases for the shipped library, and BEIR-format
//! retrieval benchmarks, with metrics computed as trec_eval computes them.

pub mod answerable;
pub mod beir;
pub mod cases;
pub mod metrics;
pub mod train;
