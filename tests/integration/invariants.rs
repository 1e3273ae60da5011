//! Invariants proved over arbitrary input: every reply carries the disclaimer, fits Discord's
//! limits and pings no one; every quote is a verbatim substring of its document; user text is
//! never query syntax (no input makes the engine fail).

use proptest::prelude::*;

use lantern::render::{self, CONTENT_LIMIT, discord_len};
use lantern::reply::Reply;
use lantern::safety::Screened;

use super::common::engine;

/// Text a member might send, weighted towards the awkward: library words, crisis and
/// medical words, query syntax, mentions, markdown, control, zero-width and RTL characters.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("opioids".to_string()),
        Just("dissociation".to_string()),
        Just("PTSD".to_string()),
        Just("EMDR".to_string()),
        Just("what is".to_string()),
        Just("kill myself".to_string()),
        Just("overdosed".to_string()),
        Just("methadone dose".to_string()),
        Just("'kill the pain' mean".to_string()),
        Just("i just want to sleep forever".to_string()),
        Just("k i l l myself".to_string()),
        Just("d3ad".to_string()),
        Just("s*icide".to_string()),
        Just("my friend says she wants to die".to_string()),
        Just("everyone would be better off without me".to_string()),
        Just("not breathing, lips are blue".to_string()),
        Just("no quiero seguir viviendo".to_string()),
        Just("how do i use narcan".to_string()),
        Just("do i have ptsd".to_string()),
        Just("is suicide more common with ptsd?".to_string()),
        Just("can i double up on my subs".to_string()),
        Just("||spoiler||".to_string()),
        Just("💊🔪🪢".to_string()),
        Just("@everyone".to_string()),
        Just("<@123456789012345678>".to_string()),
        Just("<@&42>".to_string()),
        Just("@here".to_string()),
        Just("AND OR NOT".to_string()),
        Just("title:body".to_string()),
        Just("\"quoted\"".to_string()),
        Just("[a TO b]".to_string()),
        Just("*~^\\".to_string()),
        Just("**__~~||`".to_string()),
        Just("\u{200B}\u{202E}\u{2066}\u{FEFF}".to_string()),
        Just("\u{0000}\u{0008}\u{001B}".to_string()),
        Just("🙂🙏🏽💔".to_string()),
        "[a-z]{1,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.join(" "))
}

fn region() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("US".to_string()),
        Just("GB".to_string()),
        Just("CA".to_string()),
        Just("AU".to_string()),
        Just("IE".to_string()),
        Just("INTL".to_string()),
        Just("XX".to_string()),
    ]
}

/// Checks everything a sent reply from the shipped library must satisfy.
pub fn check_reply(reply: &Reply) {
    check_messages(reply);
    check_quotes(reply, &engine().shelf.library);
}

/// Every message of a reply fits Discord's limit, ends with the disclaimer and pings no one.
fn check_messages(reply: &Reply) {
    let disclaimer = reply.disclaimer().text();
    assert!(disclaimer.contains("not medical advice"));
    let messages = render::discord(reply);
    assert!(!messages.is_empty());
    for m in &messages {
        let content = m.content();
        assert!(
            discord_len(content) <= CONTENT_LIMIT,
            "{} units",
            discord_len(content)
        );
        assert!(
            content.ends_with(&render::neutralise_mentions(disclaimer)),
            "message lacks the disclaimer:\n{content}"
        );
        assert!(
            !render::has_mention_syntax(content),
            "mention syntax survived in:\n{content}"
        );
    }
}

/// Every quote is a verbatim byte range of its document in `library`, holds no dosing
/// sentence, and its highlights fall inside it.
fn check_quotes(reply: &Reply, library: &lantern::corpus::Library) {
    for e in reply.excerpts() {
        for s in lantern::sentence::split(&e.quote) {
            assert!(
                !lantern::safety::dosing::is_dosing(&e.quote[s.clone()]),
                "a dosing sentence was quoted: {}",
                e.quote
            );
        }
        let doc = library
            .documents
            .iter()
            .find(|d| d.id == e.doc_id)
            .expect("excerpt names a document");
        assert_eq!(
            doc.body.get(e.offset..e.offset + e.quote.len()),
            Some(e.quote.as_str()),
            "quote is verbatim at its offset"
        );
        assert!(e.passage_text.contains(&e.quote));
        for h in &e.highlights {
            assert!(
                e.quote.get(h.clone()).is_some(),
                "highlight inside the quote"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_reply_carries_the_disclaimer_fits_and_pings_no_one(text in message(), region in region()) {
        let e = engine();
        let mut ctx = e.default_context();
        ctx.region = region;
        check_reply(&e.ask(&text, &ctx));
        check_reply(&e.more(&text, &ctx, 3));
    }

    #[test]
    fn other_replies_carry_the_disclaimer_too(text in message(), region in region()) {
        let e = engine();
        let ctx = e.default_context();
        check_reply(&e.help(&region));
        check_reply(&e.about(&region));
        check_reply(&e.source(&text, &region));
        check_reply(&e.resources_reply(Some(&text), Some(&text), &ctx, &[]));
        check_reply(&e.notice(lantern::reply::Kind::Notice, text.clone(), &region));
        for (i, exercise) in e.grounding.exercises.iter().enumerate() {
            for step in 0..exercise.steps.len() {
                let (reply, _) = e.ground(i, step, &region).expect("every step");
                check_reply(&reply);
            }
        }
        let mut ctx = e.default_context();
        ctx.content_notes = true;
        check_reply(&e.ask(&text, &ctx));
    }

    #[test]
    fn crisis_watch_replies_carry_the_disclaimer_and_ping_no_one(
        channel in any::<u64>(),
        region in region(),
    ) {
        use lantern::crisis::Watched;
        use lantern::safety::{Crisis, Level};
        let e = engine();
        for level in [Level::Emergency, Level::Crisis, Level::Concern, Level::SomeoneElse] {
            for language in [None, Some("es".to_string()), Some("fr".to_string())] {
                let crisis = Crisis { level, language, learned: false };
                for watched in [Watched::Privately { channel }, Watched::Publicly] {
                    let reply = e.watch_reply(&crisis, &region, watched);
                    prop_assert_eq!(reply.kind(), lantern::reply::Kind::Crisis);
                    prop_assert!(reply.excerpts().next().is_none());
                    check_reply(&reply);
                    let text = lantern::plain::text(&reply);
                    let lines = reply
                        .blocks()
                        .iter()
                        .map(|b| match b {
                            lantern::reply::Block::Lines { lines } => lines.len(),
                            _ => 0,
                        })
                        .sum::<usize>();
                    match watched {
                        // Privately: why it came and how to stop it, in every language.
                        Watched::Privately { .. } => prop_assert!(text.contains("/lantern-optout"), "{}", text),
                        // Publicly: short, at most two lines listed.
                        Watched::Publicly => prop_assert!(lines <= 2 && reply.blocks().len() <= 3, "{}", text),
                    }
                }
            }
        }
    }

    #[test]
    fn the_handoff_note_may_ping_only_the_supporter_role(
        role in 1u64..,
        member in 1u64..,
        region in region(),
    ) {
        use lantern::discord::talk::handoff_messages;
        let e = engine();
        let messages = handoff_messages(e, &region, role, member);
        prop_assert!(!messages.is_empty());
        let disclaimer = render::neutralise_mentions(e.disclaimer(&region).text());
        for (i, (content, mentions)) in messages.iter().enumerate() {
            prop_assert!(content.ends_with(&disclaimer), "{}", content);
            prop_assert!(discord_len(content) <= CONTENT_LIMIT);
            let allowed = serde_json::to_value(mentions).unwrap();
            prop_assert_eq!(&allowed["parse"], &serde_json::json!([]));
            prop_assert_eq!(&allowed["users"], &serde_json::json!([]));
            prop_assert_eq!(&allowed["replied_user"], &serde_json::json!(false));
            let roles = if i == 0 { serde_json::json!([role.to_string()]) } else { serde_json::json!([]) };
            prop_assert_eq!(&allowed["roles"], &roles);
            // Past the first line (the role and the member's name), no mention syntax.
            let rest = if i == 0 { content.split_once('\n').map_or("", |(_, r)| r) } else { content.as_str() };
            prop_assert!(!render::has_mention_syntax(rest), "{}", content);
        }
    }
}

/// A document a moderator might add: sentences of library words, questions, dosing
/// instructions, Markdown and mention syntax, in Markdown, plain-text or JSONL form.
fn added_file() -> impl Strategy<Value = (String, String)> {
    let sentence = prop_oneof![
        Just("Our peer group talks about dissociation and PTSD every week.".to_string()),
        Just("Opioids can numb trauma memories for a while.".to_string()),
        Just("Take 2 tablets twice daily with food.".to_string()),
        Just("Do not take more than 8 mg of buprenorphine a day.".to_string()),
        Just("**Bold** and _italic_ <@123> @everyone [link](https://x.y)".to_string()),
        Just("EMDR is one therapy for trauma.".to_string()),
        "[a-z]{1,10}( [a-z]{1,10}){3,12}\\.",
        "[^\\x00]{0,80}",
    ];
    let body = prop::collection::vec(sentence, 1..12).prop_map(|s| s.join("\n"));
    (0..3u8, body).prop_map(|(form, body)| match form {
        0 => (
            "ours.md".to_string(),
            format!("+++\nid = \"ours\"\ntitle = \"Ours\"\n+++\n\n## Part\n\n{body}\n"),
        ),
        1 => ("ours.txt".to_string(), body),
        _ => (
            "ours.jsonl".to_string(),
            format!(
                "{}\n",
                serde_json::json!({"_id": "ours", "title": "Ours", "text": body})
            ),
        ),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A server's own documents are held to the same invariants as the shipped library: every
    /// reply from them carries the disclaimer and pings no one, every quote is verbatim, no
    /// dosing sentence is quoted.
    #[test]
    fn replies_from_a_servers_own_documents_keep_every_invariant(
        (name, file) in added_file(),
        text in message(),
    ) {
        let e = engine();
        let added = lantern::libraries::Added { by: 1, at: 0 };
        let read = lantern::libraries::read_upload(
            &name,
            file.as_bytes(),
            &lantern::libraries::Meta::default(),
            1_000_000,
            added,
            e.retrieval.chunking,
        );
        prop_assume!(read.is_ok());
        let own = read.unwrap();
        let shelf = lantern::libraries::server_shelf(e, &own, 1, true).expect("builds");
        let ctx = e.default_context();
        for question in [text.as_str(), "what does our peer group talk about", "how many tablets"] {
            let reply = e.ask_in(&shelf, question, &ctx);
            check_messages(&reply);
            check_quotes(&reply, &shelf.library);
        }
    }
}

#[test]
fn a_servers_faq_is_quoted_verbatim_and_never_its_dosing_lines() {
    let e = engine();
    let faq = "{\"_id\":\"ours\",\"title\":\"Our group\",\"text\":\"Our peer group talks about dissociation and flashbacks every week.\\nTake 2 tablets of the peer group medicine twice daily with food.\"}\n";
    let added = lantern::libraries::Added { by: 1, at: 0 };
    let own = lantern::libraries::read_upload(
        "faq.jsonl",
        faq.as_bytes(),
        &lantern::libraries::Meta::default(),
        1_000_000,
        added,
        e.retrieval.chunking,
    )
    .unwrap();
    let shelf = lantern::libraries::server_shelf(e, &own, 1, false).unwrap();
    let reply = e.ask_in(
        &shelf,
        "what does the peer group talk about every week",
        &e.default_context(),
    );
    let quotes: Vec<&str> = reply
        .excerpts()
        .filter(|x| x.doc_id == "ours")
        .map(|x| x.quote.as_str())
        .collect();
    assert!(
        quotes.iter().any(|q| q.contains("flashbacks")),
        "{quotes:?}"
    );
    assert!(!quotes.iter().any(|q| q.contains("tablets")), "{quotes:?}");
    check_messages(&reply);
    check_quotes(&reply, &shelf.library);
}

#[test]
fn replies_far_over_the_limit_are_split_each_with_the_disclaimer() {
    let e = engine();
    // A notice longer than Discord allows (as a moderator-facing list might be).
    let long = "This sentence is part of a very long notice. ".repeat(200);
    let reply = e.notice(lantern::reply::Kind::Notice, long, "US");
    let messages = render::discord(&reply);
    assert!(messages.len() >= 5, "{} messages", messages.len());
    check_reply(&reply);
    // Answers with many long quotes are trimmed or split, never cut in the disclaimer.
    let mut ctx = e.default_context();
    ctx.results = 10;
    let reply = e.ask("opioids trauma addiction dissociation ptsd treatment", &ctx);
    check_reply(&reply);
}

#[test]
fn every_passage_of_the_library_can_be_quoted_verbatim() {
    let e = engine();
    for p in &e.shelf.library.passages {
        let reply = e.source(&p.id, "US");
        assert_eq!(reply.kind(), lantern::reply::Kind::Source, "{}", p.id);
        check_reply(&reply);
    }
}

#[test]
fn a_very_long_question_keeps_a_consistent_query() {
    // Regression: a question past the concept limit is cut to its first concepts; every term
    // they mention (alternatives included) must still be in the query.
    let e = engine();
    let words: Vec<String> = (0..60).map(|i| format!("word{i}")).collect();
    let text = format!("ptsd opioids {}", words.join(" "));
    let Screened::Ordinary(q) = e.screen(&text) else {
        panic!("an ordinary question");
    };
    let r = e.retrieve(&q, 3);
    assert!(r.query.concepts.len() <= lantern::retrieval::MAX_CONCEPTS);
    for c in &r.query.concepts {
        for &t in c.terms.iter().chain(c.alternatives.iter().flatten()) {
            assert!(
                t < r.query.terms.len(),
                "term {t} of {}",
                r.query.terms.len()
            );
        }
    }
    assert!(r.query.terms.iter().all(|t| t.rarity > 0.0));
}
