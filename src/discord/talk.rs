//! "Talk to someone here" (`/talk`, and the button under question replies): a private thread in
//! the server's support channel with the member and the supporter role. The hand-off note is
//! the one message Lantern sends that may ping anyone, and it may ping only that role; it never
//! quotes the member, who writes what they choose in the thread. One thread per member per
//! `talk_period_minutes`, each in the audit log.

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::http::Route;

use crate::engine::Engine;
use crate::reply::{Kind, Reply};
use crate::store::{AuditEntry, ServerSettings, Store};

use super::deliver::{SendError, Urgency};
use super::send;
use super::state::{Ctx, Data, Error, lock};

/// The thread's name (a name shows in the channel list to those who can see the thread: it
/// says nothing about the member).
const THREAD_NAME: &str = "Talk with a supporter";

/// Private threads (Discord's channel type 12).
const PRIVATE_THREAD: u8 = 12;

/// The supporter role and support channel, when the server set both.
pub fn offered(settings: &ServerSettings) -> Option<(u64, u64)> {
    settings.supporter_role.zip(settings.support_channel)
}

/// Allowed mentions of the hand-off note: exactly the supporter role (not the member, not
/// everyone, nobody else).
pub fn handoff_mentions(role: u64) -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .empty_users()
        .roles(vec![serenity::RoleId::new(role)])
        .everyone(false)
        .replied_user(false)
}

/// The hand-off note's first message: the role's mention (the one ping), the member's name
/// (shown, not pinged: no user is allowed), then the rendered note.
pub fn handoff_content(role: u64, member: u64, rendered: &str) -> String {
    format!("<@&{role}> <@{member}>\n{rendered}")
}

/// The hand-off note as sent: each message with its allowed mentions. The first starts with
/// the role's mention and the member's name and may ping the role; the rest ping nobody. Every
/// message ends with the disclaimer (the note is a reply like any other).
pub fn handoff_messages(
    engine: &Engine,
    region: &str,
    role: u64,
    member: u64,
) -> Vec<(String, serenity::CreateAllowedMentions)> {
    let note = engine.notice(
        Kind::Notice,
        "A member would like to talk with someone here, and is in this private thread. Lantern hasn't shared anything they wrote: they'll say what they choose, when they're ready. Please listen first and go gently. If they may be in danger, the crisis lines are in `/resources`.",
        region,
    );
    crate::render::contents(&note)
        .into_iter()
        .enumerate()
        .map(|(i, content)| {
            if i == 0 {
                (
                    handoff_content(role, member, &content),
                    handoff_mentions(role),
                )
            } else {
                (content, send::no_mentions())
            }
        })
        .collect()
}

/// Opens a support thread for `user` in `guild` and says how it went, as a reply for the
/// member (only they see it).
pub async fn open(http: &serenity::Http, data: &Data, guild: u64, user: u64) -> Reply {
    let settings = data.settings(Some(guild)).await;
    let (engine, region) = data.engine_and_region(Some(guild)).await;
    let notice = |text: String| engine.notice(Kind::Notice, text, &region);
    let Some((role, channel)) = offered(&settings) else {
        return notice(
            "This server hasn't chosen supporters for Lantern to bring in. You can message one of its moderators directly, and the support lines are always in `/resources`.".to_string(),
        );
    };
    let period = Duration::from_secs(settings.talk_period_secs.into());
    if let Err(thread) = lock(&data.limits).talk(guild, user, period, Instant::now()) {
        let where_ = thread.map_or("a private thread".to_string(), |t| format!("<#{t}>"));
        return notice(format!(
            "You already have {where_} with this server's supporters from a little while ago; they'll see whatever you write there. You can open a new one later. If you're in danger right now, the lines in `/resources` are there at any hour."
        ));
    }
    let note = handoff_messages(&engine, &region, role, user);
    match handoff(http, data, (channel, user), note).await {
        Ok(thread) => {
            lock(&data.limits).talk_opened(guild, user, thread);
            let entry = AuditEntry {
                actor: user,
                action: "talk".to_string(),
                detail: format!("private support thread {thread}"),
                at: crate::store::unix_now(),
            };
            if let Err(e) = data.store.audit(guild, &entry).await {
                tracing::error!(guild, "audit log write failed: {e}");
            }
            tracing::info!(guild, thread, "support thread opened");
            notice(format!(
                "I opened a private thread for you with this server's supporters: <#{thread}>. Only you, the supporters and the moderators can see it. I haven't shared anything you wrote; say as much or as little as you like there, whenever you're ready."
            ))
        }
        Err(e) => {
            lock(&data.limits).talk_failed(guild, user);
            tracing::warn!(guild, "support thread not opened: {e}");
            notice(
                "I couldn't open a private thread in the support channel (Lantern may be missing permissions there). Please message one of this server's moderators directly; the support lines are in `/resources`.".to_string(),
            )
        }
    }
}

/// Creates the private thread in `channel`, adds `user` and posts the note; returns the
/// thread's id.
async fn handoff(
    http: &serenity::Http,
    data: &Data,
    (channel, user): (u64, u64),
    note: Vec<(String, serenity::CreateAllowedMentions)>,
) -> Result<u64, SendError> {
    let courier = &data.courier;
    let body = serde_json::json!({
        "name": THREAD_NAME,
        "type": PRIVATE_THREAD,
        "invitable": false,
        "auto_archive_duration": 10080,
    });
    let route = Route::ChannelThreads {
        channel_id: serenity::ChannelId::new(channel),
    };
    let thread = courier.create(http, route, &body, Urgency::Crisis).await?;
    let thread_id = serenity::ChannelId::new(thread);
    let finished = async {
        let route = Route::ChannelThreadMember {
            channel_id: thread_id,
            user_id: serenity::UserId::new(user),
        };
        courier.put(http, route, Urgency::Crisis).await?;
        for (content, mentions) in note {
            let m = serenity::CreateMessage::new()
                .content(content)
                .allowed_mentions(mentions);
            let route = Route::ChannelMessages {
                channel_id: thread_id,
            };
            courier.send(http, route, &m, Urgency::Crisis).await?;
        }
        Ok::<(), SendError>(())
    };
    if let Err(e) = finished.await {
        // A thread without the member or without its note helps nobody: removed, so a new
        // press starts clean.
        let route = Route::Channel {
            channel_id: thread_id,
        };
        if let Err(gone) = courier.delete(http, route, Urgency::Normal).await {
            tracing::warn!(thread, "a half-made support thread was not removed: {gone}");
        }
        return Err(e);
    }
    Ok(thread)
}

/// Talk privately with this server's supporters (opens a private thread).
#[poise::command(slash_command, guild_only)]
pub async fn talk(ctx: Ctx<'_>) -> Result<(), Error> {
    // Opening a thread takes several requests: acknowledged first, answered after.
    ctx.defer_ephemeral().await?;
    let guild = ctx.guild_id().map_or(0, |g| g.get());
    let reply = open(ctx.http(), ctx.data(), guild, ctx.author().id.get()).await;
    send::respond(ctx, &reply, true, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handoff_may_ping_exactly_the_role() {
        let v = serde_json::to_value(handoff_mentions(42)).unwrap();
        assert_eq!(v["roles"], serde_json::json!(["42"]));
        assert_eq!(v["users"], serde_json::json!([]));
        assert_eq!(v["parse"], serde_json::json!([]));
        assert_eq!(v["replied_user"], serde_json::json!(false));
        let content = handoff_content(42, 7, "note");
        assert!(content.starts_with("<@&42> <@7>\n"));
    }

    #[test]
    fn offered_only_with_a_role_and_a_channel() {
        let mut s = ServerSettings::default();
        assert_eq!(offered(&s), None);
        s.supporter_role = Some(1);
        assert_eq!(offered(&s), None);
        s.support_channel = Some(2);
        assert_eq!(offered(&s), Some((1, 2)));
    }
}
