//! The server's log writer: lines gather in memory and a thread of their own writes them out a
//! batch at a time.
//!
//! A writer thread woken for every line (a channel send, a futex wake, a `write` of a few hundred
//! bytes) costs a busy server more than formatting the line does: at tens of thousands of
//! requests a second that is tens of thousands of wake-ups and system calls. Here a request copies
//! its line into a shared buffer under a lock held for that copy, and wakes nobody; the writer
//! wakes on its own clock ([`INTERVAL`]), or early once [`EARLY`] bytes are waiting, and writes
//! everything waiting in one call.
//!
//! When the output stalls (a full pipe, a slow disk), lines past `limit` (or past [`MAX_BYTES`])
//! are dropped and counted rather than a request waiting for the log.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
const INTERVAL: Duration = Duration::from_millis(50);
/// Waiting bytes that wake the writer before its interval is up.
const EARLY: usize = 256 * 1024;
/// Waiting bytes past which lines are dropped, whatever their number: long lines (a request's
/// path is logged, and anyone chooses it) must not make the waiting lines a memory sink.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Hands each line to the shared buffer (the fmt layer's writer).
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

/// Stops the writer when dropped, after it has written every line still waiting.
pub struct Writing {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The count of lines dropped because `limit` lines were waiting.
#[derive(Clone)]
pub struct Dropped(Arc<Shared>);

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Lines that may wait at once.
    limit: usize,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    lines: usize,
    stopping: bool,
}

/// Starts the writer thread on `out`, holding at most `limit` lines (at least one).
pub fn start<W: Write + Send + 'static>(
    out: W,
    limit: usize,
) -> std::io::Result<(Batched, Dropped, Writing)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        limit: limit.max(1),
        dropped: AtomicU64::new(0),
    });
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("tenantry-log".into())
            .spawn(move || shared.write_out(out))?
    };
    Ok((
        Batched {
            shared: shared.clone(),
        },
        Dropped(shared.clone()),
        Writing {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves whole lines behind it: the buffer is still good.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one line (the fmt layer writes each line with one call).
    fn push(&self, line: &[u8]) {
        let mut pending = self.lock();
        if pending.lines >= self.limit || pending.bytes.len() + line.len() > MAX_BYTES {
            drop(pending);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let was = pending.bytes.len();
        pending.bytes.extend_from_slice(line);
        pending.lines += 1;
        let early = was < EARLY && pending.bytes.len() >= EARLY;
        drop(pending);
        if early {
            self.wake.notify_one();
        }
    }

    /// The writer thread: every [`INTERVAL`] (or sooner when woken), takes what is waiting and
    /// writes it; on stopping, writes the rest and returns.
    fn write_out(&self, mut out: impl Write) {
        let mut batch = Vec::new();
        loop {
            let stopping = {
                let mut pending = self.lock();
                if !pending.stopping {
                    pending = self
                        .wake
                        .wait_timeout(pending, INTERVAL)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                std::mem::swap(&mut pending.bytes, &mut batch);
                pending.lines = 0;
                pending.stopping
            };
            if !batch.is_empty() {
                // Nowhere to report a failed write of the log; the next batch tries again.
                let _ = out.write_all(&batch).and_then(|()| out.flush());
                batch.clear();
            }
            if stopping && self.lock().bytes.is_empty() {
                return;
            }
        }
    }
}

impl Dropped {
    pub fn lines(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One line's writer, as the fmt layer asks for one per event.
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An output that keeps what it is given.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_writer_stops() {
        let kept = Kept::default();
        let (batched, dropped, writing) = start(kept.clone(), 10_000).unwrap();
        for n in 0..1000 {
            batched
                .make_writer()
                .write_all(format!("line {n}\n").as_bytes())
                .unwrap();
        }
        drop(writing);
        let text = String::from_utf8(kept.0.lock().unwrap().clone()).unwrap();
        let expected: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        assert_eq!(text, expected);
        assert_eq!(dropped.lines(), 0);
    }

    /// An output that never returns (a pipe nobody reads) until it is let go.
    struct Stalled(Arc<Mutex<()>>);

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            drop(self.0.lock().unwrap());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_past_the_limit_are_dropped_and_counted_while_the_output_stalls() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let (batched, dropped, writing) = start(Stalled(gate.clone()), 16).unwrap();
        batched.make_writer().write_all(b"first\n").unwrap();
        // The writer takes the first line and stalls writing it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while batched.shared.lock().lines > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never took the line"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        for _ in 0..100 {
            batched.make_writer().write_all(b"more\n").unwrap();
        }
        assert_eq!(dropped.lines(), 100 - 16);
        drop(held);
        drop(writing);
    }

    #[test]
    fn long_lines_are_dropped_past_the_byte_bound_however_few() {
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let (batched, dropped, writing) = start(Stalled(gate.clone()), 1_000_000).unwrap();
        batched.make_writer().write_all(b"first\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while batched.shared.lock().lines > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never took the line"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let line = vec![b'a'; 64 * 1024];
        for _ in 0..1000 {
            batched.make_writer().write_all(&line).unwrap();
        }
        // 16 MiB hold 256 lines of 64 KiB.
        assert_eq!(dropped.lines(), 1000 - 256);
        assert!(batched.shared.lock().bytes.len() <= MAX_BYTES);
        drop(held);
        drop(writing);
    }
}
