//! The Discord layer (serenity + poise): the only code that knows Discord.

use std::path::Path;
use std::process::ExitCode;

/// `lantern serve`.
pub fn serve_from_cli(_config: &Path, _http_proxy: Option<String>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Discord bot is not built yet")
}
