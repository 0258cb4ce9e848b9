//! The command table: every operation Tillbook offers, with the access it needs
//! and whether it reads, writes or creates. Transports, the permission check,
//! idempotency, the docs test and the role × command tests are all driven from
//! this one list, so adding a command here is the whole of wiring it up.

use crate::access::Permission;
use crate::dispatch::{Dispatcher, Session};
use crate::error::Result;
use crate::{auth, catalog, inventory, pricing, shop, users};
use crate::{customers, ledger, sales, vendors};
use serde::Serialize;
use serde_json::Value;

/// Who may call a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// No session needed: only login and first-run setup.
    Public,
    /// Any signed-in user.
    Session,
    /// A signed-in user whose role holds this permission.
    Perm(Permission),
}

/// What a command does to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Runs on a read-only connection.
    Read,
    /// One write transaction.
    Write,
    /// One write transaction that creates a record: needs an `idempotency_key` (T09).
    Create,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct CommandSpec {
    pub name: &'static str,
    pub access: Access,
    pub effect: Effect,
    /// Allowed while the session is idle-locked (unlocking, logging out).
    pub while_locked: bool,
}

macro_rules! commands {
    ($( $name:literal => $access:expr, $effect:ident, $locked:literal, $handler:path; )*) => {
        pub const COMMANDS: &[CommandSpec] = &[
            $( CommandSpec { name: $name, access: $access, effect: Effect::$effect, while_locked: $locked }, )*
        ];

        pub(crate) fn route(
            d: &Dispatcher,
            session: &mut Option<Session>,
            spec: &CommandSpec,
            args: Value,
            now_ms: i64,
        ) -> Result<Value> {
            match spec.name {
                $( $name => commands!(@run $effect, d, session, spec, args, now_ms, $handler), )*
                other => Err(crate::error::Error::internal(format!("command {other} has no handler"))),
            }
        }
    };
    (@run Read, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_read($s, $spec, $a, $n, $h)
    };
    (@run Write, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_write($s, $spec, $a, $n, $h)
    };
    (@run Create, $d:ident, $s:ident, $spec:ident, $a:ident, $n:ident, $h:path) => {
        $d.run_write($s, $spec, $a, $n, $h)
    };
}

use Access::{Perm, Public, Session as Signed};
use Permission::*;

commands! {
    // name                   access               effect  while-locked handler
    "setup.status"         => Public,              Read,   false, shop::status;
    "setup.create_owner"   => Public,              Create, false, shop::create_owner;
    "auth.login"           => Public,              Write,  false, auth::login;
    "auth.whoami"          => Signed,              Read,   true,  auth::whoami;
    "auth.lock"            => Signed,              Write,  true,  auth::lock;
    "auth.unlock"          => Signed,              Write,  true,  auth::unlock;
    "auth.logout"          => Signed,              Write,  true,  auth::logout;
    "auth.change_password" => Signed,              Write,  false, auth::change_password;
    "auth.set_pin"         => Signed,              Write,  false, auth::set_pin;
    "shop.info"            => Signed,              Read,   false, shop::info;
    "users.list"           => Perm(UsersRead),     Read,   false, users::list;
    "users.roles"          => Perm(UsersRead),     Read,   false, users::roles;
    "users.create"         => Perm(UsersManage),   Create, false, users::create;
    "users.update"         => Perm(UsersManage),   Write,  false, users::update;
    "users.archive"        => Perm(UsersManage),   Write,  false, users::archive;
    "users.reset_password" => Perm(UsersManage),   Write,  false, users::reset_password;
    "settings.get"         => Signed,              Read,   false, shop::settings_get;
    "settings.update"      => Perm(SettingsManage), Write, false, shop::settings_update;
    "audit.list"           => Perm(AuditRead),     Read,   false, shop::audit_list;
    // -- catalog & inventory (issue 4) --
    "catalog.create_product"    => Perm(CatalogManage), Create, false, catalog::create_product;
    "catalog.update_product"    => Perm(CatalogManage), Write,  false, catalog::update_product;
    "catalog.archive_product"   => Perm(CatalogManage), Write,  false, catalog::archive_product;
    "catalog.get_product"       => Signed,              Read,   false, catalog::get_product;
    "catalog.search"            => Signed,              Read,   false, catalog::search_cmd;
    "catalog.create_price_rule" => Perm(CatalogManage), Create, false, pricing::create_rule;
    "catalog.archive_price_rule"=> Perm(CatalogManage), Write,  false, pricing::archive_rule;
    "catalog.price_rules"       => Signed,              Read,   false, pricing::list_rules;
    "catalog.quote"             => Signed,              Read,   false, pricing::quote;
    "stock.receive"             => Perm(StockAdjust),   Create, false, inventory::receive_cmd;
    "stock.adjust"              => Perm(StockAdjust),   Create, false, inventory::adjust_cmd;
    "stock.batches"             => Signed,              Read,   false, inventory::batches_cmd;
    "stock.movements"           => Signed,              Read,   false, inventory::movements_cmd;
    "stock.reserve"             => Perm(SalesSell),     Create, false, inventory::reserve_cmd;
    "stock.release"             => Perm(SalesSell),     Write,  false, inventory::release_cmd;
    "stock.expire_reservations" => Perm(SalesSell),     Write,  false, inventory::expire_cmd;
    "stock.count_open"          => Perm(StockCount),    Create, false, inventory::count_open;
    "stock.count_record"        => Perm(StockCount),    Write,  false, inventory::count_record;
    "stock.count_review"        => Perm(StockCount),    Read,   false, inventory::count_review;
    "stock.count_post"          => Perm(StockAdjust),   Write,  false, inventory::count_post;
    // -- ledger, customers & vendors (issue 4) --
    "customers.create"     => Perm(CustomersManage), Create, false, customers::create;
    "customers.update"     => Perm(CustomersManage), Write, false, customers::update;
    "customers.archive"    => Perm(CustomersManage), Write, false, customers::archive;
    "customers.get"        => Perm(CustomersManage), Read,  false, customers::get;
    "customers.search"     => Perm(CustomersManage), Read,  false, customers::search;
    "customers.set_credit" => Perm(CreditManage),  Write,  false, customers::set_credit;
    "vendors.create"       => Perm(VendorsManage), Create, false, vendors::create;
    "vendors.update"       => Perm(VendorsManage), Write,  false, vendors::update;
    "vendors.archive"      => Perm(VendorsManage), Write,  false, vendors::archive;
    "vendors.get"          => Perm(VendorsManage), Read,   false, vendors::get;
    "vendors.search"       => Perm(VendorsManage), Read,   false, vendors::search;
    "vendors.payments"     => Perm(VendorsManage), Read,   false, vendors::payments;
    "vendors.pay"          => Perm(VendorsPay),    Create, false, vendors::pay;
    "vendors.reverse_payment" => Perm(VendorsPay), Create, false, vendors::reverse_payment;
    "purchasing.receive"   => Perm(VendorsManage), Create, false, vendors::receive;
    "ledger.accounts"      => Perm(LedgerRead),    Read,   false, ledger::accounts;
    "ledger.entries"       => Perm(LedgerRead),    Read,   false, ledger::entries;
    // -- sales (issue 5) --
    "sales.quote"          => Perm(SalesSell),     Read,   false, sales::quote;
    "sales.checkout"       => Perm(SalesSell),     Create, false, sales::checkout;
    "sales.get"            => Perm(SalesSell),     Read,   false, sales::get;
    "sales.list"           => Perm(SalesSell),     Read,   false, sales::list;
    // -- refunds (issue 5) --
    "sales.refund"         => Perm(SalesRefund),   Create, false, crate::refunds::refund;
    "sales.refunds"        => Perm(SalesSell),     Read,   false, crate::refunds::list;
    // -- held carts (issue 5) --
    "sales.hold"           => Perm(SalesSell),     Create, false, crate::carts::hold;
    "sales.held"           => Perm(SalesSell),     Read,   false, crate::carts::held;
    "sales.recall"         => Perm(SalesSell),     Read,   false, crate::carts::recall;
    "sales.cancel_hold"    => Perm(SalesSell),     Write,  false, crate::carts::cancel_hold;
    // -- shifts, voids & Z-report (issue 5) --
    "shifts.open"          => Perm(SalesSell),     Create, false, crate::shifts::open;
    "shifts.current"       => Perm(SalesSell),     Read,   false, crate::shifts::current;
    "shifts.cash_move"     => Perm(SalesSell),     Create, false, crate::shifts::cash_move;
    "shifts.close"         => Perm(SalesSell),     Write,  false, crate::shifts::close;
    "shifts.z_report"      => Perm(SalesSell),     Read,   false, crate::shifts::z_report;
    "shifts.list"          => Perm(LedgerRead),    Read,   false, crate::shifts::list;
    "sales.void"           => Perm(SalesVoid),     Create, false, crate::shifts::void;
    // -- invoices & customer payments (issue 5) --
    "invoices.create"      => Perm(InvoicesManage), Create, false, crate::invoices::create;
    "invoices.get"         => Perm(InvoicesManage), Read,   false, crate::invoices::get;
    "invoices.list"        => Perm(InvoicesManage), Read,   false, crate::invoices::list;
    "invoices.invoiceable" => Perm(InvoicesManage), Read,   false, crate::invoices::invoiceable;
    "invoices.allocate"    => Perm(InvoicesManage), Create, false, crate::invoices::allocate;
    "invoices.aging"       => Perm(InvoicesManage), Read,   false, crate::invoices::aging;
    "customers.receive_payment" => Perm(InvoicesManage), Create, false, crate::invoices::receive_payment;
    "customers.payments"   => Perm(InvoicesManage), Read,   false, crate::invoices::payments;
    "customers.statement"  => Perm(InvoicesManage), Read,   false, crate::invoices::statement;
    // -- reports (issue 5) --
    "reports.sales"           => Perm(LedgerRead), Read, false, crate::reports::sales;
    "reports.stock_valuation" => Perm(LedgerRead), Read, false, crate::reports::stock_valuation;
    // -- loyalty (issue 6) --
    "loyalty.config"         => Signed,              Read,   false, crate::loyalty::config;
    "loyalty.configure"      => Perm(LoyaltyManage), Write,  false, crate::loyalty::configure;
    "loyalty.create_reward"  => Perm(LoyaltyManage), Create, false, crate::loyalty::create_reward;
    "loyalty.archive_reward" => Perm(LoyaltyManage), Write,  false, crate::loyalty::archive_reward;
    "loyalty.rewards"        => Perm(SalesSell),     Read,   false, crate::loyalty::rewards;
    "loyalty.claim"          => Perm(SalesSell),     Create, false, crate::loyalty::claim;
    "loyalty.balance"        => Perm(SalesSell),     Read,   false, crate::loyalty::balance_cmd;
    "loyalty.adjust"         => Perm(LoyaltyManage), Create, false, crate::loyalty::adjust;
    "loyalty.bulk_preview"   => Perm(LoyaltyManage), Read,   false, crate::loyalty::bulk_preview;
    "loyalty.bulk_add"       => Perm(LoyaltyManage), Create, false, crate::loyalty::bulk_add;
    "loyalty.expire"         => Signed,              Write,  false, crate::loyalty::expire;
    "loyalty.stats"          => Perm(LoyaltyManage), Read,   false, crate::loyalty::stats;
}

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }

    #[test]
    fn api_md_documents_every_command() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let documented: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("### `"))
            .filter_map(|l| l.strip_suffix('`'))
            .collect();
        for c in COMMANDS {
            assert!(documented.contains(&c.name), "docs/API.md lacks {}", c.name);
        }
        for d in &documented {
            assert!(
                find(d).is_some(),
                "docs/API.md documents unknown command {d}"
            );
        }
    }
}
