//! Domain values parsed from user input, and the rules of the task pool.
//!
//! Every value that comes from a form is parsed here into a type with a
//! private field, so a handler that holds a `SubAccountName` knows it is valid.
//! A failed parse returns a [`FieldError`] that names the form field.

pub mod email;
mod figures;
mod ids;
mod name;
mod password;
pub mod period;
mod role;
mod tasks;

pub use email::Email;
pub use figures::{Figures, SubAccountUsage};
pub use ids::{AgencyId, ApiKeyId, AutomationId, SubAccountId, UserId};
pub(crate) use name::is_invisible;
pub use name::{AgencyName, ShortName, SubAccountName};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, Password};
pub use role::Role;
pub use tasks::{MAX_TASKS, TaskCount};

/// A rejected form value: the field it came from and a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Form field name, as in the HTML `name` attribute.
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// The rejected fields of one form, in the order the form shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Returns the parsed value, or records its error and returns `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Returns the message for `field`, if it was rejected.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_first(self) -> Option<FieldError> {
        self.0.into_iter().next()
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}
