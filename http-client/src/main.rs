//! `http-client`: the command-line entry point. It reads the flags and calls
//! [`http_client::run`]; the client itself lives in `lib.rs`.
//!
//! Run: `cargo run -p http-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's HTTP client: GETs a URL and prints "Status Code: ..." and
/// "Response Body: ...".
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The URL to GET (plain http://)
    #[arg(default_value = common::DEFAULT_HTTP_URL)]
    url: String,
    /// Seconds to wait for the whole answer before giving up
    #[arg(long, default_value = "10", value_parser = common::cli::parse_seconds)]
    timeout: Duration,
    /// Show on standard error every line that crosses the wire
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(http_client::run(&args.url, args.timeout, args.verbose).await)
}
