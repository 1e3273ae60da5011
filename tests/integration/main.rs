//! Lantern's integration tests: one binary, one module per area.

mod burst;
mod cli;
mod common;
mod discord;
mod fuzz;
mod invariants;
mod learned;
mod peer;
mod pg;
mod libraries;
mod library;
mod safety;
mod shards;
mod standin;
mod store_contract;
mod talk;
mod watch;
