//! Replies to danger, by tier: short and calm, the emergency number and lines first, no library
//! quotes. Follows safe-messaging practice: direct to help, hopeful, no details of methods, no
//! promise of secrecy, and never presents Lantern as a helpline or as someone to talk to. The
//! words are the project's own; the harm-reduction line names its source (`resources.toml`).

use crate::reply::{Block, Disclaimer, LineEntry, Reply};
use crate::resources::{Region, Resources, SupportLine};
use crate::safety::{Crisis, LanguageReply, Level};

/// Most lines listed in a crisis reply (more is harder to read when it matters most).
const MAX_LINES: usize = 3;

/// A support line as shown in a reply.
pub fn entry(line: &SupportLine) -> LineEntry {
    LineEntry {
        name: line.name.clone(),
        contact: line.contact(),
        hours: line.hours.clone(),
        purpose: line.purpose.clone(),
        check: line.check,
    }
}

/// A region's lines for a topic that need no re-checking (only those go in danger replies).
fn verified<'a>(
    resources: &'a Resources,
    region: &str,
    topic: Option<&str>,
) -> Vec<&'a SupportLine> {
    resources
        .lines(region, topic)
        .into_iter()
        .filter(|l| !l.check)
        .collect()
}

/// Lines for a danger of this tier in a region: verified ones only, overdose lines first for an
/// emergency, the international directory when the region has none.
pub fn crisis_lines<'a>(
    resources: &'a Resources,
    region: &Region,
    level: Level,
) -> Vec<&'a SupportLine> {
    let verified = |region: &str, topic: Option<&str>| verified(resources, region, topic);
    let mut lines = match level {
        Level::Emergency => verified(&region.code, Some("overdose")),
        _ => Vec::new(),
    };
    for l in verified(&region.code, Some("crisis")) {
        if !lines.contains(&l) {
            lines.push(l);
        }
    }
    if lines.is_empty() {
        lines = verified(&resources.international().code, None);
    }
    lines.truncate(MAX_LINES);
    lines
}

fn text(t: impl Into<String>) -> Block {
    Block::Text { text: t.into() }
}

/// The reply to a danger, for a region; `language` is the message's language when it was not
/// English.
pub fn reply(
    resources: &Resources,
    region_code: &str,
    crisis: &Crisis,
    language: Option<&LanguageReply>,
    disclaimer: Disclaimer,
) -> Reply {
    let region = resources.region_or_international(region_code);
    let blocks = match language {
        Some(language) => in_language(resources, region, crisis.level, language),
        None => blocks(resources, region, crisis.level),
    };
    Reply::crisis(crisis.level, blocks, disclaimer)
}

/// Where a crisis-watch reply goes: to the member privately, or (when Discord does not allow
/// that) briefly in the channel they wrote in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    /// A direct message; the channel it was written in (named, so the member knows why).
    Privately {
        /// The watched channel.
        channel: u64,
    },
    /// A short reply in the channel.
    Publicly,
}

/// Crisis watch's reply to a message in a watched channel. Privately: the tier's reply, then
/// why it came and how to stop it. Publicly: short (the tier's first sentence, one line, where
/// the rest is), as a channel is not the place for the whole reply.
pub fn watch_reply(
    resources: &Resources,
    region_code: &str,
    crisis: &Crisis,
    language: Option<&LanguageReply>,
    watched: Watched,
    disclaimer: Disclaimer,
) -> Reply {
    let region = resources.region_or_international(region_code);
    let mut blocks = match language {
        Some(language) => in_language(resources, region, crisis.level, language),
        None => blocks(resources, region, crisis.level),
    };
    match watched {
        Watched::Privately { channel } => blocks.push(text(format!(
            "This came to you privately because this server's moderators asked Lantern to look out for messages like yours in <#{channel}>. Nothing you wrote was kept. `/lantern-optout` in the server stops these messages."
        ))),
        Watched::Publicly => {
            // The first sentence and one line (in another language: also the international
            // directory, the line it names first).
            blocks.truncate(2);
            if let Some(Block::Lines { lines }) = blocks.get_mut(1) {
                lines.truncate(if language.is_some() { 2 } else { 1 });
            }
            blocks.push(text(
                "More lines: `/resources`. This server's moderators are here for you too.",
            ));
        }
    }
    Reply::crisis(crisis.level, blocks, disclaimer)
}

/// A tier's reply in English: the first sentence, the lines, the last sentence.
fn blocks(resources: &Resources, region: &Region, level: Level) -> Vec<Block> {
    let emergency = &region.emergency;
    let lines = Block::Lines {
        lines: crisis_lines(resources, region, level)
            .into_iter()
            .map(entry)
            .collect(),
    };
    match level {
        Level::Emergency => {
            let mut b = vec![
                text(format!(
                    "If someone may have overdosed, isn't breathing or won't wake up, call {emergency} now."
                )),
                lines,
            ];
            if let Some(g) = resources.guidance("overdose") {
                b.push(text(g.for_region(region)));
            }
            b.push(text(
                "Lantern is an article bot, not a helpline. Please call for help now.",
            ));
            b
        }
        Level::Crisis => vec![
            text(format!(
                "I'm really sorry you're going through this. You don't have to face it alone, and people are ready to help right now. If you're in immediate danger, call {emergency}."
            )),
            lines,
            text(
                "Lantern is an article bot, not a helpline: please reach out to one of these lines, or to someone you trust. Things can get better with support.",
            ),
        ],
        Level::Concern => vec![
            text(
                "It sounds like things are really heavy right now, and I'm glad you said something. You deserve support: the people on these lines are there to listen, any time.",
            ),
            lines,
            text(format!(
                "If you feel you might act on these thoughts, call {emergency}. Talking to someone you trust, or to this server's moderators, can help too. Lantern is an article bot, not a helpline."
            )),
        ],
        Level::SomeoneElse => vec![
            text(format!(
                "It's good that you're looking out for them. If they may be in danger right now, call {emergency} and stay with them if it's safe to."
            )),
            lines,
            text(
                "These lines also help people who are worried about someone else. You can let this server's moderators know too. Lantern is an article bot, not a helpline.",
            ),
        ],
    }
}

/// A danger written in another language: the emergency number first, then the international
/// directory and the region's own lines, in that language's words.
fn in_language(
    resources: &Resources,
    region: &Region,
    level: Level,
    language: &LanguageReply,
) -> Vec<Block> {
    let first = match level {
        Level::Emergency => &language.emergency,
        _ => &language.crisis,
    };
    let mut lines = verified(resources, &resources.international().code, None);
    for l in crisis_lines(resources, region, level) {
        if !lines.contains(&l) {
            lines.push(l);
        }
    }
    lines.truncate(MAX_LINES + 1);
    vec![
        text(first.replace("{emergency}", &region.emergency)),
        Block::Lines {
            lines: lines.into_iter().map(entry).collect(),
        },
        text(language.directory.clone()),
        text(language.last.clone()),
    ]
}
