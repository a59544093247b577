//! Monthly billing periods that start on an agency's anchor day, in UTC.
//!
//! The anchor day is a day of the month from 1 to 31. In a month that has no
//! such day, the period starts on the month's last day instead: with anchor
//! day 31 the periods start on 31 January, 28 (or 29) February, 31 March, and
//! so on.

use chrono::{Datelike, Months, NaiveDate};

/// The day a period starts in the month of `month_day`, for `anchor_day`.
fn anchor_in_month(month_day: NaiveDate, anchor_day: u32) -> NaiveDate {
    let first = month_day.with_day(1).unwrap_or(month_day);
    let last_day = (first + Months::new(1))
        .pred_opt()
        .map_or(28, |last| last.day());
    first
        .with_day(anchor_day.clamp(1, last_day))
        .unwrap_or(first)
}

/// Returns the first day of the period that contains `today`.
pub fn period_start(today: NaiveDate, anchor_day: u32) -> NaiveDate {
    let this_month = anchor_in_month(today, anchor_day);
    if today >= this_month {
        this_month
    } else {
        anchor_in_month(today - Months::new(1), anchor_day)
    }
}

/// Returns the first day of the period after the one that starts on `start`.
pub fn next_period_start(start: NaiveDate, anchor_day: u32) -> NaiveDate {
    anchor_in_month(start + Months::new(1), anchor_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn period_start_on_and_after_anchor() {
        assert_eq!(period_start(date(2026, 3, 15), 15), date(2026, 3, 15));
        assert_eq!(period_start(date(2026, 3, 20), 15), date(2026, 3, 15));
        assert_eq!(period_start(date(2026, 3, 14), 15), date(2026, 2, 15));
    }

    #[test]
    fn period_anchor_31_follows_month_ends() {
        // 31 January to February in a leap year and in another year.
        assert_eq!(next_period_start(date(2028, 1, 31), 31), date(2028, 2, 29));
        assert_eq!(next_period_start(date(2027, 1, 31), 31), date(2027, 2, 28));
        assert_eq!(next_period_start(date(2027, 2, 28), 31), date(2027, 3, 31));
        assert_eq!(period_start(date(2028, 2, 29), 31), date(2028, 2, 29));
        assert_eq!(period_start(date(2028, 2, 28), 31), date(2028, 1, 31));
        assert_eq!(period_start(date(2027, 3, 30), 31), date(2027, 2, 28));
    }

    #[test]
    fn period_anchor_30_in_april_and_february() {
        assert_eq!(period_start(date(2026, 4, 30), 30), date(2026, 4, 30));
        assert_eq!(period_start(date(2026, 4, 29), 30), date(2026, 3, 30));
        assert_eq!(next_period_start(date(2026, 1, 30), 30), date(2026, 2, 28));
        assert_eq!(next_period_start(date(2026, 3, 30), 30), date(2026, 4, 30));
    }

    #[test]
    fn period_crosses_year_end() {
        assert_eq!(next_period_start(date(2026, 12, 31), 31), date(2027, 1, 31));
        assert_eq!(period_start(date(2027, 1, 1), 31), date(2026, 12, 31));
        assert_eq!(period_start(date(2027, 1, 1), 1), date(2027, 1, 1));
        assert_eq!(period_start(date(2026, 12, 31), 1), date(2026, 12, 1));
    }
}
