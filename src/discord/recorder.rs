//! The recorder: counted questions written in the background, in gathered batches, kept and
//! retried while the store is away.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::store::any::AnyStore;
use crate::store::{QuestionRecord, Store};

/// Most questions written in one transaction.
const RECORD_BATCH: usize = 1024;
/// How long the recorder gathers questions before writing them.
const RECORD_GATHER: Duration = Duration::from_millis(200);

/// Questions kept for a later write while the store is away; beyond this the oldest are
/// dropped (and said to be).
const RECORD_KEPT: usize = 100_000;

/// Writes counted questions in the background: it gathers what arrives over a short while and
/// writes it in one transaction, so a burst of questions costs a few writes, not one each, and
/// no task per question waits on the database. A failed write is kept and tried again (the
/// database restarting loses no count). Ends, having written everything queued, when every
/// sender is dropped (giving up after a few tries if the store is still away then).
pub fn recorder(
    store: AnyStore,
) -> (
    mpsc::UnboundedSender<QuestionRecord>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<QuestionRecord>();
    let task = tokio::spawn(async move {
        let mut batch = Vec::new();
        let mut closed = false;
        let mut failures = 0u32;
        loop {
            if batch.is_empty() && (closed || rx.recv_many(&mut batch, RECORD_BATCH).await == 0) {
                break;
            }
            let deadline = tokio::time::Instant::now() + RECORD_GATHER;
            while !closed && batch.len() < RECORD_BATCH {
                let room = RECORD_BATCH - batch.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut batch, room)).await {
                    Ok(0) => closed = true,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            match store.record_questions(&batch).await {
                Ok(()) => {
                    batch.clear();
                    failures = 0;
                }
                Err(e) => {
                    failures += 1;
                    if closed && failures >= 3 {
                        tracing::error!(
                            lost = batch.len(),
                            "recording questions failed at shutdown: {e}"
                        );
                        break;
                    }
                    tracing::warn!(
                        kept = batch.len(),
                        "recording questions failed, will retry: {e}"
                    );
                    if batch.len() > RECORD_KEPT {
                        let dropped = batch.len() - RECORD_KEPT;
                        batch.drain(..dropped);
                        tracing::error!(lost = dropped, "too many questions waiting for the store");
                    }
                    let wait = Duration::from_millis(250 * u64::from(failures.min(8)));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    });
    (tx, task)
}
