//! A FIFO turnstile for the writer connection: writers in this process are served
//! in arrival order, and nobody waits longer than a bound (D07).

use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub(crate) struct WriteGate {
    state: Mutex<GateState>,
    turn_changed: Condvar,
}

struct GateState {
    queue: VecDeque<u64>,
    next_ticket: u64,
    held: bool,
}

/// Releases the gate when dropped, including when the holder panics.
pub(crate) struct Turn<'a> {
    gate: &'a WriteGate,
}

impl WriteGate {
    pub(crate) fn new() -> Self {
        WriteGate {
            state: Mutex::new(GateState {
                queue: VecDeque::new(),
                next_ticket: 0,
                held: false,
            }),
            turn_changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is a queue of tickets; it stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn acquire(&self, timeout: Duration) -> Result<Turn<'_>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket = state.next_ticket.wrapping_add(1);
        state.queue.push_back(ticket);
        loop {
            if !state.held && state.queue.front() == Some(&ticket) {
                state.queue.pop_front();
                state.held = true;
                return Ok(Turn { gate: self });
            }
            let now = Instant::now();
            if now >= deadline {
                state.queue.retain(|t| *t != ticket);
                drop(state);
                // Our leaving may put someone else at the front.
                self.turn_changed.notify_all();
                return Err(Error::Busy { attempts: 0 });
            }
            state = self
                .turn_changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.gate.lock().held = false;
        self.gate.turn_changed.notify_all();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn d07_waiting_for_the_writer_is_bounded() {
        let gate = WriteGate::new();
        let _held = gate.acquire(Duration::from_secs(1)).unwrap();
        let err = gate.acquire(Duration::from_millis(20)).err().unwrap();
        assert_eq!(err.code(), crate::error::ErrorCode::Busy);
    }

    #[test]
    fn turns_are_exclusive() {
        let gate = Arc::new(WriteGate::new());
        let inside = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, barrier) = (gate.clone(), inside.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..200 {
                        let _t = gate.acquire(Duration::from_secs(30)).unwrap();
                        let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        assert_eq!(n, 0, "two writers inside the gate");
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
