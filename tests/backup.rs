//! Backups (T42): taken online with SQLite's backup API while the shop keeps
//! writing, checked with `integrity_check`, and restored in a test.

use crate::support::faults::chain_is_intact;
use crate::support::{key, Shop, OWNER, OWNER_PASSWORD};
use serde_json::json;
use std::sync::{Arc, Barrier};
use tillbook_core::clock::SystemClock;
use tillbook_core::db::{backup, Db, OpenOptions};
use tillbook_core::records::audit::{self, Entry, Outcome};
use tillbook_core::Dispatcher;

#[test]
fn t42_an_online_backup_is_consistent_and_restores() {
    let (shop, mut owner) = Shop::with_owner();
    for i in 0..3 {
        shop.call(
            &mut owner,
            "users.create",
            json!({"idempotency_key": key(), "username": format!("u{i}"), "display_name": "U",
                   "role": "cashier", "password": "cashier-password"}),
        )
        .unwrap();
    }
    let dest = shop.dir.path().join("backup.db");

    // A writer keeps appending while the backup runs: the copy must still be a
    // consistent snapshot (integrity ok, audit chain unbroken).
    let barrier = Arc::new(Barrier::new(2));
    let writer = {
        let (db, barrier) = (shop.db.clone(), barrier.clone());
        std::thread::spawn(move || {
            barrier.wait();
            for i in 0..200 {
                let summary = json!({ "i": i });
                db.write(|tx| {
                    audit::append(
                        tx,
                        &Entry {
                            at_ms: 1,
                            user_id: None,
                            username: None,
                            command: "test.write",
                            entity: None,
                            entity_id: None,
                            summary: &summary,
                            outcome: Outcome::Ok,
                            error_code: None,
                        },
                    )
                })
                .unwrap();
            }
        })
    };
    barrier.wait();
    let report = shop.db.backup_to(&dest).unwrap();
    writer.join().unwrap();
    assert_eq!(
        report.schema_version,
        tillbook_core::db::MIGRATIONS.len() as i64
    );

    let restored_path = shop.dir.path().join("restored.db");
    backup::restore(&dest, &restored_path, OpenOptions::default()).unwrap();
    let restored = Db::open(&restored_path, OpenOptions::default()).unwrap();
    chain_is_intact(&restored);
    let users: i64 = restored
        .read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(users, 4);
    // The restored shop works: its owner logs in.
    let d = Dispatcher::new(restored, Arc::new(SystemClock));
    let mut s = None;
    d.dispatch(
        &mut s,
        "auth.login",
        json!({"username": OWNER, "password": OWNER_PASSWORD}),
    )
    .unwrap();
    assert!(s.is_some());
}

#[test]
fn t42_restore_refuses_damaged_or_foreign_files_and_never_overwrites() {
    let (shop, _owner) = Shop::with_owner();
    let dir = shop.dir.path();
    let good = dir.join("good.db");
    shop.db.backup_to(&good).unwrap();

    // Never overwrite: neither a backup nor a restore target may exist.
    let err = shop.db.backup_to(&good).unwrap_err();
    assert_eq!(err.code().as_str(), "validation", "{err}");
    let existing = dir.join("existing.db");
    std::fs::write(&existing, b"keep me").unwrap();
    let err = backup::restore(&good, &existing, OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");

    // A truncated backup and a file of garbage are refused, and leave no target.
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    for bad in [&truncated, &garbage] {
        let target = dir.join(format!(
            "from-{}",
            bad.file_name().unwrap().to_string_lossy()
        ));
        let err = backup::restore(bad, &target, OpenOptions::default()).unwrap_err();
        assert_eq!(
            err.code().as_str(),
            "validation",
            "{}: {err}",
            bad.display()
        );
        assert!(
            !target.exists(),
            "a refused restore left {}",
            target.display()
        );
    }
}

#[test]
fn t42_the_cli_backs_up_restores_and_verifies() {
    let (shop, _owner) = Shop::with_owner();
    let dir = shop.dir.path();
    let dest = dir.join("cli-backup.db");
    let restored = dir.join("cli-restored.db");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = crate::support::tillbook().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = run(&[
        "--db".as_ref(),
        shop.path.as_os_str(),
        "backup".as_ref(),
        dest.as_os_str(),
    ]);
    assert!(said.contains("integrity check: ok"), "{said}");
    run(&[
        "--db".as_ref(),
        restored.as_os_str(),
        "restore".as_ref(),
        dest.as_os_str(),
    ]);
    let said = run(&["--db".as_ref(), restored.as_os_str(), "verify".as_ref()]);
    assert!(said.contains("no drift"), "{said}");
}
