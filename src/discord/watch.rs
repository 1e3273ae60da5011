//! Crisis watch: in the channels a server chose (`watch_channels`), where the bot's owner turned
//! on the message-content intent (`[discord] crisis_watch`), every message is screened; only an
//! emergency, a crisis or a concern gets anything. The member gets the reply privately (a direct
//! message) where Discord allows, else a short reply in the channel, and the moderators are
//! alerted as for any danger. Nothing else there is answered, and no message text is stored or
//! logged.
//!
//! A member who opted out (`/lantern-optout`) gets no watch replies and no alerts, with one
//! exception: an emergency (a possible overdose, someone not breathing) still gets the emergency
//! reply privately (never in the channel) and alerts the moderators, without the member's words,
//! so a person can check in.

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::http::Route;

use crate::crisis::Watched;
use crate::safety::{Crisis, Level, Screened};
use crate::store::{ServerSettings, Store};

use super::commands::{self, Asked};
use super::deliver::{SendError, Urgency};
use super::send::{self, Buttons};
use super::state::{Ctx, Data, Error, lock};

/// Whether crisis watch reads this message: a member's (not a bot's), in a server, in one of
/// its watched channels, not addressed to the bot (a mention is a question).
pub fn reads(settings: &ServerSettings, message: &serenity::Message, mentioned: bool) -> bool {
    !message.author.bot
        && !mentioned
        && message.guild_id.is_some()
        && settings.watch_channels.contains(&message.channel_id.get())
        && !message.content.trim().is_empty()
}

/// The tiers crisis watch answers.
fn answers(level: Level) -> bool {
    matches!(level, Level::Emergency | Level::Crisis | Level::Concern)
}

/// Screens a message in a watched channel and, for danger, replies and alerts.
pub async fn on_watched(
    http: &serenity::Http,
    data: &Data,
    message: &serenity::Message,
    settings: &ServerSettings,
) -> Result<(), Error> {
    let text = super::question::question_of(&message.content);
    let Screened::Crisis(crisis) = super::gate::screened(data, &text) else {
        return Ok(());
    };
    if !answers(crisis.level) {
        return Ok(());
    }
    let guild = message.guild_id.map_or(0, |g| g.get());
    let user = message.author.id.get();
    let asked = Asked {
        guild: Some(guild),
        channel: message.channel_id.get(),
        user,
        text,
    };
    let link = format!(
        "https://discord.com/channels/{guild}/{}/{}",
        asked.channel, message.id
    );
    let opted_out = match data.store.watch_opted_out(guild, user).await {
        Ok(out) => out,
        // Unknown: act as for a member who did not opt out (a missed danger costs more).
        Err(e) => {
            tracing::error!(guild, "reading crisis-watch opt-outs failed: {e}");
            false
        }
    };
    if opted_out {
        // Their wish holds, except for a medical emergency happening now: the emergency number,
        // privately only, and the moderators told.
        if crisis.level == Level::Emergency {
            let replied = reply(http, data, message, settings, &asked, &crisis, false).await;
            commands::alert(http, data, settings, &asked, (crisis.level, replied), link).await;
        }
        return Ok(());
    }
    let period = Duration::from_secs(settings.alert_period_secs.into());
    let severity = commands::severity(crisis.level);
    let fresh = lock(&data.limits).watch(guild, user, severity, period, Instant::now());
    if fresh {
        reply(http, data, message, settings, &asked, &crisis, true).await;
    }
    commands::alert(http, data, settings, &asked, (crisis.level, true), link).await;
    tracing::info!(guild, level = ?crisis.level, replied = fresh, "crisis watch read a danger");
    Ok(())
}

/// The reply: privately when a direct message gets through, else (where `public` allows) short
/// in the channel. Whether it was delivered.
async fn reply(
    http: &serenity::Http,
    data: &Data,
    message: &serenity::Message,
    settings: &ServerSettings,
    asked: &Asked,
    crisis: &Crisis,
    public: bool,
) -> bool {
    let engine = data.engine();
    let region = data.context(&engine, settings).region;
    let buttons = commands::support_buttons(&engine, settings, asked, Some(crisis.level));
    let private = engine.watch_reply(
        crisis,
        &region,
        Watched::Privately {
            channel: asked.channel,
        },
    );
    let sent = direct_message(http, data, asked.user, &private, buttons).await;
    let Err(e) = sent else {
        return true;
    };
    if !public {
        tracing::info!("crisis watch could not write privately ({e})");
        return false;
    }
    tracing::info!("crisis watch could not write privately ({e}); replying in the channel");
    let public = engine.watch_reply(crisis, &region, Watched::Publicly);
    let messages = crate::render::contents(&public);
    if let Err(e) = send::reply_to_message(
        http,
        &data.courier,
        message,
        &messages,
        buttons.some(),
        Urgency::Crisis,
    )
    .await
    {
        tracing::error!("crisis watch reply not delivered: {e}");
        return false;
    }
    true
}

/// Sends a reply as a direct message (members can close those to servers' bots: then `Err`).
async fn direct_message(
    http: &serenity::Http,
    data: &Data,
    user: u64,
    reply: &crate::reply::Reply,
    buttons: Buttons,
) -> Result<(), SendError> {
    let body = serde_json::json!({ "recipient_id": user.to_string() });
    let channel = data
        .courier
        .create(http, Route::UserMeDmChannels, &body, Urgency::Crisis)
        .await?;
    send::post_with_buttons(
        http,
        &data.courier,
        serenity::ChannelId::new(channel),
        &crate::render::contents(reply),
        buttons.some(),
        Urgency::Crisis,
    )
    .await
}

/// Crisis watch: stop (or start again) its replies to your messages in this server.
#[poise::command(slash_command, guild_only, rename = "lantern-optout")]
pub async fn optout(
    ctx: Ctx<'_>,
    #[description = "True to let crisis watch reply to you again"] undo: Option<bool>,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = ctx.guild_id().map_or(0, |g| g.get());
    let user = ctx.author().id.get();
    let out = !undo.unwrap_or(false);
    data.store
        .set_watch_opt_out(guild, user, out, crate::store::unix_now())
        .await?;
    let (engine, region) = data.engine_and_region(Some(guild)).await;
    let text = if out {
        "Done: crisis watch won't reply to your messages in this server or tell the moderators about them. One exception: if a message of yours reads like a medical emergency happening now (an overdose, someone not breathing), you still get the emergency number privately and the moderators are told (never your words), so a person can check. Asking Lantern (a mention or `/ask`) works as before, and `/lantern-optout undo:True` turns watch replies back on."
    } else {
        "Done: crisis watch may reply to you privately again if a message of yours in a watched channel sounds like you're struggling."
    };
    let reply = engine.notice(crate::reply::Kind::Notice, text, &region);
    send::respond(ctx, &reply, true, None).await
}
