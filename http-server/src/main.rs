//! `http-server`: the command-line entry point. It reads the flags, sets up
//! the log and calls [`http_server::run`]; the server itself lives in
//! `lib.rs`.
//!
//! Run: `cargo run -p http-server -- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

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
    #[command(flatten)]
    options: http_server::Options,
    #[command(flatten)]
    tls: common::tls::ServerTlsOptions,
    #[command(flatten)]
    redis: common::shared::RedisOptions,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    start_log();
    let run = http_server::run(
        &args.host,
        args.port,
        args.options,
        &args.tls,
        &args.redis,
        args.tick_interval,
    );
    common::cli::exit_code(run.await)
}

/// Sends the server's diagnostics (shutting down, a failed accept) to
/// standard error, one line per event; standard output keeps only the
/// article's started line.
///
/// `RUST_LOG` chooses what is shown, e.g. `RUST_LOG=debug` adds why each
/// connection that failed ended. Unset, it shows `info` and above;
/// directives it cannot read are skipped rather than stopping the server.
fn start_log() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
