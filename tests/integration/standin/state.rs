//! The server's shared state: recorded requests, fail rules, gateway connections and sessions,
//! interactions, messages and registered commands.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::payloads::unix_ms;
use super::{DISCORD_EPOCH_MS, Member, Recorded};

pub(super) struct FailRule {
    pub(super) method: String,
    pub(super) prefix: String,
    pub(super) status: u16,
    pub(super) retry_after: f64,
    pub(super) global: bool,
    pub(super) remaining: usize,
}

pub(super) enum Out {
    Dispatch {
        event: Arc<str>,
        data: Arc<str>,
        ack: Option<oneshot::Sender<Instant>>,
    },
    Close(u16),
}

pub(super) struct Conn {
    pub(super) tx: mpsc::UnboundedSender<Out>,
    /// Set once IDENTIFY got READY or RESUME got RESUMED.
    pub(super) session: Option<String>,
    /// The shard it identified as: (id, total).
    pub(super) shard: (u64, u64),
}

impl Conn {
    /// Whether Discord would send this event to this connection: a server's events go to the
    /// shard `(guild_id >> 22) % total`, direct messages to shard 0.
    pub(super) fn hears(&self, data: &Value) -> bool {
        let (id, total) = self.shard;
        if total <= 1 {
            return true;
        }
        let guild = data["guild_id"]
            .as_str()
            .and_then(|g| g.parse::<u64>().ok());
        match guild {
            Some(g) => (g >> 22) % total == id,
            None => id == 0,
        }
    }
}

#[derive(Default)]
pub(super) struct Interaction {
    pub(super) token: String,
    /// For component interactions: the message the component is on.
    pub(super) message_id: Option<u64>,
    pub(super) channel_id: u64,
    pub(super) guild_id: Option<u64>,
    pub(super) acked: bool,
    pub(super) original: Option<u64>,
}

pub(super) struct St {
    pub(super) requests: Vec<Recorded>,
    pub(super) fail_rules: Vec<FailRule>,
    pub(super) conns: HashMap<u64, Conn>,
    /// session_id -> the session's last sequence number (shared with its connection task).
    pub(super) sessions: HashMap<String, Arc<AtomicU64>>,
    pub(super) gateway_received: Vec<Value>,
    pub(super) ready_count: usize,
    pub(super) resumed_count: usize,
    pub(super) last_commands_put: Option<Instant>,
    /// The last `GET /gateway` or `/gateway/bot`: a client (re)starting.
    pub(super) last_gateway_get: Option<Instant>,
    /// None = global commands; Some(guild) = guild commands.
    pub(super) commands: HashMap<Option<u64>, Vec<Value>>,
    pub(super) command_ids: HashMap<String, u64>,
    pub(super) interactions: HashMap<u64, Interaction>,
    pub(super) tokens: HashMap<String, u64>,
    pub(super) messages: HashMap<u64, Value>,
    pub(super) members: HashMap<u64, Member>,
    pub(super) app_permissions: u64,
    pub(super) expect_commands: bool,
    pub(super) reject_resume: bool,
    /// Files members attached (attachment id -> attachment JSON and bytes), served at their URL.
    pub(super) files: HashMap<u64, (Value, Vec<u8>)>,
}

pub(super) struct Shared {
    pub(super) addr: SocketAddr,
    pub(super) st: Mutex<St>,
    pub(super) changed: watch::Sender<u64>,
    pub(super) ids: AtomicU64,
    /// TCP connections accepted (REST and gateway).
    pub(super) connections: AtomicU64,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// A fresh, realistic snowflake.
    pub(super) fn snowflake(&self) -> u64 {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let ms = unix_ms().saturating_sub(DISCORD_EPOCH_MS);
        (ms << 22) | (n & 0x3f_ffff)
    }

    pub(super) fn ws_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }
}
