//! `config/lantern.toml`: where the library and store are, how retrieval behaves, and how the bot
//! connects. `parse` is pure and tested with inline TOML; `load` only reads the file. Unknown
//! keys are errors, so a typo fails loudly instead of being ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::problem::{Problem, read_utf8};

/// Everything in `config/lantern.toml`. Every key has a default, so an empty file is valid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Library folder or JSONL file (relative paths are relative to the working directory).
    pub library: PathBuf,
    /// Where built search indexes are kept and reused; empty to always build in memory.
    pub index_cache: PathBuf,
    /// Region used for the disclaimer and support lines when a server or command sets none.
    pub default_region: String,
    /// Retrieval and reply settings.
    pub search: SearchSettings,
    /// Discord connection settings (used by `lantern serve`).
    pub discord: DiscordSettings,
    /// The SQLite store.
    pub store: StoreSettings,
    /// Servers' own libraries.
    pub libraries: LibrarySettings,
    /// Topics a quote is noted for, by name, with the words that mark them (servers that turn
    /// `content_notes` on get such quotes behind a spoiler under a note naming the topic).
    pub content_notes: std::collections::BTreeMap<String, Vec<String>>,
    /// Logging.
    pub log: LogSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            library: PathBuf::from("data"),
            index_cache: PathBuf::from(".lantern/index"),
            default_region: "US".to_string(),
            search: SearchSettings::default(),
            discord: DiscordSettings::default(),
            store: StoreSettings::default(),
            libraries: LibrarySettings::default(),
            content_notes: default_content_notes(),
            log: LogSettings::default(),
        }
    }
}

/// The topics `lantern.toml` ships under `[content_notes]`.
fn default_content_notes() -> std::collections::BTreeMap<String, Vec<String>> {
    let topic = |name: &str, words: &[&str]| {
        (
            name.to_string(),
            words.iter().map(|w| (*w).to_string()).collect(),
        )
    };
    [
        topic(
            "abuse",
            &[
                "abuse",
                "abused",
                "abuser",
                "abusive",
                "assault",
                "assaulted",
                "rape",
                "raped",
                "molested",
                "molestation",
                "violence",
            ],
        ),
        topic(
            "self-harm",
            &[
                "self-harm",
                "self harm",
                "self-injury",
                "self injury",
                "cutting",
                "cut myself",
                "cut themselves",
                "hurting themselves",
            ],
        ),
        topic(
            "suicide",
            &[
                "suicide",
                "suicidal",
                "kill myself",
                "kill themselves",
                "take my own life",
                "end my life",
                "ending their life",
            ],
        ),
        topic(
            "overdose",
            &[
                "overdose",
                "overdosed",
                "overdosing",
                "od",
                "fatal dose",
                "died of an overdose",
                "naloxone",
                "narcan",
            ],
        ),
    ]
    .into_iter()
    .collect()
}

/// Retrieval and reply composition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSettings {
    /// Passages quoted in an answer (k).
    pub results: usize,
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25 length normalisation.
    pub b: f32,
    /// Weight of title words relative to body words.
    pub title_weight: f32,
    /// Weight of heading words relative to body words.
    pub heading_weight: f32,
    /// Weight of a synonym of a word the member typed.
    pub synonym_weight: f32,
    /// Weight of a typo correction (0 turns correction off).
    pub correction_weight: f32,
    /// The answerability decision's threshold (see `retrieval::answerability`): below it the
    /// reply says the library has no answer.
    pub min_answerability: f32,
    /// Each passage quoted after the first must hold at least this share of the question's key
    /// concepts.
    pub min_coverage: f32,
    /// Passages grow to at least this many words where the text allows.
    pub passage_min_words: usize,
    /// Passages never grow past this many words.
    pub passage_max_words: usize,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            results: 3,
            k1: 1.2,
            b: 0.75,
            title_weight: 2.0,
            heading_weight: 1.5,
            synonym_weight: 0.8,
            correction_weight: 0.8,
            min_answerability: 0.55,
            min_coverage: 0.5,
            passage_min_words: 40,
            passage_max_words: 150,
        }
    }
}

/// How commands are registered with Discord.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Globally, for every server (takes up to an hour to appear).
    Global,
    /// Only in the servers listed in `test_guilds` (instant; for development).
    Guilds,
}

/// Discord connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordSettings {
    /// Where slash commands are registered.
    pub register: Registration,
    /// Servers to register in when `register = "guilds"`.
    pub test_guilds: Vec<u64>,
    /// Base URL that replaces `https://discord.com` for every REST call (a shared rate-limit
    /// proxy in large deployments; the loopback stand-in in tests). Empty: talk to Discord.
    pub http_proxy: String,
    /// A file holding the bot token when `DISCORD_TOKEN` is not set (keep it out of git).
    pub token_file: PathBuf,
    /// The operator's own server: its moderators may reload the shipped library for every
    /// server (`/lantern library reload`). 0: nobody may from Discord (the command line can).
    pub operator_guild: u64,
    /// The shards this process runs, `"0-3"` (inclusive); empty: every shard (one process).
    pub shards: String,
    /// How many shards the bot has over all its processes (with `shards`).
    pub total_shards: u32,
    /// Crisis watch: the bot asks Discord for the message-content intent (which the bot's owner
    /// must also switch on in the Developer Portal) so that servers can choose channels it reads.
    pub crisis_watch: bool,
}

impl DiscordSettings {
    /// The shard range this process runs and the total, or `None` for every shard; a clear
    /// error for a range that is malformed, empty or past the total.
    pub fn shard_range(&self) -> Result<Option<(std::ops::Range<u32>, u32)>, String> {
        let spec = self.shards.trim();
        if spec.is_empty() {
            return Ok(None);
        }
        let (first, last) = spec.split_once('-').unwrap_or((spec, spec));
        let parse = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("shards {spec:?}: expected a range like 0-3"))
        };
        let (first, last) = (parse(first)?, parse(last)?);
        if last < first {
            return Err(format!("shards {spec:?}: the range is empty"));
        }
        if self.total_shards == 0 || last >= self.total_shards {
            return Err(format!(
                "shards {spec:?} need total_shards greater than {last} (the shards of every process)"
            ));
        }
        Ok(Some((first..last + 1, self.total_shards)))
    }
}

impl Default for DiscordSettings {
    fn default() -> Self {
        DiscordSettings {
            register: Registration::Global,
            test_guilds: Vec::new(),
            http_proxy: String::new(),
            token_file: PathBuf::from("config/secrets.toml"),
            operator_guild: 0,
            shards: String::new(),
            total_shards: 0,
            crisis_watch: false,
        }
    }
}

/// The store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// SQLite database file (created with its folder if missing), used when `url` is empty.
    pub path: PathBuf,
    /// `postgres://user@host/db` (or `?host=/socket/dir`) for PostgreSQL, shared by several
    /// processes; `sqlite://PATH` for a SQLite file; empty for the file at `path`.
    pub url: String,
    /// Most PostgreSQL connections per process.
    pub max_connections: u32,
    /// Seconds a PostgreSQL query waits for a connection before it fails.
    pub timeout_secs: u32,
}

impl StoreSettings {
    /// Where the store is, for messages: the url without its password, or the file.
    pub fn describe(&self) -> String {
        if self.url.is_empty() {
            return self.path.display().to_string();
        }
        match (self.url.find("://"), self.url.rfind('@')) {
            // user:password@host → user@host
            (Some(scheme), Some(at)) if at > scheme => {
                let user = &self.url[scheme + 3..at];
                let user = user.split(':').next().unwrap_or("");
                format!("{}{user}{}", &self.url[..scheme + 3], &self.url[at..])
            }
            _ => self.url.clone(),
        }
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            path: PathBuf::from(".lantern/lantern.db"),
            url: String::new(),
            max_connections: 8,
            timeout_secs: 5,
        }
    }
}

/// Servers' own libraries: what one server may add, and how many built libraries stay in memory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LibrarySettings {
    /// Largest file a moderator may add, in bytes.
    pub max_file_bytes: usize,
    /// Most documents of a server's own.
    pub max_documents: usize,
    /// Most passages of a server's own documents.
    pub max_passages: usize,
    /// Most bytes of text over a server's own documents.
    pub max_library_bytes: usize,
    /// Servers' libraries kept built in memory; the least recently used is dropped beyond it
    /// (and built again on its next question).
    pub kept_in_memory: usize,
}

impl LibrarySettings {
    /// The limits the store checks when documents are added.
    pub fn limits(&self) -> crate::store::DocumentLimits {
        crate::store::DocumentLimits {
            max_documents: self.max_documents,
            max_passages: self.max_passages,
            max_bytes: self.max_library_bytes,
        }
    }
}

impl Default for LibrarySettings {
    fn default() -> Self {
        LibrarySettings {
            max_file_bytes: 1_000_000,
            max_documents: 200,
            max_passages: 5_000,
            max_library_bytes: 10_000_000,
            kept_in_memory: 64,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A tracing filter: `info`, `lantern=debug,serenity=warn`, ... (`RUST_LOG` overrides).
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info,serenity=warn,tracing::span=warn".to_string(),
        }
    }
}

impl Settings {
    /// Parses `lantern.toml` text; `file` names it in errors.
    pub fn parse(source: &str, file: &Path) -> Result<Settings, Vec<Problem>> {
        let settings: Settings =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let mut problems = Vec::new();
        let s = &settings.search;
        let mut check = |ok: bool, key: &str, what: &str| {
            if !ok {
                let line = source
                    .lines()
                    .position(|l| l.trim_start().starts_with(key))
                    .map(|i| i + 1);
                problems.push(Problem::new(file, line, format!("{key} {what}")));
            }
        };
        check(
            (1..=10).contains(&s.results),
            "results",
            "must be between 1 and 10",
        );
        check(s.k1 > 0.0 && s.k1 <= 10.0, "k1", "must be in (0, 10]");
        check((0.0..=1.0).contains(&s.b), "b", "must be in [0, 1]");
        check(
            s.title_weight >= 0.0,
            "title_weight",
            "must not be negative",
        );
        check(
            s.heading_weight >= 0.0,
            "heading_weight",
            "must not be negative",
        );
        check(
            (0.0..=1.0).contains(&s.synonym_weight),
            "synonym_weight",
            "must be in [0, 1]",
        );
        check(
            (0.0..=1.0).contains(&s.correction_weight),
            "correction_weight",
            "must be in [0, 1]",
        );
        check(
            (0.0..=1.0).contains(&s.min_coverage),
            "min_coverage",
            "must be in [0, 1]",
        );
        check(
            (0.0..=1.0).contains(&s.min_answerability),
            "min_answerability",
            "must be in [0, 1]",
        );
        check(
            s.passage_min_words >= 1 && s.passage_min_words <= s.passage_max_words,
            "passage_min_words",
            "must be at least 1 and at most passage_max_words",
        );
        let d = &settings.discord;
        check(
            d.register != Registration::Guilds || !d.test_guilds.is_empty(),
            "test_guilds",
            "must list at least one server id when register = \"guilds\"",
        );
        check(
            d.http_proxy.is_empty()
                || d.http_proxy.starts_with("http://")
                || d.http_proxy.starts_with("https://"),
            "http_proxy",
            "must be an http:// or https:// URL",
        );
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }

    /// Loads `lantern.toml`; a missing file means all defaults.
    pub fn load(path: &Path) -> Result<Settings, Vec<Problem>> {
        if !path.exists() {
            return Ok(Settings::default());
        }
        let source = read_utf8(path).map_err(|p| vec![p])?;
        Settings::parse(&source, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Settings, Vec<Problem>> {
        Settings::parse(src, Path::new("lantern.toml"))
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(parse("").unwrap(), Settings::default());
    }

    #[test]
    fn values_are_read() {
        let s = parse(
            "library = \"lib\"\n[search]\nresults = 5\nk1 = 0.9\n[discord]\nregister = \"guilds\"\ntest_guilds = [1, 2]\nhttp_proxy = \"http://127.0.0.1:9\"\n",
        )
        .unwrap();
        assert_eq!(s.library, PathBuf::from("lib"));
        assert_eq!(s.search.results, 5);
        assert_eq!(s.search.k1, 0.9);
        assert_eq!(s.discord.test_guilds, [1, 2]);
    }

    #[test]
    fn mistakes_name_their_line() {
        let cases = [
            ("[search]\nresults = 0\n", 2, "results"),
            ("[search]\nreslts = 3\n", 2, "unknown field"),
            ("[search]\nb = 3.0\n", 2, "b must"),
            ("[discord]\nregister = \"guilds\"\n", 0, "test_guilds"),
            ("[discord]\nhttp_proxy = \"127.0.0.1\"\n", 2, "http_proxy"),
            (
                "[discord]\nregister = \"everywhere\"\n",
                2,
                "unknown variant",
            ),
        ];
        for (src, line, needle) in cases {
            let ps = parse(src).unwrap_err();
            assert!(ps[0].message.contains(needle), "{src:?}: {ps:?}");
            if line > 0 {
                assert_eq!(ps[0].line, Some(line), "{src:?}: {ps:?}");
            }
        }
    }
}
