//! `lantern library add|list|remove|export --server ID` on the store, and the library a server's
//! questions are answered from for `lantern ask --server ID`: the operator's command line for
//! servers' own libraries (moderators use `/lantern library` in Discord).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;

use crate::engine::{Engine, Shelf};
use crate::libraries::{self, Added, Meta};
use crate::store::any::AnyStore;
use crate::store::{GuildId, Store, unix_now};

/// `lantern library` actions.
#[derive(Debug, Subcommand)]
pub enum LibraryAction {
    /// Add a file (.md with front matter, .txt, or a .jsonl FAQ) to a server's library.
    Add {
        /// The server (guild) id.
        #[arg(long)]
        server: GuildId,
        /// The file.
        file: PathBuf,
        /// Title (plain-text files).
        #[arg(long)]
        title: Option<String>,
        /// Author (plain-text files).
        #[arg(long)]
        author: Option<String>,
        /// Publisher or organisation (plain-text files).
        #[arg(long)]
        publisher: Option<String>,
        /// Date, YYYY-MM-DD (plain-text files).
        #[arg(long)]
        date: Option<String>,
    },
    /// List a server's own documents.
    List {
        /// The server (guild) id.
        #[arg(long)]
        server: GuildId,
    },
    /// Remove one of a server's own documents.
    Remove {
        /// The server (guild) id.
        #[arg(long)]
        server: GuildId,
        /// The document's id.
        id: String,
    },
    /// Print a server's own documents as JSONL (what `add` reads back).
    Export {
        /// The server (guild) id.
        #[arg(long)]
        server: GuildId,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(engine: &Engine) -> anyhow::Result<AnyStore> {
    let settings = &engine.settings.store;
    AnyStore::open(settings)
        .await
        .with_context(|| format!("opening the store {}", settings.describe()))
}

/// The library a server's questions are answered from (its own documents and, unless it turned
/// them off, the shipped articles), read from the store.
pub fn server_shelf(engine: &Engine, server: GuildId) -> anyhow::Result<Arc<Shelf>> {
    runtime()?.block_on(async {
        let store = open(engine).await?;
        let (version, own) = store.library(server).await?;
        let settings = store.settings(server).await?;
        libraries::server_shelf(engine, &own, version, settings.shipped_articles)
            .map_err(|e| anyhow::anyhow!("the server's library has problems:\n{e}"))
    })
}

/// Runs a `lantern library` action.
pub fn run(engine: &Engine, action: LibraryAction) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(engine).await?;
        match action {
            LibraryAction::Add {
                server,
                file,
                title,
                author,
                publisher,
                date,
            } => {
                let meta = Meta {
                    title,
                    author,
                    publisher,
                    date,
                };
                add(engine, &store, server, &file, &meta).await
            }
            LibraryAction::List { server } => {
                let own = store.documents(server).await?;
                let settings = store.settings(server).await?;
                println!(
                    "server {server}: {} documents of its own; shipped articles {}",
                    own.len(),
                    if settings.shipped_articles {
                        "in"
                    } else {
                        "off"
                    }
                );
                for d in &own {
                    println!(
                        "  {} ({} passages, added by {} at {}): {}",
                        d.doc_id,
                        d.passages,
                        d.added_by,
                        d.added_at,
                        d.title.as_deref().unwrap_or("untitled")
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            LibraryAction::Remove { server, id } => {
                if store.remove_document(server, &id).await?.is_some() {
                    println!("removed {id}");
                    Ok(ExitCode::SUCCESS)
                } else {
                    eprintln!("lantern: server {server} has no document {id:?} of its own");
                    Ok(ExitCode::FAILURE)
                }
            }
            LibraryAction::Export { server } => {
                print!("{}", libraries::export(&store.documents(server).await?));
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn add(
    engine: &Engine,
    store: &AnyStore,
    server: GuildId,
    file: &Path,
    meta: &Meta,
) -> anyhow::Result<ExitCode> {
    let limits = &engine.settings.libraries;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let added = Added {
        by: 0,
        at: unix_now(),
    };
    let chunking = engine.retrieval.chunking;
    let documents =
        match libraries::read_upload(name, &bytes, meta, limits.max_file_bytes, added, chunking) {
            Ok(d) => d,
            Err(problems) => {
                eprintln!("{problems}\nnothing was added");
                return Ok(ExitCode::FAILURE);
            }
        };
    let settings = store.settings(server).await?;
    let clashes = libraries::clashes_with_shipped(&engine.shelf.library, &documents);
    if settings.shipped_articles && !clashes.is_empty() {
        eprintln!(
            "lantern: a shipped article already has the id {:?}; nothing was added",
            clashes[0]
        );
        return Ok(ExitCode::FAILURE);
    }
    let limits = limits.limits();
    match store.add_documents(server, &documents, limits).await? {
        Ok(version) => {
            for d in &documents {
                println!("added {} ({} passages)", d.doc_id, d.passages);
            }
            println!("server {server}: library version {version}");
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("lantern: {why} Nothing was added.");
            Ok(ExitCode::FAILURE)
        }
    }
}
