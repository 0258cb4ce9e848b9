//! Tillbook's one integration-test binary (the ripgrep layout): every module
//! here drives the real core against a real SQLite file in its own temporary
//! directory (D04), and runs the real `tillbook` binary where a second process
//! is needed. Tests are named after the audit rule they prove (`t05_…`, `d03_…`).
// A panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Tests inspect the file with one-off queries; the statement cache rule (clippy.toml) is for the app.
#![allow(clippy::disallowed_methods)]
// A scenario test reads top to bottom as the till would live it; cutting it up hides the story.
#![allow(clippy::too_many_lines)]

mod support; // a fresh shop per test; fixtures through the dispatcher, checks and fault sweeps

mod approvals; // a manager's approval on the spot (T39), discounts, presets and overrides
mod backup; // online backups, integrity-checked, and restore (T42)
mod carts; // held carts that reserve their stock (T17)
mod commands; // the command surface: idempotency, bad inputs, error form, config, settings, audit
mod crash; // kill -9 in a stream of checkouts; refunds racing for the last unit
mod dashboard; // Home's day at a glance and the getting-started checklist (issue 13)
mod desktop_config; // the desktop app's CSP, capabilities and no server (D09, T37)
mod identity; // sessions, logins, lockouts, roles and where secrets live
mod inventory; // catalog, batches, reservations, counts and price rules
mod invoices; // invoices, payments on account, aging and statements
mod items; // untracked items, units with precision, scale barcodes, migration 0015
mod loyalty; // points, rewards and claims, expiry, and the liability they carry
mod parties; // the ledger, customers and their credit, vendors and purchases
mod plain_words; // field-error kinds and the audit log's names, lines and kinds of action (issue 13)
mod purchase_orders; // purchase orders from reorder points, received in parts; generated lots; the stock list (issue 13)
mod quick_keys; // quick key pages and tiles, word-prefix search, the catalogue list (issue 12)
mod refunds; // refunds by line as new rows and a reversing entry (T31)
mod reorder; // reorder points, preferred vendors, the low-stock list (issue 13)
mod reports; // sales reports, stock valuation and the CSV export (T33)
mod sales; // quote and checkout: totals, tenders, the entry, gapless numbers
mod shifts; // shifts, cash moves, voids and the Z-report
mod storage; // opening files, migrations, one transaction, versions, many writers
mod sync; // head-office sync against a real MariaDB: exactly once, TLS verified, offline shown (issue 14)
mod tax; // setup by country, shop details, dated tax rates and mode, tax summaries (issue 13)
mod till_cash; // cash needs an open drawer, blind close by denomination, refunds' hand-back, customer search
