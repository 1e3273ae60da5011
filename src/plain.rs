//! Replies as plain terminal text for the command line: no Markdown markers, quotes indented
//! and numbered with their citations below, support lines one per line, the disclaimer last, and
//! hints that name `lantern` commands instead of Discord's slash commands. One text, never split.

use crate::reply::{Block, Reply};

/// Slash commands named in Lantern's text, and what the command line offers instead.
const HINTS: [(&str, &str); 6] = [
    ("/resources", "lantern resources"),
    ("/ask", "lantern ask"),
    ("/source", "lantern ask --json"),
    ("/about", "lantern --help"),
    ("/help", "lantern --help"),
    ("/forgetme", "(in Discord) /forgetme"),
];

/// Lantern's own words for a terminal: slash-command hints become command-line ones, and the
/// inline-code and bold markers go.
pub fn own_words(text: &str) -> String {
    let mut out = text.replace("**", "").replace('`', "");
    for (slash, cli) in HINTS {
        out = replace_command(&out, slash, cli);
    }
    out
}

/// Replaces `/name` where it stands as a command (not inside a path or a word).
fn replace_command(text: &str, slash: &str, cli: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(slash) {
        let before_ok = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201C}');
        let after = &rest[i + slash.len()..];
        let after_ok = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..i]);
        if before_ok && after_ok && !cli.starts_with('(') {
            out.push_str(cli);
        } else {
            out.push_str(slash);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The reply as plain text.
pub fn text(reply: &Reply) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut citations: Vec<String> = Vec::new();
    for block in reply.blocks() {
        match block {
            Block::Text { text } => parts.push(own_words(text)),
            Block::Lines { lines } => {
                let shown: Vec<String> = lines
                    .iter()
                    .map(|l| {
                        let mut s = format!("  \u{2022} {}: {}", l.name, l.contact);
                        if let Some(h) = crate::render::hours_text(&l.hours) {
                            s.push_str(&format!(" ({h})"));
                        }
                        if l.check {
                            s.push_str(" \u{2014} listing being re-checked");
                        }
                        s
                    })
                    .collect();
                parts.push(shown.join("\n"));
            }
            Block::Excerpts { label, excerpts } => {
                if let Some(label) = label {
                    parts.push(label.clone());
                }
                for e in excerpts {
                    let n = citations.len() + 1;
                    let mut quote = e.quote.trim().to_string();
                    if e.cut {
                        quote.push_str(" \u{2026}");
                    }
                    let body: Vec<String> = quote.lines().map(|l| format!("    {l}")).collect();
                    parts.push(format!("[{n}]\n{}", body.join("\n")));
                    citations.push(format!("[{n}] {}", plain_citation(&e.citation)));
                }
            }
        }
    }
    if !citations.is_empty() {
        parts.push(citations.join("\n"));
    }
    parts.push(own_words(reply.disclaimer().text()));
    parts.join("\n\n")
}

fn plain_citation(c: &crate::reply::Citation) -> String {
    let mut s = format!("\u{201C}{}\u{201D}", c.title);
    let by: Vec<&str> = [&c.author, &c.publisher, &c.date]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !by.is_empty() {
        s.push_str(&format!(" \u{2014} {}", by.join(", ")));
    }
    if let Some(section) = &c.section {
        s.push_str(&format!(" \u{2014} section \u{201C}{section}\u{201D}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_become_command_line_hints() {
        let cases = [
            (
                "Other countries: /resources.",
                "Other countries: lantern resources.",
            ),
            (
                "Try `/ask what is dissociation?`",
                "Try lantern ask what is dissociation?",
            ),
            (
                "see https://x.example/resources/page",
                "see https://x.example/resources/page",
            ),
            ("**bold**", "bold"),
            ("/sourcey", "/sourcey"),
        ];
        for (input, expected) in cases {
            assert_eq!(own_words(input), expected, "{input:?}");
        }
    }
}
