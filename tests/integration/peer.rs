//! Peer-support features against the stand-in: `/ground` steps through an exercise privately,
//! one message per step, each with the disclaimer and no mention; content notes put quotes about
//! the configured topics behind a spoiler when a server turns them on.

use serde_json::{Value, json};

use super::discord::{assert_safe, member, run, set, started};
use super::standin::opt;

const EPHEMERAL: u64 = 1 << 6;

fn next_button(body: &Value) -> Option<String> {
    body["components"][0]["components"][0]["custom_id"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ground_steps_through_an_exercise_privately_to_its_source() {
    let (si, bot, _dir) = started().await;
    let r = run(
        &si,
        si.slash_command(
            "ground",
            json!([opt::string("exercise", "box")]),
            member(60),
        ),
    )
    .await;
    let mut body = r.message_body().clone();
    let mut steps = 1;
    loop {
        assert_safe(&body);
        assert_eq!(
            body["flags"].as_u64().unwrap_or(0) & EPHEMERAL,
            EPHEMERAL,
            "private"
        );
        let text = body["content"].as_str().unwrap().to_string();
        assert!(text.contains(&format!("Step {steps} of")), "{text}");
        let Some(next) = next_button(&body) else {
            assert!(
                text.contains("Cleveland Clinic"),
                "the last step names its source: {text}"
            );
            break;
        };
        assert!(steps < 20, "an exercise ends");
        let click = si.component_click(&next, 1, member(60));
        body = run(&si, click).await.message_body().clone();
        steps += 1;
    }
    assert_eq!(steps, 7, "every step of the box exercise, one at a time");
    let r = run(
        &si,
        si.slash_command(
            "ground",
            json!([opt::string("exercise", "juggling")]),
            member(61),
        ),
    )
    .await;
    assert_safe(r.message_body());
    assert!(
        r.content().unwrap().contains("`senses`"),
        "{:?}",
        r.content()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_notes_put_quotes_about_the_topics_behind_a_spoiler() {
    let (si, bot, _dir) = started().await;
    let question = "how does childhood abuse and trauma lead to addiction";
    let ask = |who| {
        si.slash_command(
            "ask",
            json!([opt::string("question", question)]),
            member(who),
        )
    };
    let plain = run(&si, ask(62)).await;
    let text = plain.content().unwrap().to_string();
    assert!(
        text.contains("> ") && !text.contains("||"),
        "as is by default: {text}"
    );
    set(&si, "content_notes", "on").await;
    let noted = run(&si, ask(63)).await;
    assert_safe(noted.message_body());
    let text = noted.content().unwrap();
    assert!(text.contains("Content note: abuse"), "{text}");
    assert!(text.contains("> ||"), "{text}");
    bot.stop().await;
}
