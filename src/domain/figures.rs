/// The numbers at the top of the Agency page, for the current billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// The plan's task limit.
    pub total_tasks: i64,
    /// Tasks consumed by the main account, by every sub-account, and by
    /// sub-accounts deleted this period.
    pub consumed: i64,
    /// Total minus consumed.
    pub remaining: i64,
    /// Sum of the allocations of the sub-accounts that exist now.
    pub allocated: i64,
    /// Total minus allocated, minus what the main account and the deleted
    /// sub-accounts consumed: what an allocation can still grow into.
    pub unallocated: i64,
    pub sub_accounts: i64,
    pub active: i64,
    pub inactive: i64,
    pub sub_account_limit: i64,
}

/// The part of one sub-account that the figures depend on.
#[derive(Debug, Clone, Copy)]
pub struct SubAccountUsage {
    pub allocated: i64,
    pub consumed: i64,
    pub active: bool,
}

impl Figures {
    /// Computes the figures from the agency's counters and its sub-accounts.
    pub fn compute(
        total_tasks: i64,
        sub_account_limit: i64,
        main_consumed: i64,
        deleted_consumed: i64,
        sub_accounts: impl IntoIterator<Item = SubAccountUsage>,
    ) -> Self {
        let mut figures = Self {
            total_tasks,
            consumed: main_consumed + deleted_consumed,
            remaining: 0,
            allocated: 0,
            unallocated: 0,
            sub_accounts: 0,
            active: 0,
            inactive: 0,
            sub_account_limit,
        };
        for sub_account in sub_accounts {
            figures.allocated += sub_account.allocated;
            figures.consumed += sub_account.consumed;
            figures.sub_accounts += 1;
            if sub_account.active {
                figures.active += 1;
            } else {
                figures.inactive += 1;
            }
        }
        figures.remaining = total_tasks - figures.consumed;
        figures.unallocated = total_tasks - figures.allocated - main_consumed - deleted_consumed;
        figures
    }

    pub fn limit_reached(&self) -> bool {
        self.sub_accounts >= self.sub_account_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_pool_rules() {
        let sub_accounts = [
            SubAccountUsage {
                allocated: 3_000,
                consumed: 1_200,
                active: true,
            },
            SubAccountUsage {
                allocated: 2_000,
                consumed: 2_000,
                active: false,
            },
        ];
        let figures = Figures::compute(10_000, 5, 500, 300, sub_accounts);
        assert_eq!(figures.consumed, 500 + 300 + 1_200 + 2_000);
        assert_eq!(figures.remaining, 10_000 - 4_000);
        assert_eq!(figures.allocated, 5_000);
        assert_eq!(figures.unallocated, 10_000 - 5_000 - 500 - 300);
        assert_eq!(
            (figures.sub_accounts, figures.active, figures.inactive),
            (2, 1, 1)
        );
        assert!(!figures.limit_reached());
    }

    #[test]
    fn figures_limit_reached_at_limit() {
        let one = SubAccountUsage {
            allocated: 0,
            consumed: 0,
            active: true,
        };
        assert!(Figures::compute(10, 2, 0, 0, [one, one]).limit_reached());
    }
}
