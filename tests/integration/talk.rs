//! "Talk to someone here" against the stand-in: a private thread in the support channel with
//! exactly the member and the supporter role, the role the only mention allowed, the member's
//! words never in the hand-off, a second press within the period refused kindly, the audit log;
//! and, without supporters, no button and a reply that says how to reach the moderators.

use std::time::Duration;

use serde_json::{Value, json};

use lantern::store::Store;
use lantern::store::sqlite::SqliteStore;

use super::discord::{DISCLAIMER, T, assert_safe, button_ids, member, run, set, started};
use super::standin::{APP_ID, GUILD_ID, Recorded, StandIn, opt};

const SUPPORTERS: u64 = 1_100_000_000_000_000_555;
const SUPPORT_CHANNEL: u64 = 1_100_000_000_000_000_777;

/// The thread and the user of a `PUT /channels/{thread}/thread-members/{user}`.
fn thread_member(put: &Recorded) -> (u64, u64) {
    let segs: Vec<&str> = put.route().split('/').collect();
    match segs.as_slice() {
        ["", "channels", thread, "thread-members", user] => {
            (thread.parse().unwrap(), user.parse().unwrap())
        }
        _ => panic!("not a thread member: {}", put.route()),
    }
}

/// Dispatches an interaction answered after a private deferral (opening a thread takes several
/// requests) and returns the answer: the follow-up.
async fn deferred(si: &StandIn, interaction: Value) -> Recorded {
    let token = interaction["token"].as_str().unwrap().to_string();
    let callback = run(si, interaction).await;
    assert_eq!(
        callback.callback_type(),
        Some(5),
        "deferred first: {:?}",
        callback.body
    );
    let follow_up = format!("/webhooks/{APP_ID}/{token}");
    si.wait_for(|r| r.is("POST", &follow_up), T)
        .await
        .expect("the answer follows")
}

async fn supporters(si: &StandIn) {
    set(si, "supporter_role", &format!("<@&{SUPPORTERS}>")).await;
    set(si, "support_channel", &format!("<#{SUPPORT_CHANNEL}>")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talk_opens_a_private_thread_with_the_member_and_the_role_only() {
    let (si, bot, dir) = started().await;
    supporters(&si).await;
    // A crisis reply carries the button; its words must never reach the thread.
    let words = "i want to end my life tonight, the quiet heron knows";
    let r = run(
        &si,
        si.slash_command("ask", json!([opt::string("question", words)]), member(70)),
    )
    .await;
    assert_safe(r.message_body());
    let talk = format!("lantern:talk:{GUILD_ID}");
    assert!(
        button_ids(r.message_body()).contains(&talk),
        "{:?}",
        r.message_body()
    );
    // An answer carries it too.
    let r = run(
        &si,
        si.slash_command(
            "ask",
            json!([opt::string("question", "what is dissociation")]),
            member(71),
        ),
    )
    .await;
    assert!(button_ids(r.message_body()).contains(&talk));

    let clicked = deferred(&si, si.component_click(&talk, 1, member(70))).await;
    assert_safe(clicked.message_body());
    let threads = format!("/channels/{SUPPORT_CHANNEL}/threads");
    let created = si
        .wait_for(|r| r.is("POST", &threads), T)
        .await
        .expect("a thread is created in the support channel");
    assert_eq!(created.body["type"], json!(12), "private");
    assert_eq!(created.body["invitable"], json!(false));
    let added = si
        .wait_for(
            |r| r.method == "PUT" && r.route().contains("/thread-members/"),
            T,
        )
        .await
        .expect("the member is added");
    let (thread, user) = thread_member(&added);
    assert_eq!(user, 70);
    let members_added = si
        .requests()
        .iter()
        .filter(|r| r.route().contains("/thread-members/"))
        .count();
    assert_eq!(members_added, 1, "exactly the member, nobody else");
    let note = si
        .wait_for(|r| r.is("POST", &format!("/channels/{thread}/messages")), T)
        .await
        .expect("the hand-off note");
    let content = note.content().unwrap();
    assert!(
        content.starts_with(&format!("<@&{SUPPORTERS}>")),
        "{content}"
    );
    assert!(content.contains(DISCLAIMER));
    assert!(
        !content.contains("heron"),
        "never the member's words: {content}"
    );
    let allowed = &note.body["allowed_mentions"];
    assert_eq!(allowed["roles"], json!([SUPPORTERS.to_string()]));
    assert_eq!(allowed["users"], json!([]));
    assert_eq!(allowed["parse"], json!([]));
    let told = clicked.content().unwrap();
    assert!(told.contains(&format!("<#{thread}>")), "{told}");

    // A second press within the period: refused kindly, pointing to the open thread.
    let again = deferred(&si, si.component_click(&talk, 1, member(70))).await;
    assert_safe(again.message_body());
    let text = again.content().unwrap();
    assert!(
        text.contains("already have") && text.contains(&format!("<#{thread}>")),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let created = si
        .requests()
        .iter()
        .filter(|r| r.is("POST", &threads))
        .count();
    assert_eq!(created, 1, "no second thread");
    // Another member may.
    let other = deferred(&si, si.slash_command("talk", json!([]), member(72))).await;
    assert_eq!(
        other.body["flags"].as_u64().unwrap_or(0) & (1 << 6),
        1 << 6,
        "private"
    );
    assert!(other.content().unwrap().contains("opened a private thread"));
    bot.stop().await;

    let store = SqliteStore::open(&dir.path().join("lantern.db"))
        .await
        .unwrap();
    let log = store.audit_log(GUILD_ID, 20).await.unwrap();
    let talks: Vec<_> = log.iter().filter(|e| e.action == "talk").collect();
    assert_eq!(talks.len(), 2, "{log:?}");
    assert!(
        talks
            .iter()
            .any(|e| e.actor == 70 && e.detail.contains(&thread.to_string()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_supporters_there_is_no_button_and_talk_says_how_to_reach_moderators() {
    let (si, bot, _dir) = started().await;
    let r = run(
        &si,
        si.slash_command(
            "ask",
            json!([opt::string("question", "i want to kill myself")]),
            member(73),
        ),
    )
    .await;
    assert!(
        !button_ids(r.message_body())
            .iter()
            .any(|id| id.starts_with("lantern:talk")),
        "{:?}",
        r.message_body()
    );
    let r = deferred(&si, si.slash_command("talk", json!([]), member(73))).await;
    assert_safe(r.message_body());
    assert!(
        r.content().unwrap().contains("moderators"),
        "{:?}",
        r.content()
    );
    assert_eq!(
        si.requests()
            .iter()
            .filter(|r| r.route().ends_with("/threads"))
            .count(),
        0
    );
    // A failure to open (the bot lacks permissions) is said plainly and does not count.
    supporters(&si).await;
    let threads = format!("/api/v10/channels/{SUPPORT_CHANNEL}/threads");
    si.fail_next("POST", &threads, 403, 1);
    let r = deferred(&si, si.slash_command("talk", json!([]), member(74))).await;
    assert!(
        r.content().unwrap().contains("couldn't open"),
        "{:?}",
        r.content()
    );
    // Made but not finished (the member could not be added): the thread is removed again.
    si.fail_next("PUT", "/api/v10/channels/", 403, 1);
    let r = deferred(&si, si.slash_command("talk", json!([]), member(74))).await;
    assert!(
        r.content().unwrap().contains("couldn't open"),
        "{:?}",
        r.content()
    );
    let removed = si
        .wait_for(
            |r| r.method == "DELETE" && r.route().starts_with("/channels/"),
            T,
        )
        .await
        .expect("the half-made thread is removed");
    let put = si
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.route().contains("/thread-members/"))
        .unwrap();
    assert_eq!(
        removed.route(),
        format!("/channels/{}", thread_member(&put).0),
        "the same thread"
    );
    let r = deferred(&si, si.slash_command("talk", json!([]), member(74))).await;
    assert!(
        r.content().unwrap().contains("opened a private thread"),
        "{:?}",
        r.content()
    );
    bot.stop().await;
}
