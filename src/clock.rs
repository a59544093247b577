//! The current time, behind a trait so tests can set it.

use std::sync::Mutex;

use chrono::{NaiveDateTime, TimeDelta, Utc};

/// A source of the current UTC time. Timestamps are stored as naive UTC.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> NaiveDateTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc()
    }
}

/// A clock that stands still until a test sets or advances it.
#[derive(Debug)]
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn new(start: NaiveDateTime) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, time: NaiveDateTime) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = time;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut time = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *time += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
