//! Loyalty: a points ledger per customer, earning rules, a rewards
//! catalog, claims and their redemption at the till, refunds, expiry, and the
//! manager's tools (manual adjustment, bulk addition with a preview, statistics).
//!
//! # The points ledger
//!
//! A customer's balance is the sum of their **movements** (`loyalty_movements`,
//! append-only): `earn` (a confirmed sale), `redeem` (a claim), `reverse`
//! (a refund takes back points earned on the refunded lines), `return` (a
//! refund of a sale that used a claimed reward gives its points back),
//! `expire` and `adjust` (manual or bulk, always with a reason). Each movement
//! also stores `balance_after`, chained per customer by `seq` under
//! `UNIQUE(customer_id, seq)` and a trigger, so no code can write a negative
//! balance and two writers that read the same last movement cannot both
//! append. `tillbook verify` recomputes the chain from the points.
//!
//! # Money
//!
//! Every movement posts, in its own transaction, to **2300 Loyalty liability**
//! (one line per customer, naming them) against **6100 Loyalty expense**:
//! points credited are Dr 6100 / Cr 2300, points taken away (claimed, reversed,
//! expired, adjusted down) Dr 2300 / Cr 6100. The expense is the accrual of
//! the promise; when a claimed reward is used at the till its value shows up
//! as the sale's discount, so the accrual is released at the claim.
//! A point's value (`point_value_minor`) is configurable; changing it posts a
//! **revaluation** of all outstanding points, so the invariant is always
//! `balance(2300) = outstanding points × current point value`, in total and
//! per customer.
//!
//! # Earning
//!
//! On `sales.checkout` with a customer: each line not excluded earns
//! `floor(net × points_per_unit × multiplier_bp / (10^scale × 10000))`, where
//! `net` is the line's net amount after discounts and before tax, `scale` the
//! shop currency's minor digits, and `multiplier_bp` the line's product
//! category multiplier (10000 when none). Nothing is earned when the eligible
//! net of the order is below `min_spend_minor`.
//!
//! # Refunds (the debt policy)
//!
//! A refund takes back each refunded line's points in proportion to the
//! refunded units, cumulatively (`floor(points × after / qty) − floor(points ×
//! before / qty)`, so refunding all units takes back exactly what was earned).
//! **The balance never goes negative:** when the customer has already spent
//! the points, the refund takes what is left and the rest is written off by
//! the shop; what was due and what was taken are recorded per refund in
//! `loyalty_reversals`. Points of a claim redeemed on the refunded sale are
//! returned in proportion to the refunded units of the order, the same way.
//! A void ([`reverse_for_void`]) undoes whatever of the sale's points and
//! claims refunds have not already undone, under the same policy.
//!
//! # Expiry
//!
//! Credited points expire `expiry_days` after they were credited (the value at
//! the time of crediting is stored on the movement). Debits consume the
//! earliest-expiring points first, so what is due for a customer is
//! `max(0, Σ credits already expired − Σ debits)`. `loyalty.expire` runs at
//! most once per UTC day (`UNIQUE(day)`; later calls that day return the first
//! run) and only looks at customers with credits that expired since the last
//! run's cutoff, so it is cheap when nothing is due.
//!
//! # Claims
//!
//! `loyalty.claim` (with an idempotency key) checks, inside the `BEGIN
//! IMMEDIATE` transaction, the reward's window, archive state, stock and
//! per-customer limit and the customer's balance; the schema enforces the same
//! again (`UNIQUE(reward_id, customer_id, customer_seq)`, `UNIQUE(reward_id,
//! stock_seq)`, a limits trigger and the balance chain). Checkout
//! uses [`claim_for_checkout`] and [`mark_redeemed`].
//!
//! # Map
//!
//! `points` (the movement chain and its journal entries, used by all the
//! rest), `config`, `hooks` (checkout, refund, void), `rewards`, `claims`,
//! `manager` (balance, adjust, bulk add, stats), `expiry`, `verify` (drift).

use crate::ledger::codes;

/// The expense account earning is charged to (added by migration 0010).
pub const LOYALTY_EXPENSE: &str = "6100";
/// The most points one movement, adjustment or reward can carry.
pub const MAX_POINTS: i64 = 1_000_000_000;
/// The most points a manual or bulk adjustment can move at once.
pub const MAX_ADJUST_POINTS: i64 = 1_000_000;
pub const MAX_MULTIPLIERS: usize = 100;
pub const MAX_EXCLUDED: usize = 1000;
/// The most customers one bulk addition reaches (and ids one filter lists).
pub const MAX_BULK_CUSTOMERS: i64 = 10_000;
pub const MAX_FILTER_IDS: usize = 1000;
pub const MAX_REASON_CHARS: usize = 500;
use crate::shared::calendar::DAY_MS;
/// Times a request may name: 1970 to 2200.
const MAX_TIME_MS: i64 = 7_258_118_400_000;

fn liability() -> &'static str {
    codes::LOYALTY_LIABILITY
}

mod claims;
mod config;
mod expiry;
mod hooks;
mod manager;
mod points;
mod rewards;
mod verify;

pub use claims::{
    claim, claim_for_checkout, get_claim, mark_redeemed, ClaimGrant, ClaimRequest, ClaimView,
};
pub use config::{
    config, configure, load_config, CategoryMultiplier, ConfigRequest, ConfigView, ConfigureRequest,
};
pub use expiry::{expire, ExpireRequest, ExpiryRunView};
pub use hooks::{earn_for_order, reverse_for_refund, reverse_for_void};
pub use manager::{
    adjust, balance_cmd, bulk_add, bulk_preview, stats, AdjustRequest, BalanceRequest, BalanceView,
    BulkAddRequest, BulkAddView, BulkPreview, BulkPreviewRequest, CustomerFilter, CustomerPoints,
    MovementView, StatsRequest, StatsView,
};
pub use points::balance;
pub use rewards::{
    archive_reward, create_reward, get_reward, rewards, CreateRewardRequest, Grant, RewardList,
    RewardView, RewardsRequest,
};
pub use verify::drift;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::error::Error;
    use crate::loyalty::config::{CategoryMultiplier, ConfigureRequest};
    use crate::loyalty::points::mul_div;
    use crate::shared::handler::Request;

    #[test]
    fn mul_div_rounds_down_and_partial_refunds_add_up() {
        assert_eq!(mul_div(10, 1, 3), 3);
        // Refunding 7 units of 7 in parts 2 + 2 + 3 takes back all 10 points.
        let parts = [(0, 2), (2, 4), (4, 7)];
        let total: i64 = parts
            .iter()
            .map(|(b, a)| mul_div(10, *a, 7) - mul_div(10, *b, 7))
            .sum();
        assert_eq!(total, 10);
    }

    #[test]
    fn configure_request_refuses_duplicate_categories_and_bad_ranges() {
        let mut req = ConfigureRequest {
            version: 1,
            points_per_unit: 1,
            point_value_minor: 1,
            min_spend_minor: 0,
            expiry_days: None,
            category_multipliers: vec![
                CategoryMultiplier {
                    category: "Tea".into(),
                    multiplier_bp: 20_000,
                },
                CategoryMultiplier {
                    category: "tea".into(),
                    multiplier_bp: 10_000,
                },
            ],
            excluded_product_ids: vec![],
        };
        let e = req.validate().unwrap_err();
        assert!(
            matches!(e, Error::Validation { ref field, .. } if field == "category_multipliers[1].category")
        );
        req.category_multipliers.pop();
        req.point_value_minor = 0;
        assert!(req.validate().is_err());
        req.point_value_minor = 5;
        req.expiry_days = Some(0);
        assert!(req.validate().is_err());
        req.expiry_days = Some(365);
        req.validate().unwrap();
    }
}
