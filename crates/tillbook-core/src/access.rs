//! Who may do what: roles, permissions, and the one table joining them (D13).
//!
//! Commands name the permission they need in the command table
//! (`commands::COMMANDS`); this module says which roles hold which permission.
//! The dispatcher is the only caller of [`role_has`] for command access.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
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
#[ts(export, export_to = "../../../ui/src/generated/")]
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
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::UsersManage,
        Permission::UsersRead,
        Permission::AuditRead,
        Permission::SettingsManage,
        Permission::CreditApprove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersManage => "users.manage",
            Permission::UsersRead => "users.read",
            Permission::AuditRead => "audit.read",
            Permission::SettingsManage => "settings.manage",
            Permission::CreditApprove => "credit.approve",
        }
    }
}

/// The role × permission table. Everything about access is decided from here.
pub const ROLE_PERMISSIONS: &[(Role, &[Permission])] = &[
    (
        Role::Owner,
        &[
            Permission::UsersManage,
            Permission::UsersRead,
            Permission::AuditRead,
            Permission::SettingsManage,
            Permission::CreditApprove,
        ],
    ),
    (
        Role::Manager,
        &[
            Permission::UsersManage,
            Permission::UsersRead,
            Permission::AuditRead,
            Permission::CreditApprove,
        ],
    ),
    (Role::Cashier, &[]),
];

pub fn role_has(role: Role, permission: Permission) -> bool {
    ROLE_PERMISSIONS
        .iter()
        .any(|(r, perms)| *r == role && perms.contains(&permission))
}
