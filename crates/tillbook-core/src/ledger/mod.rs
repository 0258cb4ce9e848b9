//! The double-entry ledger: a fixed chart of accounts, append-only journal
//! entries, and balances that are always sums over journal lines — never a
//! separately updated total that could drift.
//!
//! Every business event posts through [`post`], inside the event's own
//! transaction. `post` refuses an entry whose debits don't equal its credits
//! (that is a bug, reported as `internal`), and the schema refuses it again:
//! lines are written before their header, and the header's insert trigger checks
//! the sums (migrations/0003_ledger_parties.sql). A mistake is corrected by a
//! reversing entry ([`reverse`]), never by changing or deleting one (T31).

mod balances;
mod journal;
mod verify;
mod views;

pub use balances::{
    account_balance, account_id, customer_balance, customer_store_credit, party_credit_balance,
    vendor_balance,
};
pub use journal::{check_balanced, post, reverse, JournalEntry, Line, Party, ENTRY_COUNTER};
pub use verify::drift;
pub use views::{
    accounts, entries, entry, AccountView, AccountsRequest, EntriesRequest, EntryView, LineView,
};

/// Stable account codes (seeded by migration 0003).
pub mod codes {
    pub const CASH: &str = "1000";
    pub const CARD_CLEARING: &str = "1010";
    pub const BANK: &str = "1020";
    /// The back office's safe: where floats come from and drawer cash goes (migration 0008).
    pub const CASH_SAFE: &str = "1030";
    pub const ACCOUNTS_RECEIVABLE: &str = "1100";
    pub const INVENTORY: &str = "1200";
    pub const ACCOUNTS_PAYABLE: &str = "2000";
    pub const TAX_PAYABLE: &str = "2100";
    pub const STORE_CREDIT: &str = "2200";
    pub const LOYALTY_LIABILITY: &str = "2300";
    pub const SALES_REVENUE: &str = "4000";
    pub const DISCOUNTS: &str = "4100";
    pub const COST_OF_GOODS_SOLD: &str = "5000";
    /// Drawer differences found at a shift's close (migration 0008).
    pub const CASH_OVER_SHORT: &str = "5900";
}
