//! Daily usage charts, drawn on the server as SVG bars with a table of the
//! same numbers for screen readers.

use chrono::NaiveDate;

use crate::db::usage::DailyTotal;
use crate::format::thousands;

/// Drawing area of the chart, in SVG user units.
const WIDTH: i64 = 720;
const HEIGHT: i64 = 180;
/// Room for the axis labels left of and below the bars, and above the top
/// grid line for half of its label, which is centred on the line.
const LEFT: i64 = 48;
const BOTTOM: i64 = 22;
const TOP: i64 = 8;

/// One day's bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub day: String,
    pub tasks: String,
    /// Whether the day's label is drawn under the axis (every few days, so they do not overlap).
    pub labelled: bool,
    pub label: String,
    pub label_x: i64,
}

/// A horizontal grid line with its value.
#[derive(Debug, Clone)]
pub struct Tick {
    pub y: i64,
    pub label: String,
}

/// A chart of one period's daily usage.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub width: i64,
    pub height: i64,
    pub plot_left: i64,
    pub plot_bottom: i64,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub total: String,
    pub empty: bool,
}

/// Rounds `value` up to 1, 2 or 5 times a power of ten, for the axis maximum.
fn nice_ceiling(value: i64) -> i64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= value {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// Draws one bar per day from `start` up to (not including) `end`; days
/// without usage are drawn as empty.
pub fn daily(title: String, start: NaiveDate, end: NaiveDate, totals: &[DailyTotal]) -> Chart {
    let days: Vec<NaiveDate> = start.iter_days().take_while(|day| *day < end).collect();
    let tasks_on = |day: NaiveDate| {
        totals
            .iter()
            .find(|total| total.day == day)
            .map_or(0, |total| total.tasks)
    };
    let maximum = nice_ceiling(
        days.iter()
            .map(|day| tasks_on(*day))
            .max()
            .unwrap_or(0)
            .max(1),
    );
    let plot_width = WIDTH - LEFT;
    let plot_height = HEIGHT - BOTTOM - TOP;
    let plot_bottom = TOP + plot_height;
    let slot = plot_width / i64::try_from(days.len().max(1)).unwrap_or(1);
    let label_every = (days.len() / 8).max(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            let tasks = tasks_on(*day);
            let height = tasks * plot_height / maximum;
            let x = LEFT + i64::try_from(index).unwrap_or(0) * slot;
            Bar {
                x: x + 1,
                y: plot_bottom - height,
                width: (slot - 2).max(1),
                height,
                day: crate::format::iso_date(*day),
                tasks: thousands(tasks),
                labelled: index % label_every == 0,
                label: crate::format::short_date(*day),
                label_x: x + slot / 2,
            }
        })
        .collect();
    let ticks = [0, maximum / 2, maximum]
        .into_iter()
        .map(|value| Tick {
            y: plot_bottom - value * plot_height / maximum,
            label: thousands(value),
        })
        .collect();
    let sum: i64 = totals.iter().map(|total| total.tasks).sum();
    Chart {
        title,
        width: WIDTH,
        height: HEIGHT,
        plot_left: LEFT,
        plot_bottom,
        bars,
        ticks,
        total: thousands(sum),
        empty: sum == 0,
    }
}

/// One choice of the period selector.
#[derive(Debug, Clone)]
pub struct PeriodOption {
    /// The period's first day, as sent in `?period=`.
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceiling_rounds_up() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(120), 200);
        assert_eq!(nice_ceiling(1_000), 1_000);
    }

    #[test]
    fn daily_draws_every_day_of_the_period() {
        let start = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let totals = [DailyTotal {
            day: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
            tasks: 50,
        }];
        let chart = daily("Usage".to_owned(), start, end, &totals);
        assert_eq!(chart.bars.len(), 28);
        assert_eq!(chart.bars[2].tasks, "50");
        assert_eq!(
            chart.bars[2].height,
            HEIGHT - BOTTOM - TOP,
            "a day at the axis maximum fills the plot"
        );
        assert_eq!(chart.bars[2].y, TOP, "and reaches the top grid line");
        assert_eq!(chart.ticks[2].y, TOP);
        assert_eq!(chart.bars[0].height, 0);
        assert_eq!(chart.total, "50");
        assert!(!chart.empty);
    }
}
