//! Moderator commands, `/lantern ...`: visible by default only to members with Manage Server
//! (`default_member_permissions`), and checked again when run ([`is_moderator`]): Manage Server,
//! Administrator, or the server's moderator role. Every action is written to the audit log.

use poise::serenity_prelude as serenity;

use crate::render::escape;
use crate::reply::Kind;
use crate::store::{AuditEntry, ServerLine, Store};

use super::library::library;
use super::send;
use crate::store::unix_now;
use poise::ChoiceParameter as _;

use super::settings::{self, Setting};
use super::state::{Ctx, Data, Error};

/// Whether the member running the command may moderate: the interaction's resolved permissions
/// include Manage Server or Administrator, or they hold the server's moderator role. Whatever
/// Discord shows or hides, this runs for every `/lantern` command.
pub async fn is_moderator(ctx: Ctx<'_>) -> Result<bool, Error> {
    let Some(guild) = ctx.guild_id() else {
        return Ok(false);
    };
    let Some(member) = ctx.author_member().await else {
        return Ok(false);
    };
    let allowed = member.permissions.is_some_and(|p| {
        p.contains(serenity::Permissions::MANAGE_GUILD)
            || p.contains(serenity::Permissions::ADMINISTRATOR)
    });
    if allowed {
        return Ok(true);
    }
    let settings = ctx.data().settings(Some(guild.get())).await;
    Ok(settings
        .moderator_role
        .is_some_and(|role| member.roles.iter().any(|r| r.get() == role)))
}

/// Moderator commands for this server.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    check = "is_moderator",
    subcommands("config", "lines", "library", "stats", "pause", "resume"),
    subcommand_required
)]
pub async fn lantern(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

pub(super) fn guild_of(ctx: Ctx<'_>) -> u64 {
    ctx.guild_id().map_or(0, |g| g.get())
}

/// Replies to the moderator (ephemeral) with the disclaimer, like every message.
pub(super) async fn tell(ctx: Ctx<'_>, text: impl Into<String>) -> Result<(), Error> {
    let data = ctx.data();
    let (engine, region) = data
        .engine_and_region(ctx.guild_id().map(|g| g.get()))
        .await;
    send::respond(ctx, &engine.notice(Kind::Notice, text, &region), true, None).await
}

pub(super) async fn audit(ctx: Ctx<'_>, action: &str, detail: impl Into<String>) {
    let entry = AuditEntry {
        actor: ctx.author().id.get(),
        action: action.to_string(),
        detail: detail.into(),
        at: unix_now(),
    };
    let guild = guild_of(ctx);
    if let Err(e) = ctx.data().store.audit(guild, &entry).await {
        tracing::error!(guild, action, "audit log write failed: {e}");
    }
}

/// Show or change this server's settings.
#[poise::command(
    slash_command,
    subcommands("config_show", "config_set"),
    subcommand_required
)]
pub async fn config(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show this server's settings.
#[poise::command(slash_command, rename = "show")]
pub async fn config_show(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let settings = data.settings(Some(guild_of(ctx))).await;
    let default_region = data.engine().settings.default_region.clone();
    audit(ctx, "config show", "").await;
    tell(
        ctx,
        format!(
            "Settings for this server:\n{}",
            settings::describe(&settings, &default_region)
        ),
    )
    .await
}

/// Change one setting.
#[poise::command(slash_command, rename = "set")]
pub async fn config_set(
    ctx: Ctx<'_>,
    #[description = "Which setting"] setting: Setting,
    #[description = "New value (on/off, a number, #channels, a region, or none)"]
    #[max_length = 500]
    value: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let engine = data.engine();
    if setting == Setting::ShippedArticles {
        // Back on: none of the server's own ids may be a shipped article's.
        let own = data.store.documents(guild).await?;
        let clashes = crate::libraries::clashes_with_shipped(&engine.shelf.library, &own);
        if let Some(id) = clashes.first()
            && settings::parse_switch(&value) == Ok(true)
        {
            return tell(
                ctx,
                format!(
                    "Not changed: this server's document `{id}` has the id of a shipped article. Remove it (or add it under another id) first."
                ),
            )
            .await;
        }
    }
    if setting == Setting::SupporterRole && value.contains(&guild.to_string()) {
        return tell(
            ctx,
            "Not changed: that is the @everyone role. Choose a role for the people who support members.",
        )
        .await;
    }
    let changed = data
        .update_settings(guild, |s| {
            settings::apply(s, setting, &value, &engine.resources)
        })
        .await?;
    match changed {
        Ok(done) => {
            if setting == Setting::ShippedArticles {
                data.library_changed(guild);
            }
            let done = if setting == Setting::WatchChannels && !data.crisis_watch {
                format!(
                    "{done}\nNote: this bot's owner has not turned crisis watch on (`[discord] crisis_watch` and Discord's Message Content intent), so nothing is read until they do."
                )
            } else {
                done
            };
            audit(
                ctx,
                "config set",
                format!("{} = {}", setting.name(), value.trim()),
            )
            .await;
            tell(ctx, done).await
        }
        Err(why) => {
            tell(
                ctx,
                format!("Not changed: {} {}.", setting.name(), escape(&why)),
            )
            .await
        }
    }
}

/// Server-specific support lines, shown with the built-in ones.
#[poise::command(
    slash_command,
    rename = "resources",
    subcommands("lines_add", "lines_remove", "lines_list"),
    subcommand_required
)]
pub async fn lines(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add a support line for this server.
#[poise::command(slash_command, rename = "add")]
#[allow(clippy::too_many_arguments)]
pub async fn lines_add(
    ctx: Ctx<'_>,
    #[description = "Region (us, uk, ca, au, ie, intl, ...)"]
    #[max_length = 60]
    region: String,
    #[description = "Name of the service"]
    #[max_length = 100]
    name: String,
    #[description = "How to reach it (number, text, website)"]
    #[max_length = 200]
    contact: String,
    #[description = "Hours (default: check)"]
    #[max_length = 100]
    hours: Option<String>,
    #[description = "Topics, comma-separated (crisis, addiction, ...)"]
    #[max_length = 200]
    topics: Option<String>,
    #[description = "What it is for"]
    #[max_length = 300]
    purpose: Option<String>,
) -> Result<(), Error> {
    let data = ctx.data();
    let engine = data.engine();
    let Some(found) = engine.resources.region(&region) else {
        return tell(
            ctx,
            format!(
                "Not added: unknown region \u{201C}{}\u{201D}.",
                escape(region.trim())
            ),
        )
        .await;
    };
    let mut topic_names = Vec::new();
    for t in topics
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match engine.resources.topic(t) {
            Some(topic) => topic_names.push(topic.name.clone()),
            None => {
                return tell(
                    ctx,
                    format!("Not added: unknown topic \u{201C}{}\u{201D}.", escape(t)),
                )
                .await;
            }
        }
    }
    let line = ServerLine {
        id: 0,
        region: found.code.clone(),
        name: name.trim().to_string(),
        contact: contact.trim().to_string(),
        hours: hours.map_or_else(|| "check".to_string(), |h| h.trim().to_string()),
        topics: topic_names,
        purpose: purpose.map(|p| p.trim().to_string()).unwrap_or_default(),
        added_by: ctx.author().id.get(),
        added_at: unix_now(),
    };
    let id = data.store.add_line(guild_of(ctx), &line).await?;
    audit(
        ctx,
        "resources add",
        format!("#{id} {} ({})", line.name, line.region),
    )
    .await;
    tell(
        ctx,
        format!("Added line #{id}: {} ({}).", escape(&line.name), found.name),
    )
    .await
}

/// Remove one of this server's support lines.
#[poise::command(slash_command, rename = "remove")]
pub async fn lines_remove(
    ctx: Ctx<'_>,
    #[description = "The line's number (from /lantern resources list)"] id: i64,
) -> Result<(), Error> {
    let removed = ctx.data().store.remove_line(guild_of(ctx), id).await?;
    if removed {
        audit(ctx, "resources remove", format!("#{id}")).await;
        tell(ctx, format!("Removed line #{id}.")).await
    } else {
        tell(ctx, format!("This server has no line #{id}.")).await
    }
}

/// List built-in lines for this server's region (with "check" flags) and this server's lines.
#[poise::command(slash_command, rename = "list")]
pub async fn lines_list(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let (engine, region) = data.engine_and_region(Some(guild)).await;
    let region = engine.resources.region_or_international(&region);
    let mut text = format!("Built-in lines for {} ({}):", region.name, region.code);
    for l in engine.resources.lines(&region.code, None) {
        text.push_str(&format!(
            "\n\u{2022} {}: {} \u{2014} source {}, checked {}{}",
            l.name,
            l.contact(),
            l.source,
            l.checked,
            if l.check {
                " \u{2014} CHECK: secondary or dated source, re-check before relying on it"
            } else {
                ""
            }
        ));
    }
    let own = data.store.lines(guild).await?;
    text.push_str("\n\nThis server's lines:");
    if own.is_empty() {
        text.push_str(" none (add one with /lantern resources add).");
    }
    for l in own {
        text.push_str(&format!(
            "\n\u{2022} #{} {} ({}): {} ({})",
            l.id,
            escape(&l.name),
            l.region,
            escape(&l.contact),
            escape(&l.hours)
        ));
    }
    audit(ctx, "resources list", "").await;
    tell(ctx, text).await
}

/// This server's figures: questions, answers, crisis replies, feedback, unanswered questions.
#[poise::command(slash_command)]
pub async fn stats(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let s = data.store.stats(guild).await?;
    let settings = data.settings(Some(guild)).await;
    let text = settings::describe_stats(&s, settings.logging);
    audit(ctx, "stats", "").await;
    tell(ctx, text).await
}

/// Pause Lantern in this channel (crisis replies still go out).
#[poise::command(slash_command)]
pub async fn pause(ctx: Ctx<'_>) -> Result<(), Error> {
    set_paused(ctx, true).await
}

/// Resume Lantern in this channel.
#[poise::command(slash_command)]
pub async fn resume(ctx: Ctx<'_>) -> Result<(), Error> {
    set_paused(ctx, false).await
}

async fn set_paused(ctx: Ctx<'_>, paused: bool) -> Result<(), Error> {
    let data = ctx.data();
    let guild = guild_of(ctx);
    let channel = ctx.channel_id().get();
    let _ = data
        .update_settings(guild, |s| {
            s.paused_channels.retain(|&c| c != channel);
            if paused {
                s.paused_channels.push(channel);
            }
            Ok(String::new())
        })
        .await?;
    audit(
        ctx,
        if paused { "pause" } else { "resume" },
        format!("<#{channel}>"),
    )
    .await;
    tell(
        ctx,
        if paused {
            "Paused in this channel. Crisis replies still go out; /lantern resume to undo."
        } else {
            "Resumed in this channel."
        },
    )
    .await
}

/// The commands, for registration.
pub fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![lantern()]
}
