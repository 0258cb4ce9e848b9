//! The harness leaves nothing running: every process an `App` starts (Xvfb,
//! tauri-driver, WebKitWebDriver, the app and its web processes) has ended once
//! the `App` is gone, whether its test passed or panicked. Processes are told
//! apart by pid and start time, so a reused pid is not mistaken for a survivor.

use crate::harness::App;
use crate::process::{still_running, unreaped_children, Proc};
use crate::ONE_AT_A_TIME;

/// What an App runs, as /proc names them (at most 15 characters): the display,
/// the driver, the driver it starts, and the app that one starts.
const STARTED: [&str; 4] = ["Xvfb", "tauri-driver", "WebKitWebDriver", "tillbook-app"];

/// Each of them was running when the snapshot was taken.
fn assert_all_started(procs: &[Proc]) {
    for name in STARTED {
        assert!(
            procs.iter().any(|p| p.comm == name && p.state != 'Z'),
            "{name} is not among the App's processes: {procs:?}"
        );
    }
}

fn assert_none_left(procs: &[Proc]) {
    assert_eq!(still_running(procs), [], "still running after the App");
    assert_eq!(unreaped_children(procs), [], "ended but never reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_harness_leaves_no_process_running_after_a_passing_test() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = App::start().await;
    // The first screen is up: the app and its web processes run.
    app.el("setup-form").await;
    let procs = app.processes();
    assert_all_started(&procs);
    app.close().await;
    assert_none_left(&procs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_harness_leaves_no_process_running_after_a_panic() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A task of its own, so its panic unwinds through the App and ends there.
    let failing = tokio::spawn(async move {
        let app = App::start().await;
        app.el("setup-form").await;
        tx.send(app.processes()).unwrap();
        panic!("a test failing while its app runs");
    });
    let outcome = failing.await;
    assert!(outcome.as_ref().is_err_and(|e| e.is_panic()), "{outcome:?}");
    let procs = rx.await.unwrap();
    assert_all_started(&procs);
    assert_none_left(&procs);
}
