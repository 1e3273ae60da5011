//! Two `lantern serve` processes with disjoint shard ranges (0-0 and 1-1 of 2) on one PostgreSQL
//! store (a throwaway cluster, as the tests start one; skipped with a message without the
//! PostgreSQL server programs), against the loopback stand-in, which routes each server's events
//! to its shard. 1,000 `/ask` in one burst across two servers, one on each shard: how many were
//! answered, how many answered twice, and the latency from dispatch to callback (p50, p99, max).
//!
//! Run: `cargo bench --bench shards_load` (set `LANTERN_LOAD_N` for another burst size).

#[path = "../tests/integration/standin/mod.rs"]
mod standin;

// The bench uses the cluster's start-up only (its fault-test methods go unused here).
#[allow(dead_code)]
#[path = "../tests/integration/pg.rs"]
mod pg;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lantern::store::postgres::{PgStore, PoolOptions};
use lantern::store::{ServerSettings, Store};
use serde_json::json;
use standin::{CHANNEL_ID, GUILD_ID, Member, StandIn, opt};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A server on shard 0 of 2 (GUILD_ID is on shard 1).
const GUILD_0: u64 = GUILD_ID + (1 << 22);

const QUESTIONS: &[&str] = &[
    "why do people with PTSD use opioids?",
    "what is dissociation",
    "what is EMDR",
    "how are trauma and opioid addiction connected?",
    "what is naloxone",
    "ptsd flashbacks",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn config_dir(tmp: &Path, root: &Path, url: &str) -> std::path::PathBuf {
    let dir = tmp.join("config");
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "safety.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
        "grounding.toml",
    ] {
        std::fs::copy(root.join("config").join(f), dir.join(f)).unwrap();
    }
    let lantern = format!(
        "library = {:?}\nindex_cache = \"\"\n[store]\nurl = {url:?}\n[log]\nlevel = \"warn\"\n",
        root.join("data").display().to_string(),
    );
    std::fs::write(dir.join("lantern.toml"), lantern).unwrap();
    dir
}

fn spawn(config: &Path, proxy: &str, shards: &str, root: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "serve",
            "--http-proxy",
            proxy,
        ])
        .args(["--shards", shards, "--total-shards", "2"])
        .env("DISCORD_TOKEN", "standin-load-token")
        .current_dir(root)
        .stdin(Stdio::null())
        .spawn()
        .expect("lantern serve starts")
}

fn main() {
    let n: usize = std::env::var("LANTERN_LOAD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let Some(cluster) = pg::Cluster::start() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = cluster.database("load").await;
        let pool = PoolOptions {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(10),
        };
        let store = PgStore::open(&url, pool).await.unwrap();
        // Every member may ask (no cooldown, no channel cap): the bench measures answering.
        let open = ServerSettings {
            cooldown_secs: 0,
            channel_cap_per_minute: 0,
            ..ServerSettings::default()
        };
        for g in [GUILD_ID, GUILD_0] {
            store.save_settings(g, &open).await.unwrap();
        }
        store.close().await;
        let config = config_dir(tmp.path(), root, &url);
        let si = StandIn::start().await;
        let children = [
            spawn(&config, &si.base_url(), "0-0", root),
            spawn(&config, &si.base_url(), "1-1", root),
        ];
        assert!(
            si.wait_ready_count(2, Duration::from_secs(30)).await,
            "both processes connect"
        );
        let member = |i: usize| {
            let m = Member::ordinary(20_000 + i as u64, &format!("member{i}"));
            if i % 2 == 0 {
                m.in_guild(GUILD_0, CHANNEL_ID + 1)
            } else {
                m
            }
        };
        // Warm-up: one question on each shard.
        for i in 0..2 {
            let warm = si.slash_command("ask", json!([opt::string("question", QUESTIONS[0])]), member(n + i));
            let id: u64 = warm["id"].as_str().unwrap().parse().unwrap();
            si.dispatch("INTERACTION_CREATE", warm).await;
            si.wait_for(|r| r.interaction_id() == Some(id), Duration::from_secs(10))
                .await
                .expect("warm-up answered");
        }
        let events: Vec<(String, serde_json::Value)> = (0..n)
            .map(|i| {
                let q = QUESTIONS[i % QUESTIONS.len()];
                (
                    "INTERACTION_CREATE".to_string(),
                    si.slash_command("ask", json!([opt::string("question", q)]), member(i)),
                )
            })
            .collect();
        let ids: Vec<u64> = events
            .iter()
            .map(|(_, e)| e["id"].as_str().unwrap().parse().unwrap())
            .collect();
        let started = Instant::now();
        let sent = si.dispatch_many(events).await;
        let id_set: std::collections::HashSet<u64> = ids.iter().copied().collect();
        let is_ours =
            |r: &standin::Recorded| r.interaction_id().is_some_and(|i| id_set.contains(&i));
        si.wait_count(is_ours, n, Duration::from_secs(60)).await;
        let burst = started.elapsed();
        // Time for a second answer to any of them, were one coming.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let answered: Vec<standin::Recorded> =
            si.requests().into_iter().filter(|r| is_ours(r)).collect();
        let mut per_id: HashMap<u64, (usize, Instant)> = HashMap::new();
        for r in &answered {
            let e = per_id.entry(r.interaction_id().unwrap()).or_insert((0, r.at));
            e.0 += 1;
        }
        let twice = per_id.values().filter(|(c, _)| *c > 1).count();
        let mut latencies: Vec<Duration> = ids
            .iter()
            .zip(&sent)
            .filter_map(|(id, t)| per_id.get(id).map(|(_, a)| a.saturating_duration_since(*t)))
            .collect();
        latencies.sort();
        println!("burst of {n} /ask across 2 servers, 2 lantern serve processes (shards 0-0 and 1-1 of 2), one PostgreSQL, 2-core machine");
        println!(
            "  answered: {} of {n}, lost: {}, answered twice: {twice}",
            latencies.len(),
            n - latencies.len()
        );
        if !latencies.is_empty() {
            println!(
                "  dispatch → callback: p50 {:?}, p99 {:?}, max {:?}; whole burst {burst:?}",
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99),
                latencies[latencies.len() - 1]
            );
        }
        for child in children {
            // SAFETY: kill signals a child this bench started.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let mut child = child;
            let _ = child.wait();
        }
    });
    drop(cluster);
}
