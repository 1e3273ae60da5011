//! The Discord layer (serenity 0.12 + poise 0.7), the only code that knows Discord: commands and
//! events parse what arrived, call the engine, and send the reply with nobody pinged. `serve`
//! takes its shutdown as a future, so tests start and stop the bot against a loopback stand-in.

pub mod commands;
pub mod deliver;
pub mod events;
pub mod gate;
pub mod ground;
pub mod library;
pub mod limits;
pub mod moderation;
pub mod question;
pub mod recorder;
pub mod send;
pub mod settings;
pub mod state;
pub mod talk;
pub mod watch;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;

use crate::config::{DiscordSettings, Registration};
use crate::engine::{Config, Engine};
use crate::store::Store;
use crate::store::any::AnyStore;

pub use state::Data;

/// How `serve` connects.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The bot token.
    pub token: String,
    /// Command registration and the REST proxy.
    pub discord: DiscordSettings,
    /// The configuration folder (re-read by `library reload`).
    pub config_dir: PathBuf,
}

/// Every command Lantern registers.
pub fn commands() -> Vec<poise::Command<Data, state::Error>> {
    let mut all = vec![
        commands::ask(),
        commands::resources(),
        commands::source(),
        commands::about(),
        commands::help(),
        ground::ground(),
        talk::talk(),
        watch::optout(),
        commands::forgetme(),
    ];
    all.extend(moderation::commands());
    all
}

/// Runs the bot until `shutdown` completes (or the connection ends for good), then disconnects
/// and flushes the store.
pub async fn serve(
    engine: Engine,
    store: impl Into<AnyStore>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    // One HTTP client (one connection pool) for serenity and for Lantern's own sends.
    let client = deliver::Courier::client();
    let mut http = serenity::HttpBuilder::new(&options.token).client(client.clone());
    if !options.discord.http_proxy.is_empty() {
        // serenity ignores the proxy while its own rate limiter is on (serenity#1739); the proxy
        // is then responsible for rate limits, as shared rate-limit proxies are.
        http = http
            .proxy(options.discord.http_proxy.clone())
            .ratelimiter_disabled(true);
    }
    let http = http.build();
    let engine = std::sync::Arc::new(engine);
    let warming = engine.clone();
    tokio::task::spawn_blocking(move || warming.warm());
    let store: AnyStore = store.into();
    let purge_store = store.clone();
    let (recorder, recording) = recorder::recorder(store.clone());
    let mut data = Data::new(
        engine,
        store,
        options.config_dir.clone(),
        recorder,
        deliver::Courier::new(client),
    );
    data.operator_guild = options.discord.operator_guild;
    data.crisis_watch = options.discord.crisis_watch;
    // Other processes on a shared store: their changes reach this one's caches at once.
    let listening = match data.store.changes().await {
        Ok(Some(mut changes)) => {
            let invalidator = data.invalidator();
            Some(tokio::spawn(async move {
                while let Some(changed) = changes.recv().await {
                    invalidator.changed(changed);
                }
            }))
        }
        Ok(None) => None,
        Err(e) => anyhow::bail!("listening for changes in the store: {e}"),
    };
    let registration = options.discord.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            on_error: |error| Box::pin(events::on_error(error)),
            // Mentions are questions, handled in `events`; poise's mention prefix would log the
            // text of every mention it cannot match to a command.
            prefix_options: poise::PrefixFrameworkOptions {
                mention_as_prefix: false,
                ..Default::default()
            },
            event_handler: |fctx, event| Box::pin(events::handle(fctx, event)),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                match registration.register {
                    Registration::Global => poise::builtins::register_globally(ctx, commands).await?,
                    Registration::Guilds => {
                        for &g in &registration.test_guilds {
                            poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(g)).await?;
                        }
                    }
                }
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                Ok(data)
            })
        })
        .build();
    let mut intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES;
    if options.discord.crisis_watch {
        // Privileged: the bot's owner also switches it on in the Developer Portal.
        intents |= serenity::GatewayIntents::MESSAGE_CONTENT;
    }
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(gate::Gated(framework))
        .await
        .context("creating the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    let shards = options
        .discord
        .shard_range()
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut running = tokio::spawn(async move {
        match shards {
            // serenity 0.12 reads the range's end as the last shard to start (inclusive:
            // `start_connection` starts `end - start + 1`), so the exclusive range is passed
            // one short; passing it whole would start a shard another process runs.
            Some((range, total)) => {
                client
                    .start_shard_range(range.start..range.end - 1, total)
                    .await
            }
            None => client.start().await,
        }
    });
    let purging = tokio::spawn(purge_periodically(purge_store));
    let ended = tokio::select! {
        ended = &mut running => Some(ended),
        () = shutdown => {
            tracing::info!("shutting down");
            shard_manager.shutdown_all().await;
            None
        }
    };
    purging.abort();
    if let Some(l) = listening {
        l.abort();
    }
    let ended = match ended {
        Some(ended) => ended,
        None => tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap_or(Ok(Ok(()))),
    };
    // The client (and with it every sender) is gone: the recorder writes what is queued, then ends.
    if tokio::time::timeout(Duration::from_secs(10), recording)
        .await
        .is_err()
    {
        tracing::warn!("some counted questions were still being written at shutdown");
    }
    let watch = options.discord.crisis_watch;
    ended
        .context("the Discord client task failed")?
        .map_err(|e| {
            // Discord closes the connection (4014) when an intent asked for is not switched on.
            let hint = if watch && e.to_string().to_lowercase().contains("intent") {
                " ([discord] crisis_watch asks for the Message Content intent: switch it on in the Developer Portal, Bot, Privileged Gateway Intents, or set crisis_watch = false)"
            } else {
                ""
            };
            anyhow::anyhow!("the Discord connection ended: {e}{hint}")
        })?;
    Ok(())
}

/// Deletes logged questions past each server's retention period, at start and hourly.
async fn purge_periodically(store: AnyStore) {
    loop {
        match store.purge_expired(crate::store::unix_now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired logged questions deleted"),
            Err(e) => tracing::error!("purging expired questions failed: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// The token from `DISCORD_TOKEN`, or from the git-ignored secrets file (`token = "..."`).
pub fn token(discord: &DiscordSettings) -> anyhow::Result<Option<String>> {
    if let Ok(t) = std::env::var("DISCORD_TOKEN")
        && !t.trim().is_empty()
    {
        return Ok(Some(t.trim().to_string()));
    }
    let path = &discord.token_file;
    if !path.exists() {
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    struct Secrets {
        token: String,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let secrets: Secrets = toml::from_str(&text)
        .with_context(|| format!("{}: expected token = \"...\"", path.display()))?;
    Ok(Some(secrets.token.trim().to_string()).filter(|t| !t.is_empty()))
}

/// Libraries whose output can hold message text (request bodies, gateway payloads): they log at
/// `warn` at most, whatever level is asked for. Even `info` is too much: serenity opens an
/// `info` span for every REST request whose fields hold the request body, formatted byte by byte
/// (a sixth of the bot's CPU in a burst, and reply text in any line logged inside it). Lantern's
/// own logs name ids, kinds and lengths, never members' words.
pub const QUIET_LIBRARIES: [&str; 9] = [
    "serenity",
    "poise",
    "reqwest",
    "hyper",
    "hyper_util",
    "h2",
    "tungstenite",
    "tokio_tungstenite",
    "sqlx",
];

/// The log filter for a level (`RUST_LOG` wins when set), with [`QUIET_LIBRARIES`] capped at
/// `warn`.
pub fn log_filter(level: &str, rust_log: Option<String>) -> tracing_subscriber::EnvFilter {
    let requested = rust_log
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| level.to_string());
    let mut directives = requested;
    for lib in QUIET_LIBRARIES {
        directives.push_str(&format!(",{lib}=warn"));
    }
    tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

fn init_logging(level: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter(level, std::env::var("RUST_LOG").ok()))
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// `lantern serve`: loads everything, connects, and runs until Ctrl-C or SIGTERM.
pub fn serve_from_cli(
    config_dir: &Path,
    http_proxy: Option<String>,
    shards: Option<(String, u32)>,
) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_dir).map_err(|ps| anyhow::anyhow!("{ps}"))?;
    init_logging(&config.settings.log.level);
    let mut discord = config.settings.discord.clone();
    if let Some(proxy) = http_proxy {
        discord.http_proxy = proxy;
    }
    if let Some((range, total)) = shards {
        discord.shards = range;
        discord.total_shards = total;
    }
    if let Err(e) = discord.shard_range() {
        eprintln!("lantern serve: {e}");
        return Ok(ExitCode::from(2));
    }
    let Some(token) = token(&discord)? else {
        eprintln!(
            "lantern serve: no Discord token. Set DISCORD_TOKEN, or put token = \"...\" in {} (git-ignored).",
            discord.token_file.display()
        );
        return Ok(ExitCode::from(2));
    };
    let store_settings = config.settings.store.clone();
    let engine = Engine::load(config_dir, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = AnyStore::open(&store_settings)
            .await
            .with_context(|| format!("opening the store {}", store_settings.describe()))?;
        let options = ServeOptions {
            token,
            discord,
            config_dir: config_dir.to_path_buf(),
        };
        serve(engine, store, options, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}
