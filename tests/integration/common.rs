//! Shared fixtures: the shipped engine (built once per test binary, index in memory) and paths.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lantern::corpus::Library;
use lantern::engine::{Config, Engine};
use lantern::retrieval::Retrieval;

/// The crate root (tests run with it as the working directory, but say so explicitly).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout, when present (evaluation data and seeds).
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    p.is_dir().then_some(p)
}

/// The configuration shipped in `config/`, with the index kept in memory.
pub fn config() -> Config {
    let mut c = Config::load(&root().join("config")).expect("shipped config is valid");
    c.settings.index_cache = PathBuf::new();
    c
}

/// The shipped engine over `data/`.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let config = config();
        let chunking = Retrieval::new(&config.settings.search, Default::default()).chunking;
        let data = root().join("data");
        let library = Library::load(&data, chunking).expect("shipped library loads");
        Engine::new(config, library, data).expect("engine builds")
    })
}
