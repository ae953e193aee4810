//! `ws-server`: the command-line entry point. It reads the flags and calls
//! [`ws_server::run`]; the server itself lives in `lib.rs`, and the
//! article's echo in `echo.rs`.
//!
//! Run: `cargo run -p ws-server -- --help`.
//!
//! Mirrors the last lines of the article's "WebSocket Server Code", which
//! start the server and run it for ever.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The article's WebSocket echo server: prints "Received Message: m" and
/// answers "Server Response: m" until Ctrl-C.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 for every interface)
    #[arg(long, default_value = common::DEFAULT_HOST)]
    host: String,
    /// Port to listen on (0 for any free port; the started line shows which)
    #[arg(long, default_value_t = common::WS_PORT)]
    port: u16,
    /// Seconds between two ticks of the feed that /tick pushes
    #[arg(long, default_value = "1", value_parser = common::cli::parse_seconds)]
    tick_interval: Duration,
    #[command(flatten)]
    options: ws_server::Options,
    #[command(flatten)]
    tls: common::tls::ServerTlsOptions,
    #[command(flatten)]
    redis: common::shared::RedisOptions,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(
        ws_server::run(
            &args.host,
            args.port,
            args.options,
            &args.tls,
            &args.redis,
            args.tick_interval,
        )
        .await,
    )
}
