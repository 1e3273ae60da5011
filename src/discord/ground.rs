//! `/ground`: a grounding or breathing exercise, one step per message with a "Next" button
//! (the button's clicks are answered in `events`, from the step it names).

use poise::serenity_prelude as serenity;

use crate::reply::Kind;

use super::send;
use super::state::{Ctx, Error};

async fn complete_exercise(ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().engine();
    let p = partial.trim().to_lowercase();
    let choices = engine
        .grounding
        .exercises
        .iter()
        .filter(|e| e.id.contains(&p) || e.name.to_lowercase().contains(&p))
        .map(|e| {
            let label = format!("{} ({})", e.name, e.helps);
            serenity::AutocompleteChoice::new(
                label.chars().take(100).collect::<String>(),
                e.id.clone(),
            )
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// A grounding or breathing exercise, one step at a time (only you see it).
#[poise::command(slash_command)]
pub async fn ground(
    ctx: Ctx<'_>,
    #[description = "Which exercise (5-4-3-2-1 senses, box breathing, a calm place)"]
    #[autocomplete = "complete_exercise"]
    #[max_length = 100]
    exercise: Option<String>,
    #[description = "Show it in the channel instead of only to you"] public: Option<bool>,
) -> Result<(), Error> {
    let data = ctx.data();
    let (engine, region) = data
        .engine_and_region(ctx.guild_id().map(|g| g.get()))
        .await;
    let private = !public.unwrap_or(false);
    let Some(index) = engine.grounding.find(exercise.as_deref()) else {
        let names: Vec<String> = engine
            .grounding
            .exercises
            .iter()
            .map(|e| format!("`{}` ({})", e.id, e.helps))
            .collect();
        let text = format!(
            "I don't know that exercise. There are: {}.",
            names.join(", ")
        );
        return send::respond(ctx, &engine.notice(Kind::Notice, text, &region), true, None).await;
    };
    let Some((reply, more)) = engine.ground(index, 0, &region) else {
        return Ok(());
    };
    let buttons = more.then(|| send::Buttons::next(index, 1));
    send::respond(ctx, &reply, private, buttons).await
}
