//! Member commands: `/ask`, `/resources`, `/source`, `/about`, `/help`, `/forgetme`. Each is a
//! few lines: arguments → engine → send. The shared path for a question (slash command or
//! mention) is [`handle_question`]: the safety screen first, then pause, cooldown and channel
//! cap, then the engine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::engine::{Engine, Shelf};
use crate::reply::{Kind, Reply};
use crate::safety::{Level, Screened};

use super::deliver::Urgency;
use crate::store::{Outcome, QuestionRecord, ServerSettings, Store};

use super::send;
use super::state::{Ctx, Data, Error, Remembered, Rendered, lock};

/// Where and by whom a question was asked.
#[derive(Debug, Clone)]
pub struct Asked {
    /// Server, or `None` in a DM.
    pub guild: Option<u64>,
    /// Channel.
    pub channel: u64,
    /// Member.
    pub user: u64,
    /// The question text.
    pub text: String,
}

/// What to send for a question.
pub struct Handled {
    /// The reply, rendered.
    pub reply: Arc<Rendered>,
    /// What it counts as in the server's figures (`None`: not a question reply, e.g. a cooldown).
    pub outcome: Option<Outcome>,
    /// The screened question text, when there was one (for logging and "more results").
    pub question: Option<String>,
    /// Token for the answer's buttons.
    pub buttons: Option<u64>,
    /// The crisis tier, when it was a crisis reply.
    pub crisis: Option<Level>,
    /// Whether nothing should be sent (a busy channel hearing a mention).
    pub silent: bool,
}

impl Handled {
    fn notice(reply: Reply) -> Handled {
        Handled {
            reply: Arc::new(Rendered::of(&reply)),
            outcome: None,
            question: None,
            buttons: None,
            crisis: None,
            silent: false,
        }
    }
}

/// Answers a question: a crisis is answered whatever the limits; anything else respects the
/// channel's pause, the member's cooldown and the channel's cap.
pub fn handle_question(
    data: &Data,
    asked: &Asked,
    screened: Screened,
    settings: &ServerSettings,
    (engine, shelf): (&Engine, &Shelf),
    now: Instant,
) -> Handled {
    let ctx = data.context(engine, settings);
    let level = match &screened {
        Screened::Crisis(c) => Some(c.level),
        _ => None,
    };
    let crisis = level.is_some();
    if !crisis {
        if settings.paused_channels.contains(&asked.channel) {
            let mut h = Handled::notice(engine.notice(
                Kind::Notice,
                "Lantern is paused in this channel by the moderators.",
                &ctx.region,
            ));
            h.silent = true;
            return h;
        }
        let guild = asked.guild.unwrap_or(0);
        let cooldown = Duration::from_secs(settings.cooldown_secs.into());
        if let Err(wait) = lock(&data.limits).member(guild, asked.user, cooldown, now) {
            return Handled::notice(engine.notice(
                Kind::Notice,
                format!(
                    "Please give it {} more seconds before your next question. Take your time.",
                    wait.as_secs().max(1)
                ),
                &ctx.region,
            ));
        }
        if !lock(&data.limits).channel(asked.channel, settings.channel_cap_per_minute, now) {
            let mut h = Handled::notice(engine.notice(
                Kind::Notice,
                "Lots of questions here right now; please try again in a minute.",
                &ctx.region,
            ));
            h.silent = true;
            return h;
        }
    }
    let (outcome, question) = match &screened {
        Screened::Crisis(_) => (Some(Outcome::Crisis), None),
        Screened::MedicalAdvice(q, _) => (Some(Outcome::MedicalAdvice), Some(q.text().to_string())),
        Screened::Ordinary(q) | Screened::Topic(q) | Screened::HarmReduction(q) => {
            (None, Some(q.text().to_string()))
        }
        Screened::Empty => (None, None),
    };
    let reply = data.reply(engine, shelf, asked.guild, screened, &ctx);
    let outcome = outcome.or(match reply.kind {
        Kind::Answer => Some(Outcome::Answered),
        Kind::NoMatch => Some(Outcome::NoMatch),
        _ => None,
    });
    let buttons = (reply.kind == Kind::Answer).then(|| {
        let q = question.clone().unwrap_or_default();
        data.remember(Remembered::new(
            q,
            asked.guild,
            asked.user,
            ctx.clone(),
            shelf.version,
        ))
    });
    Handled {
        reply,
        outcome,
        question,
        buttons,
        crisis: level,
        silent: false,
    }
}

/// The buttons under a question's reply: an answer's own, and the support buttons under every
/// reply to a question (not a cooldown or a pause).
pub fn buttons_for(
    engine: &Engine,
    settings: &ServerSettings,
    asked: &Asked,
    handled: &Handled,
) -> Option<send::Buttons> {
    let mut buttons = if handled.outcome.is_some() && !handled.silent {
        support_buttons(engine, settings, asked, handled.crisis)
    } else {
        send::Buttons::default()
    };
    buttons.answer = handled.buttons;
    buttons.some()
}

/// The support buttons for a reply to `asked` (to a danger of `level`, if any): "Talk to
/// someone here" where the server has supporters; a grounding exercise under a concern or crisis
/// reply to a message about feeling unreal or panic.
pub fn support_buttons(
    engine: &Engine,
    settings: &ServerSettings,
    asked: &Asked,
    level: Option<Level>,
) -> send::Buttons {
    let grounding = matches!(level, Some(Level::Crisis | Level::Concern));
    send::Buttons {
        talk: super::talk::offered(settings).and(asked.guild),
        ground: grounding
            .then(|| engine.grounding.offer(&asked.text))
            .flatten(),
        ..send::Buttons::default()
    }
}

/// Counts a question in the server's figures (written in the background, after the reply);
/// its text is kept only where the server turned logging on, and never for a crisis.
pub fn record(data: &Data, asked: &Asked, settings: &ServerSettings, handled: &Handled) {
    let (Some(guild), Some(outcome)) = (asked.guild, handled.outcome) else {
        return;
    };
    let text = (settings.logging && outcome != Outcome::Crisis)
        .then(|| handled.question.clone())
        .flatten();
    data.record(QuestionRecord {
        guild,
        user: asked.user,
        outcome,
        text,
        at: crate::store::unix_now(),
    });
}

/// How severe a danger is, for limits that let worse news through: higher is worse.
pub fn severity(level: Level) -> u8 {
    match level {
        Level::Emergency => 3,
        Level::Crisis => 2,
        Level::Concern | Level::SomeoneElse => 1,
    }
}

/// Tells the server's moderators that a member may need support: the channel and a link, never
/// the member's words; at most once per member per alert period unless the danger is worse than
/// the last alerted. `replied`: whether Lantern gave the member support lines.
pub async fn alert(
    http: &serenity::Http,
    data: &Data,
    settings: &ServerSettings,
    asked: &Asked,
    (level, replied): (Level, bool),
    link: String,
) {
    let (Some(guild), Some(channel)) = (asked.guild, settings.alert_channel) else {
        return;
    };
    if !should_alert(level, settings) {
        return;
    }
    let period = Duration::from_secs(settings.alert_period_secs.into());
    if !lock(&data.limits).alert(guild, asked.user, severity(level), period, Instant::now()) {
        return;
    }
    let engine = data.engine();
    let region = data.context(&engine, settings).region;
    let what = match level {
        Level::Emergency => "may be facing a medical emergency (a possible overdose)",
        Level::Crisis => "may be in crisis",
        Level::Concern => "may be struggling",
        Level::SomeoneElse => "is worried that someone else may be at risk",
    };
    let notice = engine.notice(
        Kind::Notice,
        format!(
            "A member {what} in <#{}>: {} {link}",
            asked.channel,
            if replied {
                "Lantern gave them support lines."
            } else {
                "Lantern did not reply (they opted out of crisis watch)."
            }
        ),
        &region,
    );
    if let Err(e) = send::post(
        http,
        &data.courier,
        serenity::ChannelId::new(channel),
        &notice,
    )
    .await
    {
        tracing::warn!(guild, channel, "moderator alert not delivered: {e}");
    }
}

/// Emergency and crisis replies always alert the moderators; concern and someone-else replies
/// alert unless the server turned `concern_alerts` off.
pub fn should_alert(level: Level, settings: &ServerSettings) -> bool {
    match level {
        Level::Emergency | Level::Crisis => true,
        Level::Concern | Level::SomeoneElse => settings.concern_alerts,
    }
}

/// Ask the library a question: short quotes from its articles, each cited.
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Ctx<'_>,
    #[description = "Your question"]
    #[max_length = 1000]
    question: String,
    #[description = "Only you see the answer"] private: Option<bool>,
) -> Result<(), Error> {
    let data = ctx.data();
    let asked = Asked {
        guild: ctx.guild_id().map(|g| g.get()),
        channel: ctx.channel_id().get(),
        user: ctx.author().id.get(),
        text: super::question::question_of(&question),
    };
    // Screened once, by the gate that gave this question its turn (a crisis needs none).
    let screened = super::gate::screened(data, &asked.text);
    let settings = data.settings(asked.guild).await;
    let engine = data.engine();
    let shelf = data
        .shelf_for(&engine, &screened, asked.guild, &settings)
        .await;
    let handled = handle_question(
        data,
        &asked,
        screened,
        &settings,
        (&engine, &shelf),
        Instant::now(),
    );
    let ephemeral = if handled.crisis.is_some() {
        !settings.crisis_public
    } else if handled.outcome.is_none() {
        true
    } else {
        private.unwrap_or(settings.private_by_default)
    };
    let urgency = if handled.crisis.is_some() {
        Urgency::Crisis
    } else {
        Urgency::Normal
    };
    let messages = &handled.reply.messages;
    let buttons = buttons_for(&engine, &settings, &asked, &handled);
    if let Err(e) = send::respond_rendered(ctx, messages, ephemeral, buttons, urgency).await {
        if handled.crisis.is_none() {
            return Err(e.into());
        }
        // The lines must reach the member: when the interaction cannot be answered, they go to
        // the channel (never an error message in their place).
        tracing::warn!("crisis reply by interaction failed ({e}); posting it in the channel");
        let channel = ctx.channel_id();
        if let Err(e) = send::post_rendered(
            ctx.http(),
            &data.courier,
            channel,
            messages,
            Urgency::Crisis,
        )
        .await
        {
            tracing::error!("crisis reply not delivered: {e}");
        }
    }
    if let Some(level) = handled.crisis
        && let Some(guild) = asked.guild
    {
        let link = format!("https://discord.com/channels/{guild}/{}", asked.channel);
        alert(ctx.http(), data, &settings, &asked, (level, true), link).await;
    }
    record(data, &asked, &settings, &handled);
    Ok(())
}

async fn complete_region(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().engine();
    let p = partial.trim().to_lowercase();
    let choices = engine
        .resources
        .regions
        .iter()
        .filter(|r| {
            p.is_empty()
                || r.code.to_lowercase().starts_with(&p)
                || r.name.to_lowercase().contains(&p)
                || r.aliases.iter().any(|a| a.starts_with(&p))
        })
        .take(25)
        .map(|r| {
            serenity::AutocompleteChoice::new(format!("{} ({})", r.name, r.code), r.code.clone())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn complete_topic(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().engine();
    let p = partial.trim().to_lowercase();
    let choices = engine
        .resources
        .topics
        .iter()
        .filter(|t| {
            p.is_empty() || t.name.starts_with(&p) || t.aliases.iter().any(|a| a.starts_with(&p))
        })
        .take(25)
        .map(|t| serenity::AutocompleteChoice::new(t.name.clone(), t.name.clone()))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Support lines by region and topic (for example: uk, addiction).
#[poise::command(slash_command)]
pub async fn resources(
    ctx: Ctx<'_>,
    #[description = "Country or region"]
    #[autocomplete = "complete_region"]
    #[max_length = 100]
    region: Option<String>,
    #[description = "Topic (crisis, addiction, mental-health, overdose, youth, ...)"]
    #[autocomplete = "complete_topic"]
    #[max_length = 100]
    topic: Option<String>,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = ctx.guild_id().map(|g| g.get());
    let settings = data.settings(guild).await;
    let engine = data.engine();
    let context = data.context(&engine, &settings);
    let server_lines = match guild {
        Some(g) => data.store.lines(g).await.unwrap_or_else(|e| {
            tracing::error!(g, "reading server lines failed: {e}");
            Vec::new()
        }),
        None => Vec::new(),
    };
    let server_lines: Vec<crate::resources::SupportLine> = server_lines
        .iter()
        .map(super::settings::as_support_line)
        .collect();
    let reply =
        engine.resources_reply(region.as_deref(), topic.as_deref(), &context, &server_lines);
    send::respond(ctx, &reply, false, None).await
}

async fn complete_passage(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let data = ctx.data();
    let guild = ctx.guild_id().map(|g| g.get());
    let engine = data.engine();
    let settings = data.settings(guild).await;
    let shelf = data.shelf(&engine, guild, &settings).await;
    let p = partial.trim().to_lowercase();
    let choices = shelf
        .library
        .passages
        .iter()
        .filter(|x| x.id.contains(&p))
        .take(25)
        .map(|x| {
            serenity::AutocompleteChoice::new(
                x.id.chars().take(100).collect::<String>(),
                x.id.clone(),
            )
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show a cited passage whole, with its heading.
#[poise::command(slash_command)]
pub async fn source(
    ctx: Ctx<'_>,
    #[description = "Passage id (shown under answers, e.g. document#section)"]
    #[autocomplete = "complete_passage"]
    #[max_length = 200]
    passage: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let guild = ctx.guild_id().map(|g| g.get());
    let (engine, region) = data.engine_and_region(guild).await;
    let shelf = data
        .shelf(&engine, guild, &*data.settings(guild).await)
        .await;
    let reply = engine.source_in(&shelf, &passage, &region);
    send::respond(ctx, &reply, true, None).await
}

/// What Lantern is and is not, the library's documents, and what it stores.
#[poise::command(slash_command)]
pub async fn about(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let guild = ctx.guild_id().map(|g| g.get());
    let (engine, region) = data.engine_and_region(guild).await;
    let shelf = data
        .shelf(&engine, guild, &*data.settings(guild).await)
        .await;
    send::respond(ctx, &engine.about_in(&shelf, &region), true, None).await
}

/// How to use Lantern.
#[poise::command(slash_command)]
pub async fn help(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let (engine, region) = data
        .engine_and_region(ctx.guild_id().map(|g| g.get()))
        .await;
    send::respond(ctx, &engine.help(&region), true, None).await
}

/// Erase what Lantern stores about you (logged questions, feedback) in every server.
#[poise::command(slash_command)]
pub async fn forgetme(ctx: Ctx<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let user = ctx.author().id.get();
    let (engine, region) = data
        .engine_and_region(ctx.guild_id().map(|g| g.get()))
        .await;
    data.forget(user);
    let text = match data.store.forget(user).await {
        Ok(f) => format!(
            "Done. I erased {} logged question(s) and {} feedback click(s) stored about you, and what I kept in memory (cooldowns, recent answers).",
            f.questions, f.feedback
        ),
        Err(e) => {
            tracing::error!(user, "forgetme failed: {e}");
            "I couldn't erase your data just now; nothing was changed. Please try again later."
                .to_string()
        }
    };
    send::respond(ctx, &engine.notice(Kind::Notice, text, &region), true, None).await
}
