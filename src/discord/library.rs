//! `/lantern library ...`: a server's own library, curated by its moderators. A file attached to
//! `add` is fetched from Discord (and nowhere else), read by the same parsers as the shipped
//! library, and stored whole or not at all; every change raises the library's version, so the
//! next question builds it afresh. Reloading the shipped library is the operator's action.

use poise::serenity_prelude as serenity;

use crate::engine::Engine;
use crate::libraries::{self, Added, Meta};
use crate::render::escape;
use crate::reply::Kind;
use crate::store::{Store, StoredDocument, unix_now};

use super::moderation::{audit, guild_of, tell};
use super::send;
use super::state::{Ctx, Error};

/// This server's library: its own documents, and the shipped articles unless turned off.
#[poise::command(
    slash_command,
    subcommands(
        "library_add",
        "library_remove",
        "library_list",
        "library_show",
        "library_export",
        "library_reload"
    ),
    subcommand_required
)]
pub async fn library(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// A day as YYYY-MM-DD (UTC) from Unix seconds.
fn day(at: i64) -> String {
    // Howard Hinnant's civil-from-days.
    let z = at.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One document as `list` shows it.
fn describe(d: &StoredDocument) -> String {
    format!(
        "\u{2022} `{}` \u{2014} {} ({} passages; added by user {} on {})",
        d.doc_id,
        escape(d.title.as_deref().unwrap_or("untitled")),
        d.passages,
        d.added_by,
        day(d.added_at)
    )
}

/// Add a document to this server's library from an attached file.
#[poise::command(slash_command, rename = "add")]
#[allow(clippy::too_many_arguments)]
pub async fn library_add(
    ctx: Ctx<'_>,
    #[description = "Markdown with front matter (.md), plain text (.txt) or a JSONL FAQ (.jsonl)"]
    file: serenity::Attachment,
    #[description = "Title (plain-text files)"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "Author (plain-text files)"]
    #[max_length = 200]
    author: Option<String>,
    #[description = "Publisher or organisation (plain-text files)"]
    #[max_length = 200]
    publisher: Option<String>,
    #[description = "Date, YYYY-MM-DD (plain-text files)"]
    #[max_length = 10]
    date: Option<String>,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let engine = data.engine();
    let limits = &engine.settings.libraries;
    if file.size as usize > limits.max_file_bytes {
        return tell(
            ctx,
            format!(
                "Nothing was added: the file has {} bytes; a library file may have at most {}.",
                file.size, limits.max_file_bytes
            ),
        )
        .await;
    }
    ctx.defer_ephemeral().await?;
    let proxy = ctx.http().proxy.clone();
    let bytes = match data
        .courier
        .fetch_attachment(&file.url, proxy.as_deref(), limits.max_file_bytes)
        .await
    {
        Ok(b) => b,
        Err(why) => return tell(ctx, format!("Nothing was added: {why}.")).await,
    };
    let meta = Meta {
        title,
        author,
        publisher,
        date,
    };
    let added = Added {
        by: ctx.author().id.get(),
        at: unix_now(),
    };
    let read = libraries::read_upload(
        &file.filename,
        &bytes,
        &meta,
        limits.max_file_bytes,
        added,
        engine.retrieval.chunking,
    );
    let documents = match read {
        Ok(d) => d,
        Err(problems) => {
            let lines: Vec<String> = problems.to_string().lines().take(10).map(escape).collect();
            audit(
                ctx,
                "library add refused",
                format!("{} problems", problems.0.len()),
            )
            .await;
            return tell(
                ctx,
                format!(
                    "Nothing was added: the file has problems.\n{}",
                    lines.join("\n")
                ),
            )
            .await;
        }
    };
    let settings = data.settings(Some(guild)).await;
    let clashes = libraries::clashes_with_shipped(&engine.shelf.library, &documents);
    if settings.shipped_articles && !clashes.is_empty() {
        return tell(
            ctx,
            format!(
                "Nothing was added: a shipped article already has the id `{}`. Give the document another id.",
                clashes[0]
            ),
        )
        .await;
    }
    let limits = limits.limits();
    match data.store.add_documents(guild, &documents, limits).await? {
        Err(why) => tell(ctx, format!("Nothing was added: {}", escape(&why))).await,
        Ok(_version) => {
            data.library_changed(guild);
            let ids: Vec<&str> = documents.iter().map(|d| d.doc_id.as_str()).collect();
            let passages: u32 = documents.iter().map(|d| d.passages).sum();
            audit(ctx, "library add", ids.join(", ")).await;
            let shown: Vec<String> = ids
                .iter()
                .take(20)
                // Ids are validated (lowercase letters, digits, `-`, `_`): shown as typed back.
                .map(|id| format!("`{id}`"))
                .collect();
            tell(
                ctx,
                format!(
                    "Added {} document{} ({passages} passages) to this server's library: {}{}. Members' questions are answered from it now.",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" },
                    shown.join(", "),
                    if ids.len() > 20 { ", …" } else { "" }
                ),
            )
            .await
        }
    }
}

async fn complete_own(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let p = partial.trim().to_lowercase();
    let own = ctx
        .data()
        .store
        .documents(guild_of(ctx))
        .await
        .unwrap_or_default();
    let choices = own
        .iter()
        .filter(|d| d.doc_id.contains(&p))
        .take(25)
        .map(|d| serenity::AutocompleteChoice::new(d.doc_id.clone(), d.doc_id.clone()))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Remove one of this server's own documents.
#[poise::command(slash_command, rename = "remove")]
pub async fn library_remove(
    ctx: Ctx<'_>,
    #[description = "The document's id"]
    #[autocomplete = "complete_own"]
    #[max_length = 100]
    document: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let id = document.trim();
    match data.store.remove_document(guild, id).await? {
        Some(_) => {
            data.library_changed(guild);
            audit(ctx, "library remove", id).await;
            tell(ctx, format!("Removed `{}` from this server's library.", escape(id))).await
        }
        None => {
            tell(
                ctx,
                format!(
                    "This server's library has no document `{}` of its own (`/lantern library list` shows them).",
                    escape(id)
                ),
            )
            .await
        }
    }
}

/// List this server's library: its own documents, and whether the shipped articles are in it.
#[poise::command(slash_command, rename = "list")]
pub async fn library_list(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let engine = data.engine();
    let own = data.store.documents(guild).await?;
    let settings = data.settings(Some(guild)).await;
    let shipped = &engine.shelf.library;
    let mut text = if settings.shipped_articles {
        format!(
            "This server's library: the {} shipped articles ({} passages), and {} of its own:",
            shipped.documents.len(),
            shipped.passages.len(),
            own.len()
        )
    } else {
        format!(
            "This server's library: {} documents of its own (the shipped articles are off):",
            own.len()
        )
    };
    if own.is_empty() {
        text.push_str("\nnone yet \u{2014} `/lantern library add` with a file attached.");
    }
    for d in own.iter().take(40) {
        text.push('\n');
        text.push_str(&describe(d));
    }
    if own.len() > 40 {
        text.push_str(&format!("\n\u{2026} and {} more", own.len() - 40));
    }
    audit(ctx, "library list", "").await;
    tell(ctx, text).await
}

/// Show one of this server's documents: its details and its first passage.
#[poise::command(slash_command, rename = "show")]
pub async fn library_show(
    ctx: Ctx<'_>,
    #[description = "The document's id"]
    #[autocomplete = "complete_own"]
    #[max_length = 100]
    document: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let id = document.trim();
    let own = data.store.documents(guild).await?;
    let Some(stored) = own.iter().find(|d| d.doc_id == id) else {
        return tell(
            ctx,
            format!(
                "This server's library has no document `{}` of its own.",
                escape(id)
            ),
        )
        .await;
    };
    let engine = data.engine();
    let settings = data.settings(Some(guild)).await;
    let shelf = data.shelf(&engine, Some(guild), &settings).await;
    let by: Vec<String> = [&stored.author, &stored.publisher, &stored.date]
        .into_iter()
        .flatten()
        .map(|s| escape(s))
        .collect();
    let details = format!(
        "{}\n{}{} passages; added by user {} on {}.",
        describe(stored),
        if by.is_empty() {
            String::new()
        } else {
            format!("{}. ", by.join(", "))
        },
        stored.passages,
        stored.added_by,
        day(stored.added_at)
    );
    audit(ctx, "library show", id).await;
    tell(ctx, details).await?;
    let first = shelf
        .library
        .passages
        .iter()
        .find(|p| shelf.library.documents[p.doc].id == stored.doc_id)
        .map(|p| p.id.clone());
    let region = data.context(&engine, &settings).region;
    if let Some(first) = first {
        send::respond(ctx, &engine.source_in(&shelf, &first, &region), true, None).await?;
    }
    Ok(())
}

/// This server's own documents as one JSONL file, attached.
///
/// `library add` reads it back.
#[poise::command(slash_command, rename = "export")]
pub async fn library_export(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let own = data.store.documents(guild).await?;
    if own.is_empty() {
        return tell(
            ctx,
            "This server's library has no documents of its own to export.",
        )
        .await;
    }
    let engine = data.engine();
    let (_, region) = data.engine_and_region(Some(guild)).await;
    let note = engine.notice(
        Kind::Notice,
        format!("This server's {} documents, as JSONL.", own.len()),
        &region,
    );
    let content = crate::render::contents(&note).concat();
    let file = serenity::CreateAttachment::bytes(
        libraries::export(&own).into_bytes(),
        format!("library-{guild}.jsonl"),
    );
    audit(ctx, "library export", format!("{} documents", own.len())).await;
    ctx.send(
        poise::CreateReply::default()
            .content(content)
            .attachment(file)
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}

/// Re-read the shipped library for every server (the operator's server only).
///
/// A broken file keeps the old library.
#[poise::command(slash_command, rename = "reload")]
pub async fn library_reload(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let operator = data.operator_guild;
    if operator == 0 || guild_of(ctx) != operator {
        return tell(
            ctx,
            "Reloading the shipped library changes it for every server, so only the bot's operator can (from the operator's own server, or by restarting the bot). This server's own documents take effect as soon as they are added.",
        )
        .await;
    }
    let _one_at_a_time = data.reload.lock().await;
    ctx.defer_ephemeral().await?;
    let config_dir = data.config_dir.clone();
    let library = data.engine().library_path.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let engine = Engine::load(&config_dir, Some(&library))?;
        engine.warm();
        Ok::<Engine, crate::engine::LoadError>(engine)
    })
    .await?;
    match loaded {
        Ok(engine) => {
            let summary = format!(
                "Reloaded: {} documents, {} passages.",
                engine.shelf.library.documents.len(),
                engine.shelf.library.passages.len()
            );
            data.set_engine(engine);
            audit(ctx, "library reload", summary.clone()).await;
            tell(ctx, summary).await
        }
        Err(e) => {
            let problems: Vec<String> =
                e.to_string().lines().take(10).map(str::to_string).collect();
            audit(ctx, "library reload failed", problems.join("; ")).await;
            tell(
                ctx,
                format!(
                    "Not reloaded: the library or configuration has problems, so the current library stays in use.\n{}",
                    problems.join("\n")
                ),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_civil_dates() {
        assert_eq!(super::day(0), "1970-01-01");
        assert_eq!(super::day(951_782_400), "2000-02-29");
        assert_eq!(super::day(1_796_083_200), "2026-12-01");
        assert_eq!(super::day(-86_400), "1969-12-31");
    }
}
