//! Number and time formatting for pages and messages.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

// The functions below write dates by hand: chrono's `format` parses its
// pattern on every call, which showed in the Agency page's profile.

/// Formats a date as ISO 8601: "2026-12-04".
pub fn iso_date(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// Formats a date as "Dec 4".
pub fn short_date(date: NaiveDate) -> String {
    format!("{} {}", MONTHS[date.month0() as usize], date.day())
}

/// Formats a date as "Dec 4, 2026".
pub fn long_date(date: NaiveDate) -> String {
    format!(
        "{} {}, {}",
        MONTHS[date.month0() as usize],
        date.day(),
        date.year()
    )
}

/// Formats a count with a comma between groups of three digits: 10000 → "10,000".
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Formats a count with the singular or plural noun: `count_of(1, "task",
/// "tasks")` is "1 task", `count_of(1500, "task", "tasks")` is "1,500 tasks".
pub fn count_of(value: i64, singular: &str, plural: &str) -> String {
    let noun = if value == 1 { singular } else { plural };
    format!("{} {noun}", thousands(value))
}

/// Formats a UTC time for the `datetime` attribute of `<time>`.
pub fn iso_utc(time: &NaiveDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        iso_date(time.date()),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// Formats a UTC time for people, naming the zone: "2026-12-04 20:51 UTC".
pub fn readable_utc(time: &NaiveDateTime) -> String {
    format!(
        "{} {:02}:{:02} UTC",
        iso_date(time.date()),
        time.hour(),
        time.minute()
    )
}

/// Quotes a text field for CSV (RFC 4180). A field that a spreadsheet would
/// read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading apostrophe, so opening the file runs nothing.
pub fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_field_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("Client A"), "\"Client A\"");
        assert_eq!(csv_field("Say \"hi\", ok"), "\"Say \"\"hi\"\", ok\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-5"), "\"'-5\"");
    }

    #[test]
    fn count_of_picks_singular_or_plural() {
        assert_eq!(count_of(1, "task", "tasks"), "1 task");
        assert_eq!(count_of(0, "task", "tasks"), "0 tasks");
        assert_eq!(count_of(2_500, "task", "tasks"), "2,500 tasks");
    }

    #[test]
    fn dates_are_formatted_by_hand() {
        let time = NaiveDate::from_ymd_opt(2026, 3, 7)
            .unwrap()
            .and_hms_opt(9, 5, 2)
            .unwrap();
        assert_eq!(
            iso_date(time.date()),
            time.date().format("%Y-%m-%d").to_string()
        );
        assert_eq!(iso_utc(&time), "2026-03-07T09:05:02Z");
        assert_eq!(readable_utc(&time), "2026-03-07 09:05 UTC");
        assert_eq!(short_date(time.date()), "Mar 7");
        assert_eq!(long_date(time.date()), "Mar 7, 2026");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_500), "-1,500");
    }
}
