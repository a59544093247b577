use super::FieldError;
use super::name::{is_bidi_control, is_invisible, unreadable_message};

const MAX_EMAIL_BYTES: usize = 254;
const MAX_LOCAL_PART_BYTES: usize = 64;

/// An email address used as a login: trimmed, checked for the usual shape
/// (`local@domain.tld`), and compared ignoring letter case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses the value of the form field `field`.
    pub fn parse_field(field: &'static str, input: &str) -> Result<Self, FieldError> {
        // TODO: normalize to NFC, so the two Unicode forms of "é" are one address.
        let email = input.trim();
        let invalid = |reason: &str| {
            Err(FieldError::new(
                field,
                format!("Enter a valid email address such as name@example.com; {reason}."),
            ))
        };
        if email.is_empty() {
            return Err(FieldError::new(field, "Email is required."));
        }
        if email.len() > MAX_EMAIL_BYTES {
            return invalid("this one is longer than 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("it must not contain spaces");
        }
        // Invisible characters would let two logins look the same, and
        // text-direction ones would show the address reversed.
        if let Some(found) = email
            .chars()
            .find(|&c| is_invisible(c) || is_bidi_control(c))
        {
            return invalid(&format!(
                "it must not contain the invisible character U+{:04X}",
                u32::from(found)
            ));
        }
        if email.contains('\u{FFFD}') {
            return Err(FieldError::new(field, unreadable_message("Email")));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return invalid("the @ is missing");
        };
        if local.contains('@') {
            return invalid("it must contain only one @");
        }
        if local.is_empty() || local.len() > MAX_LOCAL_PART_BYTES {
            return invalid("the part before the @ is missing or too long");
        }
        if local.chars().any(|c| "<>()[]\\,;:\"".contains(c)) {
            return invalid("the part before the @ contains a character that is not allowed");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let valid_label = |label: &&str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(valid_label) {
            return invalid("the domain after the @ is not valid");
        }
        Ok(Self(email.to_owned()))
    }

    /// Parses the form field `email`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Self::parse_field("email", input)
    }

    /// The address as the user typed it, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address in lower case: the key under which it is unique.
    pub fn key(&self) -> String {
        key_of(&self.0)
    }
}

/// Returns the lower-case form of an address, used for case-insensitive lookups.
pub fn key_of(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_valid_forms() {
        for email in [
            "a@example.com",
            "first.last+tag@sub.example.co.uk",
            "ünï@exämple.de",
        ] {
            assert!(Email::parse(email).is_ok(), "{email} should be valid");
        }
    }

    #[test]
    fn email_invalid_forms() {
        for email in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@exa mple.com",
            "a@-x.com",
            "a@x..com",
            "a<b>@x.com",
            "c\u{200B}@example.com",
            "ab\u{202E}dc@example.com",
            "c\u{00AD}@example.com",
            "\u{FFFD}@example.com",
        ] {
            let error = Email::parse(email).unwrap_err();
            assert_eq!(error.field, "email", "{email}");
        }
    }

    #[test]
    fn email_messages_name_the_problem() {
        let message = |email| Email::parse(email).unwrap_err().message;
        assert!(message("a@b@example.com").ends_with("it must contain only one @."));
        assert!(message("c\u{200B}@example.com").ends_with("the invisible character U+200B."));
    }

    #[test]
    fn email_key_ignores_case() {
        let email = Email::parse("  Owner@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Owner@Example.COM");
        assert_eq!(email.key(), "owner@example.com");
    }
}
