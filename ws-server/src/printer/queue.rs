//! The queue between the connections and the printing thread: two buffers
//! of whole lines, one per stream, behind one lock. The design is explained
//! in `printer.rs`; this is its bookkeeping, and `cargo test -p ws-server`
//! runs its tests. Beyond the article, whose `print` simply blocks.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// How many bytes of `Received Message` lines may wait to be printed (and
/// one more line past it, so that a message of any size can be printed).
/// Large enough to hold what arrives in one of the printing thread's rests
/// under load, so that no line is dropped only because the thread rested.
pub(super) const MAX_WAITING: usize = 256 * 1024;

/// How many bytes of log lines may wait to be printed.
pub(super) const MAX_LOG_WAITING: usize = 64 * 1024;

/// The two streams the printing thread writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Stream {
    Out,
    Err,
}

/// The lines on their way to the printing thread.
pub(super) struct Queue {
    lines: Mutex<Lines>,
    /// Wakes the printing thread, when it waits, for new lines or to finish.
    arrived: Condvar,
    /// Wakes whoever waits for everything to be printed, each time the
    /// thread is done with what it took.
    printed: Notify,
}

/// What waits to be printed. Each line ends in `\n`.
#[derive(Default)]
pub(super) struct Lines {
    /// `Received Message` lines, for standard output.
    out: Vec<u8>,
    /// Log lines, for standard error.
    pub(super) err: Vec<u8>,
    /// Lines dropped for want of room since the thread last said so:
    /// `Received Message` lines, and log lines.
    dropped: (u64, u64),
    /// The stream the thread is writing to now, if any.
    pub(super) writing: Option<Stream>,
    /// Whether the thread is asleep until `arrived` wakes it.
    asleep: bool,
    /// Standard output failed (nobody reads it any more): its lines are dropped.
    out_gone: bool,
    /// No more lines: the server is done.
    closed: bool,
    /// The thread has printed everything and stopped.
    ended: bool,
}

impl Lines {
    /// Nothing waits and nothing is being written.
    fn idle(&self) -> bool {
        self.ended || (self.out.is_empty() && self.err.is_empty() && self.writing.is_none())
    }
}

impl Queue {
    pub(super) fn new() -> Self {
        Self {
            lines: Mutex::default(),
            arrived: Condvar::new(),
            printed: Notify::new(),
        }
    }

    /// Locks the lines. (A panic elsewhere while they were locked leaves
    /// them whole: every change is a single push or flag, so printing goes on.)
    pub(super) fn lock(&self) -> MutexGuard<'_, Lines> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `message`'s `Received Message` line if there is room, and
    /// otherwise counts it.
    pub(super) fn push_line(&self, message: &str) {
        let mut lines = self.lock();
        if lines.closed || lines.out_gone {
            // Nobody will print it.
            return;
        }
        if lines.out.len() >= MAX_WAITING {
            lines.dropped.0 += 1;
            return;
        }
        let out = &mut lines.out;
        out.extend_from_slice(common::RECEIVED_MESSAGE.as_bytes());
        out.extend_from_slice(message.as_bytes());
        out.push(b'\n');
        self.wake(lines);
    }

    /// Adds a whole log line if there is room, and otherwise counts it.
    pub(super) fn push_log(&self, line: &[u8]) {
        let mut lines = self.lock();
        if lines.closed {
            return;
        }
        if lines.err.len() + line.len() > MAX_LOG_WAITING {
            lines.dropped.1 += 1;
            return;
        }
        lines.err.extend_from_slice(line);
        self.wake(lines);
    }

    /// Wakes the printing thread if it sleeps, once the lock is let go.
    fn wake(&self, mut lines: MutexGuard<'_, Lines>) {
        let wake = std::mem::take(&mut lines.asleep);
        drop(lines);
        if wake {
            self.arrived.notify_one();
        }
    }

    /// Called by the printing thread when it is done with what it took
    /// last: takes what waits for one stream into `batch` (which must be
    /// empty), log lines first, first waiting for some to arrive. `None`
    /// once closed and all is printed.
    pub(super) fn take(&self, batch: &mut Vec<u8>) -> Option<Stream> {
        let mut lines = self.lock();
        lines.writing = None;
        if lines.idle() {
            self.printed.notify_waiters();
        }
        while lines.out.is_empty() && lines.err.is_empty() && !lines.closed {
            lines.asleep = true;
            lines = self
                .arrived
                .wait(lines)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let (stream, waiting) = if !lines.err.is_empty() {
            (Stream::Err, &mut lines.err)
        } else if !lines.out.is_empty() {
            (Stream::Out, &mut lines.out)
        } else {
            return None;
        };
        std::mem::swap(waiting, batch);
        lines.writing = Some(stream);
        Some(stream)
    }

    /// How many `Received Message` lines and log lines were dropped since
    /// the last call.
    pub(super) fn dropped(&self) -> (u64, u64) {
        std::mem::take(&mut self.lock().dropped)
    }

    /// Standard output failed: drop its lines from now on.
    pub(super) fn out_gone(&self) {
        let mut lines = self.lock();
        lines.out_gone = true;
        lines.out = Vec::new();
    }

    /// No more lines will be queued; wakes the printing thread to finish.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.arrived.notify_one();
    }

    /// The printing thread has stopped.
    pub(super) fn end(&self) {
        self.lock().ended = true;
        self.printed.notify_waiters();
    }

    /// Completes once nothing waits and nothing is being written.
    pub(super) async fn idle(&self) {
        loop {
            // Signed up before looking, so a batch finished in between
            // still wakes us.
            let printed = self.printed.notified();
            if self.lock().idle() {
                return;
            }
            printed.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log lines are taken before `Received Message` lines, each stream's
    /// lines in order and all at once.
    #[test]
    fn waiting_lines_are_taken_a_stream_at_a_time_log_first() {
        let queue = Queue::new();
        queue.push_line("a");
        queue.push_log(b"one\n");
        queue.push_line("b");
        queue.push_log(b"two\n");
        let mut batch = Vec::new();
        assert_eq!(queue.take(&mut batch), Some(Stream::Err));
        assert_eq!(batch, b"one\ntwo\n");
        batch.clear();
        assert_eq!(queue.take(&mut batch), Some(Stream::Out));
        assert_eq!(batch, b"Received Message: a\nReceived Message: b\n");
    }

    /// A line that finds the queue full is dropped at once, and counted, on
    /// either stream; the lines that fit stay whole.
    #[test]
    fn a_line_that_does_not_fit_is_dropped_and_counted() {
        let queue = Queue::new();
        let message = "x".repeat(1000);
        let log = [b'y'; 1000];
        let line = format!("Received Message: {message}\n");
        for _ in 0..MAX_WAITING.div_ceil(line.len()) + 2 {
            queue.push_line(&message);
        }
        for _ in 0..MAX_LOG_WAITING / log.len() + 2 {
            queue.push_log(&log);
        }
        assert_eq!(queue.dropped(), (2, 2));
        assert_eq!(queue.dropped(), (0, 0), "the counts start again");

        let mut batch = Vec::new();
        assert_eq!(queue.take(&mut batch), Some(Stream::Err));
        assert!(batch.len() <= MAX_LOG_WAITING);
        assert!(batch.chunks(log.len()).all(|whole| whole == log));
        batch.clear();
        assert_eq!(queue.take(&mut batch), Some(Stream::Out));
        assert!(
            batch
                .chunks(line.len())
                .all(|whole| whole == line.as_bytes())
        );
    }

    /// A message longer than the whole queue is still printed when nothing
    /// else waits.
    #[test]
    fn a_message_of_any_size_fits_an_empty_queue() {
        let queue = Queue::new();
        queue.push_line(&"x".repeat(MAX_WAITING * 2));
        assert_eq!(queue.dropped(), (0, 0));
        let mut batch = Vec::new();
        assert_eq!(queue.take(&mut batch), Some(Stream::Out));
        assert_eq!(batch.len(), "Received Message: \n".len() + MAX_WAITING * 2);
    }

    /// Once closed, what was waiting is still handed over, new lines are
    /// dropped (nobody would print them), and then the thread is told to stop.
    #[test]
    fn a_closed_queue_hands_over_its_last_lines_then_stops() {
        let queue = Queue::new();
        queue.push_line("last");
        queue.close();
        queue.push_line("dropped");
        let mut batch = Vec::new();
        assert_eq!(queue.take(&mut batch), Some(Stream::Out));
        assert_eq!(batch, b"Received Message: last\n");
        batch.clear();
        assert_eq!(queue.take(&mut batch), None);
    }
}
