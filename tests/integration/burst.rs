//! A burst of questions against the stand-in: every one is answered, and a crisis asked last is
//! answered long before the ordinary questions queued ahead of it (the gate in
//! `discord::gate` lets it skip the queue).

use std::collections::HashMap;

use serde_json::json;

use crate::discord::{T, id_of, member, started};
use crate::standin::opt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_a_burst_skips_the_queue() {
    let (si, bot, _dir) = started().await;
    const ORDINARY: usize = 300;
    let mut events = Vec::new();
    let mut ordinary = Vec::new();
    for i in 0..ORDINARY {
        // Different texts, so no reply is reused and each question costs its full work.
        let q = format!(
            "what is dissociation{}{}",
            "?".repeat(1 + i % 7),
            ".".repeat(i / 7)
        );
        let e = si.slash_command(
            "ask",
            json!([opt::string("question", &q)]),
            member(20_000 + i as u64),
        );
        ordinary.push(id_of(&e));
        events.push(("INTERACTION_CREATE".to_string(), e));
    }
    let crisis = si.slash_command(
        "ask",
        json!([opt::string(
            "question",
            "i have the pills lined up and i am doing it tonight"
        )]),
        member(29_999),
    );
    let crisis_id = id_of(&crisis);
    events.push(("INTERACTION_CREATE".to_string(), crisis));
    si.dispatch_many(events).await;

    let mut all = ordinary.clone();
    all.push(crisis_id);
    let wanted: std::collections::HashSet<u64> = all.iter().copied().collect();
    let got = si
        .wait_count(
            |r| r.interaction_id().is_some_and(|i| wanted.contains(&i)),
            all.len(),
            T * 6,
        )
        .await;
    assert_eq!(got, all.len(), "every question of the burst is answered");

    // The order the callbacks reached the stand-in.
    let order: HashMap<u64, usize> = si
        .requests()
        .iter()
        .filter_map(|r| r.interaction_id().filter(|i| wanted.contains(i)))
        .enumerate()
        .map(|(k, id)| (id, k))
        .collect();
    let crisis_at = order[&crisis_id];
    let after = ordinary.iter().filter(|i| order[*i] > crisis_at).count();
    assert!(
        after >= 50,
        "the crisis, asked last, was answered after {} of {ORDINARY} ordinary questions",
        ORDINARY - after
    );
    let reply = si
        .requests()
        .into_iter()
        .find(|r| r.interaction_id() == Some(crisis_id))
        .expect("crisis callback");
    let content = reply.content().expect("content");
    assert!(
        !content.starts_with("> "),
        "a crisis reply quotes no library text"
    );
    bot.stop().await;
}
