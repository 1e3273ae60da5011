//! The `lantern` binary: parse arguments, run, report errors with their causes.

use std::process::ExitCode;

use clap::Parser;

// jemalloc: under a burst of questions glibc's allocator spent much of the bot's time on lock
// contention between threads (cargo bench --bench discord_load: p99 about 80-115 ms with glibc,
// 65-90 ms with jemalloc; peak memory 60-70 MB and 75-85 MB; mimalloc went past 100 MB).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// One arena instead of jemalloc's default of four per core: the bot's allocations are small and
// short-lived, and every extra arena keeps its own dirty pages. In `cargo bench --bench
// discord_load` peak RSS went from 64-66 MB to 60-62 MB with the burst's p99 unchanged (84-124 ms
// either way on this noisy 2-core machine). jemalloc reads this C string before `main`; the
// `MALLOC_CONF` environment variable (prefixed `_RJEM_`) still overrides it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: &[u8; 10] = b"narenas:1\0";

fn main() -> ExitCode {
    let cli = lantern::cli::Cli::parse();
    match lantern::cli::run(cli) {
        Ok(code) => code,
        // The reader went away (`lantern screen ... | head`): nothing left to say.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lantern: {e:#}");
            ExitCode::from(2)
        }
    }
}
