//! The command table: every operation Tillbook offers, with the access it needs
//! and whether it reads, writes or creates. Transports, the permission check,
//! idempotency, the docs test and the role × command tests are all driven from
//! this one list, so adding a command here is the whole of wiring it up.

use crate::shared::access::Permission;
use serde::Serialize;

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

/// The one list of commands: name => access, effect, usable while the till is
/// idle-locked, handler. Written once and handed to a callback macro, so every
/// view of it (the table below, the dispatcher's router, the UI's generated
/// command map) comes from the same lines and cannot drift apart.
macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
        // identity: first run, sign-in, users
        "setup.status"         => Public,              Read,   false, crate::identity::setup::status;
        "setup.create_owner"   => Public,              Create, false, crate::identity::setup::create_owner;
        "auth.login"           => Public,              Write,  false, crate::identity::auth::login;
        "auth.whoami"          => Signed,              Read,   true,  crate::identity::auth::whoami;
        "auth.lock"            => Signed,              Write,  true,  crate::identity::auth::lock;
        "auth.unlock"          => Signed,              Write,  true,  crate::identity::auth::unlock;
        "auth.logout"          => Signed,              Write,  true,  crate::identity::auth::logout;
        "auth.change_password" => Signed,              Write,  false, crate::identity::auth::change_password;
        "auth.set_pin"         => Signed,              Write,  false, crate::identity::auth::set_pin;
        "auth.staff"           => Public,              Read,   false, crate::identity::auth::staff;
        "auth.pin_login"       => Public,              Write,  false, crate::identity::auth::pin_login;
        "shop.info"            => Signed,              Read,   false, crate::identity::setup::info;
        "users.list"           => Perm(UsersRead),     Read,   false, crate::identity::users::list;
        "users.roles"          => Perm(UsersRead),     Read,   false, crate::identity::users::roles;
        "users.create"         => Perm(UsersManage),   Create, false, crate::identity::users::create;
        "users.update"         => Perm(UsersManage),   Write,  false, crate::identity::users::update;
        "users.archive"        => Perm(UsersManage),   Write,  false, crate::identity::users::archive;
        "users.reset_password" => Perm(UsersManage),   Write,  false, crate::identity::users::reset_password;
        // records: settings and the audit log
        "settings.get"         => Signed,              Read,   false, crate::records::settings::get;
        "settings.update"      => Perm(SettingsManage), Write, false, crate::records::settings::update;
        "audit.list"           => Perm(AuditRead),     Read,   false, crate::records::audit::list;
        // catalog and stock
        "catalog.create_product"    => Perm(CatalogManage), Create, false, crate::catalog::create_product;
        "catalog.update_product"    => Perm(CatalogManage), Write,  false, crate::catalog::update_product;
        "catalog.archive_product"   => Perm(CatalogManage), Write,  false, crate::catalog::archive_product;
        "catalog.get_product"       => Signed,              Read,   false, crate::catalog::get_product;
        "catalog.search"            => Signed,              Read,   false, crate::catalog::search_cmd;
        "catalog.create_price_rule" => Perm(CatalogManage), Create, false, crate::catalog::pricing::create_rule;
        "catalog.archive_price_rule"=> Perm(CatalogManage), Write,  false, crate::catalog::pricing::archive_rule;
        "catalog.price_rules"       => Signed,              Read,   false, crate::catalog::pricing::list_rules;
        "catalog.quote"             => Signed,              Read,   false, crate::catalog::pricing::quote;
        "catalog.list_products"     => Signed,              Read,   false, crate::catalog::list_products;
        "catalog.categories"        => Signed,              Read,   false, crate::catalog::categories;
        "catalog.key_pages"         => Perm(SalesSell),     Read,   false, crate::catalog::quick_keys::key_pages;
        "catalog.create_key_page"   => Perm(CatalogManage), Create, false, crate::catalog::quick_keys::create_page;
        "catalog.rename_key_page"   => Perm(CatalogManage), Write,  false, crate::catalog::quick_keys::rename_page;
        "catalog.move_key_page"     => Perm(CatalogManage), Write,  false, crate::catalog::quick_keys::move_page;
        "catalog.archive_key_page"  => Perm(CatalogManage), Write,  false, crate::catalog::quick_keys::archive_page;
        "catalog.place_tile"        => Perm(CatalogManage), Create, false, crate::catalog::quick_keys::place_tile;
        "catalog.update_tile"       => Perm(CatalogManage), Write,  false, crate::catalog::quick_keys::update_tile;
        "catalog.remove_tile"       => Perm(CatalogManage), Write,  false, crate::catalog::quick_keys::remove_tile;
        "stock.receive"             => Perm(StockAdjust),   Create, false, crate::stock::receive_cmd;
        "stock.adjust"              => Perm(StockAdjust),   Create, false, crate::stock::adjust_cmd;
        "stock.batches"             => Signed,              Read,   false, crate::stock::batches_cmd;
        "stock.movements"           => Signed,              Read,   false, crate::stock::movements_cmd;
        "stock.low"                 => Signed,              Read,   false, crate::stock::low_stock_cmd;
        "stock.list"                => Signed,              Read,   false, crate::stock::stock_list;
        "stock.reserve"             => Perm(SalesSell),     Create, false, crate::stock::reserve_cmd;
        "stock.release"             => Perm(SalesSell),     Write,  false, crate::stock::release_cmd;
        "stock.expire_reservations" => Perm(SalesSell),     Write,  false, crate::stock::expire_cmd;
        "stock.count_open"          => Perm(StockCount),    Create, false, crate::stock::count_open;
        "stock.count_record"        => Perm(StockCount),    Write,  false, crate::stock::count_record;
        "stock.count_review"        => Perm(StockCount),    Read,   false, crate::stock::count_review;
        "stock.count_post"          => Perm(StockAdjust),   Write,  false, crate::stock::count_post;
        "stock.open_counts"         => Perm(StockCount),    Read,   false, crate::stock::open_counts;
        // parties and the ledger
        "customers.create"     => Perm(CustomersManage), Create, false, crate::parties::customers::create;
        "customers.update"     => Perm(CustomersManage), Write, false, crate::parties::customers::update;
        "customers.archive"    => Perm(CustomersManage), Write, false, crate::parties::customers::archive;
        "customers.get"        => Perm(CustomersManage), Read,  false, crate::parties::customers::get;
        "customers.search"     => Perm(CustomersManage), Read,  false, crate::parties::customers::search;
        "customers.set_credit" => Perm(CreditManage),  Write,  false, crate::parties::customers::set_credit;
        "vendors.create"       => Perm(VendorsManage), Create, false, crate::parties::vendors::create;
        "vendors.update"       => Perm(VendorsManage), Write,  false, crate::parties::vendors::update;
        "vendors.archive"      => Perm(VendorsManage), Write,  false, crate::parties::vendors::archive;
        "vendors.get"          => Perm(VendorsManage), Read,   false, crate::parties::vendors::get;
        "vendors.search"       => Perm(VendorsManage), Read,   false, crate::parties::vendors::search;
        "vendors.payments"     => Perm(VendorsManage), Read,   false, crate::parties::vendors::payments;
        "vendors.pay"          => Perm(VendorsPay),    Create, false, crate::parties::vendors::pay;
        "vendors.reverse_payment" => Perm(VendorsPay), Create, false, crate::parties::vendors::reverse_payment;
        "purchasing.receive"   => Perm(VendorsManage), Create, false, crate::parties::purchasing::receive;
        "purchase_orders.suggest" => Perm(PurchasesOrder), Create, false, crate::parties::purchase_orders::suggest;
        "purchase_orders.create"  => Perm(PurchasesOrder), Create, false, crate::parties::purchase_orders::create;
        "purchase_orders.update"  => Perm(PurchasesOrder), Write,  false, crate::parties::purchase_orders::update;
        "purchase_orders.send"    => Perm(PurchasesOrder), Write,  false, crate::parties::purchase_orders::send;
        "purchase_orders.cancel"  => Perm(PurchasesOrder), Write,  false, crate::parties::purchase_orders::cancel;
        "purchase_orders.get"     => Perm(PurchasesOrder), Read,   false, crate::parties::purchase_orders::get;
        "purchase_orders.list"    => Perm(PurchasesOrder), Read,   false, crate::parties::purchase_orders::list;
        "purchase_orders.csv"     => Perm(PurchasesOrder), Read,   false, crate::parties::purchase_orders::csv;
        "ledger.accounts"      => Perm(LedgerRead),    Read,   false, crate::ledger::accounts;
        "ledger.entries"       => Perm(LedgerRead),    Read,   false, crate::ledger::entries;
        // sales: the till's cart, checkout, refunds, holds
        "sales.quote"          => Perm(SalesSell),     Read,   false, crate::sales::quote;
        "sales.checkout"       => Perm(SalesSell),     Create, false, crate::sales::checkout;
        "sales.get"            => Perm(SalesSell),     Read,   false, crate::sales::get;
        "sales.list"           => Perm(SalesSell),     Read,   false, crate::sales::list;
        "sales.refund"         => Perm(SalesRefund),   Create, false, crate::sales::refunds::refund;
        "sales.refund_unreceipted" => Perm(SalesRefundUnreceipted), Create, false, crate::sales::refund_unreceipted;
        "sales.refunds"        => Perm(SalesSell),     Read,   false, crate::sales::refunds::list;
        "sales.hold"           => Perm(SalesSell),     Create, false, crate::sales::holds::hold;
        "sales.held"           => Perm(SalesSell),     Read,   false, crate::sales::holds::held;
        "sales.recall"         => Perm(SalesSell),     Read,   false, crate::sales::holds::recall;
        "sales.cancel_hold"    => Perm(SalesSell),     Write,  false, crate::sales::holds::cancel_hold;
        // till: shifts, cash and the Z-report
        "shifts.open"          => Perm(SalesSell),     Create, false, crate::till::open;
        "shifts.current"       => Perm(SalesSell),     Read,   false, crate::till::current;
        "shifts.cash_move"     => Perm(SalesSell),     Create, false, crate::till::cash_move;
        "shifts.no_sale"       => Perm(DrawerOpen),    Create, false, crate::till::no_sale;
        "shifts.close"         => Perm(SalesSell),     Write,  false, crate::till::close;
        "shifts.z_report"      => Perm(SalesSell),     Read,   false, crate::till::z_report;
        "shifts.list"          => Perm(LedgerRead),    Read,   false, crate::till::list;
        "sales.void"           => Perm(SalesVoid),     Create, false, crate::sales::void;
        // accounts: invoices and customer payments
        "invoices.create"      => Perm(InvoicesManage), Create, false, crate::accounts::create;
        "invoices.get"         => Perm(InvoicesManage), Read,   false, crate::accounts::get;
        "invoices.list"        => Perm(InvoicesManage), Read,   false, crate::accounts::list;
        "invoices.invoiceable" => Perm(InvoicesManage), Read,   false, crate::accounts::invoiceable;
        "invoices.allocate"    => Perm(InvoicesManage), Create, false, crate::accounts::allocate;
        "invoices.aging"       => Perm(InvoicesManage), Read,   false, crate::accounts::aging;
        "customers.receive_payment" => Perm(InvoicesManage), Create, false, crate::accounts::receive_payment;
        "customers.payments"   => Perm(InvoicesManage), Read,   false, crate::accounts::payments;
        "customers.statement"  => Perm(InvoicesManage), Read,   false, crate::accounts::statement;
        // reports
        "reports.sales"           => Perm(LedgerRead), Read, false, crate::reports::sales;
        "reports.stock_valuation" => Perm(LedgerRead), Read, false, crate::reports::stock_valuation;
        // Home: the day at a glance, and the owner's getting-started ticks
        "dashboard.today"          => Perm(LedgerRead),     Read,  false, crate::reports::today;
        "dashboard.checklist_tick" => Perm(SettingsManage), Write, false, crate::reports::checklist_tick;
        // loyalty
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
        // discounts the owner defines for the till
        "discounts.presets"        => Signed,              Read,   false, crate::sales::discounts::presets;
        "discounts.create_preset"  => Perm(CatalogManage), Create, false, crate::sales::discounts::create_preset;
        "discounts.archive_preset" => Perm(CatalogManage), Write,  false, crate::sales::discounts::archive_preset;
        // first run by country, the shop's details, tax as dated data
        "setup.countries"      => Public,              Read,   false, crate::identity::countries::list;
        "shop.update"          => Perm(ShopManage),    Write,  false, crate::identity::setup::update;
        "tax.classes"          => Signed,              Read,   false, crate::catalog::tax::list;
        "tax.create_class"     => Perm(TaxManage),     Create, false, crate::catalog::tax::create_class;
        "tax.schedule_rate"    => Perm(TaxManage),     Write,  false, crate::catalog::tax::schedule_rate;
        "tax.rename_class"     => Perm(TaxManage),     Write,  false, crate::catalog::tax::rename_class;
        "tax.schedule_mode"    => Perm(TaxManage),     Write,  false, crate::catalog::tax::schedule_mode;
        "reports.tax_summary"  => Perm(LedgerRead),    Read,   false, crate::reports::tax_summary::tax_summary;
        // head-office sync: its state, and where the shop pushes (owner only)
        "sync.status"          => Perm(SyncRead),      Read,   false, crate::records::sync_state::status;
        "sync.set_target"      => Perm(SyncManage),    Write,  false, crate::records::sync_state::set_target;
        }
    };
}
pub(crate) use with_commands;

macro_rules! spec_table {
    ($( $name:literal => $access:expr, $effect:ident, $locked:literal, $handler:path; )*) => {
        /// Every command's name, access and effect, in the list's order.
        pub const COMMANDS: &[CommandSpec] = &[
            $( CommandSpec { name: $name, access: $access, effect: Effect::$effect, while_locked: $locked }, )*
        ];
    };
}

use Access::{Perm, Public, Session as Signed};
use Permission::*;

with_commands!(spec_table);

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
