//! The engine: everything Lantern knows (settings, safety rules, support lines, library, index)
//! behind one small synchronous API that the CLI and the Discord layer share. A question and a
//! server's context go in, a [`Reply`] comes out; every path ends in a reply with a disclaimer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::answer;
use crate::config::Settings;
use crate::corpus::Library;
mod pages;

use crate::crisis;
use crate::grounding::Grounding;
use crate::index::SearchIndex;
use crate::problem::{Problem, Problems, read_utf8};
use crate::reply::{Disclaimer, Excerpt, Kind, LineEntry, Reply};
use crate::resources::Resources;
use crate::retrieval::{Retrieval, Retrieved};
use crate::safety::model::DangerModel;
use crate::safety::{Crisis, Level, Question, SafetyRules, Screened};
use crate::synonyms::Synonyms;

/// Per-request context: what the server (or the command line) chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Region code for the disclaimer and crisis lines.
    pub region: String,
    /// Passages quoted in an answer.
    pub results: usize,
    /// Quotes about the `[content_notes]` topics go behind a spoiler under a note.
    pub content_notes: bool,
}

/// What quotes are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// An answer: passages about the question, in any voice.
    Answer,
    /// General information after a medical-advice refusal: only passages containing every topic
    /// word of the question, in the article's own voice (never a quoted user's testimony).
    GeneralInformation,
}

/// The configuration files, parsed.
#[derive(Debug, Clone)]
pub struct Config {
    /// `lantern.toml`.
    pub settings: Settings,
    /// `safety.toml`.
    pub safety: SafetyRules,
    /// `resources.toml`.
    pub resources: Resources,
    /// `synonyms.toml`.
    pub synonyms: Synonyms,
    /// `grounding.toml`.
    pub grounding: Grounding,
}

/// The learned danger model's table, beside `safety.toml` (see [`crate::safety::model`]).
pub const MODEL_FILE: &str = "screen-model.tsv";

fn read_config<T>(
    dir: &Path,
    name: &str,
    parse: impl FnOnce(&str, &Path) -> Result<T, Vec<Problem>>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let path = dir.join(name);
    let source = match read_utf8(&path) {
        Ok(s) => s,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    match parse(&source, &path) {
        Ok(v) => Some(v),
        Err(mut ps) => {
            problems.append(&mut ps);
            None
        }
    }
}

impl Config {
    /// Reads `lantern.toml` (optional), `safety.toml` with its learned `screen-model.tsv`,
    /// `resources.toml` and `synonyms.toml` from a folder, reporting every problem in every file.
    pub fn load(dir: &Path) -> Result<Config, Problems> {
        let mut problems = Vec::new();
        let settings = match Settings::load(&dir.join("lantern.toml")) {
            Ok(s) => Some(s),
            Err(mut ps) => {
                problems.append(&mut ps);
                None
            }
        };
        let safety = read_config(dir, "safety.toml", SafetyRules::parse, &mut problems);
        let model = read_config(dir, MODEL_FILE, DangerModel::parse, &mut problems);
        let resources = read_config(dir, "resources.toml", Resources::parse, &mut problems);
        let synonyms = read_config(dir, "synonyms.toml", Synonyms::parse, &mut problems);
        // Optional: a configuration folder from before `/ground` (or one that leaves it out)
        // gets the exercises Lantern ships.
        let grounding = if dir.join("grounding.toml").exists() {
            read_config(dir, "grounding.toml", Grounding::parse, &mut problems)
        } else {
            Some(Grounding::shipped())
        };
        if let (Some(settings), Some(resources)) = (&settings, &resources)
            && resources.region(&settings.default_region).is_none()
        {
            problems.push(Problem::new(
                &dir.join("lantern.toml"),
                None,
                format!(
                    "default_region {:?} is not a region in resources.toml",
                    settings.default_region
                ),
            ));
        }
        match (settings, safety, model, resources, synonyms, grounding) {
            (
                Some(settings),
                Some(safety),
                Some(model),
                Some(resources),
                Some(synonyms),
                Some(grounding),
            ) if problems.is_empty() => Ok(Config {
                settings,
                safety: safety.with_model(model),
                resources,
                synonyms,
                grounding,
            }),
            _ => Err(Problems(problems)),
        }
    }
}

/// A library and its index: what one server's questions are answered from. The shipped library
/// is one; a server with documents of its own has its own ([`crate::libraries`]).
#[derive(Debug)]
pub struct Shelf {
    /// The documents and their passages.
    pub library: Library,
    /// Their index.
    pub index: SearchIndex,
    /// Which version of the server's library this is (0: the shipped library as loaded).
    pub version: u64,
    /// This build's own number, unique in the process: replies cached from one build are never
    /// taken for another's (a server's library rebuilt with the same version but the shipped
    /// articles switched, or a build that finished after a change).
    pub build: u64,
}

/// Numbers each built shelf.
static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Shelf {
    /// Indexes a library in memory.
    pub fn build(library: Library, version: u64) -> Result<Shelf, crate::index::IndexError> {
        let index = SearchIndex::build(&library)?;
        Ok(Shelf::of(library, index, version))
    }

    fn of(library: Library, index: SearchIndex, version: u64) -> Shelf {
        Shelf {
            library,
            index,
            version,
            build: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// Lantern's engine.
pub struct Engine {
    /// `lantern.toml`.
    pub settings: Settings,
    /// The safety screen.
    pub safety: SafetyRules,
    /// Support lines.
    pub resources: Resources,
    /// Grounding and breathing exercises (`/ground`).
    pub grounding: Grounding,
    /// Retrieval configuration.
    pub retrieval: Retrieval,
    /// The shipped library and its index (`data/`): the operator's, and every server's unless
    /// the server keeps only its own documents.
    pub shelf: Arc<Shelf>,
    /// Where the library was read from.
    pub library_path: PathBuf,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Configuration or library files have problems (each names file and line).
    #[error("{0}")]
    Problems(#[from] Problems),
    /// The index could not be built.
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

impl Engine {
    /// Loads configuration from `config_dir` and the library from `library` (or the configured
    /// library), and builds or reuses the index. Every problem in config and library is reported.
    pub fn load(config_dir: &Path, library: Option<&Path>) -> Result<Engine, LoadError> {
        let config = Config::load(config_dir);
        let library_path = match (&config, library) {
            (_, Some(p)) => p.to_path_buf(),
            (Ok(c), None) => c.settings.library.clone(),
            (Err(_), None) => Settings::default().library,
        };
        let search = config
            .as_ref()
            .map(|c| c.settings.search.clone())
            .unwrap_or_default();
        let chunking = Retrieval::new(&search, Synonyms::default()).chunking;
        let loaded = Library::load(&library_path, chunking);
        let (config, library) = match (config, loaded) {
            (Ok(c), Ok(l)) => (c, l),
            (c, l) => {
                let mut all = Vec::new();
                if let Err(Problems(ps)) = c {
                    all.extend(ps);
                }
                if let Err(Problems(ps)) = l {
                    all.extend(ps);
                }
                return Err(LoadError::Problems(Problems(all)));
            }
        };
        Engine::new(config, library, library_path)
    }

    /// An engine over a loaded configuration and library.
    pub fn new(
        config: Config,
        library: Library,
        library_path: PathBuf,
    ) -> Result<Engine, LoadError> {
        let cache = &config.settings.index_cache;
        let index = if cache.as_os_str().is_empty() {
            SearchIndex::build(&library)?
        } else {
            SearchIndex::open_or_build(&library, cache)?
        };
        Ok(Engine {
            retrieval: Retrieval::new(&config.settings.search, config.synonyms),
            settings: config.settings,
            safety: config.safety,
            resources: config.resources,
            grounding: config.grounding,
            shelf: Arc::new(Shelf::of(library, index, 0)),
            library_path,
        })
    }

    /// Does now the work otherwise done by the first questions: every passage's analysis and the
    /// typo-correction vocabulary (for a long-running bot; a one-off `ask` skips it).
    pub fn warm(&self) {
        self.shelf.library.warm();
        self.shelf.index.warm();
    }

    /// The default context (configured region, configured number of results).
    pub fn default_context(&self) -> Context {
        Context {
            region: self.settings.default_region.clone(),
            results: self.retrieval.results,
            content_notes: false,
        }
    }

    /// The disclaimer for a region.
    pub fn disclaimer(&self, region: &str) -> Disclaimer {
        self.resources.disclaimer(region)
    }

    /// Answers a message from the shipped library. Never fails: every input gets a reply with
    /// the disclaimer.
    pub fn ask(&self, text: &str, ctx: &Context) -> Reply {
        self.reply(self.screen(text), ctx, 0)
    }

    /// Answers a message from a server's library.
    pub fn ask_in(&self, shelf: &Shelf, text: &str, ctx: &Context) -> Reply {
        self.reply_in(shelf, self.screen(text), ctx, 0)
    }

    /// The next results from the shipped library for a question already answered: the
    /// passages ranked after the first `skip`.
    pub fn more(&self, text: &str, ctx: &Context, skip: usize) -> Reply {
        self.more_in(&self.shelf, text, ctx, skip)
    }

    /// The next results for a question already answered (the "more results" button): the
    /// passages ranked after the first `skip`, from the library it was answered from.
    pub fn more_in(&self, shelf: &Shelf, text: &str, ctx: &Context, skip: usize) -> Reply {
        self.reply_in(shelf, self.screen(text), ctx, skip)
    }

    /// The safety screen's verdict on a message (the Discord layer acts on a crisis before
    /// anything else, cooldowns included).
    pub fn screen(&self, text: &str) -> Screened {
        self.safety.screen(text)
    }

    /// The crisis texts in the danger's language, when it was not English.
    fn language_reply(&self, crisis: &Crisis) -> Option<&crate::safety::LanguageReply> {
        crisis
            .language
            .as_deref()
            .and_then(|l| self.safety.language(l))
    }

    /// Crisis watch's reply to a danger read in a watched channel (see [`crisis::watch_reply`]).
    pub fn watch_reply(&self, crisis: &Crisis, region: &str, watched: crisis::Watched) -> Reply {
        let language = self.language_reply(crisis);
        let disclaimer = self.disclaimer(region);
        crisis::watch_reply(
            &self.resources,
            region,
            crisis,
            language,
            watched,
            disclaimer,
        )
    }

    /// The reply to a screened message from the shipped library, skipping the first `skip`
    /// passages of an answer.
    pub fn reply(&self, screened: Screened, ctx: &Context, skip: usize) -> Reply {
        self.reply_in(&self.shelf, screened, ctx, skip)
    }

    /// The reply to a screened message from a library, skipping the first `skip` passages of
    /// an answer.
    pub fn reply_in(&self, shelf: &Shelf, screened: Screened, ctx: &Context, skip: usize) -> Reply {
        let mut reply = self.compose(shelf, screened, ctx, skip);
        if ctx.content_notes {
            let topics = &self.settings.content_notes;
            reply.note_excerpts(|e| answer::content_note(topics, &e.quote));
        }
        reply
    }

    fn compose(&self, shelf: &Shelf, screened: Screened, ctx: &Context, skip: usize) -> Reply {
        let disclaimer = self.disclaimer(&ctx.region);
        match screened {
            Screened::Crisis(crisis) => {
                let language = self.language_reply(&crisis);
                crisis::reply(&self.resources, &ctx.region, &crisis, language, disclaimer)
            }
            Screened::Empty => self.help(&ctx.region),
            Screened::MedicalAdvice(q, advice) => {
                let general = self
                    .excerpts(shelf, &q, ctx.results, skip, Quoting::GeneralInformation)
                    .unwrap_or_default();
                answer::medical_advice(general, advice, disclaimer)
            }
            Screened::Topic(q) => {
                let excerpts = self
                    .excerpts(shelf, &q, ctx.results, skip, Quoting::Answer)
                    .unwrap_or_default();
                let (region, lines) = self.lines_for(&ctx.region, Level::Crisis);
                answer::topic(excerpts, lines, &region.emergency, disclaimer)
            }
            Screened::HarmReduction(q) => {
                let excerpts = self
                    .excerpts(shelf, &q, ctx.results, skip, Quoting::GeneralInformation)
                    .unwrap_or_default();
                let (region, lines) = self.lines_for(&ctx.region, Level::Emergency);
                let guidance = self
                    .resources
                    .guidance("naloxone")
                    .map(|g| g.for_region(region));
                answer::harm_reduction(excerpts, lines, guidance, &region.emergency, disclaimer)
            }
            Screened::Ordinary(q) => {
                match self.excerpts(shelf, &q, ctx.results, skip, Quoting::Answer) {
                    Some(excerpts) if !excerpts.is_empty() => answer::answer(excerpts, disclaimer),
                    _ if skip > 0 => Reply::text(
                        Kind::NoMatch,
                        "That's everything relevant the library has on this.",
                        disclaimer,
                    ),
                    _ => answer::no_match(disclaimer),
                }
            }
        }
    }

    /// A region (or the international directory) and its lines for a danger tier.
    fn lines_for(&self, region: &str, level: Level) -> (&crate::resources::Region, Vec<LineEntry>) {
        let region = self.resources.region_or_international(region);
        let lines = crisis::crisis_lines(&self.resources, region, level)
            .into_iter()
            .map(crisis::entry)
            .collect();
        (region, lines)
    }

    /// What a message is searched for (its focus, see [`crate::focus`]): the concepts kept,
    /// what matters most first; empty when the screen does not let it be searched.
    pub fn focus(&self, text: &str) -> Vec<String> {
        self.screen(text)
            .question()
            .map(|q| self.retrieval.query(&self.shelf.index, q).focus_words())
            .unwrap_or_default()
    }

    /// Ranked passages for a screened question from the shipped library, ungated (for
    /// evaluation).
    pub fn retrieve(&self, question: &Question, limit: usize) -> Retrieved {
        self.retrieve_in(&self.shelf, question, limit)
    }

    /// Ranked passages for a screened question from a library, ungated.
    pub fn retrieve_in(&self, shelf: &Shelf, question: &Question, limit: usize) -> Retrieved {
        self.retrieval
            .search(&shelf.index, &shelf.library, question, limit)
    }

    /// Quotes for a question, or `None` when the answerability decision finds nothing that
    /// answers it. General information (after a medical-advice refusal) quotes only passages
    /// that hold every concept of the question (full coverage), in the article's own voice.
    fn excerpts(
        &self,
        shelf: &Shelf,
        question: &Question,
        results: usize,
        skip: usize,
        quoting: Quoting,
    ) -> Option<Vec<Excerpt>> {
        let retrieved = self.retrieve_in(shelf, question, skip + results.max(1));
        if !self.retrieval.is_relevant(&retrieved, &shelf.library) {
            return None;
        }
        let voice = match quoting {
            Quoting::Answer => answer::Voice::Any,
            Quoting::GeneralInformation => answer::Voice::ArticleOnly,
        };
        let whole = |h: &&crate::index::Hit| {
            quoting == Quoting::Answer || crate::retrieval::coverage(&retrieved.query, h) >= 1.0
        };
        // Two documents that share text (a reposted article, a FAQ copied into two files) must
        // not put the same words in one reply twice.
        let mut quoted = std::collections::HashSet::new();
        Some(
            self.retrieval
                .quotable(&retrieved, skip)
                .filter(whole)
                .filter_map(|h| answer::excerpt(&shelf.library, h, &retrieved.focus, voice))
                .filter(|e| quoted.insert(e.quote.split_whitespace().collect::<Vec<_>>().join(" ")))
                .collect(),
        )
    }
}
