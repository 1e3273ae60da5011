//! Who acts: [`Member`] (a guild member or a DM user), DM channel ids and the [`opt`] builders
//! of interaction options.

use serde_json::{Value, json};

use super::{CHANNEL_ID, GUILD_ID, MEMBER_PERMISSIONS, MODERATOR_PERMISSIONS, MODERATOR_ROLE_ID};

/// The user behind an interaction or message: a guild member (with channel permissions and roles)
/// or a user in a DM with the bot.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub user_id: u64,
    pub username: String,
    /// `None`: a DM with the bot (the payload carries `user`, not `member`).
    pub guild_id: Option<u64>,
    /// Where they act: [`CHANNEL_ID`] in the guild, their DM channel otherwise.
    pub channel_id: u64,
    /// The member's permissions in the channel (interaction `member.permissions`). `None` omits
    /// the field (Discord always sends it in guilds; poise `expect`s it for permission checks).
    pub permissions: Option<u64>,
    pub roles: Vec<u64>,
    pub nick: Option<String>,
}

impl Member {
    /// A guild member of [`GUILD_ID`] in [`CHANNEL_ID`] with [`MEMBER_PERMISSIONS`] and no roles.
    pub fn ordinary(user_id: u64, username: &str) -> Member {
        Member {
            user_id,
            username: username.to_string(),
            guild_id: Some(GUILD_ID),
            channel_id: CHANNEL_ID,
            permissions: Some(MEMBER_PERMISSIONS),
            roles: Vec::new(),
            nick: None,
        }
    }

    /// A guild member with [`MODERATOR_PERMISSIONS`] (includes [`MANAGE_GUILD`]) and
    /// [`MODERATOR_ROLE_ID`].
    pub fn moderator(user_id: u64, username: &str) -> Member {
        Member {
            permissions: Some(MODERATOR_PERMISSIONS),
            roles: vec![MODERATOR_ROLE_ID],
            ..Member::ordinary(user_id, username)
        }
    }

    /// A user talking to the bot in a DM (no guild, no member object).
    pub fn dm_user(user_id: u64, username: &str) -> Member {
        Member {
            user_id,
            username: username.to_string(),
            guild_id: None,
            channel_id: dm_channel_id(user_id),
            permissions: None,
            roles: Vec::new(),
            nick: None,
        }
    }

    pub fn with_permissions(mut self, permissions: u64) -> Member {
        self.permissions = Some(permissions);
        self
    }

    pub fn without_permissions(mut self) -> Member {
        self.permissions = None;
        self
    }

    pub fn with_roles(mut self, roles: impl IntoIterator<Item = u64>) -> Member {
        self.roles = roles.into_iter().collect();
        self
    }

    pub fn with_nick(mut self, nick: &str) -> Member {
        self.nick = Some(nick.to_string());
        self
    }

    pub fn in_guild(mut self, guild_id: u64, channel_id: u64) -> Member {
        self.guild_id = Some(guild_id);
        self.channel_id = channel_id;
        self
    }

    pub fn in_channel(mut self, channel_id: u64) -> Member {
        self.channel_id = channel_id;
        self
    }

    /// The Discord user object.
    pub fn user_json(&self) -> Value {
        json!({
            "id": self.user_id.to_string(),
            "username": self.username,
            "global_name": self.username,
            "discriminator": "0",
            "avatar": null,
            "bot": false,
            "public_flags": 0,
        })
    }

    /// The guild member object without `user` (as in MESSAGE_CREATE), or Null in DMs.
    pub(super) fn partial_member_json(&self) -> Value {
        if self.guild_id.is_none() {
            return Value::Null;
        }
        let mut m = json!({
            "roles": self.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "nick": self.nick,
            "avatar": null,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "communication_disabled_until": null,
        });
        if let Some(p) = self.permissions {
            m["permissions"] = json!(p.to_string());
        }
        m
    }

    /// The full guild member object (with `user`), or Null in DMs.
    pub fn member_json(&self) -> Value {
        let mut m = self.partial_member_json();
        if !m.is_null() {
            m["user"] = self.user_json();
        }
        m
    }
}

impl AsRef<Member> for Member {
    fn as_ref(&self) -> &Member {
        self
    }
}

/// The DM channel the stand-in uses for a user.
pub fn dm_channel_id(user_id: u64) -> u64 {
    1_200_000_000_000_000_000 + user_id % 100_000_000_000_000_000
}

/// Interaction option builders (`data.options` entries).
pub mod opt {
    use serde_json::{Value, json};

    pub fn string(name: &str, value: &str) -> Value {
        json!({"name": name, "type": 3, "value": value})
    }
    pub fn integer(name: &str, value: i64) -> Value {
        json!({"name": name, "type": 4, "value": value})
    }
    pub fn boolean(name: &str, value: bool) -> Value {
        json!({"name": name, "type": 5, "value": value})
    }
    /// A user option; the stand-in fills `data.resolved.users` (and `members` in guilds).
    pub fn user(name: &str, user_id: u64) -> Value {
        json!({"name": name, "type": 6, "value": user_id.to_string()})
    }
    /// A channel option; the stand-in fills `data.resolved.channels`.
    pub fn channel(name: &str, channel_id: u64) -> Value {
        json!({"name": name, "type": 7, "value": channel_id.to_string()})
    }
    /// An attachment option: the `id` of [`super::StandIn::upload`]'s attachment; the stand-in
    /// fills `data.resolved.attachments`.
    pub fn attachment(name: &str, attachment: &Value) -> Value {
        json!({"name": name, "type": 11, "value": attachment["id"].clone()})
    }
    /// A role option; the stand-in fills `data.resolved.roles`.
    pub fn role(name: &str, role_id: u64) -> Value {
        json!({"name": name, "type": 8, "value": role_id.to_string()})
    }
    pub fn number(name: &str, value: f64) -> Value {
        json!({"name": name, "type": 10, "value": value})
    }
    /// A sub-command (type 1) with its options.
    pub fn sub(name: &str, options: Value) -> Value {
        json!({"name": name, "type": 1, "options": super::options_array(options)})
    }
    /// A sub-command group (type 2) holding sub-commands.
    pub fn group(name: &str, subs: Value) -> Value {
        json!({"name": name, "type": 2, "options": super::options_array(subs)})
    }
    /// The focused string option of an autocomplete interaction.
    pub fn focused(name: &str, partial: &str) -> Value {
        json!({"name": name, "type": 3, "value": partial, "focused": true})
    }
}

pub(super) fn options_array(options: Value) -> Value {
    match options {
        Value::Null => json!([]),
        Value::Array(_) => options,
        other => json!([other]),
    }
}
