//! The article's WebSocket echo server, on tokio-tungstenite: for every text
//! message `m` it prints `Received Message: m` and answers
//! `Server Response: m`. Binary messages come back unchanged.
//!
//! Run it with `cargo run -p ws-server`, then `cargo run -p ws-client` in a
//! second terminal and type a line.
//!
//! Mirrors the article's "WebSocket Server Code": this file is
//! `websockets.serve(echo, "localhost", 8765)` (listen, and serve every
//! client that connects); `echo.rs` is `async def echo`, line by line.
//!
//! # What crosses the wire
//!
//! A WebSocket starts as an HTTP request. The client opens a TCP connection
//! and sends:
//!
//! ```text
//! GET / HTTP/1.1
//! Host: localhost:8765
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Sec-WebSocket-Version: 13
//!
//! ```
//!
//! and the server agrees to switch protocols (hyper, which reads and answers
//! the request here, writes header names in lower case):
//!
//! ```text
//! HTTP/1.1 101 Switching Protocols
//! upgrade: websocket
//! connection: Upgrade
//! sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//! date: Thu, 03 Dec 2026 13:18:22 GMT
//!
//! ```
//!
//! That is the last HTTP on this connection. From here on both sides send
//! *frames* on the same TCP connection, whenever they like: two to fourteen
//! bytes of header (a final-fragment bit, an opcode such as text, binary,
//! ping, pong or close, the payload length, and for frames from the client a
//! four-byte masking key) and then the payload. Either side ends the
//! conversation with a close frame, the other answers with one, and only then
//! is the TCP connection closed.
//!
//! # Beyond the article: a server that holds up
//!
//! The article warns that persistent connections mean "complex server
//! management" and "security needs". This server meets them with limits a
//! user can see in `--help`: a deadline for the handshake (a peer that
//! connects and says nothing cannot hold a socket), a cap on connections (past
//! it, `503 Service Unavailable`), a largest message (past it, close code
//! 1009), a heartbeat that pings a silent peer and drops it when no answer
//! comes, a deadline for each reply to be written (a peer that never reads
//! cannot make replies pile up), an RFC 6455 close code for each way a
//! peer can break the protocol, and a grace period for shutting down (nothing,
//! not even a terminal nobody reads, keeps the server from exiting).
//!
//! Where each part lives: this file accepts connections and shuts down;
//! `connection.rs` is one connection's life (deadlines, close codes);
//! `handshake.rs` the HTTP upgrade, on hyper; `heartbeat.rs` the pings; `printer.rs`
//! writes the `Received Message` lines and the log, which `log.rs` hands it.
//!
//! The log goes through `tracing`, on standard error. A peer's trouble (a
//! connection that ended with an error) and the server's news (shutting
//! down) are `info`; the server's own trouble (it could not accept, or ran
//! out of grace) is `warn`. `RUST_LOG` chooses what is shown: `info` and up
//! unless set, `RUST_LOG=warn` for the server's trouble alone.
//!
//! # Beyond the article: `wss://` and the Origin check
//!
//! With `--tls-cert FILE --tls-key FILE`, or `--self-signed`, the server
//! speaks TLS on the same port (`common::tls`), and everything above happens
//! inside it: the TLS handshake first, then the same upgrade request and the
//! same frames, in TLS records (`open` in `connection.rs`). And because a
//! browser sends any page's upgrade request with the user's cookies, the
//! handshake checks the page's `Origin` (`handshake.rs`): another site's
//! page gets `403 Forbidden` unless `--allow-origin` names it.
//!
//! # Beyond the article: WebSocket over HTTP/2
//!
//! On the same port the server speaks HTTP/2 too: chosen by ALPN (`h2`)
//! over TLS, or with prior knowledge on plain TCP (the client opens with
//! HTTP/2's preface, `preface.rs`). There a WebSocket is an extended
//! CONNECT on a stream of its own (RFC 8441), answered `200`, and one
//! connection carries many (`http2.rs`). `GET /echo.html` and `GET /stats`
//! (`pages.rs`) show a browser's choice of version.
//!
//! # Beyond the article: demonstrations
//!
//! Two paths show what only a WebSocket can do: at `/tick` the server pushes
//! the live feed (`common::feed`) to the client without being asked
//! (`tick.rs`), and at `/chat` every member's messages go to everyone in the
//! room (`chat.rs`). Every other path gets the article's echo (`echo.rs`).

mod busy;
mod chat;
mod check;
mod connection;
mod echo;
mod handshake;
mod heartbeat;
mod http2;
mod log;
mod options;
mod pages;
mod preface;
mod printer;
mod tick;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use common::feed::Feed;
use common::shared::RedisOptions;
use common::tls::ServerTlsOptions;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::chat::Room;
use crate::pages::Stats;
use crate::printer::Printer;
use crate::{busy::refuse_busy, connection::handle_connection};

pub use crate::http2::MAX_STREAMS;
pub use crate::options::{MAX_MESSAGE_SIZE, MAX_REFUSALS, Options};

/// The whole program: bind, say where, serve until Ctrl-C or SIGTERM, with
/// a feed that ticks every `tick_interval`, over TLS if `tls` asks for it,
/// sharing the room and the feed through Redis if `redis` does.
///
/// It starts the printing thread first and sends the log through it (see
/// `printer.rs` and `log.rs`), and stops it last, so that everything the server printed
/// is out before `run` returns, and before `main` prints an error.
pub async fn run(
    host: &str,
    port: u16,
    mut options: Options,
    tls: &ServerTlsOptions,
    redis: &RedisOptions,
    tick_interval: Duration,
) -> anyhow::Result<()> {
    // Before anything else, so an unreachable Redis is the one line printed.
    options.redis = redis.connect().await?;
    // The protocols ALPN offers in the TLS handshake, preferred first:
    // `h2`, where WebSockets are extended CONNECTs on streams (RFC 8441),
    // and `http/1.1`, where a WebSocket is an upgrade.
    options.tls = tls.load(&[b"h2", b"http/1.1"])?;
    let tls = options.tls.clone();
    let printer = Printer::start();
    log::log_through(&printer);
    let served = listen_and_serve(host, port, options, tick_interval, &printer).await;
    printer.finish().await;
    if let Some(tls) = tls {
        tls.remove_written_certificate();
    }
    served
}

/// [`run`], between starting the printer and stopping it.
async fn listen_and_serve(
    host: &str,
    port: u16,
    options: Options,
    tick_interval: Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    raise_open_file_limit();
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    let scheme = if options.tls.is_some() { "wss" } else { "ws" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    // print("WebSocket server started.")
    println!("{}", common::ws_server_started(&url));
    if let Some(tls) = &options.tls {
        println!("{}", tls.certificate_line());
    }
    let feed = match &options.redis {
        Some(redis) => redis.feed(tick_interval),
        None => Feed::ticking(tick_interval),
    };
    serve_printing(listener, options, feed, shutdown, printer).await;
    Ok(())
}

/// Each connection is an open file descriptor. The usual soft limit of 1,024
/// would stop the server near a thousand clients; a process may raise its own
/// soft limit up to the hard limit, which is usually far higher.
fn raise_open_file_limit() {
    #[cfg(unix)]
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("could not raise the open-file limit: {err}");
    }
}

/// Accepts WebSocket clients on `listener` until `shutdown` completes, each
/// in a task of its own, so clients are served side by side and one that
/// misbehaves ends only its own connection. `feed` is what `/tick` pushes.
///
/// On shutdown it stops accepting, sends every connected client a close
/// frame with code 1001 ("going away"), and returns once each connection has
/// finished its close handshake (or five seconds have passed) and the last
/// lines are printed, or once `options.shutdown_grace` seconds have passed,
/// whichever comes first.
///
/// The `Received Message` lines are printed by a thread of its own
/// (`printer.rs`); with `options.quiet` there is none.
pub async fn serve(
    listener: TcpListener,
    options: Options,
    feed: Feed,
    shutdown: impl Future<Output = ()>,
) {
    let printer = if options.quiet {
        Printer::silent()
    } else {
        Printer::start()
    };
    serve_printing(listener, options, feed, shutdown, &printer).await;
    printer.finish().await;
}

/// [`serve`], printing through `printer`.
async fn serve_printing(
    listener: TcpListener,
    options: Options,
    feed: Feed,
    shutdown: impl Future<Output = ()>,
    printer: &Printer,
) {
    // Every connection task holds a receiver; sending on `stop` tells them all.
    let (stop, stopping) = watch::channel(());
    // One permit per connection served, and one more per WebSocket over
    // HTTP/2 (`http2.rs`); each is given back when its task ends.
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let max_connections = options.max_connections;
    let tls = options.tls.clone();
    let grace = Duration::from_secs(options.shutdown_grace);
    let room = room(&options, &stopping).await;
    let shared = Shared {
        printer: if options.quiet {
            Printer::silent()
        } else {
            printer.clone()
        },
        options: Arc::new(options),
        feed,
        room,
        stats: Arc::default(),
        slots: slots.clone(),
        stop: stopping,
    };
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    {
        // One `accept` at a time, kept across turns of the loop: made anew each
        // turn, a task finishing would cut its back-off short.
        let mut accepting = std::pin::pin!(common::server::accept(&listener));

        loop {
            tokio::select! {
                () = &mut shutdown => break,
                (stream, peer) = &mut accepting => {
                    accepting.set(common::server::accept(&listener));
                    match slots.clone().try_acquire_owned() {
                        Ok(slot) => {
                            connections.spawn(handle_connection(stream, peer, shared.clone(), slot));
                        }
                        // Past the cap, a 503 for the first few at once; past
                        // those, the socket is just closed (dropped here).
                        Err(_) => {
                            if let Ok(refusal) = refusals.clone().try_acquire_owned() {
                                let refusing = refuse_busy(stream, max_connections, tls.clone());
                                connections.spawn(async move {
                                    refusing.await;
                                    drop(refusal);
                                });
                            }
                        }
                    }
                }
                // Collect finished tasks as we go, so the set does not grow forever.
                Some(_) = connections.join_next() => {}
            }
        }
    }

    // Closing the listener makes the kernel refuse new connections.
    drop(listener);
    shared.feed.close();
    stop.send_replace(());
    let finishing = async {
        while connections.join_next().await.is_some() {}
        // The last lines are printed before `serve` returns.
        printer.flush().await;
    };
    // Each connection has deadlines of its own, but printing has none:
    // standard output that nobody reads (a paused terminal, a pipe never
    // drained) would hold the printing thread, and so the last lines, for
    // ever. Past the grace period, the connections still open are dropped
    // along with `connections`, and the lines still waiting go unprinted.
    if tokio::time::timeout(grace, finishing).await.is_err() {
        tracing::warn!(
            "Shut down after {grace:?} without finishing: a client did not close, \
             or nobody is reading standard output."
        );
    }
}

/// The room of `/chat`: this process's alone, or with `--redis` shared
/// with every instance (`chat/shared.rs`), until `stop` changes.
async fn room(options: &Options, stop: &watch::Receiver<()>) -> Arc<Room> {
    let Some(redis) = &options.redis else {
        return Arc::default();
    };
    match Room::shared(redis, stop.clone()).await {
        Ok(room) => room,
        Err(err) => {
            tracing::warn!("the room stays local to this instance: {err:#}");
            Arc::default()
        }
    }
}

/// What every connection task gets a handle on.
#[derive(Clone)]
struct Shared {
    options: Arc<Options>,
    /// Prints the `Received Message` lines (none with `--quiet`).
    printer: Printer,
    /// The feed `/tick` pushes.
    feed: Feed,
    /// The room of `/chat`.
    room: Arc<Room>,
    /// WebSockets accepted, by version, for `/stats`.
    stats: Arc<Stats>,
    /// The cap's slots, for the WebSockets an HTTP/2 connection opens.
    slots: Arc<Semaphore>,
    /// Changes when the server shuts down.
    stop: watch::Receiver<()>,
}
