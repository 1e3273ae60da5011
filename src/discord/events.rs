//! Events other than slash commands: a message that mentions the bot (or any message in a DM),
//! clicks on an answer's buttons, and the one error handler that logs and answers kindly.

use std::time::Instant;

use poise::serenity_prelude as serenity;

use crate::reply::Kind;
use crate::store::Store;

use crate::safety::Screened;

use super::commands::{self, Asked};
use super::deliver::Urgency;
use super::send::{self, Button};
use super::state::{Data, Error};

/// Dispatches the events Lantern handles.
pub async fn handle(
    fctx: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let http = &fctx.serenity_context.http;
    let data = fctx.user_data;
    match event {
        serenity::FullEvent::Message { new_message } => {
            on_message(http, data, fctx.bot_id, new_message).await
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(click),
        } => on_click(http, data, click).await,
        // Removed from the server (an outage sets `unavailable`): what was stored for it goes.
        serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            let guild = incomplete.id.get();
            data.store.erase_server(guild).await?;
            data.server_removed(guild);
            tracing::info!(guild, "removed from a server; its stored data was erased");
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn on_message(
    http: &serenity::Http,
    data: &Data,
    bot: serenity::UserId,
    message: &serenity::Message,
) -> Result<(), Error> {
    if message.author.bot {
        return Ok(());
    }
    let in_dm = message.guild_id.is_none();
    let mentioned = message.mentions.iter().any(|u| u.id == bot);
    if !(in_dm || mentioned) {
        // Not addressed to Lantern: only crisis watch reads it, where a server asked for that.
        if data.crisis_watch {
            let settings = data.settings(message.guild_id.map(|g| g.get())).await;
            if super::watch::reads(&settings, message, mentioned) {
                return super::watch::on_watched(http, data, message, &settings).await;
            }
        }
        return Ok(());
    }
    let asked = Asked {
        guild: message.guild_id.map(|g| g.get()),
        channel: message.channel_id.get(),
        user: message.author.id.get(),
        text: super::question::question_of(&message.content),
    };
    // Screened once, by the gate that gave this question its turn (a crisis needs none).
    let screened = super::gate::screened(data, &asked.text);
    let crisis = matches!(screened, Screened::Crisis(_));
    let settings = data.settings(asked.guild).await;
    let allowed_here =
        settings.mention_channels.is_empty() || settings.mention_channels.contains(&asked.channel);
    // Outside the channels the server chose, only a crisis is answered.
    if !allowed_here && !crisis {
        return Ok(());
    }
    let engine = data.engine();
    let shelf = data
        .shelf_for(&engine, &screened, asked.guild, &settings)
        .await;
    let handled = commands::handle_question(
        data,
        &asked,
        screened,
        &settings,
        (&engine, &shelf),
        Instant::now(),
    );
    if !handled.silent {
        let urgency = if crisis {
            Urgency::Crisis
        } else {
            Urgency::Normal
        };
        let messages = &handled.reply.messages;
        let buttons = commands::buttons_for(&engine, &settings, &asked, &handled);
        let sent =
            send::reply_to_message(http, &data.courier, message, messages, buttons, urgency).await;
        match sent {
            Ok(()) => {}
            // A crisis reply that cannot be a reply (the message was deleted, say) is posted
            // in the channel.
            Err(e) if crisis => {
                tracing::warn!("crisis reply to a message failed ({e}); posting it in the channel");
                let channel = message.channel_id;
                if let Err(e) =
                    send::post_rendered(http, &data.courier, channel, messages, Urgency::Crisis)
                        .await
                {
                    tracing::error!("crisis reply not delivered: {e}");
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(level) = handled.crisis
        && let Some(guild) = asked.guild
    {
        let link = format!(
            "https://discord.com/channels/{guild}/{}/{}",
            asked.channel, message.id
        );
        commands::alert(http, data, &settings, &asked, (level, true), link).await;
    }
    commands::record(data, &asked, &settings, &handled);
    Ok(())
}

async fn on_click(
    http: &serenity::Http,
    data: &Data,
    click: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let Some(button) = Button::parse(&click.data.custom_id) else {
        return Ok(());
    };
    let guild = click.guild_id.map(|g| g.get());
    let (engine, region) = data.engine_and_region(guild).await;
    let token = match button {
        Button::More(t) | Button::Feedback(t, _) => t,
        Button::Talk(g) => {
            // Pressed in the server, or in a crisis-watch direct message (which names it).
            // Opening a thread takes several requests: acknowledged first, answered after.
            send::defer_component(http, &data.courier, click).await?;
            let user = click.user.id.get();
            let reply = super::talk::open(http, data, guild.unwrap_or(g), user).await;
            send::follow_up_component(http, &data.courier, click, &reply).await?;
            return Ok(());
        }
        Button::Next(exercise, step) => {
            // A grounding exercise carries its place in the button: nothing to remember.
            let reply = engine.ground(exercise, step, &region).unwrap_or_else(|| {
                let gone = "That exercise has changed; `/ground` starts it again.";
                (engine.notice(Kind::Notice, gone, &region), false)
            });
            let buttons = reply.1.then(|| send::Buttons::next(exercise, step + 1));
            send::respond_to_component(http, &data.courier, click, &reply.0, buttons).await?;
            return Ok(());
        }
    };
    let Some(answer) = data.recall(token) else {
        let reply = engine.notice(
            Kind::Notice,
            "That answer has expired; please ask again.",
            &region,
        );
        send::respond_to_component(http, &data.courier, click, &reply, None).await?;
        return Ok(());
    };
    match button {
        Button::More(_) => {
            let settings = data.settings(guild).await;
            let shelf = data.shelf(&engine, guild, &settings).await;
            let reply = if shelf.version == answer.library {
                engine.more_in(&shelf, &answer.question, &answer.context, answer.shown)
            } else {
                engine.notice(
                    Kind::Notice,
                    "This server's library has changed since that answer; please ask again.",
                    &region,
                )
            };
            let more = reply.kind() == Kind::Answer;
            if more {
                data.advance(token, answer.shown + answer.context.results);
            }
            let buttons = more.then(|| send::Buttons::answer(token));
            send::respond_to_component(http, &data.courier, click, &reply, buttons).await?;
        }
        Button::Next(..) | Button::Talk(_) => {}
        Button::Feedback(_, helpful) => {
            if let Some(g) = guild
                && let Err(e) = data
                    .store
                    .record_feedback(
                        g,
                        click.user.id.get(),
                        click.message.id.get(),
                        helpful,
                        crate::store::unix_now(),
                    )
                    .await
            {
                tracing::error!(g, "recording feedback failed: {e}");
            }
            let text = if helpful {
                "Thanks, glad it helped."
            } else {
                "Thanks for saying so; the moderators see this and can add to the library."
            };
            send::respond_to_component(
                http,
                &data.courier,
                click,
                &engine.notice(Kind::Notice, text, &region),
                None,
            )
            .await?;
        }
    }
    Ok(())
}

/// The one error handler: logs what happened, and answers the member with a fixed, kind
/// sentence (and the disclaimer) where an answer is possible. Internals are never shown.
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    use poise::FrameworkError as E;
    match error {
        E::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, "command failed: {error}");
            kind_reply(
                ctx,
                "Sorry, something went wrong on my side. Please try again in a moment.",
            )
            .await;
        }
        E::CommandCheckFailed { ctx, error, .. } => {
            if let Some(e) = error {
                tracing::warn!("permission check failed: {e}");
            }
            kind_reply(
                ctx,
                "This command is for moderators (Manage Server, or the server's moderator role).",
            )
            .await;
        }
        E::MissingUserPermissions { ctx, .. } => {
            kind_reply(
                ctx,
                "This command is for moderators (Manage Server, or the server's moderator role).",
            )
            .await;
        }
        E::GuildOnly { ctx, .. } => {
            kind_reply(
                ctx,
                "This command works in a server, not in direct messages.",
            )
            .await;
        }
        // Never the input or the parse error: they hold what a member typed.
        E::ArgumentParse { ctx, .. } => {
            tracing::info!(command = %ctx.command().qualified_name, "a command argument could not be read");
            kind_reply(
                ctx,
                "I couldn't read that command's options; please check them and try again.",
            )
            .await;
        }
        E::CommandStructureMismatch {
            ctx, description, ..
        } => {
            tracing::warn!("command structure mismatch: {description}");
            kind_reply(
                poise::Context::Application(ctx),
                "That command looks out of date; please try again in a minute.",
            )
            .await;
        }
        E::UnknownInteraction {
            framework,
            interaction,
            ..
        } => {
            tracing::warn!(name_len = interaction.data.name.len(), "unknown command");
            let data = framework.user_data;
            let (engine, region) = data
                .engine_and_region(interaction.guild_id.map(|g| g.get()))
                .await;
            let reply = engine.notice(
                Kind::Notice,
                "I don't know that command. Try /help.",
                &region,
            );
            if let Err(e) = send::respond_to_command(
                &framework.serenity_context.http,
                &data.courier,
                interaction,
                &reply,
            )
            .await
            {
                tracing::warn!("could not answer an unknown command: {e}");
            }
        }
        E::CommandPanic { ctx, payload, .. } => {
            tracing::error!(?payload, "command panicked");
            kind_reply(
                ctx,
                "Sorry, something went wrong on my side. Please try again in a moment.",
            )
            .await;
        }
        // Other framework errors can carry a message's text in their description: only their
        // kind is logged.
        other => {
            tracing::warn!(
                kind = framework_error_kind(&other),
                "unhandled framework error"
            );
        }
    }
}

/// A framework error's kind, without anything a member wrote.
fn framework_error_kind(e: &poise::FrameworkError<'_, Data, Error>) -> &'static str {
    use poise::FrameworkError as E;
    match e {
        E::Setup { .. } => "setup",
        E::EventHandler { .. } => "event handler",
        E::UnknownCommand { .. } => "unknown prefix command",
        E::DynamicPrefix { .. } => "dynamic prefix",
        E::CooldownHit { .. } => "cooldown",
        E::MissingBotPermissions { .. } => "missing bot permissions",
        E::NotAnOwner { .. } => "not an owner",
        E::NsfwOnly { .. } => "nsfw only",
        E::DmOnly { .. } => "dm only",
        E::SubcommandRequired { .. } => "subcommand required",
        E::NonCommandMessage { .. } => "non-command message",
        _ => "other",
    }
}

async fn kind_reply(ctx: super::state::Ctx<'_>, text: &str) {
    let data = ctx.data();
    let (engine, region) = data
        .engine_and_region(ctx.guild_id().map(|g| g.get()))
        .await;
    let reply = engine.notice(Kind::Error, text, &region);
    if let Err(e) = send::respond(ctx, &reply, true, None).await {
        tracing::warn!("could not send the error reply: {e}");
    }
}
