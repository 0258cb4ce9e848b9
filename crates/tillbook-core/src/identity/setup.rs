//! First-run setup, shop details, settings and the audit viewer's commands.

use crate::db::CachedRow;
use crate::db::Tx;
use crate::error::{ConstraintKind, Error, Result, ResultExt};
use crate::identity::users::{self, CreateUserRequest, UserView};
use crate::shared::access::Role;
use crate::shared::denominations::denominations_minor;
use crate::shared::handler::NoArgs;
use crate::shared::handler::{ReadCtx, Request, WriteCtx};
use crate::shared::settings;
use crate::shared::validate::{self, Secret};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ShopInfo {
    pub name: String,
    pub currency_code: String,
    pub currency_scale: u32,
    pub host_id: String,
    pub created_at_ms: i64,
    /// The currency's notes and coins, largest first (quick cash, counting a drawer).
    pub denominations_minor: Vec<i64>,
}

pub fn load_shop(conn: &Connection) -> Result<Option<ShopInfo>> {
    Ok(conn
        .cached_row(
            "SELECT name, currency_code, currency_scale, host_id, created_at_ms FROM shop WHERE id = 1",
            [],
            |r| {
                let currency_code: String = r.get(1)?;
                let currency_scale: u32 = r.get(2)?;
                Ok(ShopInfo {
                    denominations_minor: denominations_minor(&currency_code, currency_scale),
                    name: r.get(0)?,
                    currency_code,
                    currency_scale,
                    host_id: r.get(3)?,
                    created_at_ms: r.get(4)?,
                })
            },
        )
        .optional()?)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SetupStatus {
    pub needs_setup: bool,
    pub shop_name: Option<String>,
}

/// `setup.status`: whether this file still needs its first owner. Public: the
/// first-run screen asks it before anyone can log in.
pub fn status(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<SetupStatus> {
    let shop = load_shop(conn)?;
    Ok(SetupStatus {
        needs_setup: shop.is_none(),
        shop_name: shop.map(|s| s.name),
    })
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateOwnerRequest {
    pub shop_name: String,
    pub currency_code: String,
    #[serde(default = "default_scale")]
    #[ts(optional = nullable)]
    pub currency_scale: u32,
    pub username: String,
    pub display_name: String,
    #[ts(type = "string")]
    pub password: Secret,
    #[serde(default)]
    #[ts(optional = nullable, type = "string | null")]
    pub pin: Option<Secret>,
}

fn default_scale() -> u32 {
    2
}

impl Request for CreateOwnerRequest {
    fn validate(&self) -> Result<()> {
        validate::text("shop_name", &self.shop_name, 1, 100)?;
        if self.currency_code.len() != 3
            || !self.currency_code.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(Error::validation(
                "currency_code",
                "must be a 3-letter ISO code in capitals, like EUR",
            ));
        }
        if self.currency_scale > 4 {
            return Err(Error::validation("currency_scale", "must be 0 to 4"));
        }
        self.as_user().validate()
    }

    fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.password).chain(&self.pin).collect()
    }
}

impl CreateOwnerRequest {
    fn as_user(&self) -> CreateUserRequest {
        CreateUserRequest {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: Role::Owner,
            password: self.password.clone(),
            pin: self.pin.clone(),
        }
    }
}

/// `setup.create_owner`: creates the shop and its first owner, only while no user
/// exists. Racing setups serialise on the write lock, and the single-row `shop`
/// table refuses a second one even so (T03).
pub fn create_owner(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &CreateOwnerRequest,
) -> Result<UserView> {
    let users: i64 = tx
        .conn()
        .cached_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    if users > 0 {
        return Err(Error::forbidden(
            "this shop is already set up; ask its owner or a manager to create your account",
        ));
    }
    let host_id = crate::db::migrate::hex(&fastrand::u128(..).to_le_bytes());
    tx.execute(
        "INSERT INTO shop (id, name, currency_code, currency_scale, host_id, created_at_ms)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            req.shop_name,
            req.currency_code,
            req.currency_scale,
            host_id,
            ctx.now_ms
        ],
    )
    .on_constraint(ConstraintKind::Unique, || {
        Error::forbidden("this shop is already set up")
    })?;
    let id = users::insert_user(tx, &req.as_user(), None, ctx.now_ms)?;
    settings::insert_defaults(tx, ctx.now_ms, Some(id))?;
    ctx.audit_as(id, &req.username);
    let summary = json!({
        "shop_name": req.shop_name,
        "currency_code": req.currency_code,
        "owner": req.username,
    });
    ctx.audit("shop", 1, summary.clone());
    ctx.emit("shop.created", "shop", 1, summary);
    users::get(tx.conn(), id)
}

/// `shop.info`
pub fn info(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<ShopInfo> {
    load_shop(conn)?.ok_or_else(|| Error::not_found("shop", 1))
}
