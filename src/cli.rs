//! The `lantern` command line: parses arguments and dispatches; each command is a few lines over
//! the engine.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::engine::{Config, Context, Engine, LoadError, Shelf};

mod library;
use crate::eval::{beir, cases};
use crate::render;
use crate::reply::Reply;

/// Lantern: cited, verbatim answers from a peer-support server's library of articles.
#[derive(Debug, Parser)]
#[command(name = "lantern", version, about)]
pub struct Cli {
    /// Folder holding lantern.toml, safety.toml, resources.toml and synonyms.toml.
    #[arg(long, global = true, default_value = "config")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that answer questions.
#[derive(Debug, Args)]
pub struct AskOptions {
    /// Region for the disclaimer and support lines (code, name or alias: us, uk, ie, ...).
    #[arg(long)]
    pub region: Option<String>,
    /// A library folder or JSONL file instead of the configured one (data/).
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Answer as this server (guild id) would: from its own library in the store.
    #[arg(long, conflicts_with = "library")]
    pub server: Option<u64>,
}

/// How a reply is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal text: quotes indented, no Markdown, command-line hints.
    Plain,
    /// The Discord messages, Markdown and all.
    Discord,
}

fn print_reply(reply: &Reply, format: Format) -> String {
    match format {
        Format::Plain => crate::plain::text(reply),
        Format::Discord => render::terminal(reply),
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question as Lantern would in Discord.
    Ask {
        #[command(flatten)]
        options: AskOptions,
        /// Print the structured reply as JSON.
        #[arg(long)]
        json: bool,
        /// `plain` (terminal text, the default) or `discord` (the messages Discord would show).
        #[arg(long, value_enum, default_value_t = Format::Plain)]
        format: Format,
        /// The question (several words are joined with spaces).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        question: Vec<String>,
    },
    /// Ask questions interactively, one per line.
    Repl {
        #[command(flatten)]
        options: AskOptions,
        /// `plain` (the default) or `discord`.
        #[arg(long, value_enum, default_value_t = Format::Plain)]
        format: Format,
    },
    /// List support lines by region and topic.
    Resources {
        /// Region (code, name or alias).
        region: Option<String>,
        /// Topic (crisis, addiction, mental-health, overdose, youth, ...).
        topic: Option<String>,
    },
    /// Screen a message and show how the safety screen read it: its verdict, and each word
    /// class found (for moderators extending config/safety.toml).
    Screen {
        /// The message (several words are joined with spaces).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        message: Vec<String>,
    },
    /// Train the screen's learned danger reading on labelled cases files and write its table
    /// (config/screen-model.tsv by default).
    TrainScreen {
        /// Where to write the table.
        #[arg(long, default_value = "config/screen-model.tsv")]
        out: PathBuf,
        /// Danger probability at which the model speaks.
        #[arg(long, default_value_t = crate::eval::train::THRESHOLD)]
        threshold: f32,
        /// Cases files (the format of dev-questions.toml).
        #[arg(required = true)]
        cases: Vec<PathBuf>,
    },
    /// Build (or reuse) the search index and report documents and passages.
    Index {
        /// A library folder or JSONL file instead of the configured one.
        #[arg(long)]
        library: Option<PathBuf>,
    },
    /// Validate the configuration and the library; lists every problem with file and line.
    Check {
        /// A library folder or JSONL file instead of the configured one.
        #[arg(long)]
        library: Option<PathBuf>,
    },
    /// Evaluate: development cases (CASES.toml) or a BEIR folder (--beir DIR).
    Eval(EvalArgs),
    /// Servers' own libraries in the store (moderators use `/lantern library` in Discord).
    Library {
        #[command(subcommand)]
        action: library::LibraryAction,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN or the configured secrets file).
    Serve {
        /// Base URL replacing Discord's for every REST call (overrides lantern.toml).
        #[arg(long)]
        http_proxy: Option<String>,
        /// The shards this process runs, first-last inclusive (`0-3`); with --total-shards.
        #[arg(long, requires = "total_shards")]
        shards: Option<String>,
        /// The bot's shards over all its processes.
        #[arg(long, requires = "shards")]
        total_shards: Option<u32>,
    },
}

/// `lantern eval` arguments.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Cases file in the format of dev-questions.toml.
    #[arg(required_unless_present = "beir", conflicts_with = "beir")]
    pub cases: Option<PathBuf>,
    /// A BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).
    #[arg(long)]
    pub beir: Option<PathBuf>,
    /// Queries file for --beir (default: queries.jsonl in the folder).
    #[arg(long, requires = "beir")]
    pub queries: Option<PathBuf>,
    /// Judgements file for --beir (default: qrels/test.tsv in the folder).
    #[arg(long, requires = "beir")]
    pub qrels: Option<PathBuf>,
    /// Write a TREC run file (100 results per query) for --beir.
    #[arg(long, requires = "beir")]
    pub run: Option<PathBuf>,
    /// Rank documents by their best passage instead of indexing them whole (--beir).
    #[arg(long, requires = "beir")]
    pub passages: bool,
    /// Measure the relevance gate instead (--beir): each judged question asked with and without
    /// its relevant documents, the curve of right against wrong answers over the threshold.
    #[arg(long, requires = "beir")]
    pub answerability: bool,
    /// Also write the answerability evidence of every trial (--answerability) or of every
    /// answer and no-match case as JSON lines to this file (for eval/fit-answerability.py).
    #[arg(long)]
    pub trials: Option<PathBuf>,
    #[command(flatten)]
    pub options: AskOptions,
}

/// Runs the command line; the exit code says whether it succeeded.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Ask {
            options,
            json,
            format,
            question,
        } => ask(&cli.config, &options, json, format, &question.join(" ")),
        Command::Screen { message } => screen(&cli.config, &message.join(" ")),
        Command::Repl { options, format } => repl(&cli.config, &options, format),
        Command::Resources { region, topic } => resources(&cli.config, region, topic),
        Command::TrainScreen {
            out,
            threshold,
            cases,
        } => {
            let features = crate::eval::train::write(&cli.config, &out, threshold, &cases)?;
            println!("wrote {} ({features} features)", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Index { library } => index(&cli.config, library.as_deref()),
        Command::Check { library } => Ok(check(&cli.config, library.as_deref())),
        Command::Eval(args) => eval(&cli.config, &args),
        Command::Library { action } => library::run(&engine(&cli.config, None)?, action),
        Command::Serve {
            http_proxy,
            shards,
            total_shards,
        } => crate::discord::serve_from_cli(&cli.config, http_proxy, shards.zip(total_shards)),
    }
}

/// Loads the engine, printing every configuration or library problem.
fn engine(config: &Path, library: Option<&Path>) -> anyhow::Result<Engine> {
    match Engine::load(config, library) {
        Ok(e) => Ok(e),
        Err(LoadError::Problems(ps)) => {
            anyhow::bail!("{ps}\n(run `lantern check` for the full list)")
        }
        Err(e) => Err(e.into()),
    }
}

/// The library questions are answered from: a server's (`--server`), else the loaded one.
fn shelf(engine: &Engine, options: &AskOptions) -> anyhow::Result<std::sync::Arc<Shelf>> {
    match options.server {
        Some(server) => library::server_shelf(engine, server),
        None => Ok(engine.shelf.clone()),
    }
}

fn context(engine: &Engine, options: &AskOptions) -> anyhow::Result<Context> {
    let mut ctx = engine.default_context();
    if let Some(r) = &options.region {
        match engine.resources.region(r) {
            Some(region) => ctx.region = region.code.clone(),
            None => {
                eprintln!("lantern: unknown region {r:?}; using the international lines");
                ctx.region = engine.resources.international().code.clone();
            }
        }
    }
    Ok(ctx)
}

fn ask(
    config: &Path,
    options: &AskOptions,
    json: bool,
    format: Format,
    question: &str,
) -> anyhow::Result<ExitCode> {
    let engine = engine(config, options.library.as_deref())?;
    let ctx = context(&engine, options)?;
    let shelf = shelf(&engine, options)?;
    let reply = engine.ask_in(&shelf, question, &ctx);
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = json_reply(&reply);
        value["focus"] = serde_json::json!(engine.focus(question));
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", print_reply(&reply, format))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn screen(config: &Path, message: &str) -> anyhow::Result<ExitCode> {
    let config = Config::load(config).map_err(|p| anyhow::anyhow!("{p}"))?;
    let verdict = config.safety.screen(message);
    let mut out = std::io::stdout().lock();
    writeln!(out, "verdict: {}", crate::safety::verdict_name(&verdict))?;
    match config.safety.fired(message) {
        Some((outcome, 0)) => writeln!(out, "rule: {outcome} (a language's phrase list)")?,
        Some((outcome, line)) => writeln!(out, "rule: {outcome} (safety.toml line {line})")?,
        None => writeln!(out, "rule: none fired")?,
    }
    for (class, words) in config.safety.explain(message) {
        writeln!(out, "  {class:<20} {words}")?;
    }
    if let Some((r, weights)) = config.safety.learned_reading(message) {
        writeln!(
            out,
            "learned: danger {:.2} (speaks at {:.2}{}); emergency {:.2}, crisis {:.2}, someone else {:.2}",
            r.danger,
            config
                .safety
                .model()
                .map_or(f32::NAN, |m| r.threshold(m.threshold)),
            if r.windowed { ", read in windows" } else { "" },
            r.emergency,
            r.crisis,
            r.someone_else
        )?;
        for (feature, w) in weights.iter().take(8) {
            writeln!(out, "  {w:+.2} {feature}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The structured reply printed by `ask --json`.
pub fn json_reply(reply: &Reply) -> serde_json::Value {
    let passages: Vec<serde_json::Value> = reply
        .excerpts()
        .map(|e| {
            serde_json::json!({
                "doc_id": e.doc_id,
                "passage_id": e.passage_id,
                "title": e.citation.title,
                "section": e.citation.section,
                "text": e.passage_text,
                "quote": e.quote,
                "offset": e.offset,
                "score": e.score,
            })
        })
        .collect();
    let messages: Vec<String> = render::discord(reply)
        .iter()
        .map(|m| m.content().to_string())
        .collect();
    serde_json::json!({
        "kind": reply.kind(),
        "level": reply.level(),
        "lines_first": reply.lines_first(),
        "region": reply.disclaimer().region(),
        "passages": passages,
        "disclaimer": reply.disclaimer().text(),
        "rendered": messages.join("\n\n"),
        "messages": messages,
    })
}

fn repl(config: &Path, options: &AskOptions, format: Format) -> anyhow::Result<ExitCode> {
    let engine = engine(config, options.library.as_deref())?;
    let ctx = context(&engine, options)?;
    let shelf = shelf(&engine, options)?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    eprintln!("Ask a question (Ctrl-D to quit).");
    loop {
        write!(out, "ask: ")?;
        out.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let started = Instant::now();
        let reply = engine.ask_in(&shelf, line.trim_end_matches(['\n', '\r']), &ctx);
        writeln!(out, "{}\n", print_reply(&reply, format))?;
        eprintln!("({:?})", started.elapsed());
    }
    Ok(ExitCode::SUCCESS)
}

fn resources(
    config: &Path,
    region: Option<String>,
    topic: Option<String>,
) -> anyhow::Result<ExitCode> {
    let config = Config::load(config).map_err(|ps| anyhow::anyhow!("{ps}"))?;
    // `lantern resources addiction`: one word that names a topic, not a region, is the topic.
    let (region, topic) = match (region, topic) {
        (Some(r), None)
            if config.resources.region(&r).is_none() && config.resources.topic(&r).is_some() =>
        {
            (None, Some(r))
        }
        other => other,
    };
    let lookup = config.resources.lookup(
        region.as_deref(),
        topic.as_deref(),
        &config.settings.default_region,
    );
    let mut out = std::io::stdout().lock();
    if let Some(r) = &lookup.unknown_region {
        writeln!(
            out,
            "Unknown region {r:?}: showing the international directory."
        )?;
    }
    if let Some(t) = &lookup.unknown_topic {
        let topics: Vec<&str> = config
            .resources
            .topics
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        writeln!(
            out,
            "Unknown topic {t:?} (topics: {}): showing every line.",
            topics.join(", ")
        )?;
    }
    writeln!(
        out,
        "{} ({}), emergency: {}",
        lookup.region.name, lookup.region.code, lookup.region.emergency
    )?;
    for l in &lookup.lines {
        let hours = render::hours_text(&l.hours)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        writeln!(
            out,
            "- {}: {}{hours}; {}. Source: {}, checked {}{}",
            l.name,
            l.contact(),
            l.purpose,
            l.source,
            l.checked,
            if l.check {
                " [CHECK: secondary or dated source]"
            } else {
                ""
            }
        )?;
    }
    writeln!(
        out,
        "\n{}",
        crate::plain::own_words(config.resources.disclaimer(&lookup.region.code).text())
    )?;
    Ok(ExitCode::SUCCESS)
}

fn index(config: &Path, library: Option<&Path>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let engine = engine(config, library)?;
    let elapsed = started.elapsed();
    let words: usize = engine.shelf.library.passages.iter().map(|p| p.words).sum();
    println!("library: {}", engine.library_path.display());
    println!("documents: {}", engine.shelf.library.documents.len());
    println!(
        "passages: {} ({} words, {:.0} per passage)",
        engine.shelf.library.passages.len(),
        words,
        words as f64 / engine.shelf.library.passages.len().max(1) as f64
    );
    println!(
        "index: {:?} in {:.1} ms",
        engine.shelf.index.provenance,
        elapsed.as_secs_f64() * 1000.0
    );
    for d in &engine.shelf.library.documents {
        let n = engine
            .shelf
            .library
            .passages
            .iter()
            .filter(|p| engine.shelf.library.documents[p.doc].id == d.id)
            .count();
        if engine.shelf.library.documents.len() <= 50 {
            println!("  {} ({} passages): {}", d.id, n, d.display_title());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(config: &Path, library: Option<&Path>) -> ExitCode {
    let mut problems = Vec::new();
    let loaded = Config::load(config);
    let (library_path, chunking) = match &loaded {
        Ok(c) => (
            library.map_or_else(|| c.settings.library.clone(), Path::to_path_buf),
            crate::retrieval::Retrieval::new(&c.settings.search, Default::default()).chunking,
        ),
        Err(ps) => {
            problems.extend(ps.0.iter().cloned());
            (
                library.map_or_else(|| PathBuf::from("data"), Path::to_path_buf),
                Default::default(),
            )
        }
    };
    let documents = match crate::corpus::Library::load(&library_path, chunking) {
        Ok(lib) => Some((lib.documents.len(), lib.passages.len())),
        Err(ps) => {
            problems.extend(ps.0);
            None
        }
    };
    if problems.is_empty() {
        let (d, p) = documents.unwrap_or_default();
        println!(
            "ok: configuration in {} and library {} ({d} documents, {p} passages)",
            config.display(),
            library_path.display()
        );
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("{} problem(s)", problems.len());
        ExitCode::from(1)
    }
}

fn eval(config: &Path, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.beir {
        let config = Config::load(config).map_err(|ps| anyhow::anyhow!("{ps}"))?;
        let retrieval = crate::retrieval::Retrieval::new(&config.settings.search, config.synonyms);
        let options = beir::BeirOptions {
            dir: dir.clone(),
            queries: args.queries.clone(),
            qrels: args.qrels.clone(),
            run: args.run.clone(),
            whole_documents: !args.passages,
        };
        if args.answerability {
            // Members get passages: the gate is measured on what `ask` quotes.
            let options = beir::BeirOptions {
                whole_documents: false,
                ..options
            };
            let a = crate::eval::answerable::evaluate(&options, &retrieval, &config.safety)
                .with_context(|| format!("evaluating {}", dir.display()))?;
            if let Some(path) = &args.trials {
                std::fs::write(path, crate::eval::answerable::to_json_lines(&a))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            print!(
                "{}",
                crate::eval::answerable::to_text(&a, retrieval.min_answerability)
            );
            return Ok(ExitCode::SUCCESS);
        }
        let report = beir::evaluate(&options, &retrieval, &config.safety)
            .with_context(|| format!("evaluating {}", dir.display()))?;
        println!(
            "documents: {}  passages: {}  queries: {}",
            report.documents, report.passages, report.queries
        );
        println!("nDCG@10:    {:.4}", report.ndcg10);
        if report.not_searched > 0 {
            println!(
                "            {:.4} over the searched queries ({} judged queries not searched: the \
                 safety screen read them as a danger)",
                report.ndcg10_searched, report.not_searched
            );
        }
        println!("Recall@100: {:.4}", report.recall100);
        println!("MRR@10:     {:.4}", report.mrr10);
        println!(
            "index: {:.2} s  search: {:.2} s ({:.2} ms/query)",
            report.index_time.as_secs_f64(),
            report.search_time.as_secs_f64(),
            report.search_time.as_secs_f64() * 1000.0 / report.queries.max(1) as f64
        );
        if let Some(run) = &args.run {
            println!("run file: {}", run.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let path = args
        .cases
        .as_deref()
        .expect("clap requires cases or --beir");
    let cases = cases::load(path).map_err(|p| anyhow::anyhow!("{p}"))?;
    let engine = engine(config, args.options.library.as_deref())?;
    let ctx = context(&engine, &args.options)?;
    let report = cases::run(&engine, &cases, &ctx);
    if let Some(path) = &args.trials {
        let lines: String = report.trials.iter().map(|t| format!("{t}\n")).collect();
        std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", report.to_text());
    Ok(ExitCode::SUCCESS)
}
