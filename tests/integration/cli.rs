//! The `lantern` command line, run as a process: the README's first command, JSON output, bad
//! input, `check`, `resources` and the evaluation commands.

use std::path::Path;
use std::process::{Command, Output};

use super::common::root;

fn lantern(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(args)
        .current_dir(root())
        .env("LANTERN_TEST", "1")
        .output()
        .expect("lantern runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const DISCLAIMER_START: &str = "Lantern shares excerpts from articles; it is not a clinician";

#[test]
fn readme_question_is_answered_with_quotes_citations_and_disclaimer() {
    let o = lantern(&["ask", "why do people with PTSD use opioids?"]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    // Plain terminal text: quotes indented under their number, no Markdown, CLI hints.
    assert!(out.contains("[1]\n    "), "{out}");
    assert!(out.contains("[1] \u{201C}"), "{out}");
    assert!(!out.contains("**") && !out.contains("\n> "), "{out}");
    assert!(out.contains(DISCLAIMER_START), "{out}");
    assert!(
        out.trim_end()
            .ends_with("Other countries: lantern resources."),
        "{out}"
    );
    // The Discord rendering on request.
    let o = lantern(&[
        "ask",
        "--format",
        "discord",
        "why do people with PTSD use opioids?",
    ]);
    let out = stdout(&o);
    assert!(out.contains("\n> ") || out.starts_with("> "), "{out}");
    assert!(
        out.trim_end().ends_with("Other countries: /resources."),
        "{out}"
    );
}

#[test]
fn json_output_has_kind_passages_and_rendered_text() {
    let o = lantern(&["ask", "--json", "what is EMDR"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["kind"], "answer");
    let passages = v["passages"].as_array().expect("passages");
    assert!(!passages.is_empty());
    for p in passages {
        let text = p["text"].as_str().unwrap();
        let quote = p["quote"].as_str().unwrap();
        assert!(text.contains(quote), "quote is part of its passage");
        assert!(p["doc_id"].is_string() && p["title"].is_string() && p["score"].is_number());
    }
    let scores: Vec<f64> = passages
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert!(v["rendered"].as_str().unwrap().contains(DISCLAIMER_START));
    assert_eq!(v["focus"], serde_json::json!(["emdr"]));
}

#[test]
fn the_focus_of_a_long_message_is_its_question() {
    let o = lantern(&[
        "ask",
        "--json",
        "Customer Service Request\nHello, I have been in recovery for two years and my sponsor moved away in the spring, so the meetings feel different now and I am a bit lost. My question: what is EMDR?\nThanks so much, Sam",
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let focus: Vec<&str> = v["focus"]
        .as_array()
        .expect("focus")
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(focus.first(), Some(&"emdr"), "{focus:?}");
    for boilerplate in ["customer", "service", "request", "hello", "thanks", "sam"] {
        assert!(!focus.contains(&boilerplate), "{focus:?}");
    }
    assert!(
        focus.contains(&"sponsor"),
        "the story still counts: {focus:?}"
    );
}

#[test]
fn each_reply_kind_is_reported_in_json() {
    let cases = [
        ("what is naloxone", "answer"),
        ("how to bake sourdough bread", "no_match"),
        ("I want to hurt myself", "crisis"),
        (
            "how much methadone is a safe starting dose?",
            "medical_advice",
        ),
    ];
    for (q, kind) in cases {
        let o = lantern(&["ask", "--json", q]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["kind"], kind, "{q}");
        assert!(
            v["rendered"].as_str().unwrap().contains(DISCLAIMER_START),
            "{q}"
        );
    }
}

#[test]
fn crisis_reply_puts_emergency_number_first_and_quotes_nothing() {
    let o = lantern(&["ask", "--json", "--region", "uk", "i think i overdosed"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "crisis");
    assert_eq!(v["passages"].as_array().unwrap().len(), 0);
    let rendered = v["rendered"].as_str().unwrap();
    let first_line = rendered.lines().next().unwrap();
    assert!(first_line.contains("999"), "{first_line}");
    assert!(!rendered.contains("> "), "no library quotes: {rendered}");
}

#[test]
fn bad_input_gets_a_reply_never_an_error() {
    let long = "opioids ".repeat(12_500);
    let inputs: Vec<&str> = vec![
        "",
        "   ",
        &long,
        // (A NUL byte cannot be passed in argv; the engine's property test covers it.)
        "\u{0007}\u{001b}[31m\u{0008}",
        "\u{200B}\u{200C}\u{200D}\u{FEFF}",
        "\u{202E}sdioipo\u{202C} \u{2067}trauma\u{2069}",
        "🙂🙏💔",
        "**bold** `code` ||spoiler|| > quote",
        "@everyone <@123> <@&456> <#789> @here",
        "opioids AND (trauma OR \"ptsd\") title:x [a TO b] {c} *~2 ^3 -not +must \\",
    ];
    for input in inputs {
        let o = lantern(&["ask", "--json", "--", input]);
        assert!(o.status.success(), "{input:?}: {o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rendered = v["rendered"].as_str().unwrap();
        assert!(rendered.contains(DISCLAIMER_START), "{input:?}");
        assert!(
            !lantern::render::has_mention_syntax(rendered),
            "{input:?}: {rendered}"
        );
    }
}

#[test]
fn resources_lists_lines_for_a_region_alias_and_topic() {
    let o = lantern(&["resources", "uk", "addiction"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("United Kingdom (GB), emergency: 999"), "{out}");
    let listed: Vec<&str> = out.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(listed.len(), 1, "topic filter: {out}");
    assert!(listed[0].starts_with("- FRANK:"), "{out}");
    // A topic alone is a topic, in the default region.
    let o = lantern(&["resources", "addiction"]);
    let out = stdout(&o);
    assert!(!out.contains("Unknown region"), "{out}");
    assert!(out.contains("SAMHSA"), "{out}");
    let o = lantern(&["resources", "intl"]);
    let out = stdout(&o);
    assert!(
        !out.contains("(\u{2014})") && !out.contains("(check)"),
        "{out}"
    );
    let o = lantern(&["resources", "narnia"]);
    let out = stdout(&o);
    assert!(out.contains("Unknown region \"narnia\""), "{out}");
    assert!(out.contains("Find A Helpline"), "{out}");
}

#[test]
fn check_passes_on_the_shipped_files() {
    let o = lantern(&["check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("5 documents"));
}

#[test]
fn check_reports_every_broken_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::write(lib.join("empty.md"), "").unwrap();
    std::fs::write(
        lib.join("bad-front.md"),
        "+++\nid = \"x\"\ntitle = \n+++\n\ntext\n",
    )
    .unwrap();
    std::fs::write(lib.join("latin1.md"), b"+++\nid = \"l\"\n+++\n\ncaf\xe9\n").unwrap();
    std::fs::write(
        lib.join("faq.jsonl"),
        "{\"_id\": \"1\", \"text\": \"ok\"}\n{broken\n",
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    for f in [
        "safety.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
    ] {
        std::fs::copy(root().join("config").join(f), config.join(f)).unwrap();
    }
    std::fs::write(config.join("lantern.toml"), "[search]\nresults = 0\n").unwrap();
    let o = lantern(&[
        "--config",
        config.to_str().unwrap(),
        "check",
        "--library",
        lib.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    for expected in [
        "lantern.toml:2: results",
        "empty.md:1:",
        "bad-front.md:3:",
        "latin1.md:5:",
        "faq.jsonl:2:",
        "5 problem(s)",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn a_broken_config_is_an_error_naming_the_file_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "lantern.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
    ] {
        std::fs::copy(root().join("config").join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("safety.toml"),
        "[crisis]\nphrases = [\"a\"\n",
    )
    .unwrap();
    let o = lantern(&["--config", dir.path().to_str().unwrap(), "ask", "hello"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("safety.toml:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn ask_accepts_a_jsonl_library() {
    let dir = tempfile::tempdir().unwrap();
    let faq = dir.path().join("faq.jsonl");
    std::fs::write(
        &faq,
        "{\"_id\": \"meetings\", \"title\": \"Meetings\", \"text\": \"Our peer meetings are on Tuesdays at the community hall. Anyone may come.\"}\n",
    )
    .unwrap();
    let o = lantern(&[
        "ask",
        "--json",
        "--library",
        faq.to_str().unwrap(),
        "when are the peer meetings",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "answer", "{v}");
    assert_eq!(v["passages"][0]["doc_id"], "meetings");
}

#[test]
fn eval_cases_reports_recall_and_lists_misses() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.toml");
    std::fs::write(
        &cases,
        "[[case]]\nq = \"what is naloxone\"\nexpect = \"answer\"\nevidence = [\"a medication used to treat the symptoms of an opioid overdose\"]\n\n[[case]]\nq = \"what is EMDR\"\nexpect = \"answer\"\nevidence = [\"a phrase that is nowhere in the library\"]\n\n[[case]]\nq = \"i want to die\"\nexpect = \"crisis\"\n",
    )
    .unwrap();
    let o = lantern(&["eval", cases.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("Recall@3: 0.500"), "{out}");
    assert!(out.contains("safety labels: 3/3"), "{out}");
    assert!(
        out.contains("\"what is EMDR\": evidence at rank none"),
        "{out}"
    );
}

/// A four-document BEIR folder with hand-computable figures.
fn mini_beir(dir: &Path) {
    std::fs::create_dir_all(dir.join("qrels")).unwrap();
    std::fs::write(
        dir.join("corpus.jsonl"),
        [
            r#"{"_id": "d1", "title": "Naloxone", "text": "Naloxone reverses opioid overdose."}"#,
            r#"{"_id": "d2", "title": "Methadone", "text": "Methadone is used in treatment."}"#,
            r#"{"_id": "d3", "title": "Sleep", "text": "Sleep helps recovery from stress."}"#,
            r#"{"_id": "d4", "title": "Walking", "text": "Walking outdoors reduces stress."}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("queries.jsonl"),
        "{\"_id\": \"q1\", \"text\": \"naloxone overdose\"}\n{\"_id\": \"q2\", \"text\": \"stress\"}\n{\"_id\": \"q3\", \"text\": \"unjudged\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td4\t1\n",
    )
    .unwrap();
}

#[test]
fn eval_beir_prints_trec_figures_and_writes_a_run_file() {
    let dir = tempfile::tempdir().unwrap();
    mini_beir(dir.path());
    let run = dir.path().join("run.txt");
    let o = lantern(&[
        "eval",
        "--beir",
        dir.path().to_str().unwrap(),
        "--run",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("queries: 2"), "{out}");
    assert!(out.contains("Recall@100: 1.0000"), "{out}");
    let run = std::fs::read_to_string(run).unwrap();
    let lines: Vec<Vec<&str>> = run.lines().map(|l| l.split(' ').collect()).collect();
    assert!(
        lines
            .iter()
            .all(|l| l.len() == 6 && l[1] == "Q0" && l[5] == "lantern")
    );
    assert_eq!(lines[0][0], "q1");
    assert_eq!(lines[0][2], "d1");
    assert_eq!(lines[0][3], "1");
    // q2: two documents mention stress; ranks are consecutive from 1.
    let q2: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] == "q2").collect();
    assert_eq!(q2.len(), 2);
    assert_eq!((q2[0][3], q2[1][3]), ("1", "2"));
}

#[test]
fn serve_without_a_token_exits_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "safety.toml",
        "screen-model.tsv",
        "resources.toml",
        "synonyms.toml",
    ] {
        std::fs::copy(root().join("config").join(f), dir.path().join(f)).unwrap();
    }
    let secrets = dir.path().join("no-secrets.toml");
    std::fs::write(
        dir.path().join("lantern.toml"),
        format!(
            "[discord]\ntoken_file = {:?}\n",
            secrets.display().to_string()
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(["--config", dir.path().to_str().unwrap(), "serve"])
        .current_dir(root())
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no Discord token") && err.contains("DISCORD_TOKEN"),
        "{err}"
    );
}

#[test]
fn train_screen_writes_a_table_that_loads_and_refuses_a_bad_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("screen-model.tsv");
    let o = lantern(&[
        "train-screen",
        "--out",
        out.to_str().unwrap(),
        "eval/safety-check.toml",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("features"), "{}", stdout(&o));
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(
        table.contains("# trained on: eval/safety-check.toml"),
        "{table:.300}"
    );
    let model = lantern::safety::model::DangerModel::parse(&table, &out).expect("the table loads");
    assert!(model.len() > 1000, "{} features", model.len());
    let o = lantern(&[
        "train-screen",
        "--threshold",
        "1.5",
        "--out",
        out.to_str().unwrap(),
        "eval/safety-check.toml",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("threshold"));
    let o = lantern(&[
        "train-screen",
        "--out",
        out.to_str().unwrap(),
        "no-such.toml",
    ]);
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn answerability_asks_each_judged_question_with_and_without_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = [
        (
            "d1",
            "Naloxone",
            "Naloxone reverses an opioid overdose by blocking opioid receptors for a short time.",
        ),
        (
            "d2",
            "EMDR",
            "EMDR therapy uses guided eye movements while a person recalls a traumatic memory.",
        ),
        (
            "d3",
            "Gardening",
            "Tomatoes grow best in full sun with regular watering and rich soil.",
        ),
        (
            "d4",
            "Sleep",
            "Regular sleep times and a dark, quiet bedroom help many people rest.",
        ),
    ];
    let lines: Vec<String> = corpus
        .iter()
        .map(|(id, title, text)| {
            serde_json::json!({"_id": id, "title": title, "text": text}).to_string()
        })
        .collect();
    std::fs::write(dir.path().join("corpus.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(
        dir.path().join("queries.jsonl"),
        "{\"_id\": \"q1\", \"text\": \"what helps people rest, like regular sleep times\"}\n\
         {\"_id\": \"q2\", \"text\": \"what is EMDR therapy for traumatic memory\"}\n\
         {\"_id\": \"q3\", \"text\": \"unjudged question about tomatoes\"}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("qrels")).unwrap();
    std::fs::write(
        dir.path().join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td4\t1\nq2\td2\t1\n",
    )
    .unwrap();
    let o = lantern(&[
        "eval",
        "--beir",
        dir.path().to_str().unwrap(),
        "--answerability",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("answerability: 2 judged questions"), "{out}");
    // Both are answered right with their documents; without them nothing else covers the
    // question, so at the configured gate (0.5) neither is answered wrongly.
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("0.50"))
        .expect("a row at 0.50");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[1..4], &["2", "0", "0"], "{out}");
    assert!(out.contains("operating point"), "{out}");
}

/// A copy of `config/` whose store is a fresh file in `dir`.
fn config_with_store(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("config");
    std::fs::create_dir(&config).unwrap();
    for entry in std::fs::read_dir(root().join("config")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, config.join(path.file_name().unwrap())).unwrap();
        }
    }
    let settings = std::fs::read_to_string(config.join("lantern.toml")).unwrap();
    let db = dir.join("lantern.db");
    let settings = settings.replace(
        "path = \".lantern/lantern.db\"",
        &format!("path = {:?}", db.to_str().unwrap()),
    );
    assert!(settings.contains("lantern.db\""), "the store path is set");
    std::fs::write(config.join("lantern.toml"), settings).unwrap();
    config
}

#[test]
fn the_operator_adds_lists_exports_and_removes_a_servers_documents_and_asks_as_that_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_store(dir.path());
    let config = config.to_str().unwrap();
    let file = dir.path().join("harbour-meetings.txt");
    std::fs::write(
        &file,
        "The harbour peer group meets every Thursday evening in the old lighthouse library.\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let q = "when does the harbour peer group meet";
    let o = lantern(&[
        "--config", config, "library", "add", "--server", "42", "--title", "Meetings", file,
    ]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).contains("added harbour-meetings"),
        "{}",
        stdout(&o)
    );
    let listed = stdout(&lantern(&[
        "--config", config, "library", "list", "--server", "42",
    ]));
    assert!(
        listed.contains("harbour-meetings") && listed.contains("Meetings"),
        "{listed}"
    );
    let as_server = stdout(&lantern(&["--config", config, "ask", "--server", "42", q]));
    assert!(as_server.contains("Thursday evening"), "{as_server}");
    let other = stdout(&lantern(&["--config", config, "ask", "--server", "43", q]));
    assert!(!other.contains("Thursday evening"), "{other}");
    let exported = stdout(&lantern(&[
        "--config", config, "library", "export", "--server", "42",
    ]));
    assert!(
        exported.contains("\"_id\":\"harbour-meetings\""),
        "{exported}"
    );
    // The same file again is refused, and a broken one names its line.
    let again = lantern(&["--config", config, "library", "add", "--server", "42", file]);
    assert!(!again.status.success());
    let broken = dir.path().join("faq.jsonl");
    std::fs::write(&broken, "{\"_id\":\"a\",\"text\":\"x\"}\nnot json\n").unwrap();
    let o = lantern(&[
        "--config",
        config,
        "library",
        "add",
        "--server",
        "42",
        broken.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("faq.jsonl:2"),
        "{o:?}"
    );
    let o = lantern(&[
        "--config",
        config,
        "library",
        "remove",
        "--server",
        "42",
        "harbour-meetings",
    ]);
    assert!(o.status.success(), "{o:?}");
    let after = stdout(&lantern(&["--config", config, "ask", "--server", "42", q]));
    assert!(!after.contains("Thursday evening"), "{after}");
}
