//! ws-server's one writer of standard output and standard error: the
//! article's `print(f"Received Message: {message}")` lines on one, the
//! server's log (`tracing` events, see `log.rs`) on the other, both written
//! by one thread. Used by `echo.rs` for the lines, and by `lib.rs`, which
//! starts it and stops it.
//!
//! Run `cargo run -p ws-server 2>&1 | tee log` and connect a few clients to
//! see both streams in one pipe, each line whole.
//!
//! # Why one thread, and why a queue
//!
//! A connection never writes to a terminal or a pipe itself, nor waits for
//! one. It copies its line into a buffer shared with the printing thread and
//! carries on, so a terminal scrolled back or a pipe nobody drains never
//! holds up a connection. The thread takes everything waiting at once and
//! writes it in one go: under load, one system call for hundreds of lines
//! rather than one each.
//!
//! The log goes the same way, into a buffer of its own: each event becomes
//! one whole line, queued by the task that logged it and written by the
//! thread. So with `ws-server 2>&1 | tee log`, where both streams are one
//! pipe, only one thread ever writes to that pipe, one buffer of whole lines
//! after another, and no log line can land in the middle of a long
//! `Received Message` line. (A pipe keeps a write whole only up to 4 KiB;
//! past that, two writers' bytes interleave.)
//!
//! # The bounds
//!
//! Memory is bounded: at most 256 KiB of `Received Message` lines and
//! 64 KiB of log lines wait. A line that finds its stream's buffer full is
//! dropped, and counted, and the thread logs how many were dropped once it
//! has written again. So nothing waits for output: not a connection (which
//! must answer its client whatever the terminal does) and not the code that
//! logs (which reports trouble, such as a stalled terminal). The buffers are
//! large enough that only output stalled, or far slower than the load,
//! loses lines.
//!
//! Each stream's lines come out in the order they were queued. The two
//! streams are not ordered against each other: waiting log lines are
//! written before waiting `Received Message` lines, since they are few and
//! short.
//!
//! The started line is the one line not printed here: `run` prints it with
//! `println!` before any connection can exist.

mod queue;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use self::queue::{MAX_WAITING, Queue, Stream};

/// How long the printing thread rests after writing `Received Message`
/// lines, so that lines arriving meanwhile make up the next batch. It wakes
/// at most about two hundred times a second whatever the load, and a line is
/// at most about five milliseconds late, which nobody reading a terminal can
/// see.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// How long the printing thread has, once told to finish, to write what is
/// left. By then either it has, or it is stuck on output nobody reads.
const FINISH_TIMEOUT: Duration = Duration::from_secs(1);

/// Prints the article's `Received Message: m` lines and the log, from a
/// thread of its own; see the top of this file. A clone is another handle
/// on the same thread.
#[derive(Clone)]
pub(crate) struct Printer(Option<Arc<Queue>>);

impl Printer {
    /// Starts the printing thread.
    ///
    /// A plain thread with blocking writes, rather than tokio's `stdout`,
    /// which would hand every write to tokio's blocking pool; and not
    /// `spawn_blocking`, since it runs for as long as the server does.
    pub(crate) fn start() -> Self {
        let queue = Arc::new(Queue::new());
        let printer = queue.clone();
        std::thread::spawn(move || {
            print_until_closed(&printer);
            printer.end();
        });
        Self(Some(queue))
    }

    /// A printer that prints nothing, with no thread (`--quiet`, as the
    /// in-process tests run: tokio's paused clock cannot see another thread,
    /// so waiting for one at shutdown would let the clock jump).
    pub(crate) fn silent() -> Self {
        Self(None)
    }

    /// Queues the line `Received Message: {message}`, or drops it if there
    /// is no room; never waits.
    pub(crate) fn print(&self, message: &str) {
        if let Some(queue) = &self.0 {
            queue.push_line(message);
        }
    }

    /// Queues one whole log line (ending in `\n`), or drops it if there is
    /// no room; never waits.
    pub(crate) fn log(&self, line: &[u8]) {
        if let Some(queue) = &self.0 {
            queue.push_log(line);
        }
    }

    /// Completes once every line queued so far is printed.
    pub(crate) async fn flush(&self) {
        if let Some(queue) = &self.0 {
            queue.idle().await;
        }
    }

    /// Prints what is still waiting, then stops the printing thread. Called
    /// once nothing is left to print more.
    ///
    /// The thread gets [`FINISH_TIMEOUT`]. If it is still writing to
    /// standard output by then, nobody is reading that, and the log lines
    /// still waiting (which say so) would never be seen. When standard error
    /// is a file of its own (a terminal, while standard output goes to a
    /// pipe) they are written to it here. When both streams are one file,
    /// nobody could read them either, and writing beside the stuck thread is
    /// what could cut a line in two, so they are not.
    pub(crate) async fn finish(&self) {
        let Some(queue) = &self.0 else { return };
        queue.close();
        let idle = tokio::time::timeout(FINISH_TIMEOUT, queue.idle()).await;
        if idle.is_ok() || stderr_is_stdout() {
            return;
        }
        let log = {
            let mut lines = queue.lock();
            if lines.writing != Some(Stream::Out) {
                return;
            }
            std::mem::take(&mut lines.err)
        };
        // On a thread of its own, so that a standard error nobody reads
        // cannot keep the server from exiting either.
        let (done, written) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = std::io::stderr().write_all(&log);
            let _ = done.send(());
        });
        let _ = tokio::time::timeout(FINISH_TIMEOUT, written).await;
    }
}

/// The printing thread's work: take what waits, write it, until closed.
fn print_until_closed(queue: &Queue) {
    let mut batch = Vec::new();
    while let Some(stream) = queue.take(&mut batch) {
        // Each stream is locked only while a batch is written, never while
        // waiting: the started line is printed from elsewhere.
        match stream {
            Stream::Out => {
                let mut out = std::io::stdout().lock();
                if out.write_all(&batch).and_then(|()| out.flush()).is_err() {
                    queue.out_gone();
                }
            }
            // If standard error fails there is nowhere to say so.
            Stream::Err => {
                let _ = std::io::stderr().lock().write_all(&batch);
            }
        }
        batch.clear();
        // One huge message's line does not keep its memory for good.
        batch.shrink_to(MAX_WAITING);
        if stream == Stream::Out {
            std::thread::sleep(BATCH_WINDOW);
        }
        // Queued like any other log line, now that some were written.
        let (lines, logs) = queue.dropped();
        if lines > 0 {
            tracing::warn!(
                "{lines} Received Message lines were not printed: standard output did not keep up"
            );
        }
        if logs > 0 {
            tracing::warn!("{logs} log lines were dropped: standard error did not keep up");
        }
    }
}

/// Whether standard error is the same file as standard output: one
/// terminal, or one pipe after `2>&1`. When it cannot tell, it says yes,
/// the cautious answer for [`Printer::finish`].
fn stderr_is_stdout() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::{AsFd, BorrowedFd};
        use std::os::unix::fs::MetadataExt;
        let file = |fd: BorrowedFd<'_>| {
            let fd = fd.try_clone_to_owned()?;
            std::fs::File::from(fd).metadata()
        };
        match (
            file(std::io::stdout().as_fd()),
            file(std::io::stderr().as_fd()),
        ) {
            (Ok(out), Ok(err)) => out.dev() == err.dev() && out.ino() == err.ino(),
            _ => true,
        }
    }
    #[cfg(not(unix))]
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    /// `flush` waits for what was taken to be written, not only taken.
    #[tokio::test]
    async fn flush_waits_until_the_lines_taken_are_written() {
        let queue = Arc::new(Queue::new());
        queue.push_line("a");
        let mut batch = Vec::new();
        assert_eq!(queue.take(&mut batch), Some(Stream::Out));
        let printer = Printer(Some(queue.clone()));
        let mut flush = std::pin::pin!(printer.flush());
        assert!(
            flush.as_mut().now_or_never().is_none(),
            "flushed while a batch was still being written"
        );
        // The thread comes back for more once the batch is written.
        queue.close();
        assert_eq!(queue.take(&mut batch), None);
        tokio::time::timeout(Duration::from_secs(3), flush)
            .await
            .expect("still flushing after the batch was written");
    }
}
