//! Request shapes many commands share.

use crate::dispatch::Request;
use crate::error::Result;
use crate::validate;
use serde::{Deserialize, Serialize};

/// One record by id.
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct IdRequest {
    pub id: i64,
}

impl Request for IdRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)
    }
}

/// One record by id, at the version the caller read (archive and the like).
#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "../../../ui/src/generated/")]
#[serde(deny_unknown_fields)]
pub struct IdVersionRequest {
    pub id: i64,
    pub version: i64,
}

impl Request for IdVersionRequest {
    fn validate(&self) -> Result<()> {
        validate::id("id", self.id)?;
        validate::version(self.version)
    }
}
