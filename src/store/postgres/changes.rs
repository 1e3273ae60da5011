//! Changes announced between processes: every change to a server's settings, lines or library
//! sends a notice at commit, and each process listens for them ([`PgStore::changes`]).

use std::time::Duration;

use sqlx::Transaction;
use sqlx::postgres::Postgres;

use super::PgStore;
use crate::store::{GuildId, StoreError};

/// The channel on which every process hears that a server's settings or library changed.
pub const CHANGES: &str = "lantern_changes";

/// Tells every process (at commit) that `guild`'s settings, lines or library changed.
pub(super) async fn notify(
    tx: &mut Transaction<'static, Postgres>,
    guild: GuildId,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGES)
        .bind(guild.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What another process changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// One server's settings, lines or library.
    Server(GuildId),
    /// Unknown (the connection to the database was lost meanwhile): anything may have changed.
    Anything,
}

impl PgStore {
    /// Changes made by any process (this one included), as they commit: a task holds a listening
    /// connection (reconnecting when it drops, and then reporting [`Changed::Anything`]).
    pub async fn changes(
        &self,
    ) -> Result<tokio::sync::mpsc::UnboundedReceiver<Changed>, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANGES).await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let changed = match listener.try_recv().await {
                    Ok(Some(n)) => match n.payload().parse() {
                        Ok(guild) => Changed::Server(guild),
                        Err(_) => continue,
                    },
                    // The connection dropped; the next call reconnects. What was said
                    // meanwhile is lost, so everything is in doubt.
                    Ok(None) => Changed::Anything,
                    Err(e) => {
                        tracing::warn!("listening for changes failed, retrying: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        Changed::Anything
                    }
                };
                if tx.send(changed).is_err() {
                    break;
                }
            }
        });
        Ok(rx)
    }
}
