//! The REST routes: what the stand-in answers for gateway discovery, users, application
//! commands, interaction callbacks and webhooks, channels and guilds.

use std::time::Instant;

use axum::response::Response;
use serde_json::{Value, json};

use super::payloads::{
    application_json, bot_user_json, command_echo, dm_channel_json, edit_message,
    guild_channel_json, guild_json, message_json,
};
use super::rest::{discord_error, json_response, no_content};
use super::state::{Interaction, Shared, St};
use super::{API, APP_ID, BOT_USER_ID, BOT_USERNAME, CHANNEL_ID, GUILD_ID, Member, dm_channel_id};

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

pub(super) fn route(
    sh: &Shared,
    st: &mut St,
    method: &str,
    path: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
) -> Response {
    if let ("GET", Some(rest)) = (method, path.strip_prefix("/attachments/")) {
        // A member's attached file, as Discord's CDN serves it.
        let file = rest
            .split('/')
            .next()
            .and_then(parse_id)
            .and_then(|id| st.files.get(&id));
        return match file {
            Some((_, bytes)) => axum::response::IntoResponse::into_response(bytes.clone()),
            None => unknown(),
        };
    }
    let Some(route) = path.strip_prefix(API) else {
        return unknown();
    };
    let segs: Vec<&str> = route
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    let app_ok = |s: &str| parse_id(s) == Some(APP_ID);
    let attachments = |sh: &Shared| -> Vec<Value> {
        files
            .iter()
            .map(|(name, bytes)| {
                let id = sh.snowflake();
                let url = format!("http://{}/attachments/{id}/{name}", sh.addr);
                json!({"id": id.to_string(), "filename": name, "size": bytes.len(), "url": url, "proxy_url": url})
            })
            .collect()
    };

    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => {
            st.last_gateway_get = Some(Instant::now());
            json_response(200, json!({"url": sh.ws_url()}))
        }
        ("GET", ["gateway", "bot"]) => {
            st.last_gateway_get = Some(Instant::now());
            json_response(
                200,
                json!({
                    "url": sh.ws_url(),
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1},
                }),
            )
        }
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            json_response(200, application_json())
        }
        ("GET", ["users", "@me"]) => json_response(200, bot_user_json()),
        ("GET", ["users", id]) => match parse_id(id) {
            Some(BOT_USER_ID) => json_response(200, bot_user_json()),
            Some(uid) => {
                let m = st
                    .members
                    .get(&uid)
                    .cloned()
                    .unwrap_or_else(|| Member::ordinary(uid, &format!("user{uid}")));
                json_response(200, m.user_json())
            }
            None => discord_error(404, 10013, "Unknown User"),
        },
        ("POST", ["users", "@me", "channels"]) => {
            let uid = body.get("recipient_id").and_then(|v| match v {
                Value::String(s) => s.parse().ok(),
                v => v.as_u64(),
            });
            match uid {
                Some(uid) => {
                    let m = st
                        .members
                        .get(&uid)
                        .cloned()
                        .unwrap_or_else(|| Member::dm_user(uid, &format!("user{uid}")));
                    json_response(200, dm_channel_json(dm_channel_id(uid), m.user_json()))
                }
                None => discord_error(400, 50035, "Invalid Form Body"),
            }
        }

        // ----- application commands
        ("PUT", ["applications", app, "commands"]) if app_ok(app) => register(sh, st, None, body),
        ("PUT", ["applications", app, "guilds", g, "commands"]) if app_ok(app) => {
            register(sh, st, parse_id(g), body)
        }
        ("GET", ["applications", app, "commands"]) if app_ok(app) => json_response(
            200,
            Value::Array(st.commands.get(&None).cloned().unwrap_or_default()),
        ),
        ("GET", ["applications", app, "guilds", g, "commands"]) if app_ok(app) => json_response(
            200,
            Value::Array(st.commands.get(&parse_id(g)).cloned().unwrap_or_default()),
        ),
        ("POST", ["applications", app, "commands"]) if app_ok(app) => {
            let c = command_echo(body.clone(), sh.snowflake(), None);
            let list = st.commands.entry(None).or_default();
            list.retain(|x| x["name"] != c["name"]);
            list.push(c.clone());
            json_response(201, c)
        }
        (_, ["applications", app, ..]) if !app_ok(app) => {
            discord_error(404, 10002, "Unknown Application")
        }

        // ----- interactions
        ("POST", ["interactions", id, token, "callback"]) => {
            let Some(iid) = parse_id(id) else {
                return discord_error(404, 10062, "Unknown interaction");
            };
            let kind = body.get("type").and_then(Value::as_u64).unwrap_or(0);
            let data = body.get("data").cloned().unwrap_or(json!({}));
            let entry = st.interactions.entry(iid).or_insert_with(|| Interaction {
                token: token.to_string(),
                channel_id: CHANNEL_ID,
                guild_id: Some(GUILD_ID),
                ..Default::default()
            });
            let (channel_id, guild_id) = (entry.channel_id, entry.guild_id);
            if entry.token != *token {
                return discord_error(404, 10062, "Unknown interaction");
            }
            if entry.acked {
                return discord_error(400, 40060, "Interaction has already been acknowledged.");
            }
            entry.acked = true;
            let component_message = entry.message_id;
            match kind {
                6 | 7 => {
                    // Deferred update / update message: @original is the component's message.
                    entry.original = component_message;
                    if let (7, Some(mid)) = (kind, component_message) {
                        if let Some(m) = st.messages.get_mut(&mid) {
                            edit_message(m, &data);
                        }
                    }
                }
                4 | 5 => {
                    let mid = sh.snowflake();
                    entry.original = Some(mid);
                    let mut msg_body = if kind == 4 {
                        data
                    } else {
                        json!({"content": ""})
                    };
                    if kind == 5 {
                        let eph = body["data"]["flags"].as_u64().unwrap_or(0) & 64;
                        msg_body["flags"] = json!(128 | eph);
                    }
                    let m = message_json(
                        mid,
                        channel_id,
                        guild_id,
                        bot_user_json(),
                        &msg_body,
                        Some(APP_ID),
                        &attachments(sh),
                    );
                    st.messages.insert(mid, m);
                }
                _ => {}
            }
            no_content()
        }
        ("POST", ["webhooks", app, token]) if app_ok(app) => {
            let (channel_id, guild_id) = st
                .tokens
                .get(*token)
                .and_then(|i| st.interactions.get(i))
                .map_or((CHANNEL_ID, Some(GUILD_ID)), |i| (i.channel_id, i.guild_id));
            let mid = sh.snowflake();
            let m = message_json(
                mid,
                channel_id,
                guild_id,
                bot_user_json(),
                body,
                Some(APP_ID),
                &attachments(sh),
            );
            st.messages.insert(mid, m.clone());
            json_response(200, m)
        }
        (_, ["webhooks", app, token, "messages", which]) if app_ok(app) => {
            let mid = if *which == "@original" {
                st.tokens
                    .get(*token)
                    .and_then(|i| st.interactions.get(i))
                    .and_then(|i| i.original)
            } else {
                parse_id(which).filter(|m| st.messages.contains_key(m))
            };
            let Some(mid) = mid else {
                return discord_error(404, 10008, "Unknown Message");
            };
            match method {
                "GET" => json_response(200, st.messages[&mid].clone()),
                "PATCH" => {
                    let m = st.messages.get_mut(&mid).expect("present");
                    edit_message(m, body);
                    if m["flags"].as_u64().unwrap_or(0) & 128 != 0 {
                        m["flags"] = json!(m["flags"].as_u64().unwrap_or(0) & !128);
                    }
                    json_response(200, m.clone())
                }
                "DELETE" => {
                    st.messages.remove(&mid);
                    no_content()
                }
                _ => unknown(),
            }
        }
        (_, ["webhooks", app, _token, ..]) if !app_ok(app) => {
            discord_error(404, 10015, "Unknown Webhook")
        }

        // ----- channels
        ("GET", ["channels", c]) => match parse_id(c) {
            Some(cid) => {
                let dm = st
                    .members
                    .values()
                    .find(|m| m.guild_id.is_none() && m.channel_id == cid);
                match dm {
                    Some(m) => json_response(200, dm_channel_json(cid, m.user_json())),
                    None => {
                        let g = st
                            .members
                            .values()
                            .find(|m| m.channel_id == cid)
                            .and_then(|m| m.guild_id);
                        json_response(200, guild_channel_json(cid, g.unwrap_or(GUILD_ID)))
                    }
                }
            }
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        ("POST", ["channels", c, "messages"]) => match parse_id(c) {
            Some(cid) => {
                let guild = st
                    .members
                    .values()
                    .find(|m| m.channel_id == cid)
                    .map_or(Some(GUILD_ID), |m| m.guild_id);
                let mid = sh.snowflake();
                let m = message_json(
                    mid,
                    cid,
                    guild,
                    bot_user_json(),
                    body,
                    None,
                    &attachments(sh),
                );
                st.messages.insert(mid, m.clone());
                json_response(200, m)
            }
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        ("POST", ["channels", _c, "typing"]) => no_content(),
        // A thread without a message (a private thread, type 12): a channel of its own.
        ("POST", ["channels", c, "threads"]) => match parse_id(c) {
            Some(parent) => {
                let id = sh.snowflake();
                json_response(
                    201,
                    json!({
                        "id": id.to_string(),
                        "type": body.get("type").cloned().unwrap_or(json!(11)),
                        "guild_id": GUILD_ID.to_string(),
                        "parent_id": parent.to_string(),
                        "name": body.get("name").cloned().unwrap_or(json!("thread")),
                        "owner_id": BOT_USER_ID.to_string(),
                        "thread_metadata": {
                            "archived": false,
                            "auto_archive_duration": 1440,
                            "archive_timestamp": "2026-01-01T00:00:00+00:00",
                            "locked": false,
                            "invitable": body.get("invitable").cloned().unwrap_or(json!(true)),
                        },
                    }),
                )
            }
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        ("PUT", ["channels", _t, "thread-members", _u]) => no_content(),
        ("DELETE", ["channels", c]) => match parse_id(c) {
            Some(cid) => json_response(200, guild_channel_json(cid, GUILD_ID)),
            None => discord_error(404, 10003, "Unknown Channel"),
        },
        (_, ["channels", _c, "messages", m]) => {
            match parse_id(m).filter(|m| st.messages.contains_key(m)) {
                Some(mid) => match method {
                    "GET" => json_response(200, st.messages[&mid].clone()),
                    "PATCH" => {
                        let m = st.messages.get_mut(&mid).expect("present");
                        edit_message(m, body);
                        json_response(200, m.clone())
                    }
                    "DELETE" => {
                        st.messages.remove(&mid);
                        no_content()
                    }
                    _ => unknown(),
                },
                None => discord_error(404, 10008, "Unknown Message"),
            }
        }
        ("PUT" | "DELETE", ["channels", _c, "messages", _m, "reactions", ..]) => no_content(),

        // ----- guilds
        ("GET", ["guilds", g]) => match parse_id(g) {
            Some(gid) => json_response(200, guild_json(gid)),
            None => discord_error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", g, "roles"]) => match parse_id(g) {
            Some(gid) => json_response(200, guild_json(gid)["roles"].clone()),
            None => discord_error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", g, "channels"]) => match parse_id(g) {
            Some(gid) => json_response(200, json!([guild_channel_json(CHANNEL_ID, gid)])),
            None => discord_error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", g, "members", u]) => match (parse_id(g), parse_id(u)) {
            (Some(gid), Some(uid)) => {
                let member = if uid == BOT_USER_ID {
                    let mut m = Member::ordinary(uid, BOT_USERNAME)
                        .in_guild(gid, CHANNEL_ID)
                        .member_json();
                    m["user"] = bot_user_json();
                    m
                } else {
                    let m = st
                        .members
                        .get(&uid)
                        .cloned()
                        .unwrap_or_else(|| Member::ordinary(uid, &format!("user{uid}")));
                    let mut m = m.in_guild(gid, CHANNEL_ID);
                    m.permissions = None; // GET member has no permissions field
                    m.member_json()
                };
                json_response(200, member)
            }
            _ => discord_error(404, 10007, "Unknown Member"),
        },

        _ => unknown(),
    }
}

fn unknown() -> Response {
    discord_error(404, 0, "Unknown")
}

fn register(sh: &Shared, st: &mut St, guild_id: Option<u64>, body: &Value) -> Response {
    let Some(arr) = body.as_array() else {
        return json_response(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {}}),
        );
    };
    let echoed: Vec<Value> = arr
        .iter()
        .map(|c| {
            // Keep ids stable across re-registrations of the same name.
            let name = c["name"].as_str().unwrap_or("").to_string();
            let existing = st
                .commands
                .get(&guild_id)
                .and_then(|l| l.iter().find(|x| x["name"] == name.as_str()))
                .and_then(|x| x["id"].as_str().and_then(|s| s.parse().ok()));
            command_echo(
                c.clone(),
                existing.unwrap_or_else(|| sh.snowflake()),
                guild_id,
            )
        })
        .collect();
    st.commands.insert(guild_id, echoed.clone());
    st.last_commands_put = Some(Instant::now());
    json_response(200, Value::Array(echoed))
}
