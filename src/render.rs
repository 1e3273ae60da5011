//! Rendering a [`Reply`] as Discord message content (and the same text for the terminal), within
//! Discord's 2,000-character limit. Every message ends with the whole disclaimer; when content
//! does not fit, it is split between excerpts, lines or sentences, never inside the disclaimer.
//! Quoted and echoed text is escaped so it cannot format or mention anything.

use crate::reply::{Block, Citation, Excerpt, LineEntry, Reply};
use crate::sentence;

/// Discord's limit on message content, counted in UTF-16 code units (the stricter count).
pub const CONTENT_LIMIT: usize = 2000;

/// One message's content. Only [`discord`] makes one, so each ends with the disclaimer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    content: String,
}

impl Message {
    /// The content to send.
    pub fn content(&self) -> &str {
        &self.content
    }
}

/// Length as Discord counts it (UTF-16 code units).
pub fn discord_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The one escape for everything Lantern shows that it did not write (article quotes, anything
/// a member or moderator typed): Discord markdown is escaped, masked links (`[text](url)`) and
/// angle-bracket syntax (`<url>`, `<@id>`, `<#id>`, `<t:…>`) are shown as typed instead of acting,
/// headings, quotes and lists cannot start a line, and `@everyone` / `@here` are broken with a
/// zero-width space. Other `@`s stay as typed, so an email address can still be copied; pings are
/// prevented in any case by empty `allowed_mentions`.
pub fn escape(text: &str) -> String {
    escape_within(text, true)
}

/// [`escape`] for text that continues a line (`line_start` false) or starts one.
fn escape_within(text: &str, line_start: bool) -> String {
    let mut line_start = line_start;
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<' => {
                out.push('\\');
                out.push(c);
            }
            '>' | '#' | '-' | '+' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' if is_mass_mention(&text[i + 1..]) => out.push_str("@\u{200B}"),
            '\r' => {}
            c => out.push(c),
        }
        line_start = c == '\n' || (line_start && c == ' ');
    }
    out
}

/// Whether text after an `@` makes a mass mention (`@everyone`, `@here`).
fn is_mass_mention(after: &str) -> bool {
    after.starts_with("everyone") || after.starts_with("here")
}

/// Lantern's own text keeps its formatting (and its channel links), but may embed what someone
/// typed: user and role mention syntax and mass mentions are neutralised everywhere.
pub fn neutralise_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        match c {
            '<' if rest.starts_with('@') => out.push_str("\\<"),
            '@' if is_mass_mention(rest) => out.push_str("@\u{200B}"),
            c => out.push(c),
        }
    }
    out
}

/// Whether text still holds mention syntax that Discord would act on (for tests and checks):
/// `@everyone`, `@here` or an unescaped `<@`.
pub fn has_mention_syntax(text: &str) -> bool {
    text.char_indices().any(|(i, c)| {
        let rest = &text[i + c.len_utf8()..];
        let escaped = text[..i].ends_with('\\');
        match c {
            '@' => is_mass_mention(rest),
            '<' => rest.starts_with('@') && !escaped,
            _ => false,
        }
    })
}

/// A quote as a Discord block quote, question words in bold.
fn quote_lines(e: &Excerpt, number: usize) -> String {
    let mut body = String::new();
    let mut at = 0;
    let starts_line = |i: usize| i == 0 || e.quote[..i].ends_with('\n');
    for h in &e.highlights {
        if h.start < at || h.end > e.quote.len() {
            continue;
        }
        body.push_str(&escape_within(&e.quote[at..h.start], starts_line(at)));
        body.push_str("**");
        body.push_str(&escape_within(&e.quote[h.clone()], starts_line(h.start)));
        body.push_str("**");
        at = h.end;
    }
    body.push_str(&escape_within(&e.quote[at..], starts_line(at)));
    if e.cut {
        body.push_str(" …");
    }
    let quoted = match &e.content_note {
        // Behind a spoiler, line by line (a spoiler does not cross a quote line), under a note
        // saying what it discusses: the member chooses to read it.
        Some(note) => {
            let lines: Vec<String> = body
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("> ||{l}||"))
                .collect();
            format!("*Content note: {}.*\n{}", escape(note), lines.join("\n"))
        }
        None => body
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    format!("{quoted} [{number}]")
}

/// `"Title" — Author, Publisher, date — section "Heading"`.
pub fn citation_text(c: &Citation) -> String {
    let mut s = format!("\u{201C}{}\u{201D}", escape(&c.title));
    let by: Vec<String> = [&c.author, &c.publisher, &c.date]
        .into_iter()
        .flatten()
        .map(|x| escape(x))
        .collect();
    if !by.is_empty() {
        s.push_str(" \u{2014} ");
        s.push_str(&by.join(", "));
    }
    if let Some(section) = &c.section {
        s.push_str(&format!(
            " \u{2014} section \u{201C}{}\u{201D}",
            escape(section)
        ));
    }
    s
}

fn line_text(l: &LineEntry) -> String {
    let mut s = format!("\u{2022} **{}**: {}", escape(&l.name), escape(&l.contact));
    if let Some(hours) = hours_text(&l.hours) {
        s.push_str(&format!(" ({})", escape(&hours)));
    }
    if l.check {
        s.push_str(" \u{2014} listing being re-checked");
    }
    s
}

pub use crate::resources::hours_text;

/// A unit of content that stays whole within one message where possible.
enum Atom {
    /// Lantern's text or a support line, rendered.
    Plain(String),
    /// A quote line and its citation line (numbered per message).
    Quote {
        excerpt: Box<Excerpt>,
        label: Option<String>,
    },
}

fn atoms(reply: &Reply) -> Vec<Atom> {
    let mut out = Vec::new();
    for block in reply.blocks() {
        match block {
            Block::Text { text } => out.push(Atom::Plain(neutralise_mentions(text))),
            Block::Lines { lines } => {
                out.extend(lines.iter().map(|l| Atom::Plain(line_text(l))));
            }
            Block::Excerpts { label, excerpts } => {
                for (i, e) in excerpts.iter().enumerate() {
                    out.push(Atom::Quote {
                        excerpt: Box::new(e.clone()),
                        label: if i == 0 { label.clone() } else { None },
                    });
                }
            }
        }
    }
    out
}

/// Content of one message under construction, with its length kept as it grows (so trying a
/// piece costs a sum, not a render).
#[derive(Default)]
struct Draft {
    parts: Vec<String>,
    citations: Vec<String>,
    previous_was_line: bool,
    /// Length of the parts, concatenated.
    parts_len: usize,
    /// Length of the citations, one per line.
    citations_len: usize,
}

impl Draft {
    fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.citations.is_empty()
    }

    /// Length of the message with `parts` and `citation` added, disclaimer included.
    fn len_with(&self, disclaimer_len: usize, parts: &[String], citation: Option<&str>) -> usize {
        let parts_len = self.parts_len + parts.iter().map(|p| discord_len(p)).sum::<usize>();
        let mut citations_len = self.citations_len;
        let mut citations = self.citations.len();
        if let Some(c) = citation {
            citations_len += discord_len(c) + usize::from(citations > 0);
            citations += 1;
        }
        let body = parts_len + if citations > 0 { 2 + citations_len } else { 0 };
        body + if body > 0 { 2 } else { 0 } + disclaimer_len
    }

    fn render(&self, disclaimer: &str) -> String {
        let mut s = String::new();
        for p in &self.parts {
            s.push_str(p);
        }
        if !self.citations.is_empty() {
            s.push_str("\n\n");
            s.push_str(&self.citations.join("\n"));
        }
        if !s.is_empty() {
            s.push_str("\n\n");
        }
        s.push_str(disclaimer);
        s
    }

    /// `text` with the separator it needs after what the draft holds.
    fn plain_part(&self, text: &str, is_line: bool, first: bool) -> String {
        let sep = if first {
            ""
        } else if is_line && self.previous_was_line {
            "\n"
        } else {
            "\n\n"
        };
        format!("{sep}{text}")
    }

    fn push_part(&mut self, part: String, is_line: bool) {
        self.parts_len += discord_len(&part);
        self.parts.push(part);
        self.previous_was_line = is_line;
    }

    /// The parts (label, quote) and the citation a quote would add.
    fn quote_parts(&self, excerpt: &Excerpt, label: &Option<String>) -> (Vec<String>, String) {
        let n = self.citations.len() + 1;
        let mut parts = Vec::new();
        if let Some(label) = label {
            parts.push(self.plain_part(label, false, self.parts.is_empty()));
        }
        let first = self.parts.is_empty() && parts.is_empty();
        parts.push(self.plain_part(&quote_lines(excerpt, n), false, first));
        (parts, format!("[{n}] {}", citation_text(&excerpt.citation)))
    }

    fn push_quote(&mut self, parts: Vec<String>, citation: String) {
        for p in parts {
            self.push_part(p, false);
        }
        self.citations_len += discord_len(&citation) + usize::from(!self.citations.is_empty());
        self.citations.push(citation);
    }
}

/// Shortens a quote by its last sentence (or, for one sentence, its last words).
fn shorten(e: &Excerpt) -> Option<Excerpt> {
    let sentences = sentence::split(&e.quote);
    let keep = if sentences.len() > 1 {
        sentences[sentences.len() - 2].end
    } else {
        let half = e.quote.len() / 2;
        let mut cut = half;
        while !e.quote.is_char_boundary(cut) {
            cut -= 1;
        }
        let at = e.quote[..cut].rfind(' ')?;
        if at == 0 {
            return None;
        }
        at
    };
    let mut s = e.clone();
    s.quote.truncate(keep);
    s.cut = sentences.len() <= 1 || e.cut && keep == e.quote.len();
    s.highlights.retain(|h| h.end <= keep);
    Some(s)
}

/// The byte length of the longest prefix of `s` within `max` UTF-16 units, at a character
/// boundary (at least one character, so a split always advances).
pub fn prefix_within(s: &str, max: usize) -> usize {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    s.len()
}

/// Splits over-long plain text between lines, then at sentence boundaries (or hard, at `max`
/// units, as a last resort); text that fits is returned whole, line breaks and all.
fn split_plain(text: &str, max: usize) -> Vec<String> {
    if discord_len(text) <= max {
        return vec![text.to_string()];
    }
    let mut pieces: Vec<String> = Vec::new();
    for line in text.lines() {
        if discord_len(line) <= max {
            pieces.push(line.to_string());
            continue;
        }
        for r in sentence::split(line) {
            let mut s = &line[r];
            while discord_len(s) > max {
                let cut = prefix_within(s, max);
                pieces.push(s[..cut].to_string());
                s = &s[cut..];
            }
            pieces.push(s.to_string());
        }
    }
    // Pack the pieces back into as few parts as fit (joined by line breaks).
    let mut out: Vec<String> = Vec::new();
    for p in pieces {
        match out.last_mut() {
            Some(last) if discord_len(last) + 1 + discord_len(&p) <= max => {
                last.push('\n');
                last.push_str(&p);
            }
            _ => out.push(p),
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// The reply as Discord messages, each within [`CONTENT_LIMIT`] and ending with the disclaimer.
pub fn discord(reply: &Reply) -> Vec<Message> {
    let disclaimer = escape_disclaimer(reply.disclaimer().text());
    let disclaimer_len = discord_len(&disclaimer);
    let budget = CONTENT_LIMIT.saturating_sub(disclaimer_len + 2).max(200);
    let mut messages: Vec<String> = Vec::new();
    let mut draft = Draft::default();
    for atom in atoms(reply) {
        match atom {
            Atom::Plain(text) => {
                for piece in split_plain(&text, budget) {
                    let is_line = piece.starts_with('\u{2022}');
                    let part = draft.plain_part(&piece, is_line, draft.parts.is_empty());
                    if draft.len_with(disclaimer_len, std::slice::from_ref(&part), None)
                        > CONTENT_LIMIT
                    {
                        if !draft.is_empty() {
                            messages.push(draft.render(&disclaimer));
                        }
                        draft = Draft::default();
                        let part = draft.plain_part(&piece, is_line, true);
                        draft.push_part(part, is_line);
                    } else {
                        draft.push_part(part, is_line);
                    }
                }
            }
            Atom::Quote { excerpt, label } => {
                let mut excerpt = *excerpt;
                loop {
                    let (parts, citation) = draft.quote_parts(&excerpt, &label);
                    if draft.len_with(disclaimer_len, &parts, Some(&citation)) <= CONTENT_LIMIT {
                        draft.push_quote(parts, citation);
                        break;
                    }
                    let fresh = Draft::default();
                    let (fresh_parts, fresh_citation) = fresh.quote_parts(&excerpt, &label);
                    let fits_alone =
                        fresh.len_with(disclaimer_len, &fresh_parts, Some(&fresh_citation))
                            <= CONTENT_LIMIT;
                    if fits_alone && !draft.parts.is_empty() {
                        messages.push(draft.render(&disclaimer));
                        draft = Draft::default();
                        continue;
                    }
                    match shorten(&excerpt) {
                        Some(shorter) => excerpt = shorter,
                        None => break,
                    }
                }
            }
        }
    }
    if !draft.parts.is_empty() || messages.is_empty() {
        messages.push(draft.render(&disclaimer));
    }
    messages
        .into_iter()
        .map(|content| Message { content })
        .collect()
}

fn escape_disclaimer(text: &str) -> String {
    neutralise_mentions(text)
}

/// The contents of a reply's Discord messages.
pub fn contents(reply: &Reply) -> Vec<String> {
    discord(reply).into_iter().map(|m| m.content).collect()
}

/// The reply as the terminal shows it: the Discord messages, separated by a rule.
pub fn terminal(reply: &Reply) -> String {
    discord(reply)
        .iter()
        .map(|m| m.content.clone())
        .collect::<Vec<_>>()
        .join("\n\n\u{2500}\u{2500}\u{2500}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markdown_and_mentions() {
        let cases = [
            ("@everyone hi", "@\u{200B}everyone hi"),
            ("<@123>", "\\<@123>"),
            (
                "[click](https://x.example)",
                "\\[click\\](https://x.example)",
            ),
            ("<https://x.example>", "\\<https://x.example>"),
            ("jo@samaritans.org", "jo@samaritans.org"),
            ("## heading", "\\## heading"),
            ("**bold** _it_", "\\*\\*bold\\*\\* \\_it\\_"),
            ("> not a quote", "\\> not a quote"),
            (
                "# not a heading\n- not a list",
                "\\# not a heading\n\\- not a list",
            ),
            ("a - b > c", "a - b > c"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape(input), expected, "{input:?}");
        }
    }

    #[test]
    fn split_plain_respects_the_limit() {
        let text = "A sentence here. ".repeat(300);
        let parts = split_plain(text.trim(), 500);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| discord_len(p) <= 500));
        let blob = "x".repeat(1200);
        let parts = split_plain(&blob, 500);
        assert_eq!(parts.concat(), blob);
        assert!(parts.iter().all(|p| discord_len(p) <= 500));
        let lines = "first line\nsecond line";
        assert_eq!(split_plain(lines, 500), [lines]);
        let many = "a line of text\n".repeat(100);
        let parts = split_plain(&many, 200);
        assert!(
            parts
                .iter()
                .all(|p| p.starts_with("a line") && discord_len(p) <= 200)
        );
    }
}
