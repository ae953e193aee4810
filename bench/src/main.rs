//! `bench`: the command-line entry point for the measurements in `lib.rs`.
//!
//! Run: `cargo run --release -p bench` (the table), or with `-- memory`, or
//! `-- --help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// Measures the article's claims: HTTP (a new connection per request, and
/// keep-alive) against WebSocket, the memory a connection costs, and one
/// feed pushed to many followers.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Seconds each cell of the table (or each load run, or the fan-out's measured window) lasts
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
    /// Memory per idle connection, in a separate server process
    Memory {
        /// Idle connections to open
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// One feed pushed to many followers: delay, and server CPU per tick delivered
    Fanout {
        /// Followers to connect
        #[arg(long, default_value_t = 10_000)]
        followers: usize,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Runs a quiet ws-server on a free port (what `memory` and `fanout` measure)
    #[command(hide = true)]
    ServeWs {
        #[arg(long, default_value = "1", value_parser = common::cli::parse_seconds)]
        tick_interval: Duration,
    },
    /// Runs one of the servers ours are measured beside (for peers.sh)
    #[command(hide = true)]
    ServePeer {
        peer: Peer,
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// TLS, for tungstenite-echo only: the same flags as our servers'
        #[command(flatten)]
        tls: common::tls::ServerTlsOptions,
    },
    /// WebSocket echo load, ws:// or wss://: prints round trips per second (for peers.sh)
    #[command(hide = true)]
    WsLoad {
        url: String,
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// Which servers a wss:// URL may be: the same flags as our clients'
        #[command(flatten)]
        tls: common::tls::ClientTlsOptions,
    },
    /// Raw TCP echo load: prints round trips per second (for peers.sh)
    #[command(hide = true)]
    TcpLoad {
        addr: String,
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
}

/// The server `memory` and `fanout` measure, if not one of their own.
#[derive(clap::Args)]
struct ServerArgs {
    /// The server to measure: a ws:// URL (WebSocket) or an http:// one
    /// (Server-Sent Events); without it, a ws-server this program starts
    #[arg(long, requires = "pid")]
    url: Option<String>,
    /// The process ID of the server at --url, whose memory and CPU time are read
    #[arg(long, requires = "url")]
    pid: Option<u32>,
}

impl ServerArgs {
    fn watched(self) -> Option<bench::watched::Watched> {
        Some(bench::watched::Watched::external(self.url?, self.pid?))
    }
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
    /// A plain tokio-tungstenite echo (over TLS with --tls-cert and --tls-key)
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
            print!("\n{}", bench::compare::comparison(&rows, settings.payload));
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
        Some(Command::Memory {
            connections,
            server,
        }) => {
            let what = match &server.url {
                Some(url) if url.starts_with("http://") => "Server-Sent Events streams",
                _ => "WebSocket connections",
            };
            let measurement = bench::memory::run(connections, server.watched()).await?;
            println!("{}", bench::machine());
            println!(
                "server resident memory: {} KiB idle, {} KiB with {} idle {what}: {:.2} KiB per connection",
                measurement.before_kib,
                measurement.after_kib,
                measurement.connections,
                measurement.per_connection_kib()
            );
        }
        Some(Command::Fanout { followers, server }) => {
            let mut measurement =
                bench::fanout::run(followers, args.seconds, server.watched()).await?;
            println!("{}", bench::machine());
            println!("{}", measurement.summary());
        }
        Some(Command::ServePeer { peer, port, tls }) => {
            // Both our servers name HTTP/1.1 in their TLS handshakes; so does
            // the peer (a WebSocket starts as an HTTP/1.1 upgrade).
            let tls = tls.load(&[b"http/1.1"])?;
            if tls.is_some() && !matches!(peer, Peer::TungsteniteEcho) {
                anyhow::bail!("only tungstenite-echo speaks TLS here");
            }
            let listener = common::server::bind(common::DEFAULT_HOST, port).await?;
            match peer {
                Peer::Hyper => bench::peers::serve_hyper(listener, false).await?,
                Peer::HyperDefended => bench::peers::serve_hyper(listener, true).await?,
                Peer::Axum => bench::peers::serve_axum(listener).await?,
                Peer::TcpEcho => bench::peers::serve_tcp_echo(listener).await?,
                Peer::TungsteniteEcho => {
                    bench::peers::serve_tungstenite_echo(listener, tls).await?
                }
            }
        }
        Some(Command::WsLoad { url, clients, tls }) => {
            let rate =
                bench::peers::ws_load(&url, &tls, clients, args.seconds, args.payload).await?;
            println!("{rate:.0}");
        }
        Some(Command::TcpLoad { addr, clients }) => {
            let rate = bench::peers::tcp_load(&addr, clients, args.seconds, args.payload).await?;
            println!("{rate:.0}");
        }
        Some(Command::ServeWs { tick_interval }) => {
            let options = ws_server::Options {
                quiet: true,
                ..ws_server::Options::default()
            };
            ws_server::run(
                common::DEFAULT_HOST,
                0,
                options,
                &Default::default(),
                &Default::default(),
                tick_interval,
            )
            .await?;
        }
    }
    Ok(())
}
