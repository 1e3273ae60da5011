//! A loopback Discord stand-in for end-to-end tests of a serenity 0.12.5 / poise 0.7.1 bot.
//!
//! One [`StandIn`] serves the REST API (under `/api/v10`) and the gateway websocket
//! (`/gateway`) on one random port of 127.0.0.1. Point the bot at it with
//!
//! ```ignore
//! let http = serenity::HttpBuilder::new("token")
//!     .proxy(standin.base_url())
//!     .ratelimiter_disabled(true)
//!     .build();
//! let client = serenity::ClientBuilder::new_with_http(http, intents).framework(f).await?;
//! ```
//!
//! Every REST request is recorded ([`StandIn::requests`], [`StandIn::wait_for`]); gateway events
//! are pushed with [`StandIn::dispatch`], using payloads built by [`StandIn::slash_command`],
//! [`StandIn::component_click`], [`StandIn::autocomplete`] and [`StandIn::message`].
//!
//! Dependencies: axum 0.8 (feature "ws"), tokio, serde_json. Nothing leaves loopback.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

/// The bot's user id (READY `user.id`, `GET /users/@me`).
pub const BOT_USER_ID: u64 = 1_100_000_000_000_000_001;
/// The bot's username.
pub const BOT_USERNAME: &str = "standin-bot";
/// The application id (READY `application.id`, interactions' `application_id`). Deliberately
/// different from [`BOT_USER_ID`] so that code mixing the two up fails here.
pub const APP_ID: u64 = 1_100_000_000_000_000_002;
/// The application's owner (`GET /oauth2/applications/@me`), also the guild owner.
pub const OWNER_ID: u64 = 1_100_000_000_000_000_003;
/// The default guild of [`Member::ordinary`] and [`Member::moderator`].
pub const GUILD_ID: u64 = 1_100_000_000_000_000_010;
/// The default guild text channel.
pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_020;
/// The role [`Member::moderator`] carries (the guild also lists it).
pub const MODERATOR_ROLE_ID: u64 = 1_100_000_000_000_000_030;

/// `MANAGE_GUILD`, the usual "moderator" permission for slash-command gates.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// `ADMINISTRATOR`.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// What an ordinary member has in the default channel: view, send, embed, attach, history,
/// reactions, external emojis, use application commands, send in threads.
pub const MEMBER_PERMISSIONS: u64 = (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 31)
    | (1 << 38);
/// [`MEMBER_PERMISSIONS`] plus MANAGE_GUILD, KICK, BAN, MANAGE_MESSAGES, MANAGE_ROLES, MODERATE_MEMBERS.
pub const MODERATOR_PERMISSIONS: u64 =
    MEMBER_PERMISSIONS | MANAGE_GUILD | (1 << 1) | (1 << 2) | (1 << 13) | (1 << 28) | (1 << 40);
/// The bot's own permissions (`app_permissions` on every interaction) unless changed with
/// [`StandIn::set_app_permissions`].
pub const BOT_PERMISSIONS: u64 = MEMBER_PERMISSIONS | (1 << 13);

const API: &str = "/api/v10";
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

// ---------------------------------------------------------------------------------------------
// Who acts
// ---------------------------------------------------------------------------------------------

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
    fn partial_member_json(&self) -> Value {
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

fn options_array(options: Value) -> Value {
    match options {
        Value::Null => json!([]),
        Value::Array(_) => options,
        other => json!([other]),
    }
}

// ---------------------------------------------------------------------------------------------
// Recorded requests
// ---------------------------------------------------------------------------------------------

/// One REST request the stand-in received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Position in [`StandIn::requests`].
    pub index: usize,
    /// "GET", "POST", ...
    pub method: String,
    /// The full path, e.g. "/api/v10/channels/1/messages". See [`Recorded::route`].
    pub path: String,
    /// The raw query string without '?', "" if none (serenity writes "?&key=value").
    pub query: String,
    /// The JSON body; for multipart bodies the parsed `payload_json` part; Null if none.
    pub body: Value,
    /// Files of a multipart body: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The status the stand-in answered with.
    pub status: u16,
    /// When the request reached the handler.
    pub at: Instant,
}

impl Recorded {
    /// The path without the "/api/v10" prefix, e.g. "/channels/1/messages".
    pub fn route(&self) -> &str {
        self.path.strip_prefix(API).unwrap_or(&self.path)
    }

    /// Method (case-insensitive, "*" = any) and route prefix (with or without "/api/v10").
    pub fn is(&self, method: &str, prefix: &str) -> bool {
        method_matches(method, &self.method) && path_matches(prefix, &self.path)
    }

    /// For `POST /interactions/{id}/{token}/callback`: the interaction id.
    pub fn interaction_id(&self) -> Option<u64> {
        let segs: Vec<&str> = self.route().trim_start_matches('/').split('/').collect();
        match segs.as_slice() {
            ["interactions", id, _token, "callback"] => id.parse().ok(),
            _ => None,
        }
    }

    /// For interaction callbacks: the response `type` (4 reply, 5 defer, 6/7 component, 8
    /// autocomplete, 9 modal).
    pub fn callback_type(&self) -> Option<u64> {
        self.interaction_id()?;
        self.body.get("type")?.as_u64()
    }

    /// The message content sent: `body.content`, or `body.data.content` for callbacks.
    pub fn content(&self) -> Option<&str> {
        self.body
            .get("content")
            .or_else(|| self.body.get("data").and_then(|d| d.get("content")))
            .and_then(Value::as_str)
    }

    /// The message-ish part of the body: `body.data` for callbacks, `body` otherwise.
    pub fn message_body(&self) -> &Value {
        if self.interaction_id().is_some() {
            self.body.get("data").unwrap_or(&Value::Null)
        } else {
            &self.body
        }
    }
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

fn path_matches(prefix: &str, path: &str) -> bool {
    if prefix.starts_with("/api/") {
        path.starts_with(prefix)
    } else {
        path.strip_prefix(API).unwrap_or(path).starts_with(prefix)
    }
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

struct FailRule {
    method: String,
    prefix: String,
    status: u16,
    retry_after: f64,
    global: bool,
    remaining: usize,
}

enum Out {
    Dispatch {
        event: Arc<str>,
        data: Arc<str>,
        ack: Option<oneshot::Sender<Instant>>,
    },
    Close(u16),
}

struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    /// Set once IDENTIFY got READY or RESUME got RESUMED.
    session: Option<String>,
}

#[derive(Default)]
struct Interaction {
    token: String,
    /// For component interactions: the message the component is on.
    message_id: Option<u64>,
    channel_id: u64,
    guild_id: Option<u64>,
    acked: bool,
    original: Option<u64>,
}

struct St {
    requests: Vec<Recorded>,
    fail_rules: Vec<FailRule>,
    conns: HashMap<u64, Conn>,
    /// session_id -> the session's last sequence number (shared with its connection task).
    sessions: HashMap<String, Arc<AtomicU64>>,
    gateway_received: Vec<Value>,
    ready_count: usize,
    resumed_count: usize,
    last_commands_put: Option<Instant>,
    /// The last `GET /gateway` or `/gateway/bot`: a client (re)starting.
    last_gateway_get: Option<Instant>,
    /// None = global commands; Some(guild) = guild commands.
    commands: HashMap<Option<u64>, Vec<Value>>,
    command_ids: HashMap<String, u64>,
    interactions: HashMap<u64, Interaction>,
    tokens: HashMap<String, u64>,
    messages: HashMap<u64, Value>,
    members: HashMap<u64, Member>,
    app_permissions: u64,
    expect_commands: bool,
    reject_resume: bool,
}

struct Shared {
    addr: SocketAddr,
    st: Mutex<St>,
    changed: watch::Sender<u64>,
    ids: AtomicU64,
    /// TCP connections accepted (REST and gateway).
    connections: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// A fresh, realistic snowflake.
    fn snowflake(&self) -> u64 {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let ms = unix_ms().saturating_sub(DISCORD_EPOCH_MS);
        (ms << 22) | (n & 0x3f_ffff)
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }
}

struct ServerGuard(tokio::task::JoinHandle<()>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The stand-in. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct StandIn {
    shared: Arc<Shared>,
    _server: Arc<ServerGuard>,
}

impl StandIn {
    /// Start the HTTP + gateway server on 127.0.0.1:0.
    pub async fn start() -> StandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("stand-in: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("stand-in: local_addr");
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            addr,
            st: Mutex::new(St {
                requests: Vec::with_capacity(1024),
                fail_rules: Vec::new(),
                conns: HashMap::new(),
                sessions: HashMap::new(),
                gateway_received: Vec::new(),
                ready_count: 0,
                resumed_count: 0,
                last_commands_put: None,
                last_gateway_get: None,
                commands: HashMap::new(),
                command_ids: HashMap::new(),
                interactions: HashMap::new(),
                tokens: HashMap::new(),
                messages: HashMap::new(),
                members: HashMap::new(),
                app_permissions: BOT_PERMISSIONS,
                expect_commands: true,
                reject_resume: false,
            }),
            changed,
            ids: AtomicU64::new(1),
            connections: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest)
            .with_state(shared.clone());
        // TCP_NODELAY: without it Nagle + delayed ACK add ~40 ms to a dispatch -> reply round trip.
        let counted = shared.clone();
        let listener = listener.tap_io(move |tcp| {
            let _ = tcp.set_nodelay(true);
            counted.connections.fetch_add(1, Ordering::Relaxed);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StandIn {
            shared,
            _server: Arc::new(ServerGuard(server)),
        }
    }

    /// TCP connections accepted so far (REST and gateway): how well the client reuses them.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// "http://127.0.0.1:PORT": what the bot passes to `HttpBuilder::proxy`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// "ws://127.0.0.1:PORT/gateway", as answered by `GET /gateway`.
    pub fn ws_url(&self) -> String {
        self.shared.ws_url()
    }

    /// Whether [`StandIn::wait_ready`] also waits for a command registration (PUT of global or
    /// guild commands) after READY. Default: true (poise bots register in their setup).
    pub fn set_expect_command_registration(&self, expect: bool) {
        self.shared.lock().expect_commands = expect;
        self.shared.bump();
    }

    /// The bot's permissions sent as `app_permissions` in interactions built from now on.
    pub fn set_app_permissions(&self, permissions: u64) {
        self.shared.lock().app_permissions = permissions;
    }

    /// Answer RESUME (op 6) with INVALID_SESSION (op 9, d: false) instead of RESUMED, so the
    /// client must IDENTIFY again. Note that serenity then restarts the shard through its shard
    /// queuer, which waits 5 s between IDENTIFYs of one client.
    pub fn set_reject_resume(&self, reject: bool) {
        self.shared.lock().reject_resume = reject;
    }

    /// Wait until a connected gateway client got READY (or RESUMED), and, unless
    /// turned off with [`StandIn::set_expect_command_registration`], a commands PUT (global or
    /// guild) arrived since the client last asked `GET /gateway`, i.e. since this client started
    /// (a restarted client must register again; a client that re-IDENTIFYs need not, as poise runs
    /// its setup only once).
    ///
    /// poise finishes its setup just after the PUT's answer reaches it; an event arriving before
    /// that waits in poise's `Framework::user_data`, which polls every 100 ms. Before measuring
    /// latency, send one warm-up interaction and wait for its answer.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        self.wait_state(timeout, |st| {
            let ready = st.conns.values().any(|c| c.session.is_some());
            let registered = match (st.last_commands_put, st.last_gateway_get) {
                (Some(put), Some(get)) => put >= get,
                (Some(_), None) => true,
                (None, _) => false,
            };
            ready && (!st.expect_commands || registered)
        })
        .await
    }

    /// Wait until at least `n` READYs have been sent in total (e.g. 2 after a bot restart), then
    /// as [`StandIn::wait_ready`].
    pub async fn wait_ready_count(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        if !self.wait_state(timeout, |st| st.ready_count >= n).await {
            return false;
        }
        self.wait_ready(deadline.saturating_duration_since(Instant::now()))
            .await
    }

    /// How many READYs the stand-in sent (one per IDENTIFY).
    pub fn ready_count(&self) -> usize {
        self.shared.lock().ready_count
    }

    /// How many RESUMEs were answered with RESUMED.
    pub fn resumed_count(&self) -> usize {
        self.shared.lock().resumed_count
    }

    /// Number of open gateway connections.
    pub fn connected_clients(&self) -> usize {
        self.shared.lock().conns.len()
    }

    /// Every gateway payload the clients sent (IDENTIFY, HEARTBEAT, RESUME, ...).
    pub fn gateway_received(&self) -> Vec<Value> {
        self.shared.lock().gateway_received.clone()
    }

    /// The `d` of every IDENTIFY received (token, intents, ...).
    pub fn identifies(&self) -> Vec<Value> {
        self.shared
            .lock()
            .gateway_received
            .iter()
            .filter(|v| v["op"] == 2)
            .map(|v| v["d"].clone())
            .collect()
    }

    /// The commands registered last: `None` = global, `Some(guild)` = that guild's.
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        self.shared
            .lock()
            .commands
            .get(&guild_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The message an interaction's reply (callback type 4) or deferral (type 5) created, as the
    /// stand-in holds it (edits applied). Its `id` is what [`StandIn::component_click`] needs.
    pub fn original_message(&self, interaction_id: u64) -> Option<Value> {
        let st = self.shared.lock();
        let mid = st.interactions.get(&interaction_id)?.original?;
        st.messages.get(&mid).cloned()
    }

    /// A message the bot created (channel message, follow-up or interaction reply) by id.
    pub fn message_by_id(&self, message_id: u64) -> Option<Value> {
        self.shared.lock().messages.get(&message_id).cloned()
    }

    /// Send a dispatch (op 0, the session's next `s`) to every ready client. Waits up to 10 s for
    /// one to be ready (panics if none). Returns when the frame was handed to the socket, with the
    /// instant just before the write.
    pub async fn dispatch(&self, event: &str, data: Value) -> Instant {
        self.dispatch_many(vec![(event.to_string(), data)]).await[0]
    }

    /// Queue several dispatches at once (a true burst: no round trip between them) and wait until
    /// all are written. Returns one send instant per event (`Instant::now()` for an event whose
    /// connection closed before it was written: that event was lost, as with Discord).
    pub async fn dispatch_many(&self, events: Vec<(String, Value)>) -> Vec<Instant> {
        if !self
            .wait_state(Duration::from_secs(10), |st| {
                st.conns.values().any(|c| c.session.is_some())
            })
            .await
        {
            panic!("stand-in: dispatch with no gateway client ready (did the bot IDENTIFY?)");
        }
        let mut acks = Vec::with_capacity(events.len());
        {
            let st = self.shared.lock();
            let ready: Vec<&Conn> = st.conns.values().filter(|c| c.session.is_some()).collect();
            for (event, data) in &events {
                let event: Arc<str> = Arc::from(event.as_str());
                let data: Arc<str> = Arc::from(data.to_string());
                let mut first = None;
                for (i, conn) in ready.iter().enumerate() {
                    let (ack, rx) = if i == 0 {
                        let (tx, rx) = oneshot::channel();
                        (Some(tx), Some(rx))
                    } else {
                        (None, None)
                    };
                    let _ = conn.tx.send(Out::Dispatch {
                        event: event.clone(),
                        data: data.clone(),
                        ack,
                    });
                    if rx.is_some() {
                        first = rx;
                    }
                }
                acks.push(first);
            }
        }
        let mut out = Vec::with_capacity(acks.len());
        for ack in acks {
            let at = match ack {
                Some(rx) => rx.await.unwrap_or_else(|_| Instant::now()),
                None => Instant::now(),
            };
            out.push(at);
        }
        out
    }

    /// Close every gateway socket with `4000` (unknown error). serenity reconnects and RESUMEs;
    /// the stand-in answers with RESUMED (or op 9 after [`StandIn::set_reject_resume`]).
    pub fn disconnect_clients(&self) {
        self.disconnect_clients_with(4000);
    }

    /// Close every gateway socket with the given close code (e.g. 4009 session timed out, which
    /// makes serenity IDENTIFY again instead of resuming).
    pub fn disconnect_clients_with(&self, code: u16) {
        let mut st = self.shared.lock();
        for conn in st.conns.values_mut() {
            // Not ready any more: later dispatches wait for the reconnected (resumed) client.
            conn.session = None;
            let _ = conn.tx.send(Out::Close(code));
        }
        drop(st);
        self.shared.bump();
    }

    /// Every REST request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The first recorded request (past or future) matching `pred`, or None after `timeout`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        timeout: Duration,
    ) -> Option<Recorded> {
        let mut got = self.wait_for_n(pred, 1, timeout).await;
        got.pop()
    }

    /// The first `n` recorded requests matching `pred`; fewer if `timeout` passes first.
    pub async fn wait_for_n(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        n: usize,
        timeout: Duration,
    ) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.changed.subscribe();
        let mut cursor = 0;
        let mut found = Vec::new();
        loop {
            rx.borrow_and_update();
            {
                let st = self.shared.lock();
                for r in &st.requests[cursor..] {
                    if pred(r) {
                        found.push(r.clone());
                        if found.len() >= n {
                            return found;
                        }
                    }
                }
                cursor = st.requests.len();
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return found,
            }
        }
    }

    /// Make the next `times` requests matching `method` ("*" = any) and `path_prefix` (e.g.
    /// "/interactions/" or "/api/v10/channels/") fail with `status`. 429 comes with Discord's
    /// rate-limit body and headers (retry_after 0.1 s); other statuses with
    /// `{"message": "...", "code": 0}`. Failed requests are recorded with that status.
    pub fn fail_next(&self, method: &str, path_prefix: &str, status: u16, times: usize) {
        self.push_rule(method, path_prefix, status, 0.1, false, times);
    }

    /// Like `fail_next(method, prefix, 429, times)` with a chosen `retry_after` and global flag.
    pub fn rate_limit_next(
        &self,
        method: &str,
        path_prefix: &str,
        retry_after_secs: f64,
        global: bool,
        times: usize,
    ) {
        self.push_rule(method, path_prefix, 429, retry_after_secs, global, times);
    }

    fn push_rule(
        &self,
        method: &str,
        prefix: &str,
        status: u16,
        retry_after: f64,
        global: bool,
        times: usize,
    ) {
        self.shared.lock().fail_rules.push(FailRule {
            method: method.to_string(),
            prefix: prefix.to_string(),
            status,
            retry_after,
            global,
            remaining: times,
        });
    }

    // ----- payload builders ---------------------------------------------------------------------

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
                    if matches!(kind, 6..=9) {
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
                _ => {}
            }
        }
        Some(json!({"users": users, "members": members, "channels": channels, "roles": roles}))
    }

    async fn wait_state(&self, timeout: Duration, cond: impl Fn(&St) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.changed.subscribe();
        loop {
            rx.borrow_and_update();
            if cond(&self.shared.lock()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return cond(&self.shared.lock()),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON shapes
// ---------------------------------------------------------------------------------------------

fn bot_user_json() -> Value {
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

fn role_json(id: u64, name: &str, permissions: u64) -> Value {
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

fn application_json() -> Value {
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

fn guild_json(guild_id: u64) -> Value {
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

fn guild_channel_json(channel_id: u64, guild_id: u64) -> Value {
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

fn dm_channel_json(channel_id: u64, user: Value) -> Value {
    json!({
        "id": channel_id.to_string(),
        "type": 1,
        "last_message_id": null,
        "recipients": [user],
        "flags": 0,
    })
}

/// A Message as Discord returns it, echoing content/embeds/components/flags/tts of `body`.
fn message_json(
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
fn edit_message(stored: &mut Value, body: &Value) {
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
fn command_echo(mut c: Value, id: u64, guild_id: Option<u64>) -> Value {
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
// REST
// ---------------------------------------------------------------------------------------------

fn json_response(status: u16, body: Value) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        body.to_string(),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn discord_error(status: u16, code: u64, message: &str) -> Response {
    json_response(status, json!({"message": message, "code": code}))
}

fn rate_limited(retry_after: f64, global: bool) -> Response {
    // As Discord sends it: no "code" (optional, only for some limits), so serenity 0.12.5 reports
    // "Could not decode json ... missing field `code`" with status 429.
    let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global});
    let mut r = json_response(429, body);
    let h = r.headers_mut();
    let reset = unix_ms() as f64 / 1000.0 + retry_after;
    let set = |h: &mut HeaderMap, k: &'static str, v: String| {
        h.insert(k, HeaderValue::from_str(&v).expect("header value"));
    };
    set(
        h,
        "retry-after",
        format!("{}", retry_after.ceil().max(1.0) as u64),
    );
    set(h, "x-ratelimit-limit", "5".into());
    set(h, "x-ratelimit-remaining", "0".into());
    set(h, "x-ratelimit-reset", format!("{reset:.3}"));
    set(h, "x-ratelimit-reset-after", format!("{retry_after:.3}"));
    set(
        h,
        "x-ratelimit-bucket",
        "standin0000000000000000000000000".into(),
    );
    set(
        h,
        "x-ratelimit-scope",
        if global {
            "global".into()
        } else {
            "user".into()
        },
    );
    if global {
        set(h, "x-ratelimit-global", "true".into());
    }
    r
}

async fn rest(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (json_body, files) = if content_type.starts_with("multipart/") {
        parse_multipart(content_type, &body)
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(&body).unwrap_or(Value::Null),
            Vec::new(),
        )
    };
    let method_s = method.as_str().to_string();

    let response = {
        let mut st = sh.lock();
        let rule = st.fail_rules.iter_mut().find(|r| {
            r.remaining > 0
                && method_matches(&r.method, &method_s)
                && path_matches(&r.prefix, &path)
        });
        let injected = rule.map(|r| {
            r.remaining -= 1;
            (r.status, r.retry_after, r.global)
        });
        let response = match injected {
            Some((429, retry_after, global)) => rate_limited(retry_after, global),
            Some((status, _, _)) => {
                let msg = match status {
                    500 => "500: Internal Server Error",
                    502 => "502: Bad Gateway",
                    503 => "503: Service Unavailable",
                    _ => "Injected failure",
                };
                discord_error(status, 0, msg)
            }
            None => route(&sh, &mut st, &method_s, &path, &json_body, &files),
        };
        let status = response.status().as_u16();
        let index = st.requests.len();
        st.requests.push(Recorded {
            index,
            method: method_s,
            path,
            query,
            body: json_body,
            files,
            status,
            at,
        });
        response
    };
    sh.bump();
    response
}

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn route(
    sh: &Shared,
    st: &mut St,
    method: &str,
    path: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
) -> Response {
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

/// Split a multipart/form-data body: the parsed `payload_json` part and the file parts.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<(String, Vec<u8>)>) {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return (Value::Null, Vec::new());
    };
    let delim = format!("--{boundary}").into_bytes();
    let mut positions = Vec::new();
    let mut i = 0;
    while i + delim.len() <= body.len() {
        if body[i..].starts_with(&delim) {
            positions.push(i);
            i += delim.len();
        } else {
            i += 1;
        }
    }
    let mut payload = Value::Null;
    let mut files = Vec::new();
    for w in positions.windows(2) {
        let mut part = &body[w[0] + delim.len()..w[1]];
        part = part.strip_prefix(b"\r\n").unwrap_or(part);
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = &part[split + 4..];
        let param = |key: &str| -> Option<String> {
            let pat = format!("{key}=\"");
            let start = head.find(&pat)? + pat.len();
            let end = head[start..].find('"')? + start;
            Some(head[start..end].to_string())
        };
        let filename = param("filename");
        let name = param("name").unwrap_or_default();
        if name == "payload_json" && filename.is_none() {
            payload = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else if let Some(f) = filename {
            files.push((f, content.to_vec()));
        }
    }
    (payload, files)
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

async fn gateway_upgrade(State(sh): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| gateway_conn(sh, socket))
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}

async fn gateway_conn(sh: Arc<Shared>, mut socket: WebSocket) {
    let conn_id = sh.snowflake();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    sh.lock().conns.insert(conn_id, Conn { tx, session: None });
    sh.bump();

    let mut seq: Option<Arc<AtomicU64>> = None;
    if send_text(
        &mut socket,
        json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": 41250}}).to_string(),
    )
    .await
    {
        loop {
            tokio::select! {
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(WsMessage::Text(t))) => t.as_str().to_string(),
                        Some(Ok(WsMessage::Binary(b))) => String::from_utf8_lossy(&b).to_string(),
                        Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    let op = frame["op"].as_u64().unwrap_or(u64::MAX);
                    sh.lock().gateway_received.push(frame.clone());
                    let ok = match op {
                        1 => send_text(&mut socket, r#"{"op":11,"s":null,"t":null,"d":null}"#.to_string()).await,
                        2 => {
                            let session_id = format!("standin-session-{}", sh.snowflake());
                            let s = Arc::new(AtomicU64::new(1));
                            let ready = json!({
                                "op": 0, "s": 1, "t": "READY",
                                "d": {
                                    "v": 10,
                                    "user": bot_user_json(),
                                    "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                                    "session_id": session_id,
                                    "resume_gateway_url": sh.ws_url(),
                                    "shard": [0, 1],
                                    "application": {"id": APP_ID.to_string(), "flags": 0},
                                    "private_channels": [],
                                    "presences": [],
                                    "relationships": [],
                                    "_trace": ["standin"],
                                }
                            });
                            // Register the session before writing READY: the client may answer
                            // (commands PUT) before this task runs again.
                            {
                                let mut st = sh.lock();
                                st.ready_count += 1;
                                st.sessions.insert(session_id.clone(), s.clone());
                                if let Some(c) = st.conns.get_mut(&conn_id) {
                                    c.session = Some(session_id);
                                }
                            }
                            seq = Some(s);
                            let ok = send_text(&mut socket, ready.to_string()).await;
                            sh.bump();
                            ok
                        }
                        6 => {
                            let sid = frame["d"]["session_id"].as_str().unwrap_or("").to_string();
                            let found = {
                                let st = sh.lock();
                                if st.reject_resume { None } else { st.sessions.get(&sid).cloned() }
                            };
                            match found {
                                Some(s) => {
                                    let n = s.fetch_add(1, Ordering::SeqCst) + 1;
                                    {
                                        let mut st = sh.lock();
                                        st.resumed_count += 1;
                                        if let Some(c) = st.conns.get_mut(&conn_id) {
                                            c.session = Some(sid);
                                        }
                                    }
                                    seq = Some(s);
                                    let resumed = json!({"op": 0, "s": n, "t": "RESUMED", "d": {"_trace": ["standin"]}});
                                    let ok = send_text(&mut socket, resumed.to_string()).await;
                                    sh.bump();
                                    ok
                                }
                                None => send_text(&mut socket, r#"{"op":9,"s":null,"t":null,"d":false}"#.to_string()).await,
                            }
                        }
                        _ => true,
                    };
                    if !ok { break; }
                }
                out = rx.recv() => match out {
                    Some(Out::Dispatch { event, data, ack }) => {
                        let Some(s) = &seq else { continue };
                        let n = s.fetch_add(1, Ordering::SeqCst) + 1;
                        let frame = format!(r#"{{"op":0,"s":{n},"t":"{event}","d":{data}}}"#);
                        let at = Instant::now();
                        if !send_text(&mut socket, frame).await { break; }
                        if let Some(ack) = ack { let _ = ack.send(at); }
                    }
                    Some(Out::Close(code)) => {
                        let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: "stand-in disconnect".into() }))).await;
                        break;
                    }
                    None => break,
                },
            }
        }
    }
    sh.lock().conns.remove(&conn_id);
    sh.bump();
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Now as RFC 3339 ("2024-05-01T12:34:56.789000+00:00").
fn timestamp_now() -> String {
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
