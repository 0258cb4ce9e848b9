//! Child processes that end with their test. A `ChildGuard` kills and reaps its
//! child when it drops, so a failed assertion or a panic leaves nothing running.
//! A program that starts programs of its own (a WebDriver, a database server)
//! is spawned as a process group instead: the guard kills the whole group, and a
//! keeper process kills it too if the test process itself dies without
//! unwinding (SIGKILL, a harness timeout, Ctrl-C).
//!
//! The `/proc` readers let a test name every process something started and
//! check, by pid and start time, that none of them survived.

#![allow(dead_code)] // each test binary uses its own part of this

use std::io::{self, Read};
use std::ops::{Deref, DerefMut};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Bound on waiting for killed processes to leave the process table. SIGKILL
/// cannot be caught, so this is only ever reached by a process stuck in the
/// kernel.
const EXIT_WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(10);

/// Kills its process group once its standard input closes: when the guard
/// drops, or when the test process dies and the kernel closes the pipe. It
/// ignores the signals a terminal or a test runner sends to the test's own
/// group, so it outlives the test process long enough to do that.
const KEEPER_SCRIPT: &str = "trap '' HUP INT TERM QUIT PIPE; read line; kill -s KILL -- -$$";

pub trait SpawnGuarded {
    /// Spawns the command; the child is killed and reaped when the guard drops.
    fn spawn_guarded(&mut self) -> io::Result<ChildGuard>;
    /// Spawns the command in a new process group that the guard kills whole,
    /// with every process the child started that is still in it.
    fn spawn_guarded_group(&mut self) -> io::Result<ChildGuard>;
}

impl SpawnGuarded for Command {
    fn spawn_guarded(&mut self) -> io::Result<ChildGuard> {
        Ok(ChildGuard {
            child: self.spawn()?,
            keeper: None,
        })
    }

    fn spawn_guarded_group(&mut self) -> io::Result<ChildGuard> {
        let mut keeper = Command::new("sh")
            .args(["-c", KEEPER_SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let keeper_in = keeper.stdin.take();
        let pgid = keeper.id();
        let keeper = Keeper {
            child: keeper,
            stdin: keeper_in,
            pgid,
        };
        // On failure `keeper` drops here, which closes its stdin: it ends itself.
        let child = self.process_group(pgid as i32).spawn()?;
        Ok(ChildGuard {
            child,
            keeper: Some(keeper),
        })
    }
}

struct Keeper {
    child: Child,
    stdin: Option<ChildStdin>,
    pgid: u32,
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        reap(&mut self.child);
    }
}

pub struct ChildGuard {
    child: Child,
    keeper: Option<Keeper>,
}

impl ChildGuard {
    /// The process group the guard kills whole, if it was spawned as one.
    pub fn pgid(&self) -> Option<u32> {
        self.keeper.as_ref().map(|k| k.pgid)
    }

    /// Everything this guard would kill now: the child, its descendants, and
    /// the members of its group (with the keeper).
    pub fn processes(&self) -> Vec<Proc> {
        let table = proc_table();
        let mut out = descendants_in(&table, self.child.id());
        out.extend(table.iter().filter(|p| p.pid == self.child.id()).cloned());
        if let Some(pgid) = self.pgid() {
            out.extend(table.iter().filter(|p| p.pgid == pgid).cloned());
        }
        out.sort_by_key(|p| p.pid);
        out.dedup_by_key(|p| p.pid);
        out
    }

    /// As `Child::wait_with_output`, but the child stays guarded while its
    /// output is read, so an error on the way still kills it.
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        fn drain<R: Read + Send + 'static>(
            pipe: Option<R>,
        ) -> std::thread::JoinHandle<io::Result<Vec<u8>>> {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut p) = pipe {
                    p.read_to_end(&mut buf)?;
                }
                Ok(buf)
            })
        }
        self.child.stdin.take();
        let stdout = drain(self.child.stdout.take());
        let stderr = drain(self.child.stderr.take());
        let status = self.child.wait()?;
        let joined = |h: std::thread::JoinHandle<io::Result<Vec<u8>>>| {
            h.join()
                .unwrap_or_else(|_| Err(io::Error::other("a pipe reader panicked")))
        };
        Ok(Output {
            status,
            stdout: joined(stdout)?,
            stderr: joined(stderr)?,
        })
    }

    /// Kills the child (and its group), reaps it and waits, bounded, until
    /// none of what it started is still running. Dropping the guard does the
    /// same; calling it twice is harmless.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let started = self.processes();
        let Some(keeper) = self.keeper.as_mut() else {
            let _ = self.child.kill();
            return reap(&mut self.child);
        };
        let pgid = keeper.pgid;
        // The keeper kills the group, then itself; the direct kill covers a
        // keeper that is already gone.
        keeper.stdin.take();
        let _ = self.child.kill();
        let status = reap(&mut self.child);
        reap(&mut keeper.child);
        let deadline = Instant::now() + EXIT_WAIT;
        loop {
            let left = still_running(&started);
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            // Whatever left the group, or joined it after the group kill. The
            // group is named only while a member is left: until then its id
            // cannot have been given to another group.
            let group = left
                .iter()
                .any(|p| p.pgid == pgid)
                .then(|| format!("-{pgid}"));
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--"])
                .args(group)
                .args(left.iter().map(|p| p.pid.to_string()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(POLL);
        }
        status
    }
}

impl Deref for ChildGuard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits, bounded, for a child that has been told to end.
fn reap(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + EXIT_WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Err(_) => return None,
            Ok(None) if Instant::now() > deadline => return None,
            Ok(None) => std::thread::sleep(POLL),
        }
    }
}

/// One process as `/proc/<pid>/stat` shows it. The start time tells a process
/// apart from a later one that was given the same pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    pub pgid: u32,
    pub start: u64,
}

impl Proc {
    /// The process as it is now: `None` once it is gone (or its pid names a
    /// later process).
    pub fn now(&self) -> Option<Proc> {
        stat(self.pid).filter(|p| p.start == self.start)
    }

    /// Whether it still runs. A zombie has ended: it only waits for its parent
    /// (or init, for an orphan) to collect its exit status.
    pub fn is_running(&self) -> bool {
        self.now().is_some_and(|p| !matches!(p.state, 'Z' | 'X'))
    }
}

/// The processes of `procs` that are still running.
pub fn still_running(procs: &[Proc]) -> Vec<Proc> {
    procs.iter().filter(|p| p.is_running()).cloned().collect()
}

/// The processes of `procs` that this process should have reaped but has not:
/// its own children, ended but still in the process table.
pub fn unreaped_children(procs: &[Proc]) -> Vec<Proc> {
    let me = std::process::id();
    procs
        .iter()
        .filter_map(Proc::now)
        .filter(|p| p.ppid == me && p.state == 'Z')
        .collect()
}

pub fn stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// `pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
/// cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
/// starttime …`; comm may hold spaces and parentheses, so it ends at the last `)`.
fn parse_stat(text: &str) -> Option<Proc> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    Some(Proc {
        pid,
        comm,
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        pgid: rest.get(2)?.parse().ok()?,
        start: rest.get(19)?.parse().ok()?,
    })
}

/// Every process on the machine, as far as /proc can be read (a process may
/// end while it is read; it is then left out).
pub fn proc_table() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

/// The processes below `pid` in the process tree.
pub fn descendants(pid: u32) -> Vec<Proc> {
    descendants_in(&proc_table(), pid)
}

fn descendants_in(table: &[Proc], pid: u32) -> Vec<Proc> {
    let mut out: Vec<Proc> = Vec::new();
    let mut parents = vec![pid];
    // A tree holds each process once, so this ends after at most |table| rounds.
    while let Some(parent) = parents.pop() {
        for p in table.iter().filter(|p| p.ppid == parent) {
            if p.pid != pid && !out.iter().any(|o| o.pid == p.pid) {
                parents.push(p.pid);
                out.push(p.clone());
            }
        }
    }
    out
}

/// Polls, bounded, until `done` holds; returns whether it did.
pub fn wait_until(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

// ---------------------------------------------------------------------------
// The guard's own tests: what it starts does not outlive a panic, nor the
// test process itself.
// ---------------------------------------------------------------------------

/// A shell in its own group with two sleeping children, so a group kill has
/// grandchildren to reach.
fn sleeping_family() -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "sleep 600 & sleep 600 & wait"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Waits until the family's two sleeps are up, and returns all of it.
fn family_of(guard: &ChildGuard) -> Vec<Proc> {
    let mut procs = Vec::new();
    let up = wait_until(EXIT_WAIT, || {
        procs = guard.processes();
        procs.iter().filter(|p| p.comm == "sleep").count() == 2
    });
    assert!(up, "the sleeps never started: {procs:?}");
    procs
}

fn comms(procs: &[Proc]) -> Vec<&str> {
    let mut names: Vec<&str> = procs.iter().map(|p| p.comm.as_str()).collect();
    names.sort_unstable();
    names
}

#[test]
fn d04_a_guarded_child_is_killed_and_reaped_when_its_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(move || {
        let child = Command::new("sleep")
            .arg("600")
            .stdin(Stdio::null())
            .spawn_guarded()
            .unwrap();
        tx.send(stat(child.id()).unwrap()).unwrap();
        panic!("a test failing while its child runs");
    });
    assert!(outcome.is_err(), "the closure was meant to panic");
    let child = rx.recv().unwrap();
    assert_eq!(child.comm, "sleep");
    assert_eq!(child.now(), None, "the child is still in the process table");
}

#[test]
fn d04_a_guarded_group_is_killed_whole_when_its_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(move || {
        let family = sleeping_family().spawn_guarded_group().unwrap();
        let procs = family_of(&family);
        assert!(procs.iter().all(|p| Some(p.pgid) == family.pgid()));
        tx.send(procs).unwrap();
        panic!("a test failing while its child's children run");
    });
    assert!(outcome.is_err(), "the closure was meant to panic");
    let procs = rx.recv().unwrap();
    // The keeper, the shell and its two sleeps.
    assert_eq!(comms(&procs), ["sh", "sh", "sleep", "sleep"]);
    assert_eq!(still_running(&procs), []);
    assert_eq!(unreaped_children(&procs), []);
}

/// Names the group's processes on stdout, then waits (bounded) to be killed.
/// Run only as the child of the test below.
#[test]
#[ignore = "the child process of d04_a_guarded_group_is_killed_when_its_test_process_is_killed"]
fn guarded_group_owner_child_process() {
    if std::env::var_os(OWNER_ENV).is_none() {
        return;
    }
    let family = sleeping_family().spawn_guarded_group().unwrap();
    let procs = family_of(&family);
    let listed: Vec<String> = procs
        .iter()
        .map(|p| format!("{}:{}", p.pid, p.start))
        .collect();
    println!("FAMILY {}", listed.join(" "));
    std::thread::sleep(Duration::from_secs(60));
}

const OWNER_ENV: &str = "TILLBOOK_TEST_GROUP_OWNER";

#[test]
fn d04_a_guarded_group_is_killed_when_its_test_process_is_killed() {
    use std::io::BufRead;
    // This module sits at a different path in each test binary that uses it.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let mut owner = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &format!("{module}::guarded_group_owner_child_process"),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OWNER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn_guarded()
        .unwrap();
    let mut lines = io::BufReader::new(owner.stdout.take().unwrap()).lines();
    let family = loop {
        let line = lines
            .next()
            .expect("the owner ended before it named its processes")
            .unwrap();
        // libtest may have begun the line with the test's name.
        if let Some((_, rest)) = line.split_once("FAMILY ") {
            break rest.to_string();
        }
    };
    let procs: Vec<Proc> = family
        .split(' ')
        .map(|entry| {
            let (pid, start) = entry.split_once(':').unwrap();
            let p = stat(pid.parse().unwrap()).unwrap();
            assert_eq!(p.start, start.parse::<u64>().unwrap());
            p
        })
        .collect();
    assert_eq!(comms(&procs), ["sh", "sh", "sleep", "sleep"]);

    // SIGKILL: no unwinding, no destructor runs in the owner.
    owner.kill().unwrap();
    owner.wait().unwrap();
    let all_ended = wait_until(EXIT_WAIT, || still_running(&procs).is_empty());
    assert!(all_ended, "still running: {:?}", still_running(&procs));
}

#[test]
fn proc_stat_reads_a_command_name_with_spaces_and_parentheses() {
    let p =
        parse_stat("42 (a (b) c) S 7 42 42 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 1234 0").unwrap();
    assert_eq!(
        p,
        Proc {
            pid: 42,
            comm: "a (b) c".into(),
            state: 'S',
            ppid: 7,
            pgid: 42,
            start: 1234,
        }
    );
}
