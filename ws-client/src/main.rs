//! `ws-client`: the command-line entry point. It reads the flags and calls
//! [`ws_client::run`]; the client itself lives in `lib.rs`.
//!
//! Run: `cargo run -p ws-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's WebSocket client: prompts "Enter a message: ", sends each
/// line and prints the server's reply, until the end of input (Ctrl-D).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The WebSocket URL to connect to (plain ws://)
    #[arg(default_value = common::DEFAULT_WS_URL)]
    url: String,
    /// Seconds to wait for the connection, and for each reply, before giving up
    #[arg(long, default_value = "10", value_parser = common::cli::parse_seconds)]
    timeout: Duration,
    /// Show on standard error what crosses the wire: the upgrade, then each frame
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(ws_client::run(&args.url, args.timeout, args.verbose).await)
}
