//! Gateway event payloads built by [`StandIn`]: INTERACTION_CREATE (slash commands, autocomplete,
//! component clicks, select menus, with `data.resolved`) and MESSAGE_CREATE.

use serde_json::{Value, json};

use super::member::options_array;
use super::payloads::{bot_user_json, message_json, role_json, timestamp_now};
use super::state::Interaction;
use super::{APP_ID, BOT_USER_ID, GUILD_ID, MEMBER_PERMISSIONS, Member, StandIn, opt};

impl StandIn {
    /// A complete INTERACTION_CREATE (type 2, chat input) for `/name options...`. A name with
    /// spaces ("config set", "admin config set") wraps `options` into the sub-command (and group)
    /// options. Unique `id` and `token` on every call. Options of type user/channel/role get their
    /// `data.resolved` entries.
    pub fn slash_command(&self, name: &str, options: Value, who: impl AsRef<Member>) -> Value {
        self.command_interaction(2, name, options, who.as_ref())
    }

    /// An INTERACTION_CREATE of type 4 (autocomplete); mark the option being typed with
    /// `"focused": true` (see [`opt::focused`]).
    pub fn autocomplete(&self, name: &str, options: Value, who: impl AsRef<Member>) -> Value {
        self.command_interaction(4, name, options, who.as_ref())
    }

    /// An INTERACTION_CREATE of type 3 for a click on the button `custom_id` of message
    /// `message_id` (the message the bot posted if the stand-in saw it, else a bot message).
    pub fn component_click(
        &self,
        custom_id: &str,
        message_id: u64,
        who: impl AsRef<Member>,
    ) -> Value {
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.component_interaction(data, message_id, who.as_ref())
    }

    /// An INTERACTION_CREATE of type 3 for a string select menu with the chosen `values`.
    pub fn select_menu(
        &self,
        custom_id: &str,
        values: &[&str],
        message_id: u64,
        who: impl AsRef<Member>,
    ) -> Value {
        let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
        self.component_interaction(data, message_id, who.as_ref())
    }

    /// A MESSAGE_CREATE payload by `author` in their channel. With `mentions_bot` the bot user is
    /// in `mentions` (the content is left as given: write "<@BOT_USER_ID> ..." yourself if the bot
    /// reads the content).
    pub fn message(&self, content: &str, author: impl AsRef<Member>, mentions_bot: bool) -> Value {
        let author = author.as_ref();
        let id = self.shared.snowflake();
        self.remember(author);
        let mut m = json!({
            "id": id.to_string(),
            "channel_id": author.channel_id.to_string(),
            "author": author.user_json(),
            "content": content,
            "timestamp": timestamp_now(),
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": if mentions_bot { json!([bot_user_json()]) } else { json!([]) },
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": 0,
            "flags": 0,
            "nonce": id.to_string(),
        });
        if let Some(g) = author.guild_id {
            m["guild_id"] = json!(g.to_string());
            m["member"] = author.partial_member_json();
        }
        m
    }

    /// The mention string of the bot, "<@BOT_USER_ID>".
    pub fn bot_mention(&self) -> String {
        format!("<@{BOT_USER_ID}>")
    }

    fn remember(&self, who: &Member) {
        let mut st = self.shared.lock();
        if st.members.get(&who.user_id) != Some(who) {
            st.members.insert(who.user_id, who.clone());
        }
    }

    fn interaction_base(&self, kind: u8, who: &Member) -> (u64, Value) {
        let id = self.shared.snowflake();
        let token = format!("standin-token-{id}");
        let app_permissions;
        {
            let mut st = self.shared.lock();
            app_permissions = st.app_permissions;
            st.interactions.insert(
                id,
                Interaction {
                    token: token.clone(),
                    channel_id: who.channel_id,
                    guild_id: who.guild_id,
                    ..Default::default()
                },
            );
            st.tokens.insert(token.clone(), id);
        }
        self.remember(who);
        let mut i = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": who.channel_id.to_string(),
            "app_permissions": app_permissions.to_string(),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10_485_760,
        });
        match who.guild_id {
            Some(g) => {
                i["guild_id"] = json!(g.to_string());
                i["guild_locale"] = json!("en-US");
                i["guild"] = json!({"id": g.to_string(), "locale": "en-US", "features": []});
                i["member"] = who.member_json();
                i["channel"] = json!({
                    "id": who.channel_id.to_string(),
                    "type": 0,
                    "name": "general",
                    "guild_id": g.to_string(),
                    "permissions": who.permissions.unwrap_or(0).to_string(),
                });
                i["authorizing_integration_owners"] = json!({"0": g.to_string()});
                i["context"] = json!(0);
            }
            None => {
                i["user"] = who.user_json();
                i["channel"] = json!({
                    "id": who.channel_id.to_string(),
                    "type": 1,
                    "recipients": [who.user_json()],
                });
                i["authorizing_integration_owners"] = json!({"0": "0"});
                i["context"] = json!(1);
            }
        }
        (id, i)
    }

    fn command_interaction(&self, kind: u8, name: &str, options: Value, who: &Member) -> Value {
        let mut parts = name.split_whitespace();
        let top = parts
            .next()
            .expect("stand-in: empty command name")
            .to_string();
        let rest: Vec<&str> = parts.collect();
        let mut options = options_array(options);
        match rest.as_slice() {
            [] => {}
            [sub] => options = opt::sub(sub, options),
            [group, sub] => options = opt::group(group, opt::sub(sub, options)),
            _ => panic!("stand-in: command names have at most three words"),
        }
        let options = options_array(options);
        let (cmd_id, cmd_guild) = self.command_id(&top);
        let resolved = self.resolve(&options, who.guild_id);
        let (_, mut i) = self.interaction_base(kind, who);
        let mut data =
            json!({"id": cmd_id.to_string(), "name": top, "type": 1, "options": options});
        if let Some(g) = cmd_guild {
            data["guild_id"] = json!(g.to_string());
        }
        if let Some(r) = resolved {
            data["resolved"] = r;
        }
        i["data"] = data;
        i
    }

    fn component_interaction(&self, data: Value, message_id: u64, who: &Member) -> Value {
        let message = {
            let st = self.shared.lock();
            st.messages.get(&message_id).cloned()
        }
        .unwrap_or_else(|| {
            message_json(
                message_id,
                who.channel_id,
                who.guild_id,
                bot_user_json(),
                &json!({"content": ""}),
                None,
                &[],
            )
        });
        let (id, mut i) = self.interaction_base(3, who);
        if let Some(inter) = self.shared.lock().interactions.get_mut(&id) {
            inter.message_id = Some(message_id);
        }
        i["data"] = data;
        i["message"] = message;
        i
    }

    /// The id of command `name`: the one the bot registered (global first), else a stable new one.
    fn command_id(&self, name: &str) -> (u64, Option<u64>) {
        let mut st = self.shared.lock();
        let mut found = None;
        for (guild, cmds) in &st.commands {
            for c in cmds {
                if c["name"] == name && c["type"].as_u64().unwrap_or(1) == 1 {
                    let id = c["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                    if found.is_none() || guild.is_none() {
                        found = Some((id, *guild));
                    }
                }
            }
        }
        if let Some(f) = found {
            return f;
        }
        if let Some(id) = st.command_ids.get(name) {
            return (*id, None);
        }
        let id = self.shared.snowflake();
        st.command_ids.insert(name.to_string(), id);
        (id, None)
    }

    fn resolve(&self, options: &Value, guild_id: Option<u64>) -> Option<Value> {
        fn walk(opts: &Value, out: &mut Vec<(u64, u64)>) {
            if let Some(arr) = opts.as_array() {
                for o in arr {
                    let kind = o["type"].as_u64().unwrap_or(0);
                    if matches!(kind, 6..=9 | 11) {
                        let id = match &o["value"] {
                            Value::String(s) => s.parse().ok(),
                            Value::Number(n) => n.as_u64(),
                            _ => None,
                        };
                        if let Some(id) = id {
                            out.push((kind, id));
                        }
                    }
                    walk(&o["options"], out);
                }
            }
        }
        let mut ids = Vec::new();
        walk(options, &mut ids);
        if ids.is_empty() {
            return None;
        }
        let st = self.shared.lock();
        let mut users = serde_json::Map::new();
        let mut members = serde_json::Map::new();
        let mut channels = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        let mut attachments = serde_json::Map::new();
        for (kind, id) in ids {
            let key = id.to_string();
            match kind {
                6 | 9 => {
                    let mut m = st
                        .members
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| Member::ordinary(id, &format!("user{id}")));
                    if let Some(g) = guild_id {
                        m.guild_id = Some(g);
                        m.permissions.get_or_insert(MEMBER_PERMISSIONS);
                    }
                    users.insert(key.clone(), m.user_json());
                    if guild_id.is_some() {
                        members.insert(key, m.partial_member_json());
                    }
                }
                7 => {
                    channels.insert(
                        key.clone(),
                        json!({"id": key, "type": 0, "name": "general", "permissions": MEMBER_PERMISSIONS.to_string()}),
                    );
                }
                8 => {
                    let g = guild_id.unwrap_or(GUILD_ID);
                    roles.insert(
                        key,
                        role_json(id, if id == g { "@everyone" } else { "role" }, 0),
                    );
                }
                11 => {
                    if let Some((a, _)) = st.files.get(&id) {
                        attachments.insert(key, a.clone());
                    }
                }
                _ => {}
            }
        }
        Some(
            json!({"users": users, "members": members, "channels": channels, "roles": roles, "attachments": attachments}),
        )
    }
}
