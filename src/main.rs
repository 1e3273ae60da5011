//! The `lantern` binary: parse arguments, run, report errors with their causes.

use std::process::ExitCode;

use clap::Parser;

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
