//! The printer of ws-server's `Received Message: m` lines: the article's
//! `print(f"Received Message: {message}")`, made cheap enough to keep under
//! load. Used by `serve` in `lib.rs`.

use std::io::Write;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

/// How long the printing thread rests after writing a batch of lines, so
/// that lines arriving meanwhile make up the next batch.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Prints the article's `Received Message: m` lines, from a thread of its own.
///
/// A connection hands its line over and carries on; it never waits on the
/// terminal (unless a thousand lines are already queued, when waiting is the
/// right thing to do). The printing thread writes a line as soon as it comes,
/// but when many are queued, as under load, it writes them all with one
/// flush: one system call for many lines rather than one each. (A plain
/// thread with a blocking `stdout`, rather than tokio's `stdout`, which would
/// hand every write to tokio's blocking pool.)
///
/// After each batch the thread rests for [`BATCH_WINDOW`] before it looks
/// for more. Without the rest, under load it would be woken for every
/// single line: each line would cost two switches between threads, and the
/// server half its speed. With it, the thread wakes at most about a thousand
/// times a second, whatever the load, and a line is at most about a
/// millisecond late, which nobody reading a terminal can see.
#[derive(Clone)]
pub(crate) struct Printer(Option<mpsc::Sender<String>>);

impl Printer {
    /// Starts the printing thread (none with `--quiet`). The receiver
    /// completes when every line has been written.
    ///
    /// A plain thread, not `spawn_blocking`: tokio's paused test clock does
    /// not move while a blocking task runs, and this one runs for as long as
    /// the server does.
    pub(crate) fn start(quiet: bool) -> (Self, oneshot::Receiver<()>) {
        let (done, printing) = oneshot::channel();
        if quiet {
            let _ = done.send(());
            return (Self(None), printing);
        }
        let (lines, mut queue) = mpsc::channel::<String>(1024);
        std::thread::spawn(move || {
            // Dropping `done` when this thread ends, however it ends, is the signal.
            let _done = done;
            // Locked only while a batch is written, never while waiting: other
            // code in the process (the started line, a test harness) prints too.
            let mut out = std::io::BufWriter::new(std::io::stdout());
            while let Some(line) = queue.blocking_recv() {
                let mut written = writeln!(out, "{line}");
                while let Ok(more) = queue.try_recv() {
                    written = written.and_then(|()| writeln!(out, "{more}"));
                }
                if written.and_then(|()| out.flush()).is_err() {
                    // Nobody is reading our output any more: stop printing.
                    // Dropping the queue lets the connections stop waiting too.
                    return;
                }
                std::thread::sleep(BATCH_WINDOW);
            }
        });
        (Self(Some(lines)), printing)
    }

    /// Queues one line.
    pub(crate) async fn print(&self, line: String) {
        if let Some(lines) = &self.0 {
            let _ = lines.send(line).await;
        }
    }
}
