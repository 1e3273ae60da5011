//! The gate in front of poise: questions and clicks are worked on a few at a time, a crisis
//! first.
//!
//! serenity starts a task for every event, and poise's handling of one event is a large future
//! (tens of kilobytes, copied on each move). Under a burst of a thousand questions, a thousand of
//! them were alive at once, each parked in Lantern's own queue: the bot's memory grew by about
//! 40 KB per waiting question, and copying them cost a tenth of its time. The gate makes the
//! waiting happen before poise starts: a waiting event holds only itself.
//!
//! A question is screened here, once: a crisis never waits for a turn, and the verdict goes to
//! the handler (`/ask` or a mention) through a task-local, so the handler does not screen again.

use std::cell::RefCell;

use poise::serenity_prelude as serenity;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::state::{Data, Error};
use crate::safety::Screened;

/// Events worked on at once. Under a burst the rest wait their turn, parked and cheap: the few
/// in progress finish sooner, their HTTP connections go back to the pool before the next reply
/// needs one, and memory stays flat. Measured with `cargo bench --bench discord_load`.
static TURNS: Semaphore = Semaphore::const_new(32);

tokio::task_local! {
    /// The screen's verdict on the question of the event this task handles.
    static SCREENED: RefCell<Option<Screened>>;
}

/// poise's framework behind the gate.
pub struct Gated(pub poise::Framework<Data, Error>);

#[serenity::async_trait]
impl serenity::Framework for Gated {
    async fn init(&mut self, client: &serenity::Client) {
        self.0.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        // Interactions (clicks, autocomplete and other commands too) and possible questions wait
        // for a turn; other events pass straight on.
        let (question, waits) = match &event {
            serenity::FullEvent::InteractionCreate { interaction } => {
                (ask_question(interaction), true)
            }
            serenity::FullEvent::Message { new_message } if may_be_question(new_message) => {
                (Some(new_message.content.as_str()), true)
            }
            _ => (None, false),
        };
        let screened = match question {
            Some(text) => {
                let data = self.0.user_data().await;
                Some(data.engine().screen(&super::question::question_of(text)))
            }
            None => None,
        };
        // A crisis reply goes first: it never waits for a turn behind ordinary questions.
        let crisis = matches!(screened, Some(Screened::Crisis(_)));
        let _turn = if waits && !crisis { turn().await } else { None };
        match screened {
            Some(s) => {
                SCREENED
                    .scope(RefCell::new(Some(s)), self.0.dispatch(ctx, event))
                    .await
            }
            None => self.0.dispatch(ctx, event).await,
        }
    }
}

/// Waits for a turn to work on an event (held until its handling ends).
async fn turn() -> Option<SemaphorePermit<'static>> {
    TURNS.acquire().await.ok()
}

/// The question of an `/ask` interaction.
fn ask_question(interaction: &serenity::Interaction) -> Option<&str> {
    let serenity::Interaction::Command(command) = interaction else {
        return None;
    };
    if command.data.name != "ask" {
        return None;
    }
    command
        .data
        .options
        .iter()
        .find(|o| o.name == "question")
        .and_then(|o| o.value.as_str())
}

/// Whether a message may be a question to Lantern (the handler decides: a mention of the bot,
/// or any message in a DM). Messages from bots and with no mention outside DMs pass straight on.
fn may_be_question(message: &serenity::Message) -> bool {
    !message.author.bot && (message.guild_id.is_none() || !message.mentions.is_empty())
}

/// The verdict on `text`: the gate's, when this task handles a question the gate screened,
/// else the screen's own (tests that call handlers directly, events the gate let through).
pub fn screened(data: &Data, text: &str) -> Screened {
    SCREENED
        .try_with(|s| s.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or_else(|| data.engine().screen(text))
}
