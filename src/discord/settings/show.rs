//! How settings, figures and a server's own lines are shown to moderators and members.

use crate::resources::SupportLine;
use crate::store::{ServerLine, ServerSettings, Stats};

use super::{channel_list, on_off};

/// A server's figures as `/lantern stats` shows them; logged questions are escaped (they are
/// members' words) and may be anything, emoji and all.
pub fn describe_stats(s: &Stats, logging: bool) -> String {
    let votes = s.helpful + s.not_helpful;
    let mut text = format!(
        "Questions: {}\nAnswered from the library: {}\nNot in the library: {}\nCrisis replies: {}\nMedical-advice refusals: {}\nFeedback: {} helpful, {} not helpful{}",
        s.questions,
        s.answered,
        s.no_match,
        s.crisis,
        s.medical_advice,
        s.helpful,
        s.not_helpful,
        if votes > 0 {
            format!(" ({:.0}% helpful)", 100.0 * s.helpful as f64 / votes as f64)
        } else {
            String::new()
        }
    );
    if logging {
        text.push_str("\n\nMost frequent questions the library could not answer:");
        if s.top_unanswered.is_empty() {
            text.push_str(" none yet.");
        }
        for (q, n) in &s.top_unanswered {
            text.push_str(&format!(
                "\n\u{2022} {n}\u{00D7} {}",
                crate::render::escape(q)
            ));
        }
    } else {
        text.push_str("\n\nQuestion logging is off, so unanswered questions are not listed (/lantern config set logging on).");
    }
    text
}

/// A server line as the engine shows lines.
pub fn as_support_line(l: &ServerLine) -> SupportLine {
    SupportLine {
        region: l.region.clone(),
        name: format!("{} (added by this server)", l.name),
        topics: l.topics.clone(),
        phone: None,
        text: None,
        chat: None,
        web: Some(l.contact.clone()),
        email: None,
        tty: None,
        hours: l.hours.clone(),
        purpose: l.purpose.clone(),
        source: "this server's moderators".to_string(),
        checked: String::new(),
        check: false,
        disclaimer: None,
    }
}

/// The settings as `/lantern config show` lists them.
pub fn describe(s: &ServerSettings, default_region: &str) -> String {
    let lines = [
        format!(
            "region: {}",
            s.region
                .as_deref()
                .unwrap_or(&format!("{default_region} (default)"))
        ),
        format!(
            "mention_channels: {}",
            if s.mention_channels.is_empty() {
                "all".to_string()
            } else {
                channel_list(&s.mention_channels)
            }
        ),
        format!(
            "alert_channel: {}",
            s.alert_channel
                .map_or("none".to_string(), |c| format!("<#{c}>"))
        ),
        format!("alert_period_minutes: {}", s.alert_period_secs / 60),
        format!("cooldown_seconds: {}", s.cooldown_secs),
        format!("channel_cap_per_minute: {}", s.channel_cap_per_minute),
        format!("private_by_default: {}", on_off(s.private_by_default)),
        format!("crisis_public: {}", on_off(s.crisis_public)),
        format!("concern_alerts: {}", on_off(s.concern_alerts)),
        format!("logging: {}", on_off(s.logging)),
        format!("shipped_articles: {}", on_off(s.shipped_articles)),
        format!("content_notes: {}", on_off(s.content_notes)),
        format!("retention_days: {}", s.retention_days),
        format!(
            "moderator_role: {}",
            s.moderator_role
                .map_or("none".to_string(), |r| format!("role {r}"))
        ),
        format!(
            "supporter_role: {}",
            s.supporter_role
                .map_or("none".to_string(), |r| format!("role {r}"))
        ),
        format!(
            "support_channel: {}",
            s.support_channel
                .map_or("none".to_string(), |c| format!("<#{c}>"))
        ),
        format!("talk_period_minutes: {}", s.talk_period_secs / 60),
        format!(
            "watch_channels: {}",
            if s.watch_channels.is_empty() {
                "none".to_string()
            } else {
                channel_list(&s.watch_channels)
            }
        ),
        format!(
            "paused in: {}",
            if s.paused_channels.is_empty() {
                "no channel".to_string()
            } else {
                channel_list(&s.paused_channels)
            }
        ),
    ];
    lines.join("\n")
}
