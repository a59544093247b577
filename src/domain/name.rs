use super::FieldError;

const MAX_NAME_CHARS: usize = 100;

/// Characters that change the direction of the text around them. In a name
/// shown inside a sentence they could reverse the rest of the line.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: white space, zero-width spaces and
/// joiners, the soft hyphen, variation selectors, the Hangul fillers and the
/// blank Braille pattern. A name of only these looks empty.
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Returns whether `c` is invisible and needed by no script inside a name: the
/// characters of [`is_invisible`] except white space, direction marks (rejected
/// with their own message), and the joiners and variation selectors that emoji
/// sequences and some scripts use.
fn is_hidden_inside(c: char) -> bool {
    is_invisible(c)
        && !c.is_whitespace()
        && !is_bidi_control(c)
        && !matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Finds a zero-width joiner or non-joiner that joins nothing: at either end,
/// or next to an ASCII character, where it only makes two names look alike.
fn stray_joiner(text: &str) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().find_map(|(index, &c)| {
        if c != '\u{200C}' && c != '\u{200D}' {
            return None;
        }
        let before = index.checked_sub(1).and_then(|before| chars.get(before));
        let after = chars.get(index + 1);
        let joins = |neighbour: Option<&char>| neighbour.is_some_and(|n| !n.is_ascii());
        (!joins(before) || !joins(after)).then_some(c)
    })
}

/// Combining marks, which draw only on top of the character before them.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Returns the message for text that contains U+FFFD, which is what a form
/// decoder puts in place of bytes that are not valid UTF-8.
pub(crate) fn unreadable_message(label: &str) -> String {
    format!(
        "{label} contains bytes that are not valid UTF-8 (shown as \u{FFFD}). Type it again, or send the form as UTF-8."
    )
}

/// Trims `input` and checks the rules every display name shares: 1 to 100
/// characters (Unicode scalar values, not bytes) and no control characters.
fn parse_display_name(field: &'static str, label: &str, input: &str) -> Result<String, FieldError> {
    let trimmed = input.trim_matches(is_invisible);
    if trimmed
        .chars()
        .all(|c| is_invisible(c) || is_combining_mark(c))
    {
        return Err(FieldError::new(field, format!("{label} is required.")));
    }
    if let Some(found) = trimmed.chars().find(|&c| is_bidi_control(c)) {
        return Err(FieldError::new(
            field,
            format!(
                "{label} must not contain the invisible text-direction character U+{:04X}.",
                u32::from(found)
            ),
        ));
    }
    if trimmed.contains('\u{FFFD}') {
        return Err(FieldError::new(field, unreadable_message(label)));
    }
    let hidden = trimmed
        .chars()
        .find(|&c| is_hidden_inside(c))
        .or_else(|| stray_joiner(trimmed));
    if let Some(found) = hidden {
        return Err(FieldError::new(
            field,
            format!(
                "{label} must not contain the invisible character U+{:04X}; it often comes with copied text, so type the name again.",
                u32::from(found)
            ),
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(FieldError::new(
            field,
            format!("{label} must be at most {MAX_NAME_CHARS} characters; this one has {chars}."),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("{label} must not contain line breaks or other control characters."),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Name of a sub-account: 1 to 100 characters after trimming, in any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccountName(String);

impl SubAccountName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_display_name("name", "Name", input).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Name of an agency, with the same rules as a sub-account name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyName(String);

impl AgencyName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_display_name("agency_name", "Agency name", input).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Name of an automation or an API key, with the same rules as a sub-account name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortName(String);

impl ShortName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_display_name("name", "Name", input).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed() {
        assert_eq!(
            SubAccountName::parse("  Client A \t").unwrap().as_str(),
            "Client A"
        );
    }

    #[test]
    fn name_blank_is_rejected() {
        let error = SubAccountName::parse("   ").unwrap_err();
        assert_eq!(error.field, "name");
        assert_eq!(error.message, "Name is required.");
    }

    #[test]
    fn name_limit_counts_characters_not_bytes() {
        let hundred_emoji = "😀".repeat(100);
        assert_eq!(
            SubAccountName::parse(&hundred_emoji).unwrap().as_str(),
            hundred_emoji
        );
        let hundred_and_one = "日".repeat(101);
        assert!(SubAccountName::parse(&hundred_and_one).is_err());
    }

    #[test]
    fn name_of_invisible_characters_is_rejected() {
        assert_eq!(
            SubAccountName::parse("\u{200B}\u{200B}")
                .unwrap_err()
                .message,
            "Name is required."
        );
        assert_eq!(
            SubAccountName::parse("\u{FEFF} Acme \u{200B}")
                .unwrap()
                .as_str(),
            "Acme"
        );
    }

    #[test]
    fn name_of_blank_looking_characters_is_rejected() {
        for blank in [
            "\u{3164}",
            "\u{FFA0}",
            "\u{2800}",
            "\u{0301}\u{0301}",
            " \u{3164}\u{0301} ",
        ] {
            let error = SubAccountName::parse(blank).unwrap_err();
            assert_eq!(error.message, "Name is required.", "{blank:?}");
        }
        assert_eq!(
            SubAccountName::parse("e\u{0301}").unwrap().as_str(),
            "e\u{0301}",
            "a mark on a letter is fine"
        );
    }

    #[test]
    fn name_with_invisible_character_inside_is_rejected() {
        for (name, code) in [
            ("A\u{200B}B", "U+200B"),
            ("A\u{FEFF}B", "U+FEFF"),
            ("A\u{00AD}B", "U+00AD"),
            ("A\u{3164}B", "U+3164"),
            ("A\u{200D}B", "U+200D"),
            ("A\u{200C}B", "U+200C"),
            ("😀\u{200D}A", "U+200D"),
        ] {
            let error = SubAccountName::parse(name).unwrap_err();
            assert!(error.message.contains(code), "{name:?}: {}", error.message);
        }
    }

    #[test]
    fn name_keeps_joiners_that_join() {
        for name in ["👩\u{200D}💻 Team", "می\u{200C}خواهم", "क्\u{200D}ष"] {
            assert_eq!(SubAccountName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn name_with_replacement_character_is_rejected() {
        let error = SubAccountName::parse("\u{FFFD}\u{FFFD}").unwrap_err();
        assert!(
            error.message.contains("not valid UTF-8"),
            "{}",
            error.message
        );
    }

    #[test]
    fn name_with_direction_override_is_rejected() {
        let error = SubAccountName::parse("Acme \u{202E}evil").unwrap_err();
        assert_eq!(
            error.message,
            "Name must not contain the invisible text-direction character U+202E."
        );
        let error = SubAccountName::parse("ab\u{200E}cd").unwrap_err();
        assert!(error.message.ends_with("U+200E."), "{}", error.message);
        assert!(
            SubAccountName::parse("فريق Acme").is_ok(),
            "right-to-left scripts are fine"
        );
    }

    #[test]
    fn name_with_control_character_is_rejected() {
        assert!(SubAccountName::parse("Client\nA").is_err());
    }

    #[test]
    fn name_with_markup_is_kept_as_text() {
        let name = SubAccountName::parse("<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }
}
