//! `http-client`: the command-line entry point. It reads the flags and calls
//! [`http_client::run`]; the client itself lives in `lib.rs`.
//!
//! Run: `cargo run -p http-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http_client::Method;

/// The article's HTTP client: GETs a URL and prints "Status Code: ..." and
/// "Response Body: ...".
///
/// With --poll, --long-poll or --stream it follows http-server's live feed
/// instead, printing each tick as it arrives.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The URL to GET (plain http://); with a feed flag, the server's URL
    #[arg(default_value = common::DEFAULT_HTTP_URL)]
    url: String,
    /// Seconds to wait for the whole answer before giving up (with
    /// --long-poll or --stream, beyond the time the server may stay quiet)
    #[arg(long, default_value = "10", value_parser = common::cli::parse_seconds)]
    timeout: Duration,
    /// Show on standard error every line that crosses the wire
    #[arg(long)]
    verbose: bool,
    /// Follow the feed by short polling: GET /tick/latest every --interval
    #[arg(long, group = "feed")]
    poll: bool,
    /// Follow the feed by long polling: GET /tick/next?after=N, again and again
    #[arg(long, group = "feed")]
    long_poll: bool,
    /// Follow the feed by streaming: one GET /tick/stream (Server-Sent Events)
    #[arg(long, group = "feed")]
    stream: bool,
    /// Seconds between two requests with --poll
    #[arg(long, default_value = "1", value_parser = common::cli::parse_seconds, requires = "poll")]
    interval: Duration,
    /// With a feed flag, stop after this many ticks (and say what they cost)
    #[arg(long, requires = "feed")]
    count: Option<u64>,
}

impl Args {
    /// The feed method the flags ask for, if any.
    fn method(&self) -> Option<Method> {
        if self.poll {
            Some(Method::Poll {
                interval: self.interval,
            })
        } else if self.long_poll {
            Some(Method::LongPoll)
        } else if self.stream {
            Some(Method::Stream)
        } else {
            None
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    let result = match args.method() {
        None => http_client::run(&args.url, args.timeout, args.verbose).await,
        Some(method) => {
            let mut out = std::io::stdout();
            let follow = http_client::follow(
                &args.url,
                method,
                args.count,
                args.timeout,
                args.verbose,
                &mut out,
            );
            follow.await.map(drop)
        }
    };
    common::cli::exit_code(result)
}
