//! A fuzz harness (proptest-driven) over everything that takes text from outside: the safety
//! screen, `ask` and rendering, `config set` values, stats rendering, the question of a mention,
//! and every truncation and split site, over arbitrary Unicode (long emoji runs included). No
//! input may panic, and every reply keeps its invariants.
//!
//! `LANTERN_FUZZ_CASES=1000000 cargo test --release --test integration fuzz` runs a million
//! inputs per target; by default (and in CI) it is a short pass.

use poise::ChoiceParameter as _;
use proptest::prelude::*;

use lantern::discord::settings::{self, Setting};
use lantern::render::{self, CONTENT_LIMIT, discord_len};
use lantern::store::{ServerSettings, Stats};

use super::common::engine;
use super::invariants::check_reply;

fn cases() -> u32 {
    std::env::var("LANTERN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// Arbitrary text, weighted towards what breaks string handling: long runs of emoji and other
/// multi-byte characters, combining marks, control and invisible characters.
fn text() -> impl Strategy<Value = String> {
    let wide = prop_oneof![
        prop::char::range('\u{1F300}', '\u{1FAFF}'),
        prop::char::range('\u{0300}', '\u{036F}'),
        prop::char::range('\u{200B}', '\u{202E}'),
        prop::char::range('\u{4E00}', '\u{4FFF}'),
        prop::char::range('\u{FF01}', '\u{FF5E}'),
        any::<char>(),
        Just('@'),
        Just('<'),
        Just('*'),
        Just(' '),
        Just('\n'),
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(wide, 0..3000).prop_map(|v| v.into_iter().collect()),
        "[a-z ]{0,40}( kms| want to die| 8 mg| @everyone| <@1>| \\[x\\]\\(http://y\\)){0,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn fuzz_screen_ask_and_render(t in text()) {
        let e = engine();
        let _ = e.screen(&t);
        check_reply(&e.ask(&t, &e.default_context()));
    }

    #[test]
    fn fuzz_settings_values(value in text(), index in 0usize..32) {
        let Some(setting) = Setting::from_index(index % Setting::list().len()) else {
            return Ok(());
        };
        let e = engine();
        let mut s = ServerSettings::default();
        let said = match settings::apply(&mut s, setting, &value, &e.resources) {
            Ok(done) => done,
            Err(why) => why,
        };
        check_reply(&e.notice(lantern::reply::Kind::Notice, render::escape(&said), "US"));
        let _ = settings::describe(&s, "US");
    }

    #[test]
    fn fuzz_stats_rendering(questions in prop::collection::vec(text(), 0..10)) {
        let stats = Stats {
            questions: 7,
            top_unanswered: questions.into_iter().map(|q| (q, 2)).collect(),
            ..Stats::default()
        };
        let e = engine();
        let text = settings::describe_stats(&stats, true);
        check_reply(&e.notice(lantern::reply::Kind::Notice, text, "GB"));
    }

    #[test]
    fn fuzz_mentions_and_splits(t in text(), max in 1usize..2100) {
        let q = lantern::discord::question::question_of(&t);
        prop_assert!(!q.contains("@everyone"));
        let cut = render::prefix_within(&t, max);
        prop_assert!(t.is_char_boundary(cut));
        prop_assert!(cut > 0 || t.is_empty());
        prop_assert!(discord_len(&t[..cut]) <= max.max(2));
        for r in lantern::sentence::split(&t) {
            prop_assert!(t.is_char_boundary(r.start) && t.is_char_boundary(r.end));
        }
        let escaped = render::escape(&t);
        prop_assert!(!render::has_mention_syntax(&escaped));
        prop_assert!(discord_len(&escaped) <= 2 * discord_len(&t) + 8);
        let _ = CONTENT_LIMIT;
    }
}
