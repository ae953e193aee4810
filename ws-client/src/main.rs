//! `ws-client`: the command-line entry point. It reads the flags and calls
//! [`ws_client::run`]; the client itself lives in `lib.rs`.
//!
//! Run: `cargo run -p ws-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's WebSocket client: prompts "Enter a message: ", sends each
/// line and prints the server's reply, until the end of input (Ctrl-D).
///
/// Pointed at ws://localhost:8765/tick it follows the live feed instead,
/// printing each tick as the server pushes it; at /chat it joins the room.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The WebSocket URL to connect to (plain ws://)
    #[arg(default_value = common::DEFAULT_WS_URL)]
    url: String,
    /// Seconds to wait for the connection, and for each reply, before giving
    /// up (at /tick: seconds of silence before the server is pinged, then
    /// for its answer)
    #[arg(long, default_value = "10", value_parser = common::cli::parse_seconds)]
    timeout: Duration,
    /// Show on standard error what crosses the wire: the upgrade, then each frame
    #[arg(long)]
    verbose: bool,
    /// At /tick, stop after this many ticks (and say what they cost)
    #[arg(long)]
    count: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    let (url, timeout, verbose) = (args.url.as_str(), args.timeout, args.verbose);
    let result = if is_feed(url) {
        let mut out = std::io::stdout();
        ws_client::follow(url, args.count, timeout, verbose, &mut out)
            .await
            .map(drop)
    } else {
        ws_client::run(url, timeout, verbose).await
    };
    common::cli::exit_code(result)
}

/// Whether `url` is a server's feed, `/tick`, which the client follows
/// rather than talks to.
fn is_feed(url: &str) -> bool {
    common::url::parse(url, "ws").is_ok_and(|uri| uri.path() == "/tick")
}
