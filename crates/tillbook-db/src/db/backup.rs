//! Backups (T42): SQLite's online backup of a live file, checked with a full
//! `integrity_check` before it is given its final name, and a restore that
//! refuses anything that isn't a sound Tillbook file.

use super::open::{collect_strings, OpenError};
use super::{Db, OpenOptions};
use crate::db::CachedRow;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pages copied per step: small steps let writers in between on a busy till.
const PAGES_PER_STEP: std::os::raw::c_int = 256;

#[derive(Debug, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub pages: i64,
    pub schema_version: i64,
}

fn temp_beside(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    dest.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn refuse_existing(dest: &Path) -> Result<()> {
    if dest.exists() {
        return Err(Error::validation(
            "path",
            format!("{} already exists; choose a new file name", dest.display()),
        ));
    }
    Ok(())
}

/// Copies `src` into a new file at `dest`, checks it and renames it into place.
fn copy_checked(src: &Connection, dest: &Path) -> Result<BackupReport> {
    refuse_existing(dest)?;
    let tmp = temp_beside(dest);
    let result = (|| {
        let mut out = Connection::open(&tmp)?;
        {
            let backup = rusqlite::backup::Backup::new(src, &mut out)?;
            backup.run_to_completion(PAGES_PER_STEP, Duration::ZERO, None)?;
        }
        // The copy is a rollback-journal file; a restored shop switches it back to WAL.
        let report = collect_strings(&out, "PRAGMA integrity_check(20)")?;
        if report != ["ok"] {
            return Err(Error::internal(format!(
                "the backup failed its integrity check: {}",
                report.join("; ")
            )));
        }
        let pages: i64 = out.cached_row("PRAGMA page_count", [], |r| r.get(0))?;
        let schema_version: i64 = out.cached_row("PRAGMA user_version", [], |r| r.get(0))?;
        drop(out);
        std::fs::rename(&tmp, dest)
            .map_err(|e| Error::internal(format!("could not move the backup into place: {e}")))?;
        Ok(BackupReport {
            path: dest.to_path_buf(),
            pages,
            schema_version,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Db {
    /// Takes an online backup of the whole database into the new file `dest`
    /// while the shop keeps working.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport> {
        self.read(|conn| copy_checked(conn, dest))
    }
}

/// Restores the backup file `backup` into the new file `dest`: the backup must
/// pass the integrity check and open as a Tillbook database (known schema,
/// migrations intact), then it is copied and opened once more at `dest`.
pub fn restore(backup: &Path, dest: &Path, opts: OpenOptions) -> Result<BackupReport> {
    refuse_existing(dest)?;
    let src =
        Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            Error::validation("backup", format!("cannot open {}: {e}", backup.display()))
        })?;
    let report = collect_strings(&src, "PRAGMA integrity_check(20)").map_err(|e| {
        Error::validation(
            "backup",
            format!("{} is not a database: {e}", backup.display()),
        )
    })?;
    if report != ["ok"] {
        return Err(Error::validation(
            "backup",
            format!("{} is damaged: {}", backup.display(), report.join("; ")),
        ));
    }
    let done = copy_checked(&src, dest)?;
    drop(src);
    // Opening runs every startup check (schema version, migration checksums,
    // foreign keys) and switches the restored file to WAL.
    Db::open(dest, opts).map_err(|e: OpenError| {
        let _ = std::fs::remove_file(dest);
        Error::validation(
            "backup",
            format!("the backup is not a usable Tillbook file: {e}"),
        )
    })?;
    Ok(done)
}
