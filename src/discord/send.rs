//! Sending replies: a rendered [`Reply`] becomes one or more Discord messages, every one with
//! empty `allowed_mentions` (whatever the text holds, nobody is pinged), answer buttons under the
//! last message of an answer.

use poise::serenity_prelude as serenity;

use serenity::http::Route;

use crate::render;
use crate::reply::Reply;

use super::deliver::{Courier, SendError, Urgency};
use super::state::{Ctx, Error};

/// Allowed mentions that allow nothing, the replied-to author included.
pub fn no_mentions() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .replied_user(false)
}

/// Custom id prefix of Lantern's buttons.
pub const BUTTON_PREFIX: &str = "lantern:";

/// What a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// Show the next passages of an answer.
    More(u64),
    /// The answer helped (true) or did not (false).
    Feedback(u64, bool),
    /// Show step `.1` of grounding exercise `.0` (`/ground`).
    Next(usize, usize),
    /// Open a private thread with the supporters of this server.
    Talk(u64),
}

impl Button {
    /// The custom id.
    pub fn id(self) -> String {
        match self {
            Button::More(t) => format!("{BUTTON_PREFIX}more:{t}"),
            Button::Feedback(t, true) => format!("{BUTTON_PREFIX}fb:{t}:yes"),
            Button::Feedback(t, false) => format!("{BUTTON_PREFIX}fb:{t}:no"),
            Button::Next(e, s) => format!("{BUTTON_PREFIX}ground:{e}:{s}"),
            Button::Talk(g) => format!("{BUTTON_PREFIX}talk:{g}"),
        }
    }

    /// Reads a custom id (anything not Lantern's is `None`).
    pub fn parse(id: &str) -> Option<Button> {
        let rest = id.strip_prefix(BUTTON_PREFIX)?;
        let mut parts = rest.split(':');
        match (parts.next()?, parts.next()?.parse().ok()?, parts.next()) {
            ("more", t, None) => Some(Button::More(t)),
            ("talk", g, None) => Some(Button::Talk(g)),
            ("fb", t, Some("yes")) => Some(Button::Feedback(t, true)),
            ("fb", t, Some("no")) => Some(Button::Feedback(t, false)),
            ("ground", e, Some(step)) => {
                Some(Button::Next(usize::try_from(e).ok()?, step.parse().ok()?))
            }
            _ => None,
        }
    }
}

/// Buttons under a message, in one row: an answer's (more results, feedback), a grounding
/// step's "Next", and the support buttons ("Talk to someone here", a grounding exercise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buttons {
    /// More results and feedback, for the answer with this token.
    pub answer: Option<u64>,
    /// "Next" to step `.1` of grounding exercise `.0`.
    pub next: Option<(usize, usize)>,
    /// "Talk to someone here": a private thread with this server's supporters.
    pub talk: Option<u64>,
    /// A grounding exercise (this one, from its first step), offered under a danger reply.
    pub ground: Option<usize>,
}

impl Buttons {
    /// An answer's buttons.
    pub fn answer(token: u64) -> Buttons {
        Buttons {
            answer: Some(token),
            ..Buttons::default()
        }
    }

    /// "Next" to `step` of `exercise`.
    pub fn next(exercise: usize, step: usize) -> Buttons {
        Buttons {
            next: Some((exercise, step)),
            ..Buttons::default()
        }
    }

    /// These buttons, or `None` when there are none.
    pub fn some(self) -> Option<Buttons> {
        (self != Buttons::default()).then_some(self)
    }
}

/// The components for `buttons` (at most five: one row).
fn components(buttons: Buttons) -> Vec<serenity::CreateActionRow> {
    let mut row = Vec::new();
    if let Some(token) = buttons.answer {
        row.extend(answer_row(token));
    }
    if let Some((exercise, step)) = buttons.next {
        row.push(
            serenity::CreateButton::new(Button::Next(exercise, step).id())
                .label("Next")
                .style(serenity::ButtonStyle::Primary),
        );
    }
    if let Some(guild) = buttons.talk {
        row.push(
            serenity::CreateButton::new(Button::Talk(guild).id())
                .label("Talk to someone here")
                .style(serenity::ButtonStyle::Primary),
        );
    }
    if let Some(exercise) = buttons.ground {
        row.push(
            serenity::CreateButton::new(Button::Next(exercise, 0).id())
                .label("A grounding exercise")
                .style(serenity::ButtonStyle::Secondary),
        );
    }
    vec![serenity::CreateActionRow::Buttons(row)]
}

/// The buttons under an answer.
fn answer_row(token: u64) -> Vec<serenity::CreateButton> {
    vec![
        serenity::CreateButton::new(Button::More(token).id())
            .label("More results")
            .style(serenity::ButtonStyle::Secondary),
        serenity::CreateButton::new(Button::Feedback(token, true).id())
            .label("Helpful")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(Button::Feedback(token, false).id())
            .label("Not helpful")
            .style(serenity::ButtonStyle::Secondary),
    ]
}

/// Answers a slash command: the first message is the interaction response, the rest follow-ups.
pub async fn respond(
    ctx: Ctx<'_>,
    reply: &Reply,
    ephemeral: bool,
    buttons: Option<Buttons>,
) -> Result<(), Error> {
    respond_rendered(
        ctx,
        &render::contents(reply),
        ephemeral,
        buttons,
        Urgency::Normal,
    )
    .await
    .map_err(Into::into)
}

/// [`respond`] with messages already rendered.
pub async fn respond_rendered(
    ctx: Ctx<'_>,
    messages: &[String],
    ephemeral: bool,
    buttons: Option<Buttons>,
    urgency: Urgency,
) -> Result<(), SendError> {
    let poise::Context::Application(app) = ctx else {
        return Err(SendError::Build("not an application command".into()));
    };
    let i = app.interaction;
    // After a deferral (or an earlier reply) every message is a follow-up.
    let answered = app
        .has_sent_initial_response
        .swap(true, std::sync::atomic::Ordering::SeqCst);
    answer_interaction(
        ctx.http(),
        &ctx.data().courier,
        Interaction {
            id: i.id,
            token: &i.token,
            application_id: i.application_id,
            answered,
        },
        messages,
        ephemeral,
        buttons,
        urgency,
    )
    .await
}

/// An interaction to answer, and whether its first response was already sent.
struct Interaction<'a> {
    id: serenity::InteractionId,
    token: &'a str,
    application_id: serenity::ApplicationId,
    answered: bool,
}

/// The interaction response, then follow-ups, each with empty allowed mentions.
async fn answer_interaction(
    http: &serenity::Http,
    courier: &Courier,
    interaction: Interaction<'_>,
    messages: &[String],
    ephemeral: bool,
    buttons: Option<Buttons>,
    urgency: Urgency,
) -> Result<(), SendError> {
    let Interaction {
        id,
        token,
        application_id,
        answered,
    } = interaction;
    let last = messages.len().saturating_sub(1);
    for (i, content) in messages.iter().enumerate() {
        let components = (i == last).then_some(buttons).flatten().map(components);
        if i == 0 && !answered {
            let mut m = serenity::CreateInteractionResponseMessage::new()
                .content(content.clone())
                .ephemeral(ephemeral)
                .allowed_mentions(no_mentions());
            if let Some(c) = components {
                m = m.components(c);
            }
            let route = Route::InteractionResponse {
                interaction_id: id,
                token,
            };
            let body = serenity::CreateInteractionResponse::Message(m);
            courier.send(http, route, &body, urgency).await?;
        } else {
            let mut m = serenity::CreateInteractionResponseFollowup::new()
                .content(content.clone())
                .ephemeral(ephemeral)
                .allowed_mentions(no_mentions());
            if let Some(c) = components {
                m = m.components(c);
            }
            let route = Route::WebhookFollowupMessages {
                application_id,
                token,
            };
            courier.send(http, route, &m, urgency).await?;
        }
    }
    Ok(())
}

/// Replies to a member's message: the first message references it, the rest follow in the
/// channel.
pub async fn reply_to_message(
    http: &serenity::Http,
    courier: &Courier,
    message: &serenity::Message,
    messages: &[String],
    buttons: Option<Buttons>,
    urgency: Urgency,
) -> Result<(), SendError> {
    let to = message.channel_id;
    post_messages(http, courier, to, messages, Some(message), buttons, urgency).await
}

/// Posts messages in a channel (moderator alerts, and a crisis reply whose first path failed).
pub async fn post_rendered(
    http: &serenity::Http,
    courier: &Courier,
    channel: serenity::ChannelId,
    messages: &[String],
    urgency: Urgency,
) -> Result<(), SendError> {
    post_messages(http, courier, channel, messages, None, None, urgency).await
}

/// Posts messages in a channel with buttons under the last (a crisis-watch direct message).
pub async fn post_with_buttons(
    http: &serenity::Http,
    courier: &Courier,
    channel: serenity::ChannelId,
    messages: &[String],
    buttons: Option<Buttons>,
    urgency: Urgency,
) -> Result<(), SendError> {
    post_messages(http, courier, channel, messages, None, buttons, urgency).await
}

/// Channel messages with empty allowed mentions: the first may reference a message, the last
/// may carry the answer buttons.
async fn post_messages(
    http: &serenity::Http,
    courier: &Courier,
    channel: serenity::ChannelId,
    messages: &[String],
    reference: Option<&serenity::Message>,
    buttons: Option<Buttons>,
    urgency: Urgency,
) -> Result<(), SendError> {
    let last = messages.len().saturating_sub(1);
    for (i, content) in messages.iter().enumerate() {
        let mut m = serenity::CreateMessage::new()
            .content(content.clone())
            .allowed_mentions(no_mentions());
        if i == 0
            && let Some(r) = reference
        {
            m = m.reference_message(r);
        }
        if i == last
            && let Some(b) = buttons
        {
            m = m.components(components(b));
        }
        let route = Route::ChannelMessages {
            channel_id: channel,
        };
        courier.send(http, route, &m, urgency).await?;
    }
    Ok(())
}

/// Posts a reply in a channel.
pub async fn post(
    http: &serenity::Http,
    courier: &Courier,
    channel: serenity::ChannelId,
    reply: &Reply,
) -> Result<(), SendError> {
    post_rendered(
        http,
        courier,
        channel,
        &render::contents(reply),
        Urgency::Normal,
    )
    .await
}

/// Answers a component interaction (a button click) with an ephemeral reply; further messages
/// of a long reply go as follow-ups.
pub async fn respond_to_component(
    http: &serenity::Http,
    courier: &Courier,
    interaction: &serenity::ComponentInteraction,
    reply: &Reply,
    buttons: Option<Buttons>,
) -> Result<(), SendError> {
    answer_component(http, courier, interaction, reply, buttons, false).await
}

/// A private answer to a click: the interaction response, or (`deferred`) follow-ups only.
async fn answer_component(
    http: &serenity::Http,
    courier: &Courier,
    interaction: &serenity::ComponentInteraction,
    reply: &Reply,
    buttons: Option<Buttons>,
    deferred: bool,
) -> Result<(), SendError> {
    let i = interaction;
    let urgency = if deferred {
        Urgency::Crisis
    } else {
        Urgency::Normal
    };
    answer_interaction(
        http,
        courier,
        Interaction {
            id: i.id,
            token: &i.token,
            application_id: i.application_id,
            answered: deferred,
        },
        &render::contents(reply),
        true,
        buttons,
        urgency,
    )
    .await
}

/// Acknowledges a button click with a private "thinking" state, for work that may take longer
/// than Discord's three seconds; the answer follows with [`follow_up_component`].
pub async fn defer_component(
    http: &serenity::Http,
    courier: &Courier,
    interaction: &serenity::ComponentInteraction,
) -> Result<(), SendError> {
    let route = Route::InteractionResponse {
        interaction_id: interaction.id,
        token: &interaction.token,
    };
    let body = serenity::CreateInteractionResponse::Defer(
        serenity::CreateInteractionResponseMessage::new().ephemeral(true),
    );
    courier.send(http, route, &body, Urgency::Crisis).await?;
    Ok(())
}

/// The answer to a click acknowledged with [`defer_component`]: private follow-ups, tried as
/// hard as a crisis reply (a member asking for a person).
pub async fn follow_up_component(
    http: &serenity::Http,
    courier: &Courier,
    interaction: &serenity::ComponentInteraction,
    reply: &Reply,
) -> Result<(), SendError> {
    answer_component(http, courier, interaction, reply, None, true).await
}

/// Answers an application command outside poise's context (an unknown command) ephemerally.
pub async fn respond_to_command(
    http: &serenity::Http,
    courier: &Courier,
    interaction: &serenity::CommandInteraction,
    reply: &Reply,
) -> Result<(), SendError> {
    let i = interaction;
    let first: Vec<String> = render::contents(reply).into_iter().take(1).collect();
    answer_interaction(
        http,
        courier,
        Interaction {
            id: i.id,
            token: &i.token,
            application_id: i.application_id,
            answered: false,
        },
        &first,
        true,
        None,
        Urgency::Normal,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_round_trip_and_foreign_ids_are_ignored() {
        for b in [
            Button::More(42),
            Button::Feedback(7, true),
            Button::Feedback(7, false),
            Button::Next(2, 0),
            Button::Talk(u64::MAX),
        ] {
            assert_eq!(Button::parse(&b.id()), Some(b));
            assert!(b.id().len() <= 100, "Discord's custom_id limit");
        }
        for id in [
            "",
            "lantern:",
            "lantern:more:x",
            "lantern:fb:1:maybe",
            "other:more:1",
            "lantern:more:1:2",
        ] {
            assert_eq!(Button::parse(id), None, "{id}");
        }
    }

    #[test]
    fn allowed_mentions_allow_nothing() {
        let v = serde_json::to_value(no_mentions()).unwrap();
        assert_eq!(v["parse"], serde_json::json!([]));
        assert_eq!(v["users"], serde_json::json!([]));
        assert_eq!(v["roles"], serde_json::json!([]));
        assert_eq!(v["replied_user"], serde_json::json!(false));
    }
}
