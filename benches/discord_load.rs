//! Load benchmark of `lantern serve`: the real binary, connected to the loopback Discord
//! stand-in, gets 1,000 `/ask` interactions in one burst, twice: first common questions asked
//! again and again (as a server's members do; answers to repeated questions are reused), then
//! 1,000 questions that are all different as text (every one answered afresh). Reports how many
//! were answered, the latency from dispatch to the interaction callback arriving (p50, p99,
//! max), and the peak resident memory of the `lantern serve` process over both bursts.
//!
//! Run: `cargo bench --bench discord_load` (set `LANTERN_LOAD_N` for another burst size).

#[path = "../tests/integration/standin/mod.rs"]
mod standin;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lantern::store::sqlite::SqliteStore;

// The stand-in shares the machine's two cores with the bot: it allocates with jemalloc too, so
// glibc's arena growth in its one worker thread does not slow the burst it is timing.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use lantern::store::{ServerSettings, Store};
use serde_json::json;
use standin::{GUILD_ID, Member, StandIn, opt};

const QUESTIONS: &[&str] = &[
    "why do people with PTSD use opioids?",
    "what is dissociation",
    "what is EMDR",
    "how are trauma and opioid addiction connected?",
    "what is naloxone",
    "signs someone is struggling with trauma and addiction",
    "what is medication-assisted treatment",
    "ptsd flashbacks",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Waits for the child and returns its peak resident set size in bytes and its CPU time.
fn wait_peak_rss(child: &mut Child) -> (u64, Duration) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes into `status` and `usage`, which live for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    // Linux reports ru_maxrss in kilobytes.
    (
        usage.ru_maxrss as u64 * 1024,
        tv(usage.ru_utime) + tv(usage.ru_stime),
    )
}

fn config_dir(tmp: &Path, root: &Path) -> std::path::PathBuf {
    let dir = tmp.join("config");
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "safety.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
    ] {
        std::fs::copy(root.join("config").join(f), dir.join(f)).unwrap();
    }
    let lantern = format!(
        "library = {:?}\nindex_cache = \"\"\n[store]\npath = {:?}\n[log]\nlevel = \"warn\"\n",
        root.join("data").display().to_string(),
        tmp.join("load.db").display().to_string()
    );
    std::fs::write(dir.join("lantern.toml"), lantern).unwrap();
    dir
}

fn main() {
    let n: usize = std::env::var("LANTERN_LOAD_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let config = config_dir(tmp.path(), root);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The burst's server lets every member ask (no cooldown, no channel cap): the benchmark
        // measures answering, not the limits.
        let store = SqliteStore::open(&tmp.path().join("load.db"))
            .await
            .unwrap();
        let settings = ServerSettings {
            cooldown_secs: 0,
            channel_cap_per_minute: 0,
            ..ServerSettings::default()
        };
        store.save_settings(GUILD_ID, &settings).await.unwrap();
        drop(store);

        let si = StandIn::start().await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_lantern"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "serve",
                "--http-proxy",
                &si.base_url(),
            ])
            .env("DISCORD_TOKEN", "standin-load-token")
            .current_dir(root)
            .stdin(Stdio::null())
            .spawn()
            .expect("lantern serve starts");
        assert!(
            si.wait_ready(Duration::from_secs(30)).await,
            "lantern serve did not connect"
        );

        // Warm-up: one question, so the burst does not include poise's setup poll.
        let warm = si.slash_command(
            "ask",
            json!([opt::string("question", QUESTIONS[0])]),
            Member::ordinary(1, "warm"),
        );
        let warm_id: u64 = warm["id"].as_str().unwrap().parse().unwrap();
        si.dispatch("INTERACTION_CREATE", warm).await;
        si.wait_for(
            |r| r.interaction_id() == Some(warm_id),
            Duration::from_secs(10),
        )
        .await
        .expect("warm-up answered");

        println!(
            "lantern serve after start-up and one question: RSS {:.1} MB",
            rss_mb(child.id())
        );
        for (label, distinct) in [
            ("repeated questions", false),
            ("all-different questions", true),
        ] {
            let bot_before = cpu_of(child.id());
            burst(&si, n, distinct, label).await;
            println!(
                "  CPU time of lantern serve during the burst: {:?}; RSS after it {:.1} MB",
                cpu_of(child.id()) - bot_before,
                rss_mb(child.id())
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }

        // Stop the bot as an operator would, then read its peak memory.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let (peak, cpu) = wait_peak_rss(&mut child);

        println!(
            "lantern serve, whole run: peak RSS {:.1} MB, CPU time {cpu:?} (start-up included)",
            peak as f64 / 1_048_576.0
        );
    });
}

/// The i-th question of a burst. All-different questions are the same questions with a distinct
/// tail of punctuation, which changes the text (so no answer is reused) but not the work.
fn question(i: usize, distinct: bool) -> String {
    let q = QUESTIONS[i % QUESTIONS.len()];
    if !distinct {
        return q.to_string();
    }
    let mut tail = String::new();
    let mut k = i;
    for _ in 0..7 {
        tail.push(['?', '!', '.'][k % 3]);
        k /= 3;
    }
    format!("{q} {tail}")
}

/// The resident memory of a process now, from /proc (0 where it cannot be read).
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time of a process so far, from /proc (user + system, in clock ticks of 10 ms).
fn cpu_of(pid: u32) -> Duration {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// CPU time this process (the stand-in and the driver) has used so far.
fn own_cpu() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into `usage`, which lives for the call.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Sends one burst and prints its figures.
async fn burst(si: &StandIn, n: usize, distinct: bool, label: &str) {
    let events: Vec<(String, serde_json::Value)> = (0..n)
        .map(|i| {
            let q = question(i, distinct);
            let who = Member::ordinary(
                10_000 + i as u64 + if distinct { 100_000 } else { 0 },
                &format!("member{i}"),
            );
            (
                "INTERACTION_CREATE".to_string(),
                si.slash_command("ask", json!([opt::string("question", &q)]), who),
            )
        })
        .collect();
    let ids: Vec<u64> = events
        .iter()
        .map(|(_, e)| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let cpu_before = own_cpu();
    let connections_before = si.connections_accepted();
    let started = Instant::now();
    let sent = si.dispatch_many(events).await;
    let dispatched_in = started.elapsed();
    let id_set: std::collections::HashSet<u64> = ids.iter().copied().collect();
    let is_ours = |r: &standin::Recorded| r.interaction_id().is_some_and(|i| id_set.contains(&i));
    si.wait_count(is_ours, n, Duration::from_secs(60)).await;
    let burst = started.elapsed();
    let connections = si.connections_accepted() - connections_before;
    let stand_in_cpu = own_cpu() - cpu_before;
    // Copied only now, outside the measured window.
    let answered: Vec<standin::Recorded> =
        si.requests().into_iter().filter(|r| is_ours(r)).collect();
    let at: HashMap<u64, Instant> = answered
        .iter()
        .filter_map(|r| Some((r.interaction_id()?, r.at)))
        .collect();
    let mut latencies: Vec<Duration> = ids
        .iter()
        .zip(&sent)
        .filter_map(|(id, t)| at.get(id).map(|a| a.saturating_duration_since(*t)))
        .collect();
    latencies.sort();
    let answers_with_quotes = answered
        .iter()
        .filter(|r| r.content().is_some_and(|c| c.starts_with("> ")))
        .count();

    println!("burst of {n} /ask ({label}), 2-core machine, loopback stand-in");
    println!("  dispatched in:   {dispatched_in:?} (the stand-in writing the burst)");
    println!(
        "  answered:        {} of {n} ({} with library quotes), lost: {}",
        latencies.len(),
        answers_with_quotes,
        n - latencies.len()
    );
    if !latencies.is_empty() {
        println!(
            "  dispatch → callback: p50 {:?}, p99 {:?}, max {:?}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies[latencies.len() - 1]
        );
    }
    println!(
        "  whole burst:     {burst:?}; TCP connections the bot opened during it: {connections}"
    );
    println!("  CPU time of the stand-in (this process) during the burst: {stand_in_cpu:?}");
}
