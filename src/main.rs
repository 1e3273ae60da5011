//! The `lantern` binary: parse arguments, run, report errors with their causes.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: less allocator time and a flatter resident set under many concurrent requests than
// glibc's per-thread arenas (measured with `cargo bench --bench discord_load`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = lantern::cli::Cli::parse();
    match lantern::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lantern: {e:#}");
            ExitCode::from(2)
        }
    }
}
