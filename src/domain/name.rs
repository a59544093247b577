use super::FieldError;

const MAX_NAME_CHARS: usize = 100;

/// Characters that change the direction of the text around them. In a name
/// shown inside a sentence they could reverse the rest of the line.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no space: zero-width spaces and joiners, the soft
/// hyphen, variation selectors and the like. A name of only these looks empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Trims `input` and checks the rules every display name shares: 1 to 100
/// characters (Unicode scalar values, not bytes) and no control characters.
fn parse_display_name(field: &'static str, label: &str, input: &str) -> Result<String, FieldError> {
    let trimmed = input.trim_matches(is_invisible);
    if trimmed.is_empty() {
        return Err(FieldError::new(field, format!("{label} is required.")));
    }
    if trimmed.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            format!(
                "{label} must not contain invisible text-direction characters (U+202A to U+202E, U+2066 to U+2069)."
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
    fn name_with_direction_override_is_rejected() {
        let error = SubAccountName::parse("Acme \u{202E}evil").unwrap_err();
        assert!(
            error.message.contains("text-direction"),
            "{}",
            error.message
        );
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
