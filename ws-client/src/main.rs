//! `ws-client`: the command-line entry point. It reads the flags, lets the
//! URL's path pick what to do, and calls [`ws_client::run`] (the prompt
//! loop) or [`ws_client::follow`] (the feed); the client itself lives in
//! `lib.rs`.
//!
//! Run: `cargo run -p ws-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's WebSocket client: prompts "Enter a message: ", sends each
/// line and prints the server's reply, until the end of input (Ctrl-D).
///
/// The URL's path picks what it does, as it picks the service on ws-server:
///
///   /tick   follows the live feed, printing each tick as the server pushes it
///   /chat   joins the chat room: the prompt loop, and what others say
///
/// Any other path (the default URL has none) is the article's echo.
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// The WebSocket URL to connect to (ws://, or wss:// over TLS); its path
    /// picks the mode (--help lists the paths)
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
    /// At /tick only, stop after this many ticks (and say what they cost)
    #[arg(long)]
    count: Option<u64>,
    #[command(flatten)]
    options: ws_client::Options,
}

/// The feed's path on ws-server, which the client follows rather than talks to.
const FEED_PATH: &str = "/tick";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(run(&args).await)
}

/// Does what the URL's path asks for.
async fn run(args: &Args) -> anyhow::Result<()> {
    let (url, timeout, verbose) = (args.url.as_str(), args.timeout, args.verbose);
    if is_feed(args)? {
        let mut out = std::io::stdout();
        ws_client::follow(url, args.count, &args.options, timeout, verbose, &mut out)
            .await
            .map(drop)
    } else {
        // The echo and the room are the same conversation on this side; only
        // the server tells them apart.
        ws_client::run(url, &args.options, timeout, verbose).await
    }
}

/// Whether the URL's path is the feed's; an error for a URL that is not one,
/// or for `--count` away from the feed.
fn is_feed(args: &Args) -> anyhow::Result<bool> {
    let uri = common::url::parse(&args.url, "ws")?;
    let feed = uri.path() == FEED_PATH;
    if args.count.is_some() && !feed {
        // The URL to suggest instead: the same server, at the feed's path.
        let scheme = uri.scheme_str().unwrap_or("ws");
        let server = format!("{scheme}://{}", uri.authority().map_or("", |a| a.as_str()));
        let only = format!("when following the feed ({server}{FEED_PATH})");
        return Err(common::cli::flag_does_not_apply(
            "--count", &only, &args.url,
        ));
    }
    Ok(feed)
}
