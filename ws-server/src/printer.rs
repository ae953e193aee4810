//! The printer of ws-server's `Received Message: m` lines: the article's
//! `print(f"Received Message: {message}")`, made cheap enough to keep under
//! load. Used by `echo.rs`; started and stopped by `serve` in `lib.rs`.
//!
//! Run `cargo run -p ws-server` and connect a client: each message it sends
//! is printed here.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

/// How long the printing thread rests after writing a batch of lines, so
/// that lines arriving meanwhile make up the next batch. It wakes at most
/// about two hundred times a second whatever the load, and a line is at most
/// about five milliseconds late, which nobody reading a terminal can see.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// How many bytes of lines may wait to be printed. Past it a connection
/// waits for the printing thread to catch up (a terminal scrolled back, a
/// pipe nobody drains), rather than the lines piling up in memory. It is
/// large enough to hold what arrives in a [`BATCH_WINDOW`] under load, so
/// that connections do not wait for the thread's rest to end.
const MAX_WAITING: usize = 256 * 1024;

/// Prints the article's `Received Message: m` lines, from a thread of its own.
///
/// A connection copies its line into a buffer shared with the printing
/// thread and carries on: no allocation, no message passing, and no waiting
/// on the terminal (unless [`MAX_WAITING`] bytes are already waiting, when
/// waiting is the right thing to do). The printing thread takes the whole
/// buffer at once and writes it with one system call: under load, one for
/// hundreds of lines rather than one each. (A plain thread with a blocking
/// `stdout`, rather than tokio's `stdout`, which would hand every write to
/// tokio's blocking pool.)
///
/// After each batch the thread rests for [`BATCH_WINDOW`] before it looks
/// for more, so that under load it is woken once for many lines rather than
/// once for each: every wake costs two switches between threads.
#[derive(Clone)]
pub(crate) struct Printer(Option<Arc<Queue>>);

/// The lines on their way from the connections to the printing thread.
struct Queue {
    lines: Mutex<Lines>,
    /// Wakes the printing thread, when it waits, for new lines or to finish.
    arrived: Condvar,
    /// Wakes connections waiting for room, each time a batch is taken.
    taken: Notify,
}

/// The lines waiting to be printed.
#[derive(Default)]
struct Lines {
    /// Each line ends in `\n`.
    waiting: Vec<u8>,
    /// Whether the printing thread is asleep until `arrived` wakes it.
    asleep: bool,
    /// No more lines: the server is done, or nobody reads our output.
    closed: bool,
}

impl Queue {
    fn new() -> Self {
        Self {
            lines: Mutex::default(),
            arrived: Condvar::new(),
            taken: Notify::new(),
        }
    }

    /// Locks the lines. (A panic elsewhere while they were locked leaves
    /// them whole: every change is a single push or flag, so printing goes on.)
    fn lock(&self) -> MutexGuard<'_, Lines> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `message`'s line to the waiting ones, unless there is no room.
    fn push(&self, message: &str) -> bool {
        let mut lines = self.lock();
        if lines.closed {
            // Nobody will print it: drop it rather than wait forever.
            return true;
        }
        if lines.waiting.len() >= MAX_WAITING {
            return false;
        }
        lines
            .waiting
            .extend_from_slice(common::RECEIVED_MESSAGE.as_bytes());
        lines.waiting.extend_from_slice(message.as_bytes());
        lines.waiting.push(b'\n');
        let wake = std::mem::take(&mut lines.asleep);
        drop(lines);
        if wake {
            self.arrived.notify_one();
        }
        true
    }

    /// Takes every waiting line into `batch` (which must be empty), first
    /// waiting for one to arrive. `false` once closed and all are printed.
    fn take(&self, batch: &mut Vec<u8>) -> bool {
        let mut lines = self.lock();
        while lines.waiting.is_empty() && !lines.closed {
            lines.asleep = true;
            lines = self
                .arrived
                .wait(lines)
                .unwrap_or_else(PoisonError::into_inner);
        }
        std::mem::swap(&mut lines.waiting, batch);
        drop(lines);
        self.taken.notify_waiters();
        !batch.is_empty()
    }

    /// No more lines will be printed; wakes everyone who waits for that.
    fn close(&self) {
        self.lock().closed = true;
        self.arrived.notify_one();
        self.taken.notify_waiters();
    }
}

/// Completes once every line has been printed: see [`Printer::finish`].
pub(crate) struct Printing(oneshot::Receiver<()>);

impl Printer {
    /// Starts the printing thread (none with `--quiet`).
    ///
    /// A plain thread, not `spawn_blocking`: tokio's paused test clock does
    /// not move while a blocking task runs, and this one runs for as long as
    /// the server does.
    pub(crate) fn start(quiet: bool) -> (Self, Printing) {
        let (done, printing) = oneshot::channel();
        if quiet {
            let _ = done.send(());
            return (Self(None), Printing(printing));
        }
        let queue = Arc::new(Queue::new());
        let printer = queue.clone();
        std::thread::spawn(move || {
            // Dropping `done` when this thread ends, however it ends, is the signal.
            let _done = done;
            let mut batch = Vec::new();
            while printer.take(&mut batch) {
                // Locked only while a batch is written, never while waiting:
                // other code in the process (the started line, a test
                // harness) prints too.
                let mut out = std::io::stdout().lock();
                if out.write_all(&batch).and_then(|()| out.flush()).is_err() {
                    // Nobody is reading our output any more: stop printing,
                    // and let the connections stop waiting too.
                    printer.close();
                    return;
                }
                drop(out);
                batch.clear();
                // One huge message's line does not keep its memory for good.
                batch.shrink_to(MAX_WAITING);
                std::thread::sleep(BATCH_WINDOW);
            }
        });
        (Self(Some(queue)), Printing(printing))
    }

    /// Queues the line `Received Message: {message}`.
    pub(crate) async fn print(&self, message: &str) {
        let Some(queue) = &self.0 else { return };
        loop {
            // Signed up before looking, so a batch taken in between still
            // wakes us.
            let taken = queue.taken.notified();
            if queue.push(message) {
                return;
            }
            taken.await;
        }
    }

    /// Prints what is still waiting, then stops the printing thread. Called
    /// once no connection is left to print more.
    pub(crate) async fn finish(self, printing: Printing) {
        if let Some(queue) = &self.0 {
            queue.close();
        }
        let _ = printing.0.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    /// Lines come out in order, each with the article's words, all at once.
    #[test]
    fn waiting_lines_are_taken_in_one_batch() {
        let queue = Queue::new();
        assert!(queue.push("a"));
        assert!(queue.push("b"));
        let mut batch = Vec::new();
        assert!(queue.take(&mut batch));
        assert_eq!(batch, b"Received Message: a\nReceived Message: b\n");
    }

    /// A connection whose line finds the queue full waits, and goes on as
    /// soon as the printing thread takes a batch.
    #[tokio::test]
    async fn a_full_queue_holds_a_line_back_until_a_batch_is_taken() {
        let queue = Arc::new(Queue::new());
        let filled = (0..MAX_WAITING).any(|_| !queue.push("filler"));
        assert!(
            filled,
            "the queue took {MAX_WAITING} lines and was never full"
        );
        let printer = Printer(Some(queue.clone()));
        let mut print = std::pin::pin!(printer.print("late"));
        assert!(
            print.as_mut().now_or_never().is_none(),
            "printed into a full queue"
        );

        let mut batch = Vec::new();
        assert!(queue.take(&mut batch));
        tokio::time::timeout(Duration::from_secs(5), print)
            .await
            .expect("still waiting after a batch was taken");
        batch.clear();
        assert!(queue.take(&mut batch));
        assert_eq!(batch, b"Received Message: late\n");
    }

    /// Once closed, what was waiting is still printed, new lines are dropped
    /// (nobody would print them), and then the printing thread is told to stop.
    #[test]
    fn a_closed_queue_hands_over_its_last_lines_then_stops() {
        let queue = Queue::new();
        assert!(queue.push("last"));
        queue.close();
        assert!(queue.push("dropped"));
        let mut batch = Vec::new();
        assert!(queue.take(&mut batch));
        assert_eq!(batch, b"Received Message: last\n");
        batch.clear();
        assert!(!queue.take(&mut batch));
    }
}
