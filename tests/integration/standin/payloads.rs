//! JSON shapes as Discord sends them (users, roles, applications, guilds, channels, messages,
//! command registrations) and the clock they stamp.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{
    APP_ID, BOT_USER_ID, BOT_USERNAME, MEMBER_PERMISSIONS, MODERATOR_PERMISSIONS,
    MODERATOR_ROLE_ID, OWNER_ID,
};

pub(super) fn bot_user_json() -> Value {
    json!({
        "id": BOT_USER_ID.to_string(),
        "username": BOT_USERNAME,
        "global_name": null,
        "discriminator": "0",
        "avatar": null,
        "bot": true,
        "public_flags": 0,
        "flags": 0,
        "verified": true,
        "mfa_enabled": false,
    })
}

pub(super) fn role_json(id: u64, name: &str, permissions: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": 0,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

pub(super) fn application_json() -> Value {
    json!({
        "id": APP_ID.to_string(),
        "name": BOT_USERNAME,
        "icon": null,
        "description": "",
        "bot_public": false,
        "bot_require_code_grant": false,
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "owner": {"id": OWNER_ID.to_string(), "username": "owner", "discriminator": "0", "avatar": null},
        "team": null,
        "flags": 0,
        "bot": bot_user_json(),
        "redirect_uris": [],
        "interactions_endpoint_url": null,
    })
}

pub(super) fn guild_json(guild_id: u64) -> Value {
    json!({
        "id": guild_id.to_string(),
        "name": "Stand-in Guild",
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": OWNER_ID.to_string(),
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": [
            role_json(guild_id, "@everyone", MEMBER_PERMISSIONS),
            role_json(MODERATOR_ROLE_ID, "Moderator", MODERATOR_PERMISSIONS),
        ],
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
    })
}

pub(super) fn guild_channel_json(channel_id: u64, guild_id: u64) -> Value {
    json!({
        "id": channel_id.to_string(),
        "type": 0,
        "guild_id": guild_id.to_string(),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "parent_id": null,
        "rate_limit_per_user": 0,
        "flags": 0,
    })
}

pub(super) fn dm_channel_json(channel_id: u64, user: Value) -> Value {
    json!({
        "id": channel_id.to_string(),
        "type": 1,
        "last_message_id": null,
        "recipients": [user],
        "flags": 0,
    })
}

/// A Message as Discord returns it, echoing content/embeds/components/flags/tts of `body`.
pub(super) fn message_json(
    id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    author: Value,
    body: &Value,
    webhook_id: Option<u64>,
    attachments: &[Value],
) -> Value {
    let reply = body.get("message_reference").is_some_and(|r| !r.is_null());
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": body.get("content").and_then(Value::as_str).unwrap_or(""),
        "timestamp": timestamp_now(),
        "edited_timestamp": null,
        "tts": body.get("tts").and_then(Value::as_bool).unwrap_or(false),
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments,
        "embeds": body.get("embeds").filter(|e| e.is_array()).cloned().unwrap_or(json!([])),
        "components": body.get("components").filter(|e| e.is_array()).cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": if reply { 19 } else { 0 },
        "flags": body.get("flags").and_then(Value::as_u64).unwrap_or(0),
    });
    if let Some(g) = guild_id {
        m["guild_id"] = json!(g.to_string());
    }
    if let Some(w) = webhook_id {
        m["webhook_id"] = json!(w.to_string());
        m["application_id"] = json!(APP_ID.to_string());
    }
    if reply {
        let r = &body["message_reference"];
        m["message_reference"] = json!({
            "type": 0,
            "message_id": r.get("message_id").cloned().unwrap_or(Value::Null),
            "channel_id": r.get("channel_id").cloned().unwrap_or(json!(channel_id.to_string())),
        });
    }
    m
}

/// Apply a PATCH body to a stored message.
pub(super) fn edit_message(stored: &mut Value, body: &Value) {
    for key in ["content", "embeds", "components", "flags"] {
        if let Some(v) = body.get(key) {
            if !v.is_null() {
                stored[key] = v.clone();
            }
        }
    }
    stored["edited_timestamp"] = json!(timestamp_now());
}

/// Fill what serenity's `Command` requires into a registration body.
pub(super) fn command_echo(mut c: Value, id: u64, guild_id: Option<u64>) -> Value {
    fn fill_options(opts: &mut Value) {
        if let Some(arr) = opts.as_array_mut() {
            for o in arr {
                if o.get("description").is_none_or(Value::is_null) {
                    o["description"] = json!("");
                }
                if let Some(sub) = o.get_mut("options") {
                    fill_options(sub);
                }
            }
        }
    }
    if !c.is_object() {
        c = json!({});
    }
    c["id"] = json!(id.to_string());
    c["application_id"] = json!(APP_ID.to_string());
    c["version"] = json!(id.to_string());
    if c.get("type").is_none_or(Value::is_null) {
        c["type"] = json!(1);
    }
    if c.get("description").is_none_or(Value::is_null) {
        c["description"] = json!("");
    }
    if let Some(g) = guild_id {
        c["guild_id"] = json!(g.to_string());
    }
    if let Some(o) = c.get_mut("options") {
        fill_options(o);
    }
    c
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

pub(super) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Now as RFC 3339 ("2024-05-01T12:34:56.789000+00:00").
pub(super) fn timestamp_now() -> String {
    let ms = unix_ms();
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}
