//! Crisis watch against the stand-in: in a watched channel a crisis message gets the lines
//! privately and the moderators an alert; an ordinary message gets nothing; an unwatched channel
//! is not read; an opted-out member gets no reply; when a direct message cannot be sent the
//! reply is short and in the channel; and no message text is ever stored, logging on or not.

use std::time::Duration;

use serde_json::json;

use super::discord::{
    ALERT_CHANNEL, Bot, T, assert_safe, button_ids, member, run, set, shipped_engine, started,
};

use super::standin::{CHANNEL_ID, StandIn, dm_channel_id, opt};

const UNWATCHED: u64 = 1_100_000_000_000_000_021;

fn dm_route(user: u64) -> String {
    format!("/channels/{}/messages", dm_channel_id(user))
}

/// Whether anything was sent to `user` privately or in the watched channel so far.
fn anything_for(si: &StandIn, user: u64) -> bool {
    si.requests().iter().any(|r| {
        r.is("POST", &dm_route(user))
            || (r.is("POST", "/users/@me/channels")
                && r.body["recipient_id"] == json!(user.to_string()))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_watch_answers_danger_privately_and_nothing_else() {
    let (si, bot, dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    set(&si, "watch_channels", &format!("<#{CHANNEL_ID}>")).await;
    set(&si, "logging", "on").await;

    // Ordinary talk in the watched channel, and danger in a channel nobody chose: nothing.
    si.dispatch(
        "MESSAGE_CREATE",
        si.message(
            "anyone watching the match tonight? amber-kestrel",
            member(81),
            false,
        ),
    )
    .await;
    let elsewhere = member(82).in_channel(UNWATCHED);
    si.dispatch(
        "MESSAGE_CREATE",
        si.message(
            "i want to kill myself tonight amber-kestrel",
            elsewhere,
            false,
        ),
    )
    .await;

    // A member in distress in the watched channel: the lines, privately.
    let words = "honestly i just want to sleep forever and never wake up, amber-kestrel";
    si.dispatch("MESSAGE_CREATE", si.message(words, member(80), false))
        .await;
    let dm = si
        .wait_for(|r| r.is("POST", &dm_route(80)), T)
        .await
        .expect("a private reply");
    assert_safe(&dm.body);
    let text = dm.content().unwrap();
    assert!(text.contains("988"), "{text}");
    assert!(text.contains("lantern-optout"), "says how to stop: {text}");
    assert!(!text.contains("amber"), "never echoes the member: {text}");
    let alert = si
        .wait_for(
            |r| r.is("POST", &format!("/channels/{ALERT_CHANNEL}/messages")),
            T,
        )
        .await
        .expect("moderators alerted");
    assert!(!alert.content().unwrap().contains("amber"));
    // Nothing public in the channel for a member reached privately.
    let public = format!("/channels/{CHANNEL_ID}/messages");
    assert!(!si.requests().iter().any(|r| r.is("POST", &public)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!anything_for(&si, 81), "ordinary messages get nothing");
    assert!(!anything_for(&si, 82), "unwatched channels are not read");

    // Feeling unreal: the private reply offers a grounding exercise.
    si.dispatch(
        "MESSAGE_CREATE",
        si.message(
            "everything feels unreal and far away and i don't want to be here anymore",
            member(83),
            false,
        ),
    )
    .await;
    let dm = si
        .wait_for(|r| r.is("POST", &dm_route(83)), T)
        .await
        .expect("a private reply");
    assert!(
        button_ids(&dm.body)
            .iter()
            .any(|b| b.starts_with("lantern:ground:")),
        "{:?}",
        dm.body
    );

    // Nothing public, and one alert per member who got a reply (80, 83): none for the others.
    assert!(!si.requests().iter().any(|r| r.is("POST", &public)));
    let alerts = format!("/channels/{ALERT_CHANNEL}/messages");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        si.requests()
            .iter()
            .filter(|r| r.is("POST", &alerts))
            .count(),
        2
    );
    bot.stop().await;

    // No message text anywhere in the store, though logging was on.
    for file in ["lantern.db", "lantern.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            let found = bytes.windows(13).any(|w| w == b"amber-kestrel");
            assert!(!found, "message text stored in {file}");
            let found = bytes.windows(12).any(|w| w == b"sleep foreve");
            assert!(!found, "message text stored in {file}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_watch_respects_opt_outs_and_falls_back_to_a_short_public_reply() {
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    set(&si, "watch_channels", &format!("<#{CHANNEL_ID}>")).await;
    let public = format!("/channels/{CHANNEL_ID}/messages");
    let alerts = format!("/channels/{ALERT_CHANNEL}/messages");

    // Opted out: a crisis gets nothing at all, not even an alert.
    let r = run(
        &si,
        si.slash_command("lantern-optout", json!([]), member(84)),
    )
    .await;
    assert_safe(r.message_body());
    assert!(
        r.content().unwrap().contains("emergency"),
        "{:?}",
        r.content()
    );
    si.dispatch(
        "MESSAGE_CREATE",
        si.message("i want to end my life tonight", member(84), false),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!anything_for(&si, 84), "opted out");
    assert!(!si.requests().iter().any(|r| r.is("POST", &public)));
    assert!(!si.requests().iter().any(|r| r.is("POST", &alerts)));

    // Still opted out, a medical emergency: the emergency reply privately, and an alert.
    si.dispatch(
        "MESSAGE_CREATE",
        si.message(
            "my brother took the whole bottle of pills and now he won't wake up",
            member(84),
            false,
        ),
    )
    .await;
    let dm = si
        .wait_for(|r| r.is("POST", &dm_route(84)), T)
        .await
        .expect("the emergency number, privately");
    assert!(dm.content().unwrap().contains("911"), "{:?}", dm.content());
    si.wait_for(|r| r.is("POST", &alerts), T)
        .await
        .expect("moderators told of the emergency");
    assert!(
        !si.requests().iter().any(|r| r.is("POST", &public)),
        "never public"
    );

    // The same member opts back in: crisis watch replies again.
    let r = run(
        &si,
        si.slash_command(
            "lantern-optout",
            json!([opt::boolean("undo", true)]),
            member(84),
        ),
    )
    .await;
    assert!(r.content().unwrap().contains("again"));
    let before = si
        .requests()
        .iter()
        .filter(|r| r.is("POST", &dm_route(84)))
        .count();
    si.dispatch(
        "MESSAGE_CREATE",
        si.message("i want to kill myself", member(84), false),
    )
    .await;
    si.wait_for_n(|r| r.is("POST", &dm_route(84)), before + 1, T)
        .await;
    assert_eq!(
        si.requests()
            .iter()
            .filter(|r| r.is("POST", &dm_route(84)))
            .count(),
        before + 1,
        "replies again once opted back in"
    );

    // Direct messages closed (Discord refuses the message with 403): a short reply in the
    // channel, replying to the message, pinging nobody.
    si.fail_next("POST", &format!("/api/v10{}", dm_route(86)), 403, 1);
    si.dispatch(
        "MESSAGE_CREATE",
        si.message("i can't do this anymore, i want to die", member(86), false),
    )
    .await;
    let reply = si
        .wait_for(|r| r.is("POST", &public), T)
        .await
        .expect("a reply in the channel");
    assert_safe(&reply.body);
    let text = reply.content().unwrap();
    assert!(
        text.contains("911") && text.contains("/resources"),
        "{text}"
    );
    assert!(
        reply.body["message_reference"].is_object(),
        "{}",
        reply.body
    );
    assert!(text.lines().count() < 12, "short in public: {text}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_owners_crisis_watch_nothing_is_read_and_moderators_are_told() {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lantern.db");
    let bot = Bot::start_with(&si, &db, shipped_engine(), |d| d.crisis_watch = false).await;
    let r = set(&si, "watch_channels", &format!("<#{CHANNEL_ID}>")).await;
    assert!(
        r.content()
            .unwrap()
            .contains("has not turned crisis watch on"),
        "{:?}",
        r.content()
    );
    si.dispatch(
        "MESSAGE_CREATE",
        si.message("i want to kill myself tonight", member(90), false),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!anything_for(&si, 90));
    let public = format!("/channels/{CHANNEL_ID}/messages");
    assert!(!si.requests().iter().any(|r| r.is("POST", &public)));
    bot.stop().await;
}
