//! Who may do what: roles, permissions, and the one table joining them (D13).
//!
//! Commands name the permission they need in the command table
//! (`commands::COMMANDS`); this module says which roles hold which permission.
//! The dispatcher is the only caller of [`role_has`] for command access.

use serde::{Deserialize, Serialize};

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum Role {
        Owner = "owner",
        Manager = "manager",
        Cashier = "cashier",
    }
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Rank for "may not hand out more than you hold": owner > manager > cashier.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Manager => 2,
            Role::Cashier => 1,
        }
    }
}

tillbook_db::named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
    #[ts(export)]
    pub enum Permission {
        /// Create, edit, archive users and reset their passwords.
        UsersManage = "users.manage",
        /// See the user list (names and roles, never secrets).
        UsersRead = "users.read",
        AuditRead = "audit.read",
        SettingsManage = "settings.manage",
        /// Approve raising a customer's credit limit above the threshold (T21).
        CreditApprove = "credit.approve",
        /// Products, categories and price rules.
        CatalogManage = "catalog.manage",
        /// Stock adjustments, samples, damage, write-offs, and posting stock counts.
        StockAdjust = "stock.adjust",
        /// Opening stock counts and recording counted quantities (by scanning).
        StockCount = "stock.count",
        /// Selling at the till: carts, reservations for held sales.
        SalesSell = "sales.sell",
        /// Refunding confirmed sales (to the original tenders or store credit).
        SalesRefund = "sales.refund",
        /// Creating and editing customers' contact details.
        CustomersManage = "customers.manage",
        /// Setting customers' credit limits and enforcement modes.
        CreditManage = "credit.manage",
        /// Vendors and purchase receipts.
        VendorsManage = "vendors.manage",
        /// Paying vendors.
        VendorsPay = "vendors.pay",
        /// Reading the ledger, balances and reports.
        LedgerRead = "ledger.read",
        /// Voiding a confirmed sale within its open shift (with a reason).
        SalesVoid = "sales.void",
        /// Giving a discount on a cart line. Checked by the dispatcher from the
        /// request itself ([`crate::shared::handler::Request::needs`]), not from the command.
        SalesDiscount = "sales.discount",
        /// Invoicing account sales and recording customers' payments on account.
        InvoicesManage = "invoices.manage",
        /// Loyalty earning rules, rewards, manual adjustments and bulk additions.
        LoyaltyManage = "loyalty.manage",
        /// Applying a discount preset the owner defined (checked from the request).
        SalesDiscountPreset = "sales.discount_preset",
        /// Overriding a line's unit price, with a reason (checked from the request).
        SalesPriceOverride = "sales.price_override",
        /// Refunding goods without the original receipt (to store credit or
        /// cash): owner and manager; a cashier gets a manager's approval.
        SalesRefundUnreceipted = "sales.refund_unreceipted",
        /// Opening the cash drawer without a sale (a no-sale), with a reason:
        /// owner and manager; a cashier gets a manager's approval.
        DrawerOpen = "drawer.open",
        /// Editing the shop's name, address, phone, tax number, time zone and
        /// locale: the owner only.
        ShopManage = "shop.manage",
        /// Tax classes, their dated rates and the dated switch of "prices
        /// include tax": owner and manager.
        TaxManage = "tax.manage",
        /// Purchase orders: suggesting, editing, sending and cancelling them
        /// (receiving against one is `vendors.manage`): owner and manager.
        PurchasesOrder = "purchases.order",
        /// Seeing whether the shop's events reached head office (`sync.status`).
        SyncRead = "sync.read",
        /// Setting where the shop pushes to head office: owner only, audited.
        SyncManage = "sync.manage",
    }
}

/// The role × permission table. Everything about access is decided from here.
pub const ROLE_PERMISSIONS: &[(Role, &[Permission])] = &[
    (Role::Owner, &Permission::ALL),
    (
        Role::Manager,
        &[
            Permission::UsersManage,
            Permission::UsersRead,
            Permission::AuditRead,
            Permission::CreditApprove,
            Permission::CatalogManage,
            Permission::StockAdjust,
            Permission::StockCount,
            Permission::SalesSell,
            Permission::SalesRefund,
            Permission::CustomersManage,
            Permission::CreditManage,
            Permission::VendorsManage,
            Permission::VendorsPay,
            Permission::LedgerRead,
            Permission::SalesVoid,
            Permission::SalesDiscount,
            Permission::InvoicesManage,
            Permission::LoyaltyManage,
            Permission::SalesDiscountPreset,
            Permission::SalesPriceOverride,
            Permission::SalesRefundUnreceipted,
            Permission::DrawerOpen,
            Permission::TaxManage,
            Permission::PurchasesOrder,
            Permission::SyncRead,
        ],
    ),
    (
        Role::Cashier,
        &[
            Permission::StockCount,
            Permission::SalesSell,
            Permission::CustomersManage,
            Permission::SalesDiscountPreset,
        ],
    ),
];

/// Every permission `role` holds, in table order.
pub fn permissions_of(role: Role) -> Vec<Permission> {
    ROLE_PERMISSIONS
        .iter()
        .filter(|(r, _)| *r == role)
        .flat_map(|(_, perms)| perms.iter().copied())
        .collect()
}

pub fn role_has(role: Role, permission: Permission) -> bool {
    ROLE_PERMISSIONS
        .iter()
        .any(|(r, perms)| *r == role && perms.contains(&permission))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// docs/API.md's role table must say what `ROLE_PERMISSIONS` says.
    #[test]
    fn api_md_permission_table_matches_the_role_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let mut seen = 0;
        for line in doc.lines().map(str::trim) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | `perm` | owner | manager | cashier |
            if cells.len() != 6 || !cells[1].starts_with('`') {
                continue;
            }
            let name = cells[1].trim_matches('`');
            let Some(p) = Permission::ALL.into_iter().find(|p| p.as_str() == name) else {
                continue;
            };
            seen += 1;
            for (i, role) in [Role::Owner, Role::Manager, Role::Cashier]
                .into_iter()
                .enumerate()
            {
                assert_eq!(
                    cells[2 + i] == "✓",
                    role_has(role, p),
                    "docs/API.md says {} for {} has {name}",
                    cells[2 + i],
                    role.as_str()
                );
            }
        }
        assert_eq!(seen, Permission::ALL.len(), "docs/API.md lacks permissions");
    }
}
