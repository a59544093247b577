//! What the Agency page's templates show, computed from an [`Overview`].

use crate::db::activity::{Action, Entry};
use crate::db::sub_accounts::{Listing, Overview};
use crate::domain::{Figures, SubAccountId};
use crate::format::{count_of, iso_utc, readable_utc, thousands};

/// The whole Agency page, minus the forms.
#[derive(Debug, Clone)]
pub struct AgencyView {
    pub agency_name: String,
    pub figures: FiguresView,
    pub rows: Vec<RowView>,
    pub activity: Vec<ActivityView>,
}

impl AgencyView {
    pub fn new(overview: &Overview) -> Self {
        Self {
            agency_name: overview.agency.name.clone(),
            figures: FiguresView::new(&overview.figures()),
            rows: overview
                .sub_accounts
                .iter()
                .map(|listing| {
                    RowView::new(listing, overview.automation_count(listing.sub_account.id))
                })
                .collect(),
            activity: overview.activity.iter().map(ActivityView::new).collect(),
        }
    }

    pub fn row(&self, id: SubAccountId) -> Option<&RowView> {
        self.rows.iter().find(|row| row.id == id)
    }

    /// Shows `message` next to the row's task field, keeping what the user typed.
    pub fn reject_row(&mut self, id: SubAccountId, message: String, typed_tasks: &str) {
        if let Some(row) = self.rows.iter_mut().find(|row| row.id == id) {
            row.error = Some(message);
            row.tasks_value = typed_tasks.to_owned();
        }
    }
}

/// The figures at the top of the page, formatted.
#[derive(Debug, Clone)]
pub struct FiguresView {
    pub total_tasks: String,
    pub consumed: String,
    pub remaining: String,
    pub allocated: String,
    pub unallocated: String,
    pub count: i64,
    pub limit: i64,
    pub active: i64,
    pub inactive: i64,
    pub limit_reached: bool,
}

impl FiguresView {
    pub fn new(figures: &Figures) -> Self {
        Self {
            total_tasks: thousands(figures.total_tasks),
            consumed: thousands(figures.consumed),
            remaining: thousands(figures.remaining),
            allocated: thousands(figures.allocated),
            unallocated: thousands(figures.unallocated),
            count: figures.sub_accounts,
            limit: figures.sub_account_limit,
            active: figures.active,
            inactive: figures.inactive,
            limit_reached: figures.limit_reached(),
        }
    }
}

/// One row of the sub-account table.
#[derive(Debug, Clone)]
pub struct RowView {
    pub id: SubAccountId,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub allocated: String,
    pub consumed: String,
    pub remaining: String,
    /// `max` of the usage meter: the allocation, or 1 when nothing is
    /// allocated, because a meter needs a range.
    pub meter_max: i64,
    pub meter_value: i64,
    /// 75% and 90% of the allocation, where the meter changes colour.
    pub meter_low: i64,
    pub meter_high: i64,
    pub percent_used: i64,
    /// The value in the row's Tasks field: the allocation, or what the user
    /// typed when it was rejected.
    pub tasks_value: String,
    pub error: Option<String>,
    pub automations: i64,
    /// A warning when usage reached 75%, 90% or 100% of the allocation.
    pub alert: Option<&'static str>,
    /// The owner's page of the sub-account; none in the support view.
    pub link: Option<String>,
}

/// Returns the warning for a sub-account's usage, if it reached a threshold.
pub fn usage_alert(consumed: i64, allocated: i64) -> Option<&'static str> {
    match crate::db::usage::alert_level(consumed, allocated) {
        100 => Some("Allocation used up"),
        90 => Some("90% used"),
        75 => Some("75% used"),
        _ => None,
    }
}

impl RowView {
    pub fn new(listing: &Listing, automations: i64) -> Self {
        let sub_account = &listing.sub_account;
        let meter_max = sub_account.allocated.max(1);
        Self {
            id: sub_account.id,
            name: sub_account.name.clone(),
            email: listing.email.clone(),
            active: sub_account.active,
            allocated: thousands(sub_account.allocated),
            consumed: thousands(sub_account.consumed),
            remaining: thousands(sub_account.remaining()),
            meter_max,
            meter_value: sub_account.consumed,
            meter_low: meter_max * 3 / 4,
            meter_high: meter_max * 9 / 10,
            percent_used: sub_account.consumed * 100 / meter_max,
            tasks_value: sub_account.allocated.to_string(),
            error: None,
            automations,
            alert: usage_alert(sub_account.consumed, sub_account.allocated),
            link: Some(format!("/accounts/agency/sub-accounts/{}", sub_account.id)),
        }
    }
}

/// One line of Recent activity.
#[derive(Debug, Clone)]
pub struct ActivityView {
    pub iso_time: String,
    pub readable_time: String,
    pub actor: String,
    pub summary: String,
}

impl ActivityView {
    pub fn new(entry: &Entry) -> Self {
        Self {
            iso_time: iso_utc(&entry.created_at),
            readable_time: readable_utc(&entry.created_at),
            actor: entry.actor_email.clone(),
            summary: summarize(entry),
        }
    }
}

/// Formats a stored count for people, or returns it as stored if it is not a number.
fn count(value: Option<&String>) -> String {
    let value = value.map_or("", String::as_str);
    value
        .parse::<i64>()
        .map_or_else(|_| value.to_owned(), thousands)
}

/// Formats a stored task count with its noun: "1 task", "1,000 tasks".
fn tasks(value: Option<&String>) -> String {
    match value.and_then(|value| value.parse::<i64>().ok()) {
        Some(number) => count_of(number, "task", "tasks"),
        None => format!("{} tasks", count(value)),
    }
}

/// Describes an entry after its actor's name: "changed the tasks of “A” from 1,000 to 1,500".
fn summarize(entry: &Entry) -> String {
    let name = entry.sub_account_name.as_deref().unwrap_or("a sub-account");
    let before = entry.value_before.as_ref();
    let after = entry.value_after.as_ref();
    match Action::parse(&entry.action) {
        Some(Action::AgencyCreated) => format!("created the agency with {}", tasks(after)),
        Some(Action::SubAccountAdded) => format!("added “{name}” with {}", tasks(after)),
        Some(Action::TasksUpdated) => {
            format!(
                "changed the tasks of “{name}” from {} to {}",
                count(before),
                count(after)
            )
        }
        Some(Action::Deactivated) => format!("deactivated “{name}” (active → inactive)"),
        Some(Action::Activated) => format!("activated “{name}” (inactive → active)"),
        Some(Action::Deleted) => {
            let allocated = before
                .and_then(|value| value.parse::<i64>().ok())
                .unwrap_or(0);
            let consumed = after
                .and_then(|value| value.parse::<i64>().ok())
                .unwrap_or(0);
            format!(
                "deleted “{name}”: {} returned to the pool, {} counted",
                count_of(allocated - consumed, "unconsumed task", "unconsumed tasks"),
                count_of(consumed, "consumed task stays", "consumed tasks stay")
            )
        }
        Some(Action::UsageAlert) => {
            let (consumed, allocated) = before
                .and_then(|value| value.split_once('/'))
                .unwrap_or(("0", "0"));
            let amounts = format!(
                "{} of {} tasks",
                count(Some(&consumed.to_owned())),
                count(Some(&allocated.to_owned()))
            );
            match after.map(String::as_str) {
                Some("100") => format!("“{name}” used its whole allocation ({amounts})"),
                _ => format!(
                    "“{name}” reached {}% of its allocation ({amounts})",
                    count(after)
                ),
            }
        }
        Some(Action::MemberPasswordSet) => format!("set a new password for the member of “{name}”"),
        Some(Action::SupportViewedAgency) => {
            "viewed the agency as support staff (read-only)".to_owned()
        }
        Some(Action::SupportViewedSubAccount) => {
            format!("viewed “{name}” as support staff (read-only)")
        }
        None => entry.action.clone(),
    }
}

/// The add form's values and errors. The password is never sent back.
#[derive(Debug, Clone, Default)]
pub struct AddFormView {
    pub name: String,
    pub email: String,
    pub tasks: String,
    pub tasks_hint: String,
    pub errors: crate::domain::FieldErrors,
    /// Whether the plan's limit is reached, so the Add button is disabled.
    pub limit_reached: bool,
}

impl AddFormView {
    pub fn new(figures: &FiguresView) -> Self {
        let mut form = Self {
            tasks: "0".to_owned(),
            ..Self::default()
        };
        form.set_hint(figures);
        form.limit_reached = figures.limit_reached;
        if figures.limit_reached {
            form.errors.push(crate::domain::FieldError::new(
                "form",
                format!(
                    "The plan's limit of {} sub-accounts is reached. Delete a sub-account before adding another.",
                    figures.limit
                ),
            ));
        }
        form
    }

    pub fn set_hint(&mut self, figures: &FiguresView) {
        self.tasks_hint = format!(
            "How many of the {} unallocated tasks it may use. You can change this later.",
            figures.unallocated
        );
    }
}

/// The delete confirmation for one sub-account.
#[derive(Debug, Clone)]
pub struct DeleteView {
    pub id: SubAccountId,
    pub name: String,
    pub email: String,
    pub returned: String,
    pub consumed: String,
    /// True when htmx shows it as a modal dialog; false on the page without JavaScript.
    pub modal: bool,
}

impl DeleteView {
    pub fn new(listing: &Listing, modal: bool) -> Self {
        Self {
            id: listing.sub_account.id,
            name: listing.sub_account.name.clone(),
            email: listing.email.clone(),
            returned: count_of(
                listing.sub_account.remaining(),
                "unconsumed task returns",
                "unconsumed tasks return",
            ),
            consumed: count_of(
                listing.sub_account.consumed,
                "consumed task stays",
                "consumed tasks stay",
            ),
            modal,
        }
    }
}
