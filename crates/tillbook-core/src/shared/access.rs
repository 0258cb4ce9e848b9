//! Who may do what: roles, permissions, and the one table joining them (D13).
//!
//! Commands name the permission they need in the command table
//! (`commands::COMMANDS`); this module says which roles hold which permission.
//! The dispatcher is the only caller of [`role_has`] for command access.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Cashier,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Manager, Role::Cashier];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
        }
    }

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub enum Permission {
    /// Create, edit, archive users and reset their passwords.
    #[serde(rename = "users.manage")]
    UsersManage,
    /// See the user list (names and roles, never secrets).
    #[serde(rename = "users.read")]
    UsersRead,
    #[serde(rename = "audit.read")]
    AuditRead,
    #[serde(rename = "settings.manage")]
    SettingsManage,
    /// Approve raising a customer's credit limit above the threshold (T21).
    #[serde(rename = "credit.approve")]
    CreditApprove,
    /// Products, categories and price rules.
    #[serde(rename = "catalog.manage")]
    CatalogManage,
    /// Stock adjustments, samples, damage, write-offs, and posting stock counts.
    #[serde(rename = "stock.adjust")]
    StockAdjust,
    /// Opening stock counts and recording counted quantities (by scanning).
    #[serde(rename = "stock.count")]
    StockCount,
    /// Selling at the till: carts, reservations for held sales.
    #[serde(rename = "sales.sell")]
    SalesSell,
    /// Refunding confirmed sales (to the original tenders or store credit).
    #[serde(rename = "sales.refund")]
    SalesRefund,
    /// Creating and editing customers' contact details.
    #[serde(rename = "customers.manage")]
    CustomersManage,
    /// Setting customers' credit limits and enforcement modes.
    #[serde(rename = "credit.manage")]
    CreditManage,
    /// Vendors and purchase receipts.
    #[serde(rename = "vendors.manage")]
    VendorsManage,
    /// Paying vendors.
    #[serde(rename = "vendors.pay")]
    VendorsPay,
    /// Reading the ledger, balances and reports.
    #[serde(rename = "ledger.read")]
    LedgerRead,
    /// Voiding a confirmed sale within its open shift (with a reason).
    #[serde(rename = "sales.void")]
    SalesVoid,
    /// Giving a discount on a cart line. Checked by the dispatcher from the
    /// request itself ([`crate::dispatch::Request::needs`]), not from the command.
    #[serde(rename = "sales.discount")]
    SalesDiscount,
    /// Invoicing account sales and recording customers' payments on account.
    #[serde(rename = "invoices.manage")]
    InvoicesManage,
    /// Loyalty earning rules, rewards, manual adjustments and bulk additions.
    #[serde(rename = "loyalty.manage")]
    LoyaltyManage,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Permission::UsersManage,
        Permission::UsersRead,
        Permission::AuditRead,
        Permission::SettingsManage,
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
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersManage => "users.manage",
            Permission::UsersRead => "users.read",
            Permission::AuditRead => "audit.read",
            Permission::SettingsManage => "settings.manage",
            Permission::CreditApprove => "credit.approve",
            Permission::CatalogManage => "catalog.manage",
            Permission::StockAdjust => "stock.adjust",
            Permission::StockCount => "stock.count",
            Permission::SalesSell => "sales.sell",
            Permission::SalesRefund => "sales.refund",
            Permission::CustomersManage => "customers.manage",
            Permission::CreditManage => "credit.manage",
            Permission::VendorsManage => "vendors.manage",
            Permission::VendorsPay => "vendors.pay",
            Permission::LedgerRead => "ledger.read",
            Permission::SalesVoid => "sales.void",
            Permission::SalesDiscount => "sales.discount",
            Permission::InvoicesManage => "invoices.manage",
            Permission::LoyaltyManage => "loyalty.manage",
        }
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
        ],
    ),
    (
        Role::Cashier,
        &[
            Permission::StockCount,
            Permission::SalesSell,
            Permission::CustomersManage,
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
