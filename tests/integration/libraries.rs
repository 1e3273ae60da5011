//! Servers' own libraries through Discord, against the stand-in: a moderator adds a document by
//! attaching a file, members of that server are answered from it and members of another server
//! are not; a broken file is refused with file and line and stores nothing; a member who is not
//! a moderator cannot add or remove; the library survives a restart; `export` returns what was
//! added; removing a document takes it out of answers.

use serde_json::{Value, json};

use lantern::store::Store;
use lantern::store::sqlite::SqliteStore;

use super::discord::{
    Bot, DISCLAIMER, T, ask, assert_safe, member, moderator, run, shipped_engine,
};
use super::standin::{GUILD_ID, Member, Recorded, StandIn, opt};

const OTHER_GUILD: u64 = 1_100_000_000_000_000_500;
const OTHER_CHANNEL: u64 = 1_100_000_000_000_000_501;

const DOCUMENT: &str = "+++\nid = \"lighthouse-group\"\ntitle = \"The Lighthouse Group\"\nauthor = \"Harbor moderators\"\n+++\n\n## When we meet\n\nThe lighthouse peer group meets every Thursday evening in the old harbour library, and newcomers are always welcome to sit and listen.\n";

/// Runs a `/lantern library ...` command that defers, and returns its follow-up's text.
async fn deferred(si: &StandIn, interaction: Value) -> String {
    let before = si.requests().len();
    let r = run(si, interaction).await;
    if r.callback_type() != Some(5) {
        // Answered at once (a refusal before any work).
        return r.content().unwrap_or_default().to_string();
    }
    let done = si
        .wait_for(
            |r| r.index >= before && (r.is("PATCH", "/webhooks/") || r.is("POST", "/webhooks/")),
            T,
        )
        .await
        .expect("the deferred command reported");
    assert_safe(done.message_body());
    done.content().unwrap_or_default().to_string()
}

fn add(si: &StandIn, name: &str, bytes: &[u8], who: Member) -> Value {
    let file = si.upload(name, bytes);
    si.slash_command(
        "lantern library add",
        json!([opt::attachment("file", &file)]),
        who,
    )
}

const QUESTION: &str = "when does the lighthouse peer group meet";

async fn answered_from_it(si: &StandIn, who: Member) -> bool {
    let r: Recorded = ask(si, QUESTION, who).await;
    assert!(r.content().unwrap().contains(DISCLAIMER));
    r.content().unwrap().contains("Thursday evening")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_curates_the_servers_own_library_from_discord() {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lantern.db");
    let bot = Bot::start(&si, &db, shipped_engine()).await;
    let elsewhere = || member(31).in_guild(OTHER_GUILD, OTHER_CHANNEL);
    assert!(
        !answered_from_it(&si, member(30)).await,
        "not in the shipped library"
    );

    // Only moderators may add.
    let r = run(
        &si,
        add(&si, "lighthouse.md", DOCUMENT.as_bytes(), member(9)),
    )
    .await;
    assert!(
        r.content().unwrap().contains("for moderators"),
        "{:?}",
        r.content()
    );
    assert!(!answered_from_it(&si, member(30)).await);

    let text = deferred(
        &si,
        add(&si, "lighthouse.md", DOCUMENT.as_bytes(), moderator(900)),
    )
    .await;
    assert!(
        text.contains("Added 1 document") && text.contains("lighthouse-group"),
        "{text}"
    );
    assert!(
        answered_from_it(&si, member(32)).await,
        "this server's members get it"
    );
    assert!(
        !answered_from_it(&si, elsewhere()).await,
        "another server's do not"
    );

    // A broken file is refused with file and line, and nothing is stored.
    let broken = b"{\"_id\":\"ok\",\"text\":\"Fine line.\"}\n{\"_id\": \"broken\", \"text\": \n";
    let text = deferred(&si, add(&si, "faq.jsonl", broken, moderator(900))).await;
    assert!(
        text.contains("Nothing was added") && text.contains("faq.jsonl:2"),
        "{text}"
    );
    let store = SqliteStore::open(&db).await.unwrap();
    let ids: Vec<String> = store
        .documents(GUILD_ID)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.doc_id)
        .collect();
    assert_eq!(ids, ["lighthouse-group"]);

    // Export returns what was added, as a file.
    let r = run(
        &si,
        si.slash_command("lantern library export", json!([]), moderator(900)),
    )
    .await;
    assert_safe(r.message_body());
    let (name, bytes) = r.files.first().expect("the export is attached");
    assert!(name.ends_with(".jsonl"), "{name}");
    let exported = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        exported.contains("\"_id\":\"lighthouse-group\"") && exported.contains("Thursday evening"),
        "{exported}"
    );

    // The library survives a restart.
    bot.stop().await;
    let bot = Bot::start(&si, &db, shipped_engine()).await;
    assert!(
        answered_from_it(&si, member(33)).await,
        "kept across a restart"
    );

    // Removing: only moderators; then the document is out of answers.
    let remove = |who| {
        si.slash_command(
            "lantern library remove",
            json!([opt::string("document", "lighthouse-group")]),
            who,
        )
    };
    let r = run(&si, remove(member(9))).await;
    assert!(
        r.content().unwrap().contains("for moderators"),
        "{:?}",
        r.content()
    );
    assert!(answered_from_it(&si, member(34)).await);
    let r = run(&si, remove(moderator(900))).await;
    assert!(
        r.content().unwrap().contains("Removed"),
        "{:?}",
        r.content()
    );
    assert!(
        !answered_from_it(&si, member(35)).await,
        "removed from answers"
    );
    let log = store.audit_log(GUILD_ID, 20).await.unwrap();
    for action in [
        "library add",
        "library add refused",
        "library export",
        "library remove",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action}: {log:?}");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operators_server_reloads_the_shipped_library() {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = Bot::start(&si, &dir.path().join("lantern.db"), shipped_engine()).await;
    let elsewhere = Member::moderator(77, "mod77").in_guild(OTHER_GUILD, OTHER_CHANNEL);
    let r = run(
        &si,
        si.slash_command("lantern library reload", json!([]), elsewhere),
    )
    .await;
    assert_safe(r.message_body());
    assert!(
        r.content().unwrap().contains("only the bot's operator"),
        "{:?}",
        r.content()
    );
    bot.stop().await;
}
