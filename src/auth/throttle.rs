//! Sign-in throttling: too many failed sign-ins for one account, or from one
//! client address, within a window block further attempts until the window
//! ends. The check runs before the database and bcrypt, so a flood of wrong
//! passwords cannot exhaust the CPU.
//!
//! The counters live in this process's memory. With several instances behind
//! a load balancer each keeps its own, so the limits apply per instance.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{NaiveDateTime, TimeDelta};

/// Failed sign-ins for one account within [`WINDOW`] before it is blocked.
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins from one client address within [`WINDOW`] before it is blocked.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// How long failures count, from the first one: 15 minutes.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Entries kept at most; beyond it new keys are not tracked until old windows expire.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: NaiveDateTime,
    failures: u32,
}

/// The subject of a throttle: an account (by its lower-case email) or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Account(String),
    Address(String),
}

impl Key {
    fn limit(&self) -> u32 {
        match self {
            Self::Account(_) => MAX_FAILURES_PER_ACCOUNT,
            Self::Address(_) => MAX_FAILURES_PER_ADDRESS,
        }
    }
}

/// Counts failed sign-ins per key.
#[derive(Debug, Default)]
pub struct Throttle {
    windows: Mutex<HashMap<Key, Window>>,
}

impl Throttle {
    /// Returns the seconds to wait when any of `keys` is blocked at `now`.
    pub fn retry_after(&self, keys: &[Key], now: NaiveDateTime) -> Option<i64> {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.iter()
            .filter_map(|key| {
                let window = windows.get(key)?;
                let ends = window.started + WINDOW;
                (window.failures >= key.limit() && ends > now)
                    .then(|| (ends - now).num_seconds().max(1))
            })
            .max()
    }

    /// Counts one failed sign-in for each of `keys`.
    pub fn record_failure(&self, keys: &[Key], now: NaiveDateTime) {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_ENTRIES {
            windows.retain(|_, window| window.started + WINDOW > now);
        }
        for key in keys {
            if windows.len() >= MAX_ENTRIES && !windows.contains_key(key) {
                tracing::warn!("sign-in throttle is full; a key is not tracked");
                continue;
            }
            let window = windows.entry(key.clone()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if window.started + WINDOW <= now {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
    }

    /// Forgets the failures of `key`, after a successful sign-in.
    pub fn reset(&self, key: &Key) {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn throttle_blocks_after_limit_until_window_ends() {
        let throttle = Throttle::default();
        let account = [Key::Account("a@example.com".to_owned())];
        for _ in 0..MAX_FAILURES_PER_ACCOUNT - 1 {
            throttle.record_failure(&account, time(0));
        }
        assert_eq!(throttle.retry_after(&account, time(1)), None);
        throttle.record_failure(&account, time(1));
        assert_eq!(throttle.retry_after(&account, time(1)), Some(14 * 60));
        assert_eq!(
            throttle.retry_after(&account, time(15)),
            None,
            "the window ended"
        );
    }

    #[test]
    fn throttle_reset_clears_account() {
        let throttle = Throttle::default();
        let account = [Key::Account("a@example.com".to_owned())];
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            throttle.record_failure(&account, time(0));
        }
        throttle.reset(&account[0]);
        assert_eq!(throttle.retry_after(&account, time(0)), None);
    }

    #[test]
    fn throttle_counts_addresses_separately() {
        let throttle = Throttle::default();
        let address = Key::Address("192.0.2.1".to_owned());
        for index in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.record_failure(
                &[
                    Key::Account(format!("{index}@example.com")),
                    address.clone(),
                ],
                time(0),
            );
        }
        assert!(
            throttle
                .retry_after(
                    &[Key::Account("new@example.com".to_owned()), address],
                    time(2)
                )
                .is_some()
        );
        assert_eq!(
            throttle.retry_after(&[Key::Account("new@example.com".to_owned())], time(2)),
            None
        );
    }
}
