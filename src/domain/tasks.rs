use super::FieldError;

/// Largest task count the dashboard accepts anywhere: one billion. It keeps
/// every sum of counts far from the `i64` limit.
pub const MAX_TASKS: i64 = 1_000_000_000;

/// A whole number of tasks from 0 to [`MAX_TASKS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskCount(i64);

impl TaskCount {
    /// Parses the value of the form field `field`. Digits only, with optional
    /// surrounding spaces; signs, decimals and thousands separators are rejected.
    pub fn parse_field(field: &'static str, input: &str) -> Result<Self, FieldError> {
        Self::parse_labeled(field, "Tasks", input)
    }

    /// Parses the form field `field`, naming it `label` in messages.
    pub fn parse_labeled(
        field: &'static str,
        label: &str,
        input: &str,
    ) -> Result<Self, FieldError> {
        let digits = input.trim();
        if digits.is_empty() {
            return Err(FieldError::new(
                field,
                format!("{label} is required: enter a whole number such as 1000."),
            ));
        }
        if let Some(magnitude) = digits.strip_prefix('-')
            && magnitude.chars().all(|c| c.is_ascii_digit())
            && magnitude.chars().any(|c| c != '0')
        {
            return Err(FieldError::new(
                field,
                format!("{label} cannot be negative: enter 0 or more."),
            ));
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                format!(
                    "{label} must be a whole number such as 1000, without signs, decimals or separators; got \"{digits}\"."
                ),
            ));
        }
        match digits.parse::<i64>() {
            Ok(count) if count <= MAX_TASKS => Ok(Self(count)),
            _ => Err(FieldError::new(
                field,
                format!(
                    "{label} must be at most {}.",
                    crate::format::thousands(MAX_TASKS)
                ),
            )),
        }
    }

    /// Parses the form field `tasks`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Self::parse_field("tasks", input)
    }

    pub fn new(count: i64) -> Option<Self> {
        (0..=MAX_TASKS).contains(&count).then_some(Self(count))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_accepts_whole_numbers() {
        assert_eq!(TaskCount::parse(" 1500 ").unwrap().get(), 1500);
        assert_eq!(TaskCount::parse("0").unwrap().get(), 0);
        assert_eq!(TaskCount::parse("1000000000").unwrap().get(), MAX_TASKS);
    }

    #[test]
    fn tasks_rejects_other_input() {
        let cases = [
            ("", "required"),
            ("-5", "negative"),
            ("-0", "without signs"),
            ("1.5", "whole number"),
            ("1,000", "whole number"),
            ("+3", "whole number"),
            ("ten", "whole number"),
            ("1000000001", "at most"),
            ("99999999999999999999999", "at most"),
        ];
        for (input, expected) in cases {
            let error = TaskCount::parse(input).unwrap_err();
            assert_eq!(error.field, "tasks");
            assert!(
                error.message.contains(expected),
                "{input}: {}",
                error.message
            );
        }
    }
}
