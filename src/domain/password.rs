use super::FieldError;

/// Shortest accepted password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// Longest accepted password, in bytes: bcrypt reads only the first 72 bytes,
/// so a longer password is rejected rather than silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// A new password that meets the rules. Its `Debug` output hides the value.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Parses the value of the form field `field`. The password is not trimmed:
    /// spaces are part of it.
    pub fn parse_field(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let bytes = input.len();
        if bytes == 0 {
            return Err(FieldError::new(field, "Password is required."));
        }
        if bytes < MIN_PASSWORD_BYTES {
            return Err(FieldError::new(
                field,
                format!("Password must be at least {MIN_PASSWORD_BYTES} bytes long."),
            ));
        }
        if bytes > MAX_PASSWORD_BYTES {
            return Err(FieldError::new(
                field,
                format!(
                    "Password must be at most {MAX_PASSWORD_BYTES} bytes long; this one has {bytes} bytes (letters outside ASCII take 2 to 4 bytes each)."
                ),
            ));
        }
        if input.contains('\u{FFFD}') {
            return Err(FieldError::new(
                field,
                super::name::unreadable_message("Password"),
            ));
        }
        // A password field cannot produce U+0000, so it comes only from a crafted
        // request and is rejected like the unreadable bytes above.
        if input.contains('\0') {
            return Err(FieldError::new(
                field,
                "Password must not contain the character U+0000; type it again.",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// Parses the form field `password`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Self::parse_field("password", input)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_bounds_in_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"a".repeat(72)).is_ok());
        assert!(Password::parse(&"a".repeat(73)).is_err());
        // 36 two-byte letters are 72 bytes, 37 are 74.
        assert!(Password::parse(&"é".repeat(36)).is_ok());
        assert!(Password::parse(&"é".repeat(37)).is_err());
    }

    #[test]
    fn password_rejects_unreadable_and_nul() {
        let unreadable = Password::parse("\u{FFFD}\u{FFFD}memberpass1").unwrap_err();
        let nul = Password::parse("pass\0word12").unwrap_err();

        assert!(unreadable.message.contains("not valid UTF-8"));
        assert!(nul.message.contains("U+0000"));
    }

    #[test]
    fn password_debug_hides_value() {
        let password = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "Password(..)");
    }
}
