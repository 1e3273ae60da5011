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

mod events;
mod gateway;
mod member;
mod payloads;
mod rest;
mod routes;
mod state;

pub use member::{Member, dm_channel_id, opt};
pub use rest::Recorded;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use serde_json::Value;
use tokio::sync::{oneshot, watch};

use gateway::gateway_upgrade;
use rest::rest;
use state::{Conn, FailRule, Out, Shared, St};

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
                files: HashMap::new(),
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
    /// A file a member attaches: its attachment JSON (for an option of type 11, see
    /// [`opt::attachment`]); the stand-in serves its bytes at its `url`, as Discord's CDN does.
    pub fn upload(&self, name: &str, bytes: &[u8]) -> Value {
        let id = self.shared.snowflake();
        let url = format!("http://{}/attachments/{id}/{name}", self.shared.addr);
        let attachment = serde_json::json!({
            "id": id.to_string(), "filename": name, "size": bytes.len(), "url": url,
            "proxy_url": url, "content_type": "text/plain; charset=utf-8",
        });
        self.shared
            .lock()
            .files
            .insert(id, (attachment.clone(), bytes.to_vec()));
        attachment
    }

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
                let hearing: Vec<&&Conn> = ready.iter().filter(|c| c.hears(data)).collect();
                let event: Arc<str> = Arc::from(event.as_str());
                let data: Arc<str> = Arc::from(data.to_string());
                let mut first = None;
                for (i, conn) in hearing.iter().enumerate() {
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

    /// Waits until `n` recorded requests match `pred` (or `timeout` passes) and returns how many
    /// did, without copying any: for load measurements, where the driver must stay light.
    pub async fn wait_count(
        &self,
        pred: impl Fn(&Recorded) -> bool,
        n: usize,
        timeout: Duration,
    ) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.changed.subscribe();
        let mut cursor = 0;
        let mut found = 0;
        loop {
            rx.borrow_and_update();
            {
                let st = self.shared.lock();
                found += st.requests[cursor..].iter().filter(|r| pred(r)).count();
                cursor = st.requests.len();
            }
            if found >= n {
                return found;
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

    /// Make the next `times` matching requests end with a dropped connection (no response).
    pub fn drop_next(&self, method: &str, path_prefix: &str, times: usize) {
        self.push_rule(method, path_prefix, rest::DROP, 0.0, false, times);
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
