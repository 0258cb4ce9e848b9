//! Two processes racing on one file (D01): this test binary runs one of its own
//! ignored tests as a child, and both sides' threads wait at a barrier for a
//! start time they agree on over the child's stdin, so neither side has
//! finished before the other begins.
//!
//! The child says `ready` on stdout; the parent answers `go <unix ms>`; the
//! child reports its counts in a line the parent reads after it exits.

use std::io::{BufRead, Write};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Waits for the wall-clock instant both processes agreed to start at: a
/// barrier across processes (the outcome asserted never depends on timing).
pub fn sleep_until(start_at: &OnceLock<SystemTime>) {
    if let Some(t) = start_at.get() {
        if let Ok(d) = t.duration_since(SystemTime::now()) {
            std::thread::sleep(d);
        }
    }
}

/// The child's side: says `ready`, takes the start the parent sends and lets
/// its threads go.
pub fn child_starts(ready: &str, start_at: &OnceLock<SystemTime>, barrier: &Barrier) {
    println!("{ready}");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let ms: u64 = go.trim().strip_prefix("go ").unwrap().parse().unwrap();
    start_at
        .set(UNIX_EPOCH + Duration::from_millis(ms))
        .unwrap();
    barrier.wait();
}

/// The parent's side, first: reads the child's output until it is `ready`.
pub fn await_ready(child_out: &mut impl BufRead, ready: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            child_out.read_line(&mut line).unwrap() > 0,
            "the child exited before it was ready"
        );
        if line.contains(ready) {
            return;
        }
    }
}

/// The parent's side, then: a start shortly ahead, far enough for the child
/// to read it, sent to the child, and this side's threads let go.
pub fn start_both(child_in: &mut impl Write, start_at: &OnceLock<SystemTime>, barrier: &Barrier) {
    let start = SystemTime::now() + Duration::from_millis(300);
    let ms = start.duration_since(UNIX_EPOCH).unwrap().as_millis();
    start_at.set(start).unwrap();
    writeln!(child_in, "go {ms}").unwrap();
    child_in.flush().unwrap();
    barrier.wait();
}

/// The parent's side, last: what follows `prefix` on the child's last line
/// that starts with it, read to the end of the child's output.
pub fn child_result(child_out: &mut impl BufRead, prefix: &str) -> Option<String> {
    let mut line = String::new();
    let mut result = None;
    loop {
        line.clear();
        if child_out.read_line(&mut line).unwrap() == 0 {
            return result;
        }
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            result = Some(rest.to_string());
        }
    }
}
