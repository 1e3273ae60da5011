//! The store contract, run against both backends: SQLite (a file) and PostgreSQL (a throwaway
//! cluster, see [`super::pg`]; skipped with a message when the server programs are absent).
//! Each check takes two handles on one store, as two bot processes would hold.

use std::time::Duration;

use lantern::store::any::AnyStore;
use lantern::store::postgres::{PgStore, PoolOptions};
use lantern::store::sqlite::SqliteStore;
use lantern::store::{
    AuditEntry, DocumentFormat, DocumentLimits, Outcome, QuestionRecord, ServerLine, Store,
    StoredDocument,
};

use super::pg::Cluster;

const GUILD: u64 = 1_100_000_000_000_000_001;
const OTHER: u64 = u64::MAX - 5; // above i64::MAX: ids must round-trip every bit
const T0: i64 = 1_767_225_600;

fn line(name: &str) -> ServerLine {
    ServerLine {
        id: 0,
        region: "gb".into(),
        name: name.into(),
        contact: "116 123".into(),
        hours: "24/7".into(),
        topics: vec!["grief".into()],
        purpose: "someone to talk to".into(),
        added_by: u64::MAX,
        added_at: T0,
    }
}

fn doc(id: &str, passages: u32) -> StoredDocument {
    StoredDocument {
        doc_id: id.into(),
        format: DocumentFormat::Plain,
        title: Some(id.to_uppercase()),
        author: None,
        publisher: None,
        date: Some("2026-01-02".into()),
        content: format!("The text of {id}.\n"),
        passages,
        added_by: 7,
        added_at: T0,
    }
}

async fn contract(a: AnyStore, b: AnyStore) {
    // Settings: defaults, then concurrent changes from both handles are all kept.
    assert_eq!(a.settings(GUILD).await.unwrap(), Default::default());
    let mut tasks = Vec::new();
    for i in 0..8u32 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.update_settings(GUILD, move |st| {
                match i % 4 {
                    0 => st.cooldown_secs = 40 + i,
                    1 => st.logging = true,
                    2 => st.region = Some("GB".into()),
                    _ => st.paused_channels.push(u64::from(i)),
                }
                Ok(String::new())
            })
            .await
            .unwrap()
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = b.settings(GUILD).await.unwrap();
    assert!(s.logging && s.region.as_deref() == Some("GB"), "{s:?}");
    assert_eq!(s.paused_channels.len(), 2, "{s:?}");
    let refused = a
        .update_settings(GUILD, |st| {
            st.cooldown_secs = 1;
            Err("no".into())
        })
        .await
        .unwrap();
    assert!(refused.is_err());
    assert_ne!(
        b.settings(GUILD).await.unwrap().cooldown_secs,
        1,
        "a refused change writes nothing"
    );

    // Lines: ids per store, removal only by their server, big ids round-trip.
    let first = a.add_line(GUILD, &line("A")).await.unwrap();
    let second = b.add_line(GUILD, &line("B")).await.unwrap();
    assert!(second > first);
    assert!(!a.remove_line(OTHER, first).await.unwrap());
    assert!(a.remove_line(GUILD, first).await.unwrap());
    let lines = b.lines(GUILD).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].name.as_str(), lines[0].added_by), ("B", u64::MAX));

    // Counters, logged questions, feedback, stats, forget.
    let record = |outcome, text: Option<&str>, user| QuestionRecord {
        guild: OTHER,
        user,
        outcome,
        text: text.map(str::to_string),
        at: T0,
    };
    a.record_questions(&[
        record(Outcome::Answered, None, 5),
        record(Outcome::NoMatch, Some("Where is group?"), 5),
        record(Outcome::NoMatch, Some("where is group? "), 6),
    ])
    .await
    .unwrap();
    b.record_questions(&[record(Outcome::Crisis, None, 6)])
        .await
        .unwrap();
    a.record_feedback(OTHER, 5, 99, true, T0).await.unwrap();
    b.record_feedback(OTHER, 6, 99, false, T0).await.unwrap();
    b.record_feedback(OTHER, 6, 99, true, T0).await.unwrap(); // a changed vote replaces
    let st = a.stats(OTHER).await.unwrap();
    assert_eq!(
        (st.questions, st.answered, st.no_match, st.crisis),
        (4, 1, 2, 1),
        "{st:?}"
    );
    assert_eq!((st.helpful, st.not_helpful), (2, 0), "{st:?}");
    assert_eq!(st.top_unanswered, vec![("where is group?".to_string(), 2)]);
    let gone = b.forget(5).await.unwrap();
    assert_eq!((gone.questions, gone.feedback), (1, 1));
    assert_eq!(a.stats(OTHER).await.unwrap().top_unanswered[0].1, 1);

    // Retention: logging off purges every logged question of the server.
    a.save_settings(OTHER, &Default::default()).await.unwrap();
    assert_eq!(b.purge_expired(T0 + 1).await.unwrap(), 1);

    // The audit log, newest first.
    for (i, action) in ["one", "two", "three"].into_iter().enumerate() {
        let entry = AuditEntry {
            actor: 9,
            action: action.into(),
            detail: String::new(),
            at: T0 - i as i64, // the clock going backwards does not reorder it
        };
        if i % 2 == 0 { &a } else { &b }
            .audit(GUILD, &entry)
            .await
            .unwrap();
    }
    let log: Vec<String> = a
        .audit_log(GUILD, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(log, ["three", "two"]);

    // Libraries: whole or nothing, limits, versions, per server, erased with the server.
    let roomy = DocumentLimits {
        max_documents: 4,
        max_passages: 10,
        max_bytes: 1_000,
    };
    assert_eq!(a.library_version(GUILD).await.unwrap(), 0);
    let v1 = a
        .add_documents(GUILD, &[doc("b", 2), doc("a", 3)], roomy)
        .await
        .unwrap()
        .unwrap();
    let refused = b
        .add_documents(GUILD, &[doc("c", 1), doc("a", 1)], roomy)
        .await
        .unwrap();
    assert!(refused.unwrap_err().contains("`a`"));
    let three = [doc("c", 1), doc("d", 1), doc("e", 1)];
    let refused = b.add_documents(GUILD, &three, roomy).await.unwrap();
    assert!(refused.unwrap_err().contains("limit is 4"));
    let refused = b.add_documents(GUILD, &[doc("c", 6)], roomy).await.unwrap();
    assert!(refused.unwrap_err().contains("11 passages"));
    let mut big = doc("big", 1);
    big.content = "x".repeat(1_000);
    let refused = b.add_documents(GUILD, &[big], roomy).await.unwrap();
    assert!(refused.unwrap_err().contains("bytes of text"));
    assert_eq!(
        b.documents(GUILD).await.unwrap(),
        vec![doc("b", 2), doc("a", 3)]
    );
    assert_eq!(
        b.library_version(GUILD).await.unwrap(),
        v1,
        "refusals change nothing"
    );
    assert_eq!(b.remove_document(OTHER, "a").await.unwrap(), None);
    let v2 = b.remove_document(GUILD, "a").await.unwrap().unwrap();
    assert!(v2 > v1);
    // Crisis-watch opt-outs: per server and member, undone by opting back in, kept by /forgetme.
    assert!(!a.watch_opted_out(GUILD, 7).await.unwrap());
    a.set_watch_opt_out(GUILD, 7, true, T0).await.unwrap();
    a.set_watch_opt_out(GUILD, 7, true, T0 + 1).await.unwrap();
    a.set_watch_opt_out(OTHER, 8, true, T0).await.unwrap();
    assert!(b.watch_opted_out(GUILD, 7).await.unwrap());
    assert!(!b.watch_opted_out(OTHER, 7).await.unwrap());
    let talked = AuditEntry {
        actor: 7,
        action: "talk".into(),
        detail: "private support thread 9".into(),
        at: T0,
    };
    a.audit(GUILD, &talked).await.unwrap();
    b.forget(7).await.unwrap();
    assert!(a.watch_opted_out(GUILD, 7).await.unwrap());
    let log = a.audit_log(GUILD, 50).await.unwrap();
    assert!(!log.iter().any(|e| e.action == "talk"), "{log:?}");
    b.set_watch_opt_out(OTHER, 8, false, T0).await.unwrap();
    assert!(!a.watch_opted_out(OTHER, 8).await.unwrap());
    a.erase_server(GUILD).await.unwrap();
    assert!(
        !b.watch_opted_out(GUILD, 7).await.unwrap(),
        "erased with the server"
    );
    assert!(b.documents(GUILD).await.unwrap().is_empty());
    assert!(b.lines(GUILD).await.unwrap().is_empty());
    assert!(b.audit_log(GUILD, 5).await.unwrap().is_empty());
    assert_eq!(b.settings(GUILD).await.unwrap(), Default::default());
    assert!(
        b.library_version(GUILD).await.unwrap() > v2,
        "versions only rise"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lantern.db");
    let a = SqliteStore::open(&path).await.unwrap();
    let b = SqliteStore::open(&path).await.unwrap();
    contract(a.into(), b.into()).await;
}

fn pool() -> PoolOptions {
    PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_store_keeps_the_contract() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.database("contract").await;
    // Two processes starting at once migrate once.
    let (a, b) = tokio::join!(PgStore::open(&url, pool()), PgStore::open(&url, pool()));
    contract(a.unwrap().into(), b.unwrap().into()).await;
}
