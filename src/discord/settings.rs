//! `/lantern config`: the settings a moderator can change, how a typed value is read, and how
//! settings are shown. Pure: a value and the current settings in, the new settings (or a clear
//! error) out.

mod show;

pub use show::{as_support_line, describe, describe_stats};

use crate::resources::Resources;
use crate::store::ServerSettings;

/// A setting of `/lantern config set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum Setting {
    /// Region for the disclaimer and crisis lines.
    #[name = "region"]
    Region,
    /// Channels where mentions are answered.
    #[name = "mention_channels"]
    MentionChannels,
    /// Where moderators get crisis notices.
    #[name = "alert_channel"]
    AlertChannel,
    /// Minutes between alerts about the same member.
    #[name = "alert_period_minutes"]
    AlertPeriodMinutes,
    /// Seconds a member waits between questions.
    #[name = "cooldown_seconds"]
    CooldownSeconds,
    /// Replies per channel per minute.
    #[name = "channel_cap_per_minute"]
    ChannelCap,
    /// Answers only the asker sees, by default.
    #[name = "private_by_default"]
    PrivateByDefault,
    /// Crisis replies to /ask visible to the channel.
    #[name = "crisis_public"]
    CrisisPublic,
    /// Alerts for concern and someone-else replies too.
    #[name = "concern_alerts"]
    ConcernAlerts,
    /// Store question text for stats.
    #[name = "logging"]
    Logging,
    /// Days logged questions are kept.
    #[name = "retention_days"]
    RetentionDays,
    /// A role allowed to use moderator commands.
    #[name = "moderator_role"]
    ModeratorRole,
    /// Whether the shipped articles stay in this server's library beside its own documents.
    #[name = "shipped_articles"]
    ShippedArticles,
    /// Quotes about abuse, self-harm, suicide or overdose behind a spoiler with a content note.
    #[name = "content_notes"]
    ContentNotes,
    /// The role of the server's supporters (for "Talk to someone here").
    #[name = "supporter_role"]
    SupporterRole,
    /// Where private support threads are opened.
    #[name = "support_channel"]
    SupportChannel,
    /// Minutes between support threads one member may open.
    #[name = "talk_period_minutes"]
    TalkPeriodMinutes,
    /// Channels crisis watch reads (only danger is answered there).
    #[name = "watch_channels"]
    WatchChannels,
}

/// Reads an on/off value as `config set` does.
pub fn parse_switch(value: &str) -> Result<bool, String> {
    switch(value)
}

fn switch(value: &str) -> Result<bool, String> {
    match value.trim().to_lowercase().as_str() {
        "on" | "yes" | "true" | "enable" | "enabled" | "1" => Ok(true),
        "off" | "no" | "false" | "disable" | "disabled" | "0" => Ok(false),
        other => Err(format!("expected on or off, not \u{201C}{other}\u{201D}")),
    }
}

fn number(value: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    let n: u32 = value.trim().parse().map_err(|_| {
        format!(
            "expected a whole number, not \u{201C}{}\u{201D}",
            value.trim()
        )
    })?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "must be between {} and {}",
            range.start(),
            range.end()
        ))
    }
}

/// Ids in `<#123>`, `<@&123>` or bare `123` form.
fn ids(value: &str) -> Result<Vec<u64>, String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let digits = s
                .trim_start_matches("<#")
                .trim_start_matches("<@&")
                .trim_end_matches('>');
            digits
                .parse::<u64>()
                .map_err(|_| format!("\u{201C}{s}\u{201D} is not a channel or role"))
        })
        .collect()
}

fn none(value: &str) -> bool {
    matches!(
        value.trim().to_lowercase().as_str(),
        "none" | "off" | "no" | "-" | ""
    )
}

/// Applies `value` to `setting`; returns a sentence describing the change.
pub fn apply(
    settings: &mut ServerSettings,
    setting: Setting,
    value: &str,
    resources: &Resources,
) -> Result<String, String> {
    let value = value.trim();
    Ok(match setting {
        Setting::Region => {
            if matches!(value.to_lowercase().as_str(), "default" | "none") {
                settings.region = None;
                "Region: the bot's default.".to_string()
            } else {
                let region = resources.region(value).ok_or_else(|| {
                    let known: Vec<&str> =
                        resources.regions.iter().map(|r| r.code.as_str()).collect();
                    format!("unknown region; known regions are {}", known.join(", "))
                })?;
                settings.region = Some(region.code.clone());
                format!("Region: {} ({}).", region.name, region.code)
            }
        }
        Setting::MentionChannels => {
            if matches!(value.to_lowercase().as_str(), "all" | "any" | "everywhere") {
                settings.mention_channels.clear();
                "Mentions are answered in every channel.".to_string()
            } else {
                let channels = ids(value)?;
                if channels.is_empty() {
                    return Err("list channels, or say all".to_string());
                }
                settings.mention_channels = channels;
                format!(
                    "Mentions are answered in {}.",
                    channel_list(&settings.mention_channels)
                )
            }
        }
        Setting::AlertChannel => {
            if none(value) {
                settings.alert_channel = None;
                "Crisis alerts: off.".to_string()
            } else {
                let channel = single(ids(value)?, "channel")?;
                settings.alert_channel = Some(channel);
                format!("Crisis alerts go to <#{channel}>.")
            }
        }
        Setting::AlertPeriodMinutes => {
            let m = number(value, 1..=1440)?;
            settings.alert_period_secs = m * 60;
            format!("At most one alert per member every {m} minutes.")
        }
        Setting::CooldownSeconds => {
            settings.cooldown_secs = number(value, 0..=3600)?;
            format!(
                "Members wait {} seconds between questions.",
                settings.cooldown_secs
            )
        }
        Setting::ChannelCap => {
            settings.channel_cap_per_minute = number(value, 0..=600)?;
            if settings.channel_cap_per_minute == 0 {
                "No cap on replies per channel.".to_string()
            } else {
                format!(
                    "At most {} replies per channel per minute.",
                    settings.channel_cap_per_minute
                )
            }
        }
        Setting::PrivateByDefault => {
            settings.private_by_default = switch(value)?;
            format!(
                "Private answers by default: {}.",
                on_off(settings.private_by_default)
            )
        }
        Setting::CrisisPublic => {
            settings.crisis_public = switch(value)?;
            format!(
                "Crisis replies to /ask visible to the channel: {}.",
                on_off(settings.crisis_public)
            )
        }
        Setting::ContentNotes => {
            settings.content_notes = switch(value)?;
            format!(
                "Content notes: {}. Quotes that discuss abuse, self-harm, suicide or overdose are {}.",
                on_off(settings.content_notes),
                if settings.content_notes {
                    "shown behind a spoiler under a note naming the topic"
                } else {
                    "shown as they are"
                }
            )
        }
        Setting::ShippedArticles => {
            settings.shipped_articles = switch(value)?;
            format!(
                "The shipped articles are {} this server's library.",
                if settings.shipped_articles {
                    "in"
                } else {
                    "not in"
                }
            )
        }
        Setting::ConcernAlerts => {
            settings.concern_alerts = switch(value)?;
            format!(
                "Alerts for concern and someone-else replies: {} (emergency and crisis replies always alert).",
                on_off(settings.concern_alerts)
            )
        }
        Setting::Logging => {
            settings.logging = switch(value)?;
            format!(
                "Question logging: {}.{}",
                on_off(settings.logging),
                if settings.logging {
                    format!(
                        " Question text is deleted after {} days.",
                        settings.retention_days
                    )
                } else {
                    " Logged questions will be deleted.".to_string()
                }
            )
        }
        Setting::RetentionDays => {
            settings.retention_days = number(value, 1..=365)?;
            format!(
                "Logged questions are kept {} days.",
                settings.retention_days
            )
        }
        Setting::SupporterRole => {
            if none(value) {
                settings.supporter_role = None;
                "Supporter role: none. \u{201C}Talk to someone here\u{201D} is not offered."
                    .to_string()
            } else {
                let role = single(ids(value)?, "role")?;
                settings.supporter_role = Some(role);
                format!(
                    "Supporter role: {role}. \u{201C}Talk to someone here\u{201D} opens a private thread with it{}.",
                    if settings.support_channel.is_some() {
                        ""
                    } else {
                        " once a support_channel is set"
                    }
                )
            }
        }
        Setting::SupportChannel => {
            if none(value) {
                settings.support_channel = None;
                "Support channel: none. \u{201C}Talk to someone here\u{201D} is not offered."
                    .to_string()
            } else {
                let channel = single(ids(value)?, "channel")?;
                settings.support_channel = Some(channel);
                format!(
                    "Private support threads are opened in <#{channel}>{}. Lantern needs Create Private Threads and Send Messages in Threads there.",
                    if settings.supporter_role.is_some() {
                        ""
                    } else {
                        " once a supporter_role is set"
                    }
                )
            }
        }
        Setting::TalkPeriodMinutes => {
            let m = number(value, 1..=1440)?;
            settings.talk_period_secs = m * 60;
            format!("A member may open one support thread every {m} minutes.")
        }
        Setting::WatchChannels => {
            if none(value) {
                settings.watch_channels.clear();
                "Crisis watch: off in every channel.".to_string()
            } else {
                let channels = ids(value)?;
                if channels.is_empty() {
                    return Err("list channels, or say none".to_string());
                }
                settings.watch_channels = channels;
                format!(
                    "Crisis watch reads {}: it answers only messages that may mean someone is in danger, privately where it can, alerts the moderators, and keeps no message text. Members can opt out with /lantern-optout.",
                    channel_list(&settings.watch_channels)
                )
            }
        }
        Setting::ModeratorRole => {
            if none(value) {
                settings.moderator_role = None;
                "Moderator role: none (Manage Server only).".to_string()
            } else {
                let role = single(ids(value)?, "role")?;
                settings.moderator_role = Some(role);
                format!("Members with the role {role} may use moderator commands.")
            }
        }
    })
}

fn single(ids: Vec<u64>, what: &str) -> Result<u64, String> {
    match ids.as_slice() {
        [one] => Ok(*one),
        _ => Err(format!("give exactly one {what}")),
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn channel_list(ids: &[u64]) -> String {
    ids.iter()
        .map(|c| format!("<#{c}>"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn resources() -> Resources {
        let src = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/resources.toml"),
        )
        .unwrap();
        Resources::parse(&src, Path::new("resources.toml")).unwrap()
    }

    fn set(setting: Setting, value: &str) -> Result<ServerSettings, String> {
        let mut s = ServerSettings::default();
        apply(&mut s, setting, value, &resources()).map(|_| s)
    }

    #[test]
    fn values_are_read_in_the_forms_moderators_type() {
        assert_eq!(
            set(Setting::Region, "uk").unwrap().region.as_deref(),
            Some("GB")
        );
        assert_eq!(set(Setting::Region, "default").unwrap().region, None);
        assert_eq!(
            set(Setting::MentionChannels, "<#1> <#2>")
                .unwrap()
                .mention_channels,
            [1, 2]
        );
        assert!(
            set(Setting::MentionChannels, "all")
                .unwrap()
                .mention_channels
                .is_empty()
        );
        assert_eq!(
            set(Setting::AlertChannel, "<#99>").unwrap().alert_channel,
            Some(99)
        );
        assert_eq!(
            set(Setting::AlertChannel, "none").unwrap().alert_channel,
            None
        );
        assert_eq!(
            set(Setting::AlertPeriodMinutes, "30")
                .unwrap()
                .alert_period_secs,
            1800
        );
        assert_eq!(set(Setting::CooldownSeconds, "0").unwrap().cooldown_secs, 0);
        assert!(
            set(Setting::PrivateByDefault, "on")
                .unwrap()
                .private_by_default
        );
        assert!(!set(Setting::Logging, "off").unwrap().logging);
        assert_eq!(
            set(Setting::ModeratorRole, "<@&5>").unwrap().moderator_role,
            Some(5)
        );
        assert_eq!(
            set(Setting::SupporterRole, "<@&6>").unwrap().supporter_role,
            Some(6)
        );
        assert_eq!(
            set(Setting::SupportChannel, "<#7>")
                .unwrap()
                .support_channel,
            Some(7)
        );
        assert_eq!(
            set(Setting::WatchChannels, "<#8>, <#9>")
                .unwrap()
                .watch_channels,
            [8, 9]
        );
        assert!(
            set(Setting::WatchChannels, "none")
                .unwrap()
                .watch_channels
                .is_empty()
        );
        assert_eq!(
            set(Setting::TalkPeriodMinutes, "5")
                .unwrap()
                .talk_period_secs,
            300
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let cases = [
            (Setting::Region, "narnia", "unknown region"),
            (Setting::CooldownSeconds, "-1", "whole number"),
            (Setting::CooldownSeconds, "99999", "between 0 and 3600"),
            (Setting::RetentionDays, "0", "between 1 and 365"),
            (Setting::Logging, "maybe", "on or off"),
            (Setting::AlertChannel, "<#1> <#2>", "exactly one"),
            (Setting::MentionChannels, "#general", "not a channel"),
        ];
        for (setting, value, needle) in cases {
            let err = set(setting, value).unwrap_err();
            assert!(err.contains(needle), "{setting:?} {value}: {err}");
        }
    }

    #[test]
    fn show_lists_every_setting() {
        let text = describe(&ServerSettings::default(), "US");
        assert!(text.contains("region: US (default)"));
        assert!(text.contains("mention_channels: all"));
        assert_eq!(text.lines().count(), 19);
        assert!(text.contains("shipped_articles: on"));
    }
}
