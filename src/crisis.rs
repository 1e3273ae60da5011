//! The crisis reply: short and calm, the emergency number and crisis lines first, no library
//! quotes. Follows safe-messaging practice: direct to help, hopeful, no details of methods, and
//! never presents Lantern as a helpline or as someone to talk to.

use crate::reply::{Block, Disclaimer, Kind, LineEntry, Reply};
use crate::resources::{Region, Resources, SupportLine};
use crate::safety::Crisis;

/// Most lines listed in a crisis reply (more is harder to read when it matters most).
const MAX_LINES: usize = 3;

fn entry(line: &SupportLine) -> LineEntry {
    LineEntry {
        name: line.name.clone(),
        contact: line.contact(),
        hours: line.hours.clone(),
        purpose: line.purpose.clone(),
        check: line.check,
    }
}

/// Lines for a crisis of this kind in a region: verified ones only, emergency-specific first.
pub fn crisis_lines<'a>(
    resources: &'a Resources,
    region: &Region,
    crisis: Crisis,
) -> Vec<&'a SupportLine> {
    let verified = |topic: &str| {
        resources
            .lines(&region.code, Some(topic))
            .into_iter()
            .filter(|l| !l.check)
            .collect::<Vec<_>>()
    };
    let mut lines = match crisis {
        Crisis::Emergency => verified("overdose"),
        Crisis::SelfHarm => Vec::new(),
    };
    for l in verified("crisis") {
        if !lines.contains(&l) {
            lines.push(l);
        }
    }
    if lines.is_empty() {
        // No verified line here: the international directory still helps.
        lines = resources
            .lines(&resources.international().code, None)
            .into_iter()
            .filter(|l| !l.check)
            .collect();
    }
    lines.truncate(MAX_LINES);
    lines
}

/// The crisis reply for a region.
pub fn reply(
    resources: &Resources,
    region_code: &str,
    crisis: Crisis,
    disclaimer: Disclaimer,
) -> Reply {
    let region = resources.region_or_international(region_code);
    let first = match crisis {
        Crisis::Emergency => format!(
            "If someone may have overdosed, or isn't breathing or won't wake up, call {} now and stay with them.",
            region.emergency
        ),
        Crisis::SelfHarm => format!(
            "I'm really sorry you're going through this. You don't have to face it alone, and people are ready to help right now. If you're in immediate danger, call {}.",
            region.emergency
        ),
    };
    let lines = crisis_lines(resources, region, crisis)
        .into_iter()
        .map(entry)
        .collect();
    let last = match crisis {
        Crisis::Emergency => "Lantern is an article bot, not a helpline. Please call for help now.",
        Crisis::SelfHarm => {
            "Lantern is an article bot, not a helpline: please reach out to one of these lines, or to someone you trust. Things can get better with support."
        }
    };
    Reply::new(
        Kind::Crisis,
        vec![
            Block::Text { text: first },
            Block::Lines { lines },
            Block::Text {
                text: last.to_string(),
            },
        ],
        disclaimer,
    )
}
