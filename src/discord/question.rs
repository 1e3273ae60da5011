//! The question in a member's message: what they asked, without the mention markup that names
//! people and places. Pure text in, text out.

/// The question in a message: the text without mention markup (`<@id>`, `<@!id>`, `<@&id>`,
/// `<#id>`, `@everyone`, `@here`), which names people and places, not what is asked.
pub fn question_of(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let markup = ["<@!", "<@&", "<@", "<#"]
            .iter()
            .find(|p| tail.starts_with(**p))
            .and_then(|p| {
                let digits = tail[p.len()..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
                let end = p.len() + digits;
                (digits > 0 && tail[end..].starts_with('>')).then_some(end + 1)
            });
        match markup {
            Some(len) => {
                out.push(' ');
                rest = &tail[len..];
            }
            None => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    let cleaned = out.replace("@everyone", " ").replace("@here", " ");
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mention_markup_is_removed_from_the_question() {
        let cases = [
            ("<@99> what is EMDR?", "what is EMDR?"),
            ("hey <@!99>, what is MAT", "hey , what is MAT"),
            ("<@&5> <#6> @everyone @here why", "why"),
            ("<@99>", ""),
            ("a < b <@x> <@12", "a < b <@x> <@12"),
            ("I <3 this", "I <3 this"),
        ];
        for (input, expected) in cases {
            assert_eq!(question_of(input), expected, "{input:?}");
        }
    }
}
