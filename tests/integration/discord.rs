//! The real serenity/poise bot (`lantern::discord::serve`) driven end to end against the
//! loopback Discord stand-in: every assertion is on the JSON the bot sends.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;

use lantern::config::{DiscordSettings, Registration};
use lantern::corpus::Library;
use lantern::discord::{ServeOptions, serve};
use lantern::engine::{Config, Engine};
use lantern::retrieval::Retrieval;
use lantern::store::Store;
use lantern::store::sqlite::SqliteStore;

use super::common::{config, root};
use super::standin::{CHANNEL_ID, GUILD_ID, MODERATOR_ROLE_ID, Member, Recorded, StandIn, opt};

pub(super) const T: Duration = Duration::from_secs(10);
pub(super) const DISCLAIMER: &str = "Lantern shares excerpts from articles; it is not a clinician";
const EPHEMERAL: u64 = 1 << 6;
pub(super) const ALERT_CHANNEL: u64 = 1_100_000_000_000_000_099;

/// A running bot and what it needs to be stopped.
pub(super) struct Bot {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Bot {
    pub(super) async fn start(si: &StandIn, store: &Path, engine: Engine) -> Bot {
        Bot::start_with(si, store, engine, |_| {}).await
    }

    /// [`Bot::start`] with the `[discord]` settings changed by `change`.
    pub(super) async fn start_with(
        si: &StandIn,
        store: &Path,
        engine: Engine,
        change: impl FnOnce(&mut DiscordSettings),
    ) -> Bot {
        let store = SqliteStore::open(store).await.expect("store opens");
        let mut discord = DiscordSettings {
            register: Registration::Global,
            http_proxy: si.base_url(),
            // The test server is the operator's: its moderators may reload the shipped
            // library (a moderator of any other server may not).
            operator_guild: GUILD_ID,
            // The owner turned crisis watch on; servers choose its channels.
            crisis_watch: true,
            ..DiscordSettings::default()
        };
        change(&mut discord);
        let options = ServeOptions {
            token: "standin-test-token".to_string(),
            discord,
            config_dir: root().join("config"),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(engine, store, options, async move {
            let _ = stopped.await;
        }));
        assert!(si.wait_ready(T).await, "the bot did not get ready");
        Bot { stop, task }
    }

    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        let ended = tokio::time::timeout(T, self.task)
            .await
            .expect("the bot stops");
        ended.expect("no panic").expect("serve ends cleanly");
    }
}

pub(super) fn shipped_engine() -> Engine {
    engine_over(config(), &root().join("data"))
}

fn engine_over(config: Config, library: &Path) -> Engine {
    let chunking = Retrieval::new(&config.settings.search, Default::default()).chunking;
    let lib = Library::load(library, chunking).expect("library loads");
    Engine::new(config, lib, library.to_path_buf()).expect("engine builds")
}

pub(super) async fn started() -> (StandIn, Bot, tempfile::TempDir) {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = Bot::start(&si, &dir.path().join("lantern.db"), shipped_engine()).await;
    (si, bot, dir)
}

pub(super) fn id_of(payload: &Value) -> u64 {
    payload["id"].as_str().unwrap().parse().unwrap()
}

/// Dispatches an interaction and waits for its callback.
pub(super) async fn run(si: &StandIn, interaction: Value) -> Recorded {
    let id = id_of(&interaction);
    si.dispatch("INTERACTION_CREATE", interaction).await;
    si.wait_for(|r| r.interaction_id() == Some(id), T)
        .await
        .expect("the interaction got a callback")
}

fn flags(r: &Recorded) -> u64 {
    r.message_body()["flags"].as_u64().unwrap_or(0)
}

/// How many messages were posted to a route so far.
fn posts_to(si: &StandIn, route: &str) -> usize {
    si.requests().iter().filter(|r| r.is("POST", route)).count()
}

/// Runs `/ask question` for a member and returns the callback.
pub(super) async fn ask(si: &StandIn, question: &str, who: Member) -> Recorded {
    run(
        si,
        si.slash_command("ask", json!([opt::string("question", question)]), who),
    )
    .await
}

/// Every custom id of a message's buttons.
pub(super) fn button_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// Every message must end with the disclaimer and allow no mentions at all.
pub(super) fn assert_safe(body: &Value) {
    let content = body["content"].as_str().expect("content");
    assert!(content.contains(DISCLAIMER), "no disclaimer in {content}");
    assert!(content.chars().count() <= 2000, "over Discord's limit");
    let am = &body["allowed_mentions"];
    assert_eq!(am["parse"], json!([]), "allowed_mentions: {body}");
    assert_eq!(am.get("users").cloned().unwrap_or(json!([])), json!([]));
    assert_eq!(am.get("roles").cloned().unwrap_or(json!([])), json!([]));
    assert_ne!(am.get("replied_user"), Some(&json!(true)));
}

/// `/lantern stats` once it contains every `needle` (questions are counted just after the reply
/// is sent, so figures settle a moment later); panics with the last text after a timeout.
async fn stats_showing(si: &StandIn, needles: &[&str]) -> String {
    let deadline = std::time::Instant::now() + T;
    loop {
        let r = run(
            si,
            si.slash_command("lantern stats", json!([]), moderator(900)),
        )
        .await;
        let text = r.content().unwrap().to_string();
        if needles.iter().all(|n| text.contains(n)) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stats never showed {needles:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(super) fn member(id: u64) -> Member {
    Member::ordinary(id, &format!("member{id}"))
}

pub(super) fn moderator(id: u64) -> Member {
    Member::moderator(id, &format!("mod{id}"))
}

/// `/lantern config set`: Discord sends a choice as its index.
pub(super) fn setting_index(name: &str) -> i64 {
    let names = [
        "region",
        "mention_channels",
        "alert_channel",
        "alert_period_minutes",
        "cooldown_seconds",
        "channel_cap_per_minute",
        "private_by_default",
        "crisis_public",
        "concern_alerts",
        "logging",
        "retention_days",
        "moderator_role",
        "shipped_articles",
        "content_notes",
        "supporter_role",
        "support_channel",
        "talk_period_minutes",
        "watch_channels",
    ];
    names.iter().position(|n| *n == name).expect("a setting") as i64
}

pub(super) async fn set(si: &StandIn, setting: &str, value: &str) -> Recorded {
    let i = si.slash_command(
        "lantern config set",
        json!([
            opt::integer("setting", setting_index(setting)),
            opt::string("value", value)
        ]),
        moderator(900),
    );
    let r = run(si, i).await;
    assert!(r.content().unwrap_or_default().contains(DISCLAIMER));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_with_quotes_citations_disclaimer_buttons_and_no_mentions() {
    let (si, bot, _dir) = started().await;
    let i = si.slash_command(
        "ask",
        json!([opt::string(
            "question",
            "why do people with PTSD use opioids?"
        )]),
        member(1),
    );
    let r = run(&si, i).await;
    assert_eq!(r.callback_type(), Some(4));
    let body = r.message_body();
    assert_safe(body);
    let content = body["content"].as_str().unwrap();
    assert!(content.starts_with("> "), "{content}");
    assert!(content.contains("[1] \u{201C}"), "{content}");
    assert_eq!(flags(&r) & EPHEMERAL, 0, "public by default");
    let buttons = &body["components"][0]["components"];
    let labels: Vec<&str> = buttons
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["More results", "Helpful", "Not helpful"]);
    let registered: Vec<String> = si
        .registered_commands(None)
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for name in [
        "ask",
        "resources",
        "source",
        "about",
        "help",
        "forgetme",
        "lantern",
    ] {
        assert!(
            registered.iter().any(|n| n == name),
            "{name} registered: {registered:?}"
        );
    }
    let lantern = si
        .registered_commands(None)
        .into_iter()
        .find(|c| c["name"] == "lantern")
        .unwrap();
    assert_eq!(
        lantern["default_member_permissions"],
        json!("32"),
        "Manage Server only by default"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ask_is_ephemeral() {
    let (si, bot, _dir) = started().await;
    let i = si.slash_command(
        "ask",
        json!([
            opt::string("question", "what is EMDR"),
            opt::boolean("private", true)
        ]),
        member(2),
    );
    let r = run(&si, i).await;
    assert_eq!(flags(&r) & EPHEMERAL, EPHEMERAL);
    assert_safe(r.message_body());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_gets_a_reply_to_the_message_pinging_no_one() {
    let (si, bot, _dir) = started().await;
    let text = format!("{} what is naloxone? @everyone <@123>", si.bot_mention());
    let msg = si.message(&text, member(3), true);
    let msg_id = msg["id"].as_str().unwrap().to_string();
    si.dispatch("MESSAGE_CREATE", msg).await;
    let route = format!("/channels/{CHANNEL_ID}/messages");
    let r = si
        .wait_for(|r| r.is("POST", &route), T)
        .await
        .expect("a reply");
    assert_safe(&r.body);
    assert_eq!(r.body["message_reference"]["message_id"], json!(msg_id));
    assert!(r.content().unwrap().contains("naloxone") || r.content().unwrap().contains("Naloxone"));
    // A message that does not mention the bot is left alone.
    si.dispatch(
        "MESSAGE_CREATE",
        si.message("what is naloxone?", member(4), false),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(posts_to(&si, &route), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_by_slash_command_is_private_with_lines_first_and_alerts_moderators_once() {
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    let i = si.slash_command(
        "ask",
        json!([opt::string("question", "I want to end my life")]),
        member(5),
    );
    let r = run(&si, i).await;
    assert_eq!(
        flags(&r) & EPHEMERAL,
        EPHEMERAL,
        "crisis replies to /ask are private by default"
    );
    let body = r.message_body();
    assert_safe(body);
    let content = body["content"].as_str().unwrap();
    assert!(content.lines().next().unwrap().contains("911"), "{content}");
    assert!(content.contains("988"), "{content}");
    assert!(
        !content.contains("> "),
        "no library quotes in a crisis reply"
    );
    let alert_route = format!("/channels/{ALERT_CHANNEL}/messages");
    let alert = si
        .wait_for(|r| r.is("POST", &alert_route), T)
        .await
        .expect("moderators alerted");
    assert_safe(&alert.body);
    let alert_text = alert.content().unwrap();
    assert!(
        alert_text.contains(&format!("<#{CHANNEL_ID}>")),
        "{alert_text}"
    );
    assert!(alert_text.contains(&format!(
        "https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}"
    )));
    assert!(
        !alert_text.to_lowercase().contains("end my life"),
        "never the member's words"
    );
    // A second crisis message from the same member within the period: lines again, no alert.
    let i = si.slash_command(
        "ask",
        json!([opt::string("question", "i still want to die")]),
        member(5),
    );
    let r = run(&si, i).await;
    assert!(r.content().unwrap().contains("988"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(posts_to(&si, &alert_route), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_by_mention_is_a_short_public_reply_with_an_alert_linking_the_message() {
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    // Crisis replies go out even where mentions are not answered and even past a cooldown.
    set(&si, "mention_channels", "<#1>").await;
    let msg = si.message(
        &format!("{} my friend is not breathing", si.bot_mention()),
        member(6),
        true,
    );
    let msg_id = msg["id"].as_str().unwrap().to_string();
    si.dispatch("MESSAGE_CREATE", msg).await;
    let route = format!("/channels/{CHANNEL_ID}/messages");
    let r = si
        .wait_for(|r| r.is("POST", &route), T)
        .await
        .expect("a public reply");
    assert_safe(&r.body);
    let content = r.content().unwrap();
    assert!(
        content.lines().next().unwrap().contains("call 911 now"),
        "{content}"
    );
    assert!(content.contains("Poison Control"), "{content}");
    let alert_route = format!("/channels/{ALERT_CHANNEL}/messages");
    let alert = si
        .wait_for(|r| r.is("POST", &alert_route), T)
        .await
        .expect("alert");
    assert!(
        alert
            .content()
            .unwrap()
            .contains(&format!("/{CHANNEL_ID}/{msg_id}")),
        "jump link"
    );
    assert!(!alert.content().unwrap().contains("breathing"));
    bot.stop().await;
}

/// Waits for the next alert posted after `seen` alerts, or `None` when none comes.
async fn next_alert(si: &StandIn, seen: usize) -> Option<String> {
    let route = format!("/channels/{ALERT_CHANNEL}/messages");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < deadline {
        let alerts: Vec<Recorded> = si
            .requests()
            .into_iter()
            .filter(|r| r.is("POST", &route))
            .collect();
        if let Some(a) = alerts.get(seen) {
            assert_safe(&a.body);
            return a.content().map(str::to_string);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_danger_tier_gets_its_own_reply_and_alert() {
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;

    // A concern: warm, lines first, an invitation to reach out; an alert by default.
    let r = ask(
        &si,
        "honestly everyone would be better off without me",
        member(21),
    )
    .await;
    assert_safe(r.message_body());
    let content = r.content().unwrap();
    assert!(
        content.starts_with("It sounds like things are really heavy"),
        "{content}"
    );
    assert!(content.contains("988"), "{content}");
    assert!(content.contains("moderators"), "{content}");
    assert!(!content.contains("couldn't find"), "{content}");
    let alert = next_alert(&si, 0)
        .await
        .expect("a concern alerts the moderators");
    assert!(alert.contains("may be struggling"), "{alert}");
    assert!(
        !alert.contains("better off"),
        "never the member's words: {alert}"
    );

    // An emergency by mention: the emergency number first, the overdose lines, the sourced
    // harm-reduction line.
    let msg = si.message(
        &format!(
            "{} my roommate took a whole bottle of pills and her lips are blue",
            si.bot_mention()
        ),
        member(22),
        true,
    );
    si.dispatch("MESSAGE_CREATE", msg).await;
    let route = format!("/channels/{CHANNEL_ID}/messages");
    let reply = si
        .wait_for(
            |r| r.is("POST", &route) && r.content().is_some_and(|c| c.contains("naloxone")),
            T,
        )
        .await
        .expect("an emergency reply");
    assert_safe(&reply.body);
    let content = reply.content().unwrap();
    assert!(
        content.lines().next().unwrap().contains("call 911 now"),
        "{content}"
    );
    assert!(content.contains("Poison Control"), "{content}");
    assert!(content.contains("Source: SAMHSA"), "{content}");
    let alert = next_alert(&si, 1)
        .await
        .expect("an emergency alerts the moderators");
    assert!(alert.contains("medical emergency"), "{alert}");
    assert!(!alert.contains("bottle"), "{alert}");

    // Someone else at risk: the reply speaks to the helper.
    let r = ask(
        &si,
        "my friend keeps saying she wants to die and i dont know what to do",
        member(23),
    )
    .await;
    assert_safe(r.message_body());
    let content = r.content().unwrap();
    assert!(
        content.starts_with("It's good that you're looking out for them"),
        "{content}"
    );
    assert!(content.contains("988"), "{content}");
    let alert = next_alert(&si, 2)
        .await
        .expect("someone else at risk alerts the moderators");
    assert!(alert.contains("someone else may be at risk"), "{alert}");

    // With concern alerts off, a concern still gets its reply but no alert.
    set(&si, "concern_alerts", "off").await;
    let r = ask(&si, "i feel like such a burden to everyone", member(24)).await;
    assert!(
        r.content()
            .unwrap()
            .starts_with("It sounds like things are really heavy")
    );
    assert!(next_alert(&si, 3).await.is_none(), "concern alerts are off");
    bot.stop().await;
}

/// A bot over [`long_answer_library`], quoting eight passages per answer.
async fn started_with_long_answers() -> (StandIn, Bot, tempfile::TempDir) {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let library = long_answer_library(dir.path());
    let mut config = config();
    config.settings.search.results = 8;
    let bot = Bot::start(
        &si,
        &dir.path().join("db.sqlite"),
        engine_over(config, &library),
    )
    .await;
    (si, bot, dir)
}

/// A library whose answer to "opioid recovery story" needs several messages.
fn long_answer_library(dir: &Path) -> std::path::PathBuf {
    let library = dir.join("library");
    std::fs::create_dir(&library).unwrap();
    for n in 0..8 {
        let sentence = format!(
            "Opioid recovery story {n} is long {}and it ends here.",
            "with many careful words about support ".repeat(9)
        );
        let body = format!(
            "+++\nid = \"story-{n}\"\ntitle = \"Story {n}\"\n+++\n\n{sentence} {sentence}\n"
        );
        std::fs::write(library.join(format!("story-{n}.md")), body).unwrap();
    }
    library
}

/// A fault the stand-in injects on the next request to a route.
#[derive(Debug, Clone, Copy)]
enum Fault {
    RateLimited,
    Status(u16),
    Dropped,
}

const FAULTS: [Fault; 4] = [
    Fault::RateLimited,
    Fault::Status(500),
    Fault::Status(502),
    Fault::Dropped,
];

fn inject(si: &StandIn, fault: Fault, route: &str, times: usize) {
    match fault {
        Fault::RateLimited => si.rate_limit_next("POST", route, 0.3, false, times),
        Fault::Status(status) => si.fail_next("POST", route, status, times),
        Fault::Dropped => si.drop_next("POST", route, times),
    }
}

/// Successful POSTs to a route so far.
fn delivered(si: &StandIn, route: &str) -> Vec<Recorded> {
    si.requests()
        .into_iter()
        .filter(|r| r.is("POST", route) && (200..300).contains(&r.status))
        .collect()
}

async fn wait_delivered(si: &StandIn, route: &str, n: usize) -> Vec<Recorded> {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let got = delivered(si, route);
        if got.len() >= n || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_send_survives_a_429_a_500_a_502_and_a_dropped_connection() {
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    let channel_route = format!("/channels/{CHANNEL_ID}/messages");
    let alert_route = format!("/channels/{ALERT_CHANNEL}/messages");
    for (n, fault) in FAULTS.into_iter().enumerate() {
        let member_id = 300 + n as u64 * 10;
        // The interaction callback: a crisis /ask gets its lines, not an error.
        inject(&si, fault, "/interactions/", 1);
        let before = delivered(&si, "/interactions/").len();
        si.dispatch(
            "INTERACTION_CREATE",
            si.slash_command(
                "ask",
                json!([opt::string("question", "i want to end my life")]),
                member(member_id),
            ),
        )
        .await;
        let got = wait_delivered(&si, "/interactions/", before + 1).await;
        let reply = got.last().expect("a callback");
        assert_safe(reply.message_body());
        assert!(reply.content().unwrap().contains("988"), "{fault:?}");
        // The alert (a channel message) got through too.
        let alerts = wait_delivered(&si, &alert_route, n + 1).await;
        assert_eq!(alerts.len(), n + 1, "{fault:?}: the alert was delivered");

        // A reply to a mention (a channel message).
        inject(&si, fault, &channel_route, 1);
        let before = delivered(&si, &channel_route).len();
        let msg = si.message(
            &format!("{} what is dissociation", si.bot_mention()),
            member(member_id + 1),
            true,
        );
        si.dispatch("MESSAGE_CREATE", msg).await;
        let got = wait_delivered(&si, &channel_route, before + 1).await;
        assert!(got.len() > before, "{fault:?}: the mention was answered");
        assert_safe(&got.last().unwrap().body);
    }
    // No failed request was left unretried: every injected failure is followed by a success.
    let failed = si
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", "/") && !(200..300).contains(&r.status))
        .count();
    assert!(
        failed >= (FAULTS.len() - 1) * 2,
        "faults were injected: {failed}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_survive_faults() {
    let (si, bot, _dir) = started_with_long_answers().await;
    for (n, fault) in FAULTS.into_iter().enumerate() {
        inject(&si, fault, "/webhooks/", 1);
        let before = delivered(&si, "/webhooks/").len();
        let i = si.slash_command(
            "ask",
            json!([opt::string("question", "opioid recovery story")]),
            member(400 + n as u64),
        );
        let first = run(&si, i).await;
        assert_safe(first.message_body());
        let got = wait_delivered(&si, "/webhooks/", before + 1).await;
        assert!(got.len() > before, "{fault:?}: the follow-up arrived");
        for r in &got[before..] {
            assert_safe(&r.body);
        }
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_reply_falls_back_to_the_channel_when_the_interaction_fails_for_good() {
    let (si, bot, _dir) = started().await;
    // Every attempt at the interaction callback fails.
    si.fail_next("POST", "/interactions/", 500, 50);
    let route = format!("/channels/{CHANNEL_ID}/messages");
    si.dispatch(
        "INTERACTION_CREATE",
        si.slash_command(
            "ask",
            json!([opt::string("question", "i took all my pills an hour ago")]),
            member(450),
        ),
    )
    .await;
    let posted = si
        .wait_for(
            |r| r.is("POST", &route) && (200..300).contains(&r.status),
            Duration::from_secs(30),
        )
        .await
        .expect("the crisis reply went to the channel");
    assert_safe(&posted.body);
    let content = posted.content().unwrap();
    assert!(content.contains("911"), "{content}");
    assert!(
        !content.to_lowercase().contains("something went wrong"),
        "{content}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_medical_advice_question_is_declined_plainly() {
    let (si, bot, _dir) = started().await;
    let i = si.slash_command(
        "ask",
        json!([opt::string(
            "question",
            "should I lower my suboxone dose myself"
        )]),
        member(7),
    );
    let r = run(&si, i).await;
    assert_safe(r.message_body());
    let content = r.content().unwrap();
    assert!(
        content.starts_with("Lantern can't advise on doses"),
        "{content}"
    );
    assert!(content.contains("pharmacist"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_by_region_and_its_autocomplete() {
    let (si, bot, _dir) = started().await;
    let i = si.slash_command(
        "resources",
        json!([
            opt::string("region", "uk"),
            opt::string("topic", "addiction")
        ]),
        member(8),
    );
    let r = run(&si, i).await;
    assert_safe(r.message_body());
    let content = r.content().unwrap();
    assert!(content.contains("United Kingdom"), "{content}");
    assert!(content.contains("**FRANK**"), "{content}");
    assert!(content.contains("999"), "{content}");
    let i = si.autocomplete(
        "resources",
        json!([opt::focused("region", "ire")]),
        member(8),
    );
    let r = run(&si, i).await;
    assert_eq!(r.callback_type(), Some(8));
    let choices = r.body["data"]["choices"].as_array().unwrap();
    assert!(choices.iter().any(|c| c["value"] == "IE"), "{choices:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderator_commands_are_refused_without_permission_and_accepted_with_it() {
    let (si, bot, _dir) = started().await;
    let i = si.slash_command(
        "lantern config set",
        json!([
            opt::integer("setting", setting_index("region")),
            opt::string("value", "uk")
        ]),
        member(9),
    );
    let r = run(&si, i).await;
    assert_safe(r.message_body());
    assert_eq!(flags(&r) & EPHEMERAL, EPHEMERAL);
    assert!(
        r.content().unwrap().contains("for moderators"),
        "{:?}",
        r.content()
    );
    for sub in [
        "lantern stats",
        "lantern pause",
        "lantern library reload",
        "lantern config show",
    ] {
        let r = run(&si, si.slash_command(sub, json!([]), member(9))).await;
        assert!(
            r.content().unwrap().contains("for moderators"),
            "{sub}: {:?}",
            r.content()
        );
    }
    // Manage Server: accepted.
    let r = set(&si, "region", "uk").await;
    assert!(
        r.content()
            .unwrap()
            .contains("Region: United Kingdom (GB)."),
        "{:?}",
        r.content()
    );
    // The region now shapes every reply's disclaimer.
    let r = ask(&si, "what is EMDR", member(10)).await;
    assert!(
        r.content().unwrap().contains("Emergency: 999"),
        "{:?}",
        r.content()
    );
    // The server's moderator role is accepted too, without Manage Server.
    set(&si, "moderator_role", &format!("<@&{MODERATOR_ROLE_ID}>")).await;
    let with_role = member(11).with_roles([MODERATOR_ROLE_ID]);
    let r = run(
        &si,
        si.slash_command("lantern config show", json!([]), with_role),
    )
    .await;
    assert!(
        r.content().unwrap().contains("region: GB"),
        "{:?}",
        r.content()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_server_lines_survive_a_restart() {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lantern.db");
    let bot = Bot::start(&si, &db, shipped_engine()).await;
    set(&si, "cooldown_seconds", "42").await;
    let add = si.slash_command(
        "lantern resources add",
        json!([
            opt::string("region", "us"),
            opt::string("name", "Harbor Peer Line"),
            opt::string("contact", "555-0100"),
            opt::string("topics", "addiction"),
        ]),
        moderator(900),
    );
    assert!(
        run(&si, add)
            .await
            .content()
            .unwrap()
            .contains("Added line #1")
    );
    bot.stop().await;

    let bot = Bot::start(&si, &db, shipped_engine()).await;
    let r = run(
        &si,
        si.slash_command("lantern config show", json!([]), moderator(900)),
    )
    .await;
    assert!(
        r.content().unwrap().contains("cooldown_seconds: 42"),
        "{:?}",
        r.content()
    );
    let r = run(
        &si,
        si.slash_command(
            "resources",
            json!([opt::string("topic", "addiction")]),
            member(12),
        ),
    )
    .await;
    assert!(
        r.content().unwrap().contains("Harbor Peer Line"),
        "{:?}",
        r.content()
    );
    let store = SqliteStore::open(&db).await.unwrap();
    let log = store.audit_log(GUILD_ID, 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "config set" && e.detail == "cooldown_seconds = 42"),
        "{log:?}"
    );
    assert!(log.iter().any(|e| e.action == "resources add"), "{log:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cooldown_gets_a_kind_notice_but_never_blocks_a_crisis() {
    let (si, bot, _dir) = started().await;
    set(&si, "cooldown_seconds", "60").await;
    let first = ask(&si, "what is EMDR", member(13)).await;
    assert!(first.content().unwrap().starts_with("> "));
    let second = ask(&si, "what is MAT", member(13)).await;
    assert_safe(second.message_body());
    assert_eq!(flags(&second) & EPHEMERAL, EPHEMERAL);
    assert!(
        second.content().unwrap().contains("more seconds"),
        "{:?}",
        second.content()
    );
    let crisis = ask(&si, "kms", member(13)).await;
    assert!(
        crisis.content().unwrap().contains("988"),
        "{:?}",
        crisis.content()
    );
    let other = ask(&si, "what is MAT", member(14)).await;
    assert!(
        other.content().unwrap().starts_with("> "),
        "other members are not held back"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_longer_than_discord_allows_is_split_each_part_with_the_disclaimer() {
    let (si, bot, _dir) = started_with_long_answers().await;
    let i = si.slash_command(
        "ask",
        json!([opt::string("question", "opioid recovery story")]),
        member(15),
    );
    let first = run(&si, i).await;
    assert_safe(first.message_body());
    let followups = si.wait_for_n(|r| r.is("POST", "/webhooks/"), 1, T).await;
    assert!(
        !followups.is_empty(),
        "the rest follows as follow-up messages"
    );
    let quotes: usize = std::iter::once(&first)
        .chain(&followups)
        .map(|r| {
            r.content()
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("> "))
                .count()
        })
        .sum();
    for r in &followups {
        assert_safe(&r.body);
    }
    assert!(quotes >= 4, "{quotes} quotes across messages");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_and_more_results_buttons_work_and_feedback_is_counted() {
    let (si, bot, _dir) = started().await;
    let r = ask(&si, "what is dissociation", member(16)).await;
    let components = &r.message_body()["components"][0]["components"];
    let more = components[0]["custom_id"].as_str().unwrap().to_string();
    let helpful = components[1]["custom_id"].as_str().unwrap().to_string();
    let message_id = id_of(
        &si.original_message(r.interaction_id().unwrap())
            .expect("original message"),
    );
    let click = si.component_click(&helpful, message_id, member(16));
    let thanks = run(&si, click).await;
    assert_safe(thanks.message_body());
    assert!(thanks.content().unwrap().contains("glad it helped"));
    let click = si.component_click(&more, message_id, member(16));
    let next = run(&si, click).await;
    assert_safe(next.message_body());
    assert_eq!(flags(&next) & EPHEMERAL, EPHEMERAL);
    stats_showing(
        &si,
        &["Questions: 1\n", "Feedback: 1 helpful, 0 not helpful"],
    )
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetme_erases_logged_questions_and_feedback() {
    let (si, bot, _dir) = started().await;
    set(&si, "logging", "on").await;
    let (alice, bob) = (member(17), member(18));
    ask(&si, "how to bake sourdough bread", alice.clone()).await;
    ask(&si, "How to bake sourdough bread ", bob.clone()).await;
    let answer = ask(&si, "what is EMDR", member(19)).await;
    let helpful = answer.message_body()["components"][0]["components"][1]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    let message_id = id_of(
        &si.original_message(answer.interaction_id().unwrap())
            .expect("original message"),
    );
    run(&si, si.component_click(&helpful, message_id, alice.clone())).await;
    stats_showing(
        &si,
        &[
            "Questions: 3\n",
            "2\u{00D7} how to bake sourdough bread",
            "Feedback: 1 helpful",
        ],
    )
    .await;

    let r = run(&si, si.slash_command("forgetme", json!([]), alice)).await;
    assert_safe(r.message_body());
    assert_eq!(flags(&r) & EPHEMERAL, EPHEMERAL);
    assert!(
        r.content()
            .unwrap()
            .contains("erased 1 logged question(s) and 1 feedback click(s)"),
        "{:?}",
        r.content()
    );
    // Bob's question stays; Alice's is gone, and so is her feedback (the counts stay: they hold
    // nothing about her).
    stats_showing(
        &si,
        &[
            "Questions: 3\n",
            "1\u{00D7} how to bake sourdough bread",
            "Feedback: 0 helpful",
        ],
    )
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_from_discord_is_answered_kindly_and_the_bot_keeps_going() {
    let (si, bot, _dir) = started().await;
    // An unknown command.
    let r = run(&si, si.slash_command("frobnicate", json!([]), member(30))).await;
    assert_safe(r.message_body());
    assert!(r.content().unwrap().contains("don't know that command"));
    // A missing required option.
    let r = run(&si, si.slash_command("ask", json!([]), member(31))).await;
    assert_safe(r.message_body());
    // An oversized option (Discord caps it at 1,000; the stand-in does not).
    let huge = "opioids trauma ".repeat(5000);
    let r = ask(&si, &huge, member(32)).await;
    assert_safe(r.message_body());
    // An unknown server and a channel the bot has never seen.
    let stranger = member(33).in_guild(42, 4242);
    let r = ask(&si, "what is EMDR", stranger).await;
    assert_safe(r.message_body());
    // Discord failing: a 500, then a 429, on the callback; the next interaction still works.
    si.fail_next("POST", "/interactions/", 500, 1);
    si.dispatch(
        "INTERACTION_CREATE",
        si.slash_command(
            "ask",
            json!([opt::string("question", "what is MAT")]),
            member(34),
        ),
    )
    .await;
    si.rate_limit_next("POST", "/interactions/", 1.0, false, 1);
    si.dispatch(
        "INTERACTION_CREATE",
        si.slash_command(
            "ask",
            json!([opt::string("question", "what is MAT")]),
            member(35),
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A deleted alert channel: the alert fails, the member still gets the crisis lines.
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    si.fail_next(
        "POST",
        &format!("/channels/{ALERT_CHANNEL}/messages"),
        404,
        1,
    );
    let r = ask(&si, "i want to die", member(36)).await;
    assert!(r.content().unwrap().contains("988"));
    let r = ask(&si, "what is naloxone", member(37)).await;
    assert!(
        r.content().unwrap().starts_with("> "),
        "still answering: {:?}",
        r.content()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_reload_picks_up_new_documents_and_keeps_the_old_library_when_a_file_is_broken() {
    let si = StandIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    std::fs::create_dir(&library).unwrap();
    let doc =
        |id: &str, text: &str| format!("+++\nid = \"{id}\"\ntitle = \"{id}\"\n+++\n\n{text}\n");
    std::fs::write(
        library.join("a.md"),
        doc(
            "meetings",
            "Peer meetings happen every Tuesday evening at the hall.",
        ),
    )
    .unwrap();
    let bot = Bot::start(
        &si,
        &dir.path().join("db.sqlite"),
        engine_over(config(), &library),
    )
    .await;
    let ask = |q: &str, who: u64| {
        si.slash_command("ask", json!([opt::string("question", q)]), member(who))
    };
    let r = run(&si, ask("when is the gardening club", 40)).await;
    assert!(
        r.content().unwrap().contains("couldn't find"),
        "{:?}",
        r.content()
    );

    std::fs::write(
        library.join("b.md"),
        doc(
            "gardening",
            "The gardening club meets on Saturdays in the community garden.",
        ),
    )
    .unwrap();
    let r = run(
        &si,
        si.slash_command("lantern library reload", json!([]), moderator(900)),
    )
    .await;
    assert_eq!(
        r.callback_type(),
        Some(5),
        "a reload defers, then follows up"
    );
    let done = si
        .wait_for(
            |r| r.is("PATCH", "/webhooks/") || r.is("POST", "/webhooks/"),
            T,
        )
        .await
        .expect("reload reported");
    assert!(
        done.content().unwrap().contains("Reloaded: 2 documents"),
        "{:?}",
        done.content()
    );
    let r = run(&si, ask("when is the gardening club", 41)).await;
    assert!(
        r.content().unwrap().contains("Saturdays"),
        "{:?}",
        r.content()
    );

    std::fs::write(library.join("c.md"), "no front matter here\n").unwrap();
    let before = si.requests().len();
    run(
        &si,
        si.slash_command("lantern library reload", json!([]), moderator(900)),
    )
    .await;
    let failed = si
        .wait_for(
            |r| r.index >= before && (r.is("PATCH", "/webhooks/") || r.is("POST", "/webhooks/")),
            T,
        )
        .await
        .expect("failure reported");
    let text = failed.content().unwrap();
    assert!(
        text.contains("Not reloaded") && text.contains("c.md:1:"),
        "{text}"
    );
    let r = run(&si, ask("when is the gardening club", 42)).await;
    assert!(
        r.content().unwrap().contains("Saturdays"),
        "the old library stays: {:?}",
        r.content()
    );
    bot.stop().await;
}

/// Log lines written while the tests run, at debug level, with Lantern's production filter.
fn captured_log() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOG: std::sync::OnceLock<&'static std::sync::Mutex<Vec<u8>>> =
        std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let buffer: &'static std::sync::Mutex<Vec<u8>> =
            Box::leak(Box::new(std::sync::Mutex::new(Vec::new())));
        struct Writer(&'static std::sync::Mutex<Vec<u8>>);
        impl std::io::Write for Writer {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(lantern::discord::log_filter("debug", None))
            .with_ansi(false)
            .with_writer(move || Writer(buffer))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_words_never_reach_the_log_even_at_debug() {
    let log = captured_log();
    let (si, bot, _dir) = started().await;
    set(&si, "alert_channel", &format!("<#{ALERT_CHANNEL}>")).await;
    let words = [
        "zebraquokka what is dissociation",
        "xylophonewombat i want to end my life",
        "marmalade narwhal how much methadone should i take",
    ];
    for (n, w) in words.iter().enumerate() {
        let _ = ask(&si, w, member(600 + n as u64)).await;
        let msg = si.message(
            &format!("{} {w}", si.bot_mention()),
            member(610 + n as u64),
            true,
        );
        si.dispatch("MESSAGE_CREATE", msg).await;
    }
    // A message that mentions the bot with no question, an unknown command and a bad region.
    let msg = si.message(
        &format!("{} flamingoparsnip", si.bot_mention()),
        member(620),
        true,
    );
    si.dispatch("MESSAGE_CREATE", msg).await;
    let _ = run(
        &si,
        si.slash_command(
            "pelicanturnip",
            json!([opt::string("x", "okapibeetroot")]),
            member(621),
        ),
    )
    .await;
    let _ = run(
        &si,
        si.slash_command(
            "resources",
            json!([opt::string("region", "capybaracelery")]),
            member(622),
        ),
    )
    .await;
    // Crisis watch: a danger (its direct message refused, so the channel fallback too) and
    // ordinary talk in a watched channel.
    set(&si, "watch_channels", &format!("<#{CHANNEL_ID}>")).await;
    si.fail_next("POST", "/api/v10/users/@me/channels", 403, 1);
    for (n, w) in [
        "gooseberrylynx i want to kill myself tonight",
        "platypusmango anyone up for games later",
    ]
    .iter()
    .enumerate()
    {
        let msg = si.message(w, member(630 + n as u64), false);
        si.dispatch("MESSAGE_CREATE", msg).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    bot.stop().await;
    let text = String::from_utf8_lossy(&log.lock().unwrap()).to_lowercase();
    assert!(
        text.contains("lantern"),
        "the log was captured: {} bytes",
        text.len()
    );
    for marker in [
        "zebraquokka",
        "xylophonewombat",
        "marmalade",
        "narwhal",
        "end my life",
        "flamingoparsnip",
        "okapibeetroot",
        "capybaracelery",
        "pelicanturnip",
        "gooseberrylynx",
        "platypusmango",
        "kill myself tonight",
    ] {
        assert!(
            !text.contains(marker),
            "member text {marker:?} reached the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_moderator_changes_are_all_kept() {
    let (si, bot, _dir) = started().await;
    for round in 0..5u32 {
        let changes = [
            ("cooldown_seconds", format!("{}", 20 + round)),
            ("channel_cap_per_minute", format!("{}", 30 + round)),
            ("retention_days", format!("{}", 40 + round)),
            ("alert_period_minutes", format!("{}", 50 + round)),
        ];
        let mut ids = Vec::new();
        let mut events = Vec::new();
        for (k, (setting, value)) in changes.iter().enumerate() {
            let i = si.slash_command(
                "lantern config set",
                json!([
                    opt::integer("setting", setting_index(setting)),
                    opt::string("value", value)
                ]),
                moderator(910 + k as u64),
            );
            ids.push(id_of(&i));
            events.push(("INTERACTION_CREATE".to_string(), i));
        }
        si.dispatch_many(events).await;
        for id in ids {
            si.wait_for(|r| r.interaction_id() == Some(id), T)
                .await
                .expect("each change is confirmed");
        }
        let shown = run(
            &si,
            si.slash_command("lantern config show", json!([]), moderator(909)),
        )
        .await;
        let text = shown.content().unwrap().to_string();
        for needle in [
            format!("cooldown_seconds: {}", 20 + round),
            format!("channel_cap_per_minute: {}", 30 + round),
            format!("retention_days: {}", 40 + round),
            format!("alert_period_minutes: {}", 50 + round),
        ] {
            assert!(
                text.contains(&needle),
                "round {round}: {needle} missing in\n{text}"
            );
        }
    }
    bot.stop().await;
}
