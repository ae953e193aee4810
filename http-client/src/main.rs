//! `http-client`: the command-line entry point. It reads the flags, lets the
//! URL's path (and `--concurrent` or `--duplex`) pick what to do, and calls
//! [`http_client::run`] (the article's one GET), [`http_client::follow`]
//! (the feed), [`http_client::concurrent`] or [`http_client::duplex`]; the
//! client itself lives in `lib.rs`.
//!
//! Run: `cargo run -p http-client -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http_client::{LATEST_PATH, Method, NEXT_PATH, STREAM_PATH};

/// The article's HTTP client: GETs a URL and prints "Status Code: ..." and
/// "Response Body: ...".
///
/// The URL's path picks what it does, as it picks the route on http-server.
/// At one of the live feed's paths it follows the feed instead, printing
/// each tick as it arrives:
///
///   /tick/latest   short polling: GET /tick/latest every --interval
///   /tick/next     long polling: GET /tick/next?after=N, again at once
///   /tick/stream   HTTP streaming: one GET, one Server-Sent Event per tick
///
/// Any other path (the default URL has none) is the article's one GET, or
/// with --concurrent or --duplex, a demonstration of what HTTP/2 changes:
///
///   --concurrent 50 --http2 http://localhost:8000       50 GETs, 1 connection
///   --concurrent 50 http://localhost:8000               50 GETs, 50 connections
///   --duplex 5 --http2 http://localhost:8000/echo       the answer flows while
///                                                       the request is open
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// The URL to GET (http:// or https://); its path picks the mode (--help lists the paths)
    #[arg(default_value = common::DEFAULT_HTTP_URL)]
    url: String,
    /// Seconds to wait for the whole answer before giving up (at /tick/next
    /// or /tick/stream, beyond the time the server may stay quiet)
    #[arg(long, default_value = "10", value_parser = common::cli::parse_seconds)]
    timeout: Duration,
    /// Show on standard error every line that crosses the wire
    #[arg(long)]
    verbose: bool,
    /// At /tick/latest only, seconds between two requests [default: 1]
    #[arg(long, value_parser = common::cli::parse_seconds)]
    interval: Option<Duration>,
    /// At a feed path only, stop after this many ticks (and say what they cost)
    #[arg(long)]
    count: Option<u64>,
    /// Send N GETs at once and say how many TCP connections carried them:
    /// one with --http2 (N streams on it), N without (HTTP/1.1 carries one
    /// request at a time) (1 to 500)
    #[arg(long, value_name = "N", conflicts_with = "duplex",
          value_parser = clap::value_parser!(u16).range(1..=500))]
    concurrent: Option<u16>,
    /// POST N pieces to the URL (http-server's /echo), each only after the
    /// echo of the one before has come back: the answer flows while the
    /// request is still being sent (1 to 1000)
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    duplex: Option<u32>,
    #[command(flatten)]
    options: http_client::Options,
}

/// Short polling's interval when `--interval` is not given (as `--help` says).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(run(&args).await)
}

/// Does what the URL's path, `--concurrent` or `--duplex` asks for.
async fn run(args: &Args) -> anyhow::Result<()> {
    let (url, options, timeout, verbose) = (&args.url, &args.options, args.timeout, args.verbose);
    match (method(args)?, args.concurrent, args.duplex) {
        (None, Some(count), _) => {
            http_client::concurrent(url, count.into(), options, timeout, verbose).await
        }
        (None, _, Some(count)) => {
            let mut out = std::io::stdout();
            http_client::duplex(url, count, options, timeout, verbose, &mut out).await
        }
        (None, None, None) => http_client::run(url, options, timeout, verbose).await,
        (Some(method), _, _) => {
            let mut out = std::io::stdout();
            let follow = http_client::follow(
                &args.url,
                method,
                args.count,
                &args.options,
                args.timeout,
                args.verbose,
                &mut out,
            );
            follow.await.map(drop)
        }
    }
}

/// The way of following the feed that the URL's path names, or `None` for
/// the article's one GET; an error for a URL that is not one, or for a flag
/// that does nothing on this path.
fn method(args: &Args) -> anyhow::Result<Option<Method>> {
    let uri = common::url::parse(&args.url, "http")?;
    let interval = args.interval.unwrap_or(DEFAULT_INTERVAL);
    let method = match uri.path() {
        LATEST_PATH => Some(Method::Poll { interval }),
        NEXT_PATH => Some(Method::LongPoll),
        STREAM_PATH => Some(Method::Stream),
        _ => None,
    };

    // The URLs to suggest instead: the same server, at the feed's paths.
    let scheme = uri.scheme_str().unwrap_or("http");
    let server = format!("{scheme}://{}", uri.authority().map_or("", |a| a.as_str()));
    if args.count.is_some() && method.is_none() {
        let only = format!(
            "when following the feed ({server}{LATEST_PATH}, {NEXT_PATH} or {STREAM_PATH})"
        );
        return Err(common::cli::flag_does_not_apply(
            "--count", &only, &args.url,
        ));
    }
    if method.is_some() {
        let only = "to the article's GET, at any path but the feed's";
        for (flag, given) in [
            ("--concurrent", args.concurrent.is_some()),
            ("--duplex", args.duplex.is_some()),
        ] {
            if given {
                return Err(common::cli::flag_does_not_apply(flag, only, &args.url));
            }
        }
    }
    if args.interval.is_some() && !matches!(method, Some(Method::Poll { .. })) {
        let only = format!("to short polling ({server}{LATEST_PATH})");
        return Err(common::cli::flag_does_not_apply(
            "--interval",
            &only,
            &args.url,
        ));
    }
    Ok(method)
}
