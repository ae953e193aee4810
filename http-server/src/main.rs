//! `http-server`: the command-line entry point. It reads the flags and calls
//! [`http_server::run`]; the server itself lives in `lib.rs`.
//!
//! Run: `cargo run -p http-server -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's HTTP server: answers every GET with "Hello, World! This is
/// an HTTP response." until Ctrl-C.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 for every interface)
    #[arg(long, default_value = common::DEFAULT_HOST)]
    host: String,
    /// Port to listen on (0 for any free port; the started line shows which)
    #[arg(long, default_value_t = common::HTTP_PORT)]
    port: u16,
    /// Seconds between two ticks of the demonstration feed (/tick/...)
    #[arg(long, default_value = "1", value_parser = common::cli::parse_seconds)]
    tick_interval: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(http_server::run(&args.host, args.port, args.tick_interval).await)
}
