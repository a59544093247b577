use super::FieldError;

const MAX_NAME_CHARS: usize = 100;

/// Trims `input` and checks the rules every display name shares: 1 to 100
/// characters (Unicode scalar values, not bytes) and no control characters.
fn parse_display_name(field: &'static str, label: &str, input: &str) -> Result<String, FieldError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, format!("{label} is required.")));
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
    fn name_with_control_character_is_rejected() {
        assert!(SubAccountName::parse("Client\nA").is_err());
    }

    #[test]
    fn name_with_markup_is_kept_as_text() {
        let name = SubAccountName::parse("<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }
}
