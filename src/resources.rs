//! Support lines by region and topic, from `config/resources.toml` (seeded from the project's
//! checked list, with each line's source, the date it was checked and a "check" flag for lines
//! known only from secondary sources). The support-line disclaimer is built from the same data.

use std::path::Path;

use serde::Deserialize;

use crate::problem::Problem;
use crate::reply::Disclaimer;
use crate::text;

/// A country (or `intl`) and how to get emergency help there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// ISO 3166 alpha-2 code (upper case), or `INTL` for the international directory.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Other names members type ("uk", "england", "usa").
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Emergency number(s), a fact of the country rather than a service ("999 (112 also works)").
    pub emergency: String,
}

/// What a line is used for in the disclaimer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclaimerRole {
    /// The region's general support line (treatment, information).
    Support,
    /// The region's crisis line.
    Crisis,
}

/// One support service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportLine {
    /// Region code (matches a [`Region::code`]).
    pub region: String,
    /// Service name.
    pub name: String,
    /// Topics it serves (names from the `[[topic]]` list).
    pub topics: Vec<String>,
    /// Phone number to call, as the service writes it.
    #[serde(default)]
    pub phone: Option<String>,
    /// How to reach it by text message ("HOME to 741741").
    #[serde(default)]
    pub text: Option<String>,
    /// Web chat address.
    #[serde(default)]
    pub chat: Option<String>,
    /// Web address (for directories).
    #[serde(default)]
    pub web: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// TTY number.
    #[serde(default)]
    pub tty: Option<String>,
    /// Opening hours ("24/7"; "check" when unknown).
    pub hours: String,
    /// Who and what it is for.
    #[serde(rename = "for")]
    pub purpose: String,
    /// Where the facts come from.
    pub source: String,
    /// Date the facts were last checked against the source (YYYY-MM-DD).
    pub checked: String,
    /// True when the line is known only from secondary or dated sources: shown to moderators,
    /// never used in the disclaimer, until re-checked.
    #[serde(default)]
    pub check: bool,
    /// Its role in the region's disclaimer, if any.
    #[serde(default)]
    pub disclaimer: Option<DisclaimerRole>,
}

impl SupportLine {
    /// The shortest way to reach it, for the disclaimer: "call or text 988", "116 123".
    pub fn brief_contact(&self) -> String {
        let phone = self
            .phone
            .as_deref()
            .map(|p| p.split(" (").next().unwrap_or(p).to_string());
        match (&phone, &self.text) {
            (Some(p), Some(t)) if p == t => format!("call or text {p}"),
            (Some(p), _) => p.clone(),
            (None, Some(t)) => format!("text {t}"),
            (None, None) => self
                .web
                .clone()
                .or_else(|| self.chat.clone())
                .unwrap_or_default(),
        }
    }

    /// How to reach it, in one line: "call or text 988 · chat 988lifeline.org".
    pub fn contact(&self) -> String {
        let mut parts = Vec::new();
        match (&self.phone, &self.text) {
            (Some(p), Some(t)) if p == t => parts.push(format!("call or text {p}")),
            (phone, txt) => {
                if let Some(p) = phone {
                    parts.push(format!("call {p}"));
                }
                if let Some(t) = txt {
                    parts.push(format!("text {t}"));
                }
            }
        }
        if let Some(t) = &self.tty {
            parts.push(format!("TTY {t}"));
        }
        if let Some(c) = &self.chat {
            parts.push(format!("chat {c}"));
        }
        if let Some(e) = &self.email {
            parts.push(format!("email {e}"));
        }
        if let Some(w) = &self.web {
            parts.push(w.clone());
        }
        parts.join(" · ")
    }
}

/// Opening hours as a person reads them: nothing when unknown ("—", empty), "check opening
/// hours" for a bare "check".
pub fn hours_text(hours: &str) -> Option<String> {
    let h = hours.trim();
    match h {
        "" | "\u{2014}" | "-" => None,
        "check" => Some("check opening hours".to_string()),
        _ => Some(h.to_string()),
    }
}

/// A topic members can ask for, with the words they use for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Canonical name ("addiction").
    pub name: String,
    /// Other words for it ("drugs", "substance use").
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A short piece of safety guidance in the project's own words (what to do during an overdose,
/// how to get and use naloxone), with the source it follows. Never library text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    /// What it is for: `overdose` (emergency replies), `naloxone` (how to use or get it).
    pub id: String,
    /// The guidance; `{emergency}` is the region's emergency number.
    pub text: String,
    /// Where it comes from, named in every reply that shows it.
    pub source: String,
    /// Date it was last compared with the source (YYYY-MM-DD).
    pub checked: String,
}

impl Guidance {
    /// The text for a region, with its source named.
    pub fn for_region(&self, region: &Region) -> String {
        format!(
            "{} (Source: {}.)",
            self.text.replace("{emergency}", &region.emergency),
            self.source
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    region: Vec<toml::Spanned<Region>>,
    topic: Vec<toml::Spanned<Topic>>,
    line: Vec<toml::Spanned<SupportLine>>,
    #[serde(default)]
    guidance: Vec<toml::Spanned<Guidance>>,
}

/// The code of the international directory region.
pub const INTERNATIONAL: &str = "INTL";

/// All regions, topics and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Regions, in file order.
    pub regions: Vec<Region>,
    /// Topics, in file order.
    pub topics: Vec<Topic>,
    /// Lines, in file order (which is the order they are shown in).
    pub lines: Vec<SupportLine>,
    /// Safety guidance by id (`overdose`, `naloxone`).
    pub guidance: Vec<Guidance>,
}

/// The answer to a look-up by region and topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<'a> {
    /// The region shown.
    pub region: &'a Region,
    /// The region text that was not recognised (the international directory is shown instead).
    pub unknown_region: Option<String>,
    /// The topic asked for, when recognised.
    pub topic: Option<&'a Topic>,
    /// The topic text that was not recognised (all lines of the region are shown instead).
    pub unknown_topic: Option<String>,
    /// The lines, in file order.
    pub lines: Vec<&'a SupportLine>,
}

fn key(s: &str) -> String {
    text::normalize(s)
        .replace('.', "")
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    d.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && d.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl Resources {
    /// Parses `resources.toml`; `file` names it in errors.
    pub fn parse(source: &str, file: &Path) -> Result<Resources, Vec<Problem>> {
        let f: File =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let mut problems = Vec::new();
        let mut problem = |span: std::ops::Range<usize>, msg: String| {
            problems.push(Problem::at_span(file, source, 1, span, msg));
        };
        let mut names: Vec<String> = Vec::new();
        for r in &f.region {
            let region = r.get_ref();
            let valid_code = region.code == INTERNATIONAL
                || (region.code.len() == 2 && region.code.chars().all(|c| c.is_ascii_uppercase()));
            if !valid_code {
                problem(
                    r.span(),
                    format!(
                        "region code {:?} must be ISO 3166 alpha-2 in upper case, or INTL",
                        region.code
                    ),
                );
            }
            let mut own: Vec<String> = Vec::new();
            for name in std::iter::once(&region.code)
                .chain([&region.name])
                .chain(&region.aliases)
            {
                let k = key(name);
                if names.contains(&k) {
                    problem(
                        r.span(),
                        format!("region name or alias {name:?} is used by another region"),
                    );
                }
                if !own.contains(&k) {
                    own.push(k);
                }
            }
            names.extend(own);
        }
        if !f.region.iter().any(|r| r.get_ref().code == INTERNATIONAL) {
            problem(
                0..0,
                "a region with code INTL (the international directory) is required".to_string(),
            );
        }
        let topic_names: Vec<&str> = f.topic.iter().map(|t| t.get_ref().name.as_str()).collect();
        for l in &f.line {
            let line = l.get_ref();
            if !f.region.iter().any(|r| r.get_ref().code == line.region) {
                problem(
                    l.span(),
                    format!("line {:?}: unknown region {:?}", line.name, line.region),
                );
            }
            for t in &line.topics {
                if !topic_names.contains(&t.as_str()) {
                    problem(
                        l.span(),
                        format!(
                            "line {:?}: unknown topic {t:?} (add it to a [[topic]])",
                            line.name
                        ),
                    );
                }
            }
            if !valid_date(&line.checked) {
                problem(
                    l.span(),
                    format!("line {:?}: checked must be YYYY-MM-DD", line.name),
                );
            }
            if line.phone.is_none()
                && line.text.is_none()
                && line.chat.is_none()
                && line.web.is_none()
                && line.email.is_none()
            {
                problem(
                    l.span(),
                    format!("line {:?} has no way to reach it", line.name),
                );
            }
            if line.check && line.disclaimer.is_some() {
                problem(
                    l.span(),
                    format!(
                        "line {:?} is flagged check and cannot be in the disclaimer",
                        line.name
                    ),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Resources {
            regions: f
                .region
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect(),
            topics: f.topic.into_iter().map(toml::Spanned::into_inner).collect(),
            lines: f.line.into_iter().map(toml::Spanned::into_inner).collect(),
            guidance: f
                .guidance
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect(),
        })
    }

    /// The region a member means by `input` (code, name or alias, any case).
    pub fn region(&self, input: &str) -> Option<&Region> {
        let k = key(input);
        if k.is_empty() {
            return None;
        }
        self.regions.iter().find(|r| {
            key(&r.code) == k || key(&r.name) == k || r.aliases.iter().any(|a| key(a) == k)
        })
    }

    /// The region for `code`, or the international directory.
    pub fn region_or_international(&self, code: &str) -> &Region {
        self.region(code).unwrap_or_else(|| self.international())
    }

    /// The international directory region (always present: `parse` checks it).
    pub fn international(&self) -> &Region {
        self.regions
            .iter()
            .find(|r| r.code == INTERNATIONAL)
            .expect("parse requires an INTL region")
    }

    /// The topic a member means by `input`.
    pub fn topic(&self, input: &str) -> Option<&Topic> {
        let k = key(input);
        self.topics
            .iter()
            .find(|t| key(&t.name) == k || t.aliases.iter().any(|a| key(a) == k))
    }

    /// Lines of a region, optionally only those for a topic.
    pub fn lines(&self, region: &str, topic: Option<&str>) -> Vec<&SupportLine> {
        self.lines
            .iter()
            .filter(|l| l.region == region)
            .filter(|l| topic.is_none_or(|t| l.topics.iter().any(|lt| lt == t)))
            .collect()
    }

    /// Look-up for `/resources [region] [topic]`: an unknown region falls back to the
    /// international directory and says so; an unknown topic shows every line of the region.
    pub fn lookup<'a>(
        &'a self,
        region: Option<&str>,
        topic: Option<&str>,
        default_region: &str,
    ) -> Lookup<'a> {
        let asked = region.map(str::trim).filter(|r| !r.is_empty());
        let (found, unknown_region) = match asked {
            None => (self.region_or_international(default_region), None),
            Some(r) => match self.region(r) {
                Some(found) => (found, None),
                None => (self.international(), Some(r.to_string())),
            },
        };
        let asked_topic = topic.map(str::trim).filter(|t| !t.is_empty());
        let (topic, unknown_topic) = match asked_topic {
            None => (None, None),
            Some(t) => match self.topic(t) {
                Some(found) => (Some(found), None),
                None => (None, Some(t.to_string())),
            },
        };
        let mut lines = self.lines(&found.code, topic.map(|t| t.name.as_str()));
        if lines.is_empty() && topic.is_some() {
            // Nothing for that topic here: the region's lines are better than nothing.
            lines = self.lines(&found.code, None);
        }
        Lookup {
            region: found,
            unknown_region,
            topic,
            unknown_topic,
            lines,
        }
    }

    /// Safety guidance by id.
    pub fn guidance(&self, id: &str) -> Option<&Guidance> {
        self.guidance.iter().find(|g| g.id == id)
    }

    /// The support-line disclaimer for a region (unknown codes get the international one).
    pub fn disclaimer(&self, region: &str) -> Disclaimer {
        let r = self.region_or_international(region);
        let role = |role| {
            self.lines
                .iter()
                .find(|l| l.region == r.code && l.disclaimer == Some(role) && !l.check)
        };
        let mut text = String::from(
            "Lantern shares excerpts from articles; it is not a clinician and this is not medical advice.",
        );
        let mut parts = Vec::new();
        if let Some(l) = role(DisclaimerRole::Support) {
            let hours = hours_text(&l.hours)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            parts.push(format!("Support: {} {}{hours}.", l.name, l.brief_contact()));
        }
        if let Some(l) = role(DisclaimerRole::Crisis) {
            parts.push(format!("In crisis: {} ({}).", l.brief_contact(), l.name));
        }
        parts.push(format!("Emergency: {}.", r.emergency));
        parts.push("Other countries: /resources.".to_string());
        text.push('\n');
        text.push_str(&parts.join(" "));
        Disclaimer::new(r.code.clone(), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
[[region]]
code = "US"
name = "United States"
aliases = ["usa", "america"]
emergency = "911"

[[region]]
code = "GB"
name = "United Kingdom"
aliases = ["uk", "england", "britain"]
emergency = "999 (112 also works)"

[[region]]
code = "INTL"
name = "International"
aliases = ["world"]
emergency = "your local emergency number"

[[topic]]
name = "crisis"
aliases = ["suicide"]

[[topic]]
name = "addiction"
aliases = ["drugs", "substance use"]

[[line]]
region = "US"
name = "988 Suicide & Crisis Lifeline"
topics = ["crisis"]
phone = "988"
text = "988"
hours = "24/7"
for = "crisis"
source = "988lifeline.org"
checked = "2026-11-01"
disclaimer = "crisis"

[[line]]
region = "US"
name = "SAMHSA National Helpline"
topics = ["addiction"]
phone = "1-800-662-4357"
hours = "24/7"
for = "treatment referral"
source = "samhsa.gov"
checked = "2026-11-01"
disclaimer = "support"

[[line]]
region = "GB"
name = "FRANK"
topics = ["addiction"]
phone = "0300 123 6600"
text = "82111"
hours = "24/7 phone"
for = "drug information"
source = "talktofrank.com"
checked = "2026-11-01"

[[line]]
region = "INTL"
name = "Find A Helpline"
topics = ["crisis", "addiction"]
web = "findahelpline.com"
hours = "—"
for = "directory"
source = "findahelpline.com"
checked = "2026-11-01"
"#;

    fn res() -> Resources {
        Resources::parse(SRC, Path::new("resources.toml")).unwrap()
    }

    #[test]
    fn regions_resolve_by_code_name_and_alias() {
        let r = res();
        for input in ["uk", "UK", "gb", "United Kingdom", "england", " England "] {
            assert_eq!(
                r.region(input).map(|x| x.code.as_str()),
                Some("GB"),
                "{input}"
            );
        }
        assert_eq!(r.region("u.s.a").map(|x| x.code.as_str()), Some("US"));
        assert!(r.region("narnia").is_none());
        assert!(r.region("").is_none());
    }

    #[test]
    fn lookup_by_region_and_topic() {
        let r = res();
        let l = r.lookup(Some("uk"), Some("drugs"), "US");
        assert_eq!(l.region.code, "GB");
        assert_eq!(l.topic.map(|t| t.name.as_str()), Some("addiction"));
        assert_eq!(
            l.lines.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["FRANK"]
        );
        let l = r.lookup(None, None, "US");
        assert_eq!(l.lines.len(), 2);
    }

    #[test]
    fn unknown_region_falls_back_to_the_international_directory() {
        let r = res();
        let l = r.lookup(Some("narnia"), None, "US");
        assert_eq!(l.region.code, "INTL");
        assert_eq!(l.unknown_region.as_deref(), Some("narnia"));
        assert_eq!(l.lines[0].name, "Find A Helpline");
        let l = r.lookup(Some("us"), Some("knitting"), "US");
        assert_eq!(l.unknown_topic.as_deref(), Some("knitting"));
        assert_eq!(l.lines.len(), 2);
    }

    #[test]
    fn disclaimer_comes_from_the_lines() {
        let r = res();
        let d = r.disclaimer("US");
        assert!(d.text().contains("not medical advice"));
        assert!(
            d.text()
                .contains("SAMHSA National Helpline 1-800-662-4357 (24/7)")
        );
        assert!(d.text().contains("call or text 988"));
        assert!(d.text().contains("Emergency: 911."));
        let d = r.disclaimer("GB");
        assert!(d.text().contains("Emergency: 999"));
        assert!(!d.text().contains("988"));
        let d = r.disclaimer("XX");
        assert!(d.text().contains("your local emergency number"));
    }

    #[test]
    fn mistakes_name_their_line() {
        let cases = [
            (
                SRC.replace(
                    "topics = [\"addiction\"]\nphone = \"0300",
                    "topics = [\"knitting\"]\nphone = \"0300",
                ),
                "unknown topic",
            ),
            (SRC.replace("code = \"GB\"", "code = \"gbr\""), "ISO 3166"),
            (
                SRC.replace(
                    "checked = \"2026-11-01\"\ndisclaimer = \"support\"",
                    "checked = \"yesterday\"\ndisclaimer = \"support\"",
                ),
                "YYYY-MM-DD",
            ),
            (
                SRC.replace(
                    "disclaimer = \"support\"",
                    "disclaimer = \"support\"\ncheck = true",
                ),
                "cannot be in the disclaimer",
            ),
            (
                SRC.replace("aliases = [\"world\"]", "aliases = [\"uk\"]"),
                "another region",
            ),
        ];
        for (src, needle) in cases {
            let ps = Resources::parse(&src, Path::new("resources.toml")).unwrap_err();
            assert!(ps[0].message.contains(needle), "{needle}: {ps:?}");
            assert!(ps[0].line.is_some_and(|l| l > 1), "{ps:?}");
        }
    }
}
