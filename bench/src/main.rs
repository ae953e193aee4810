//! `bench`: the command-line entry point for the measurements in `lib.rs`.
//!
//! Run: `cargo run --release -p bench` (the table), or with `-- memory`, or
//! `-- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// Measures the article's claims: HTTP (a new connection per request, and
/// keep-alive) against WebSocket, and the memory a WebSocket connection costs.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Seconds each cell of the table (or each load run) lasts
    #[arg(long, global = true, default_value = "3", value_parser = common::cli::parse_seconds)]
    seconds: Duration,
    /// Bytes of payload in each message
    #[arg(long, global = true, default_value_t = 32)]
    payload: usize,
    /// Numbers of concurrent clients, comma-separated
    #[arg(long, default_value = "1,50", value_delimiter = ',')]
    clients: Vec<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// The live feed four ways: polling, long polling, streaming, WebSocket push
    Feed {
        /// Ticks each client must receive
        #[arg(long, default_value_t = 50)]
        ticks: u64,
        /// Average seconds between ticks (they come at irregular times), and the polling interval
        #[arg(long, default_value = "0.2", value_parser = common::cli::parse_seconds)]
        interval: Duration,
    },
    /// Memory per idle WebSocket connection, in a separate server process
    Memory {
        /// Idle connections to open
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
    },
    /// Runs a quiet ws-server on a free port (what `memory` measures)
    #[command(hide = true)]
    ServeWs,
    /// Runs one of the servers ours are measured beside (for peers.sh)
    #[command(hide = true)]
    ServePeer {
        peer: Peer,
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// WebSocket echo load: prints round trips per second (for peers.sh)
    #[command(hide = true)]
    WsLoad {
        url: String,
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
    /// Raw TCP echo load: prints round trips per second (for peers.sh)
    #[command(hide = true)]
    TcpLoad {
        addr: String,
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
}

/// The servers `bench/peers.sh` puts ours beside (see `bench::peers`).
#[derive(Clone, Copy, clap::ValueEnum)]
enum Peer {
    /// A bare hyper 1.x server answering the article's body
    Hyper,
    /// The same, with http-server's deadline and size limit for request
    /// heads and its graceful-shutdown tracking
    HyperDefended,
    /// A plain axum server answering the article's body
    Axum,
    /// A raw TCP echo
    TcpEcho,
    /// A plain tokio-tungstenite echo
    TungsteniteEcho,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = common::cli::parse_args();
    common::cli::exit_code(run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        None => {
            let settings = bench::compare::Settings {
                duration: args.seconds,
                payload: args.payload,
                clients: args.clients,
            };
            let rows = bench::compare::run(&settings).await?;
            println!(
                "{}; {} s per cell, {}-byte payload\n",
                bench::machine(),
                settings.duration.as_secs_f64(),
                settings.payload
            );
            print!("{}", bench::compare::table(&rows));
        }
        Some(Command::Feed { ticks, interval }) => {
            let settings = bench::feed::Settings { ticks, interval };
            let mut rows = bench::feed::run(&settings).await?;
            let seconds = interval.as_secs_f64();
            println!(
                "{}; {ticks} ticks, on average one every {seconds} s; short polling every {seconds} s\n",
                bench::machine(),
            );
            print!("{}", bench::feed::table(&mut rows));
        }
        Some(Command::Memory { connections }) => {
            let measurement = bench::memory::run(connections).await?;
            println!("{}", bench::machine());
            println!(
                "ws-server resident memory: {} KiB idle, {} KiB with {} idle WebSocket connections: {:.1} KiB per connection",
                measurement.before_kib,
                measurement.after_kib,
                measurement.connections,
                measurement.per_connection_kib()
            );
        }
        Some(Command::ServePeer { peer, port }) => {
            let listener = common::server::bind(common::DEFAULT_HOST, port).await?;
            match peer {
                Peer::Hyper => bench::peers::serve_hyper(listener, false).await?,
                Peer::HyperDefended => bench::peers::serve_hyper(listener, true).await?,
                Peer::Axum => bench::peers::serve_axum(listener).await?,
                Peer::TcpEcho => bench::peers::serve_tcp_echo(listener).await?,
                Peer::TungsteniteEcho => bench::peers::serve_tungstenite_echo(listener).await?,
            }
        }
        Some(Command::WsLoad { url, clients }) => {
            let rate = bench::peers::ws_load(&url, clients, args.seconds, args.payload).await?;
            println!("{rate:.0}");
        }
        Some(Command::TcpLoad { addr, clients }) => {
            let rate = bench::peers::tcp_load(&addr, clients, args.seconds, args.payload).await?;
            println!("{rate:.0}");
        }
        Some(Command::ServeWs) => {
            let options = ws_server::Options {
                quiet: true,
                ..ws_server::Options::default()
            };
            let tick_interval = std::time::Duration::from_secs(1);
            ws_server::run(common::DEFAULT_HOST, 0, options, tick_interval).await?;
        }
    }
    Ok(())
}
