//! Several bot processes on one PostgreSQL store, against the stand-in, which routes each
//! server's events to its shard (`(guild_id >> 22) % total`) as Discord does: two `lantern serve`
//! processes with disjoint shard ranges answer every question exactly once, and a change another
//! process makes to a server's settings is in effect at once (PostgreSQL notices), not after the
//! settings cache expires. And one instance keeps answering while the database restarts.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;

use lantern::config::{DiscordSettings, Registration};
use lantern::discord::{ServeOptions, serve};
use lantern::store::Store;
use lantern::store::postgres::{PgStore, PoolOptions};

use super::common::root;
use super::discord::{T, shipped_engine};
use super::pg::Cluster;
use super::standin::{CHANNEL_ID, GUILD_ID, Member, StandIn, opt};

/// A server on the other shard of two (GUILD_ID is on shard 1).
const GUILD_0: u64 = GUILD_ID + (1 << 22);
const CHANNEL_0: u64 = CHANNEL_ID + 1;

fn pool() -> PoolOptions {
    PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    }
}

/// A configuration folder like `config/`, whose store is the PostgreSQL database at `url`.
fn config_for(dir: &Path, url: &str) -> std::path::PathBuf {
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    for f in [
        "safety.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
        "grounding.toml",
    ] {
        std::fs::copy(root().join("config").join(f), config.join(f)).unwrap();
    }
    let settings = format!(
        "library = {:?}\nindex_cache = \"\"\n[store]\nurl = {url:?}\n[log]\nlevel = \"warn\"\n",
        root().join("data").display().to_string()
    );
    std::fs::write(config.join("lantern.toml"), settings).unwrap();
    config
}

/// `lantern serve` for a range of shards, as an operator starts it.
fn serve_process(config: &Path, proxy: &str, shards: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--http-proxy",
            proxy,
        ])
        .args(["--shards", shards, "--total-shards", "2"])
        .env("DISCORD_TOKEN", "standin-test-token")
        .current_dir(root())
        .stdin(Stdio::null())
        .spawn()
        .expect("lantern serve starts")
}

/// Stops a `lantern serve` process as an operator would (SIGTERM) and checks it ended cleanly.
fn stop(mut child: Child) {
    // SAFETY: kill sends a signal to a child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().expect("waited");
    assert!(status.success(), "lantern serve ended with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_on_one_postgres_answer_each_question_once_and_see_changes() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    assert_eq!(((GUILD_0 >> 22) % 2, (GUILD_ID >> 22) % 2), (0, 1));
    let url = cluster.database("shards").await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &url);
    let si = StandIn::start().await;
    let processes = [
        serve_process(&config, &si.base_url(), "0-0"),
        serve_process(&config, &si.base_url(), "1-1"),
    ];
    assert!(
        si.wait_ready_count(2, Duration::from_secs(30)).await,
        "both processes connect"
    );

    // A burst across both servers: each question is answered once.
    let member = |n: u64| {
        let m = Member::ordinary(500 + n, &format!("member{n}"));
        if n % 2 == 0 {
            m.in_guild(GUILD_0, CHANNEL_0)
        } else {
            m
        }
    };
    let interactions: Vec<_> = (0..20)
        .map(|n| {
            si.slash_command(
                "ask",
                json!([opt::string("question", "what is EMDR")]),
                member(n),
            )
        })
        .collect();
    let ids: Vec<u64> = interactions
        .iter()
        .map(|i| i["id"].as_str().unwrap().parse().unwrap())
        .collect();
    si.dispatch_many(
        interactions
            .into_iter()
            .map(|i| ("INTERACTION_CREATE".to_string(), i))
            .collect(),
    )
    .await;
    let callbacks = |id: u64| {
        si.requests()
            .iter()
            .filter(|r| r.interaction_id() == Some(id))
            .count()
    };
    let deadline = std::time::Instant::now() + T;
    while ids.iter().any(|&id| callbacks(id) == 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "a question was not answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a second answer, were one coming.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for &id in &ids {
        assert_eq!(callbacks(id), 1, "interaction {id} answered once");
    }

    // Another process (the operator's command line, say) changes a server's region: the
    // process serving that server, which has its settings cached, uses it at once.
    let ask_gb = || async {
        let i = si.slash_command(
            "ask",
            json!([opt::string("question", "what is EMDR")]),
            member(1),
        );
        let id: u64 = i["id"].as_str().unwrap().parse().unwrap();
        si.dispatch("INTERACTION_CREATE", i).await;
        let r = si
            .wait_for(|r| r.interaction_id() == Some(id), T)
            .await
            .expect("answered");
        r.content().unwrap_or_default().contains("999")
    };
    assert!(!ask_gb().await, "the default region first");
    let other = PgStore::open(&url, pool()).await.unwrap();
    other
        .update_settings(GUILD_ID, |s| {
            s.region = Some("GB".into());
            Ok(String::new())
        })
        .await
        .unwrap()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if ask_gb().await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the change never reached the process (its cache keeps settings for 60 s)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each process identifies as its own shard only, and no other shard connects: serenity
    // spaces identifies about five seconds apart, so an extra shard would have come by now.
    let since_ready = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(7).saturating_sub(since_ready.elapsed())).await;
    let mut shards: Vec<String> = si
        .identifies()
        .iter()
        .map(|d| d["shard"].to_string())
        .collect();
    shards.sort();
    assert_eq!(shards, ["[0,2]", "[1,2]"], "one shard per process");
    for p in processes {
        stop(p);
    }
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_answered_while_the_database_restarts_and_no_count_or_change_is_lost() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.database("faults").await;
    let si = StandIn::start().await;
    let store = PgStore::open(&url, pool()).await.unwrap();
    let options = ServeOptions {
        token: "standin-test-token".to_string(),
        discord: DiscordSettings {
            register: Registration::Global,
            http_proxy: si.base_url(),
            ..DiscordSettings::default()
        },
        config_dir: root().join("config"),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let bot = tokio::spawn(serve(shipped_engine(), store, options, async move {
        let _ = stopped.await;
    }));
    assert!(si.wait_ready(T).await);
    let ask = |n: u64| {
        si.slash_command(
            "ask",
            json!([opt::string("question", "what is EMDR")]),
            Member::ordinary(700 + n, &format!("m{n}")),
        )
    };
    let answered = |i: &serde_json::Value| {
        let id: u64 = i["id"].as_str().unwrap().parse().unwrap();
        move |r: &super::standin::Recorded| r.interaction_id() == Some(id)
    };
    // A moderator's change, acknowledged before the database goes away.
    let set = si.slash_command(
        "lantern config set",
        json!([
            opt::integer("setting", super::discord::setting_index("retention_days")),
            opt::string("value", "7")
        ]),
        Member::moderator(900, "mod900"),
    );
    si.dispatch("INTERACTION_CREATE", set.clone()).await;
    let r = si.wait_for(answered(&set), T).await.unwrap();
    assert!(r.content().unwrap().contains("7"), "{:?}", r.content());
    for n in 0..5 {
        let i = ask(n);
        si.dispatch("INTERACTION_CREATE", i.clone()).await;
        si.wait_for(answered(&i), T).await.expect("answered");
    }
    cluster.stop();
    for n in 5..15 {
        let i = ask(n);
        si.dispatch("INTERACTION_CREATE", i.clone()).await;
        let r = si
            .wait_for(answered(&i), T)
            .await
            .expect("answered while the database is away");
        assert!(
            r.content().unwrap_or_default().contains("Eye Movement"),
            "{:?}",
            r.content()
        );
    }
    cluster.restart();
    let check = PgStore::open(&url, pool()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let questions = check
            .stats(GUILD_ID)
            .await
            .map(|s| s.questions)
            .unwrap_or(0);
        if questions == 15 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "counts after the restart: {questions} of 15"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(check.settings(GUILD_ID).await.unwrap().retention_days, 7);
    let _ = stop.send(());
    let ended = tokio::time::timeout(T, bot).await.expect("stops");
    ended.expect("no panic").expect("serve ends cleanly");
}
