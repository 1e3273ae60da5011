//! The bot's shared state: the engine (swappable on `library reload`), the store, per-server
//! settings cached in memory, rate limits, and recent answers (for "more results").

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::engine::{Context, Engine, Shelf};
use crate::libraries::Shelves;
use crate::reply::{Kind, Reply};
use crate::safety::Screened;
use crate::store::any::AnyStore;
use crate::store::postgres::Changed;
use crate::store::{GuildId, QuestionRecord, ServerSettings, Store, StoreError, UserId};

use super::limits::Limits;

/// The error type of commands and handlers.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// A command's context.
pub type Ctx<'a> = poise::Context<'a, Data, Error>;

/// A reply rendered for Discord: its kind and its messages (each ending with the disclaimer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What kind of reply it is.
    pub kind: Kind,
    /// The messages' contents.
    pub messages: Vec<String>,
}

impl Rendered {
    /// Renders a reply.
    pub fn of(reply: &Reply) -> Rendered {
        Rendered {
            kind: reply.kind(),
            messages: crate::render::contents(reply),
        }
    }
}

/// Replies kept for questions asked again (a server's common questions).
const REPLIES_KEPT: usize = 512;

/// Cached settings are re-read after this long (another process may have changed them).
const SETTINGS_TTL: Duration = Duration::from_secs(60);
/// A built library is compared with the store's version after this long.
const LIBRARY_CHECK: Duration = Duration::from_secs(60);
/// Recent answers remembered for their buttons.
const ANSWERS_KEPT: usize = 5000;
/// Buttons of older answers say the answer expired.
const ANSWER_TTL: Duration = Duration::from_secs(24 * 3600);

/// An answer whose buttons may still be clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The question, as screened.
    pub question: String,
    /// Where it was asked (`None` in DMs).
    pub guild: Option<GuildId>,
    /// Who asked.
    pub asker: UserId,
    /// Passages already shown.
    pub shown: usize,
    /// The reply context it was answered in.
    pub context: Context,
    /// The version of the library it was answered from ("more results" come from that one).
    pub library: u64,
    at: Instant,
}

impl Remembered {
    /// A new answer.
    pub fn new(
        question: String,
        guild: Option<GuildId>,
        asker: UserId,
        context: Context,
        library: u64,
    ) -> Self {
        Remembered {
            library,
            shown: context.results,
            question,
            guild,
            asker,
            context,
            at: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
struct Answers {
    by_token: HashMap<u64, Remembered>,
    order: VecDeque<u64>,
    next: u64,
}

/// Servers' settings as read, and when.
type SettingsCache = HashMap<GuildId, (Arc<ServerSettings>, Instant)>;

/// What a cached reply depends on: the library (server, and the build it was answered from) and
/// the question in its context.
type ReplyKey = (GuildId, u64, String, String, usize, bool);

/// Forgets what a process keeps of servers' settings and libraries when they change elsewhere.
#[derive(Debug, Clone)]
pub struct Invalidator {
    settings: Arc<Mutex<SettingsCache>>,
    replies: Arc<Mutex<HashMap<ReplyKey, Arc<Rendered>>>>,
    shelves: Arc<Shelves>,
}

impl Invalidator {
    /// A server's settings, lines or library changed (or anything, when that is unknown):
    /// the next question reads the store again.
    pub fn changed(&self, changed: Changed) {
        match changed {
            Changed::Server(guild) => {
                lock(&self.settings).remove(&guild);
                lock(&self.replies).retain(|key, _| key.0 != guild);
                self.shelves.forget(guild);
            }
            Changed::Anything => {
                lock(&self.settings).clear();
                lock(&self.replies).clear();
                self.shelves.clear();
            }
        }
    }
}

/// Everything commands and handlers share.
pub struct Data {
    engine: RwLock<Arc<Engine>>,
    /// Persistent state.
    pub store: AnyStore,
    /// Cooldowns, channel caps, alert limits.
    pub limits: Mutex<Limits>,
    settings: Arc<Mutex<SettingsCache>>,
    answers: Mutex<Answers>,
    /// Where the configuration was read from (for `library reload`).
    pub config_dir: PathBuf,
    /// Serialises library reloads.
    pub reload: tokio::sync::Mutex<()>,
    /// Serialises settings changes with their cache update, so the cache never ends on an older
    /// version than the store.
    settings_writes: tokio::sync::Mutex<()>,
    /// Replies to recent questions, rendered, by the library they came from (server and build)
    /// and (question, region, results); cleared with the engine.
    replies: Arc<Mutex<HashMap<ReplyKey, Arc<Rendered>>>>,
    /// Servers' own libraries, built on their first question and kept while used.
    shelves: Arc<Shelves>,
    /// Serialises building servers' libraries (a burst of first questions builds one once).
    building: tokio::sync::Mutex<()>,
    recorder: mpsc::UnboundedSender<QuestionRecord>,
    /// Sends every message, with retries.
    pub courier: super::deliver::Courier,
    /// The operator's own server (`[discord] operator_guild`): only its moderators may reload
    /// the shipped library from Discord. 0: nobody may.
    pub operator_guild: GuildId,
    /// Crisis watch is on for this bot (`[discord] crisis_watch`: the message-content intent).
    pub crisis_watch: bool,
}

impl Data {
    /// New state around an engine and a store.
    pub fn new(
        engine: Arc<Engine>,
        store: AnyStore,
        config_dir: PathBuf,
        recorder: mpsc::UnboundedSender<QuestionRecord>,
        courier: super::deliver::Courier,
    ) -> Data {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let kept = engine.settings.libraries.kept_in_memory;
        Data {
            shelves: Arc::new(Shelves::new(kept)),
            building: tokio::sync::Mutex::new(()),
            engine: RwLock::new(engine),
            store,
            limits: Mutex::new(Limits::default()),
            settings: Arc::new(Mutex::new(HashMap::new())),
            answers: Mutex::new(Answers {
                next: seed,
                ..Answers::default()
            }),
            config_dir,
            reload: tokio::sync::Mutex::new(()),
            settings_writes: tokio::sync::Mutex::new(()),
            replies: Arc::new(Mutex::new(HashMap::new())),
            courier,
            recorder,
            operator_guild: 0,
            crisis_watch: false,
        }
    }

    /// Queues a question for counting.
    pub fn record(&self, record: QuestionRecord) {
        if self.recorder.send(record).is_err() {
            tracing::warn!("the recorder has stopped; a question was not counted");
        }
    }

    /// The current engine.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the engine (after a successful library reload).
    pub fn set_engine(&self, engine: Engine) {
        let mut current = self.engine.write().unwrap_or_else(|e| e.into_inner());
        *current = Arc::new(engine);
        lock(&self.replies).clear();
        self.shelves.clear();
    }

    /// The library a server's questions are answered from: the shipped one unless it has
    /// documents of its own or keeps only its own, else its own library, built on first use
    /// and kept in memory while used. When the store cannot be read the shipped library
    /// answers (a question is still answered).
    pub async fn shelf(
        &self,
        engine: &Arc<Engine>,
        guild: Option<GuildId>,
        settings: &ServerSettings,
    ) -> Arc<Shelf> {
        let Some(guild) = guild else {
            return engine.shelf.clone();
        };
        if let Some(shelf) = self.current_shelf(guild).await {
            return shelf;
        }
        let _one_at_a_time = self.building.lock().await;
        if let Some(shelf) = self.current_shelf(guild).await {
            return shelf;
        }
        let ticket = self.shelves.ticket(guild);
        let (version, own) = match self.store.library(guild).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(
                    guild,
                    "reading the server's library failed, using the shipped one: {e}"
                );
                return engine.shelf.clone();
            }
        };
        let building = engine.clone();
        let with_shipped = settings.shipped_articles;
        let built = tokio::task::spawn_blocking(move || {
            crate::libraries::server_shelf(&building, &own, version, with_shipped)
        })
        .await;
        let shelf = match built {
            Ok(Ok(shelf)) => shelf,
            // Kept like a library, so it is not rebuilt for every question; tried again when
            // the library changes or its check comes round.
            Ok(Err(problem)) => {
                tracing::error!(
                    guild,
                    "the server's library could not be built, using the shipped one: {problem}"
                );
                engine.shelf.clone()
            }
            Err(e) => {
                tracing::error!(guild, "building the server's library failed: {e}");
                return engine.shelf.clone();
            }
        };
        self.shelves.put(guild, shelf.clone(), ticket);
        shelf
    }

    /// A server's built library if it is still current: built or checked within
    /// [`LIBRARY_CHECK`], else found at the store's version (a change made by the command line
    /// or another process is picked up within that time, at once with PostgreSQL's notices).
    async fn current_shelf(&self, guild: GuildId) -> Option<Arc<Shelf>> {
        let (shelf, age) = self.shelves.get(guild)?;
        if age < LIBRARY_CHECK {
            return Some(shelf);
        }
        match self.store.library_version(guild).await {
            Ok(v) if v == shelf.version => {
                self.shelves.checked(guild);
                Some(shelf)
            }
            Ok(_) => {
                self.shelves.forget(guild);
                None
            }
            // The store is away: the library in memory answers.
            Err(_) => Some(shelf),
        }
    }

    /// The library a screened message needs: none for a crisis or an empty message (they are
    /// answered without waiting on the store), else the server's.
    pub async fn shelf_for(
        &self,
        engine: &Arc<Engine>,
        screened: &Screened,
        guild: Option<GuildId>,
        settings: &ServerSettings,
    ) -> Arc<Shelf> {
        match screened {
            Screened::Crisis(_) | Screened::Empty => engine.shelf.clone(),
            _ => self.shelf(engine, guild, settings).await,
        }
    }

    /// A server's library changed (a document added or removed, the shipped articles turned on
    /// or off): its next question builds it again.
    pub fn library_changed(&self, guild: GuildId) {
        self.shelves.forget(guild);
        lock(&self.replies).retain(|key, _| key.0 != guild);
    }

    /// What forgets cached settings, replies and built libraries when another process changes
    /// them (it outlives a borrow of `Data`: the listening task holds it).
    pub fn invalidator(&self) -> Invalidator {
        Invalidator {
            settings: self.settings.clone(),
            replies: self.replies.clone(),
            shelves: self.shelves.clone(),
        }
    }

    /// Forgets what is kept in memory for a server the bot was removed from.
    pub fn server_removed(&self, guild: GuildId) {
        self.invalidator().changed(Changed::Server(guild));
    }

    /// How many servers' libraries are in memory.
    pub fn shelves_in_memory(&self) -> usize {
        self.shelves.len()
    }

    /// The engine's reply to a screened question from a library, rendered, reusing the reply to
    /// the same question asked recently in the same context from the same built library.
    /// Crises and empty messages are answered afresh: they are cheap and never cached.
    pub fn reply(
        &self,
        engine: &Engine,
        shelf: &Shelf,
        guild: Option<GuildId>,
        screened: Screened,
        ctx: &Context,
    ) -> Arc<Rendered> {
        let key = match &screened {
            Screened::Ordinary(q)
            | Screened::MedicalAdvice(q, _)
            | Screened::Topic(q)
            | Screened::HarmReduction(q) => (
                guild.unwrap_or(0),
                shelf.build,
                q.text().to_string(),
                ctx.region.clone(),
                ctx.results,
                ctx.content_notes,
            ),
            Screened::Crisis(_) | Screened::Empty => {
                return Arc::new(Rendered::of(&engine.reply_in(shelf, screened, ctx, 0)));
            }
        };
        if let Some(r) = lock(&self.replies).get(&key) {
            return r.clone();
        }
        let rendered = Arc::new(Rendered::of(&engine.reply_in(shelf, screened, ctx, 0)));
        let mut cache = lock(&self.replies);
        if cache.len() >= REPLIES_KEPT {
            cache.clear();
        }
        cache.insert(key, rendered.clone());
        rendered
    }

    /// A server's settings (defaults in DMs, for unknown servers, and when the store fails: a
    /// question is still answered).
    pub async fn settings(&self, guild: Option<GuildId>) -> Arc<ServerSettings> {
        let Some(guild) = guild else {
            return Arc::new(ServerSettings::default());
        };
        if let Some((s, at)) = lock(&self.settings).get(&guild)
            && at.elapsed() < SETTINGS_TTL
        {
            return s.clone();
        }
        match self.store.settings(guild).await {
            Ok(s) => {
                // A change may have landed while this read was under way: never replace a
                // fresh entry (the writer's) with what was read.
                let mut cache = lock(&self.settings);
                match cache.get(&guild) {
                    Some((fresh, at)) if at.elapsed() < SETTINGS_TTL => fresh.clone(),
                    _ => {
                        let s = Arc::new(s);
                        cache.insert(guild, (s.clone(), Instant::now()));
                        s
                    }
                }
            }
            Err(e) => {
                tracing::error!(guild, "reading settings failed, using defaults: {e}");
                Arc::new(ServerSettings::default())
            }
        }
    }

    /// Changes a server's settings in one transaction (see [`Store::update_settings`]) and puts
    /// the stored result in the cache.
    pub async fn update_settings<F>(
        &self,
        guild: GuildId,
        change: F,
    ) -> Result<Result<String, String>, StoreError>
    where
        F: FnOnce(&mut ServerSettings) -> Result<String, String> + Send,
    {
        let _in_order = self.settings_writes.lock().await;
        match self.store.update_settings(guild, change).await? {
            Ok((settings, said)) => {
                lock(&self.settings).insert(guild, (Arc::new(settings), Instant::now()));
                Ok(Ok(said))
            }
            Err(why) => Ok(Err(why)),
        }
    }

    /// The current engine and the region a server's replies use.
    pub async fn engine_and_region(&self, guild: Option<GuildId>) -> (Arc<Engine>, String) {
        let settings = self.settings(guild).await;
        let engine = self.engine();
        let region = self.context(&engine, &settings).region;
        (engine, region)
    }

    /// The reply context for a server's settings.
    pub fn context(&self, engine: &Engine, settings: &ServerSettings) -> Context {
        let mut ctx = engine.default_context();
        if let Some(region) = &settings.region {
            ctx.region = region.clone();
        }
        ctx.content_notes = settings.content_notes;
        ctx
    }

    /// Remembers an answer for its buttons; returns its token.
    pub fn remember(&self, answer: Remembered) -> u64 {
        let mut a = lock(&self.answers);
        a.next = a
            .next
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let token = a.next >> 16;
        a.by_token.insert(token, answer);
        a.order.push_back(token);
        while a.order.len() > ANSWERS_KEPT {
            if let Some(old) = a.order.pop_front() {
                a.by_token.remove(&old);
            }
        }
        token
    }

    /// An answer's state, if it has not expired.
    pub fn recall(&self, token: u64) -> Option<Remembered> {
        let a = lock(&self.answers);
        a.by_token
            .get(&token)
            .filter(|r| r.at.elapsed() < ANSWER_TTL)
            .cloned()
    }

    /// Records that more passages of an answer were shown.
    pub fn advance(&self, token: u64, shown: usize) {
        if let Some(r) = lock(&self.answers).by_token.get_mut(&token) {
            r.shown = shown;
        }
    }

    /// Forgets everything kept in memory about a member (`/forgetme`).
    pub fn forget(&self, user: UserId) {
        lock(&self.limits).forget(user);
        let mut a = lock(&self.answers);
        a.by_token.retain(|_, r| r.asker != user);
        let Answers {
            by_token, order, ..
        } = &mut *a;
        order.retain(|t| by_token.contains_key(t));
    }
}

/// Locks a mutex, recovering from a panic in another holder (the data stays usable).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
