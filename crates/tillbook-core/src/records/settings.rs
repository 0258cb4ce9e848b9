//! The `settings.*` commands over the one settings document
//! ([`crate::shared::settings`] holds its type, defaults and storage).

use crate::db::Tx;
use crate::error::Result;
use crate::shared::handler::{NoArgs, ReadCtx, Request, WriteCtx};
use crate::shared::settings::{self, Settings, VersionedSettings};
use crate::shared::validate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `settings.get`
pub fn get(_ctx: &ReadCtx<'_>, conn: &Connection, _req: &NoArgs) -> Result<VersionedSettings> {
    settings::load(conn)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettingsRequest {
    pub version: i64,
    pub settings: Settings,
}

impl Request for UpdateSettingsRequest {
    fn validate(&self) -> Result<()> {
        validate::version(self.version)?;
        self.settings.validate()
    }
}

/// `settings.update`: replaces the settings document against the version read.
pub fn update(
    ctx: &mut WriteCtx<'_>,
    tx: &Tx<'_>,
    req: &UpdateSettingsRequest,
) -> Result<VersionedSettings> {
    let actor = ctx.actor()?;
    let before = settings::load(tx.conn())?;
    let version = settings::store(tx, req.version, &req.settings, ctx.now_ms, actor.user_id)?;
    // "Prices include tax" is dated (catalog::tax): a change here is a switch
    // from now, shelf prices kept, so a sale always finds its mode in the history.
    if before.settings.prices_include_tax != req.settings.prices_include_tax {
        crate::catalog::tax::record_settings_switch(
            tx,
            req.settings.prices_include_tax,
            actor.user_id,
            ctx.now_ms,
        )?;
    }
    ctx.audit(
        "settings",
        1,
        json!({ "before": before.settings, "after": req.settings }),
    );
    ctx.emit("settings.updated", "settings", 1, json!(req.settings));
    Ok(VersionedSettings {
        settings: req.settings.clone(),
        version,
    })
}
