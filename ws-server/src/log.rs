//! ws-server's log: `tracing` events (a connection that ended with an
//! error, the server shutting down), formatted by `tracing_subscriber` and
//! written by the printing thread (`printer.rs`), so that they never cut a
//! `Received Message` line in two. Set up by `run` in `lib.rs`.
//!
//! Run `RUST_LOG=warn cargo run -p ws-server` to see only the server's own
//! trouble; without `RUST_LOG`, `info` and up are shown.
//!
//! Beyond the article, whose server prints only its started line and the
//! messages.

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::printer::Printer;

/// Sends `tracing`'s events to `printer`, one formatted line each, at the
/// levels `RUST_LOG` chooses (`info` and up when it is not set). If the
/// process already has a subscriber (a program that runs ws-server inside
/// itself), that one stays.
pub(crate) fn log_through(printer: &Printer) {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(printer.clone())
        .try_init();
}

/// Where `tracing_subscriber` writes each event: it formats the event into
/// one line and writes it with one `write_all`, which queues the line whole
/// (or drops it) and returns at once.
impl<'a> MakeWriter<'a> for Printer {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> LogLine<'a> {
        LogLine(self)
    }
}

/// One event's line on its way to the printer.
pub(crate) struct LogLine<'a>(&'a Printer);

impl Write for LogLine<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.0.log(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
