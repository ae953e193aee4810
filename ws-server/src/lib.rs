//! The article's WebSocket echo server, on tokio-tungstenite: for every text
//! message `m` it prints `Received Message: m` and answers
//! `Server Response: m`. Binary messages come back unchanged.
//!
//! Run it with `cargo run -p ws-server`, then `cargo run -p ws-client` in a
//! second terminal and type a line.
//!
//! Mirrors the article's "WebSocket Server Code": `websockets.serve(echo,
//! "localhost", 8765)` and its `async for message in websocket` loop.
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
//! and the server agrees to switch protocols:
//!
//! ```text
//! HTTP/1.1 101 Switching Protocols
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
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
//! not even a terminal nobody reads, keeps the server from exiting). The
//! handshake itself is in `handshake.rs`, the heartbeat in `heartbeat.rs`,
//! and the printing of `Received Message` lines in `printer.rs`.
//!
//! # Beyond the article: demonstrations
//!
//! Two paths show what only a WebSocket can do: at `/tick` the server pushes
//! the live feed (`common::feed`) to the client without being asked, and at
//! `/chat` every member's messages go to everyone in the room (`chat.rs`).
//! Every other path gets the article's echo.

mod chat;
mod handshake;
mod heartbeat;
mod printer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::feed::{Feed, Subscription};
use common::server::SHUTDOWN_GRACE;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::chat::{Member, Room};
use crate::handshake::{Handshake, Refusal};
use crate::heartbeat::Heartbeat;
use crate::printer::Printer;

/// The default largest message (and frame): 1 MiB, the default of Python's
/// `websockets`, which the article uses.
pub const MAX_MESSAGE_SIZE: usize = 1024 * 1024;

/// The read buffer each connection gets, allocated up front: 2 KiB (see
/// `config` for why). Public so the benchmark's plain tokio-tungstenite echo
/// uses the same.
pub const READ_BUFFER_SIZE: usize = 2 * 1024;

/// The default cap on connections served at once.
const MAX_CONNECTIONS: usize = 10_000;

/// The default number of seconds a new connection has to finish the handshake.
const HANDSHAKE_TIMEOUT_SECS: u64 = 10;

/// The default number of seconds of silence before a peer is pinged.
const PING_INTERVAL_SECS: u64 = 30;

/// How long a client has to answer our close frame when the server shuts
/// down, before we drop the connection anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one reply may take to be written. A peer that stops reading
/// fills its receive window and then ours; past this we give up on it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client past the connection cap has to send its request before
/// we answer 503 anyway.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Choices a user makes on the command line (`ws-server --help` lists them).
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct Options {
    /// Send each message back unchanged instead of "Server Response: m"
    /// (for conformance suites such as Autobahn)
    #[arg(long)]
    pub echo_plain: bool,
    /// Do not print "Received Message: m" for each message (for benchmarks)
    #[arg(long)]
    pub quiet: bool,
    /// Largest message (and frame) accepted, in bytes; a larger one is
    /// refused with close code 1009, "message too big"
    #[arg(long, default_value_t = MAX_MESSAGE_SIZE)]
    pub max_message_size: usize,
    /// Most connections served at once; past it a new one is answered
    /// "503 Service Unavailable"
    #[arg(long, default_value_t = MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a new connection has to complete the WebSocket handshake
    #[arg(long, default_value_t = HANDSHAKE_TIMEOUT_SECS)]
    pub handshake_timeout: u64,
    /// Seconds of silence after which a peer is pinged; a peer silent for
    /// one more interval is disconnected (0: never ping)
    #[arg(long, default_value_t = PING_INTERVAL_SECS)]
    pub ping_interval: u64,
    /// Seconds shutting down may take: for clients to finish the close
    /// handshake and the last "Received Message" lines to be printed; past
    /// it the server exits anyway
    #[arg(long, default_value_t = SHUTDOWN_GRACE.as_secs())]
    pub shutdown_grace: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            echo_plain: false,
            quiet: false,
            max_message_size: MAX_MESSAGE_SIZE,
            max_connections: MAX_CONNECTIONS,
            handshake_timeout: HANDSHAKE_TIMEOUT_SECS,
            ping_interval: PING_INTERVAL_SECS,
            shutdown_grace: SHUTDOWN_GRACE.as_secs(),
        }
    }
}

/// The whole program: bind, say where, serve until Ctrl-C or SIGTERM, with
/// a feed that ticks every `tick_interval`.
pub async fn run(
    host: &str,
    port: u16,
    options: Options,
    tick_interval: Duration,
) -> anyhow::Result<()> {
    raise_open_file_limit();
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    let url = format!("ws://{}", listener.local_addr()?);
    println!("{}", common::ws_server_started(&url));
    serve(listener, options, Feed::ticking(tick_interval), shutdown).await;
    Ok(())
}

/// Each connection is an open file descriptor. The usual soft limit of 1,024
/// would stop the server near a thousand clients; a process may raise its own
/// soft limit up to the hard limit, which is usually far higher.
fn raise_open_file_limit() {
    #[cfg(unix)]
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open-file limit: {err}");
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
pub async fn serve(
    listener: TcpListener,
    options: Options,
    feed: Feed,
    shutdown: impl Future<Output = ()>,
) {
    // Every connection task holds a receiver; sending on `stop` tells them all.
    let (stop, stopping) = watch::channel(());
    // One permit per connection served; a task gives its permit back when it ends.
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let (printer, printing) = Printer::start(options.quiet);
    let shared = Shared {
        options,
        printer,
        feed,
        room: Arc::default(),
        stop: stopping,
    };
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            (stream, peer) = common::server::accept(&listener) => {
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        connections.spawn(handle_connection(stream, peer, shared.clone(), slot));
                    }
                    Err(_) => {
                        connections.spawn(refuse_busy(stream, options.max_connections));
                    }
                }
            }
            // Collect finished tasks as we go, so the set does not grow forever.
            Some(_) = connections.join_next() => {}
        }
    }

    // Closing the listener makes the kernel refuse new connections.
    drop(listener);
    shared.feed.close();
    stop.send_replace(());
    let Shared { printer, .. } = shared;
    let finishing = async {
        while connections.join_next().await.is_some() {}
        // The last lines are printed before `serve` returns.
        printer.finish(printing).await;
    };
    // Each connection has deadlines of its own, but printing has none:
    // standard output that nobody reads (a paused terminal, a pipe never
    // drained) would hold the printing thread, the connections waiting for
    // it, and so the server, for ever. Past the grace period, the
    // connections still open are dropped along with `connections`, and the
    // lines still waiting go unprinted.
    let grace = Duration::from_secs(options.shutdown_grace);
    if tokio::time::timeout(grace, finishing).await.is_err() {
        eprintln!(
            "Shut down after {grace:?} without finishing: a client did not close, \
             or nobody is reading standard output."
        );
    }
}

/// What every connection task gets a handle on.
#[derive(Clone)]
struct Shared {
    options: Options,
    /// Prints the `Received Message` lines.
    printer: Printer,
    /// The feed `/tick` pushes.
    feed: Feed,
    /// The room of `/chat`.
    room: Arc<Room>,
    /// Changes when the server shuts down.
    stop: watch::Receiver<()>,
}

/// Past the connection cap: read the client's request (briefly) and answer
/// `503 Service Unavailable`, so it learns why rather than seeing a reset.
async fn refuse_busy(mut stream: TcpStream, limit: usize) {
    let answer = async {
        // Whatever it asked for, the answer is the same.
        let _request = handshake::read_head(&mut stream).await?;
        Refusal::busy(limit).send(&mut stream).await
    };
    let _ = tokio::time::timeout(BUSY_TIMEOUT, answer).await;
}

/// Runs one client's conversation and reports how it ended. An error here is
/// the peer's business (it vanished, or broke the protocol), so it is logged
/// and the server carries on. `_slot` is this connection's place under the
/// cap, given back when the task ends.
async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Shared,
    _slot: OwnedSemaphorePermit,
) {
    match converse(stream, shared).await {
        Ok(()) | Err(Error::ConnectionClosed) => {}
        Err(err) => eprintln!("connection from {peer} ended: {err}"),
    }
}

/// One client's whole conversation: the handshake, then the article's echo
/// (or the feed, or the room, by path), until the client closes, goes
/// silent, or the server shuts down.
async fn converse(mut stream: TcpStream, shared: Shared) -> Result<(), Error> {
    let Shared {
        options, mut stop, ..
    } = shared.clone();
    // Made once, not once per message: each new `changed()` future would
    // sign up with the channel again.
    let mut stopping = std::pin::pin!(stop.changed());
    // Each frame is a whole message: send it at once, rather than letting
    // Nagle's algorithm hold small writes back in case more data follows.
    stream.set_nodelay(true)?;

    // A peer that connects but never finishes its request would otherwise
    // hold this task (and its socket) forever, so the handshake has a
    // deadline, and shutting down does not wait for it.
    let deadline = Duration::from_secs(options.handshake_timeout);
    let (path, early) = tokio::select! {
        result = tokio::time::timeout(deadline, handshake::accept(&mut stream)) => match result {
            Ok(Ok(Handshake::Upgraded { path, early })) => (path, early),
            // Refused with an HTTP error, gone, or too slow: nothing more to do.
            Ok(Ok(Handshake::Refused) | Err(_)) | Err(_) => return Ok(()),
        },
        _ = &mut stopping => return Ok(()),
    };
    let mut ws =
        WebSocketStream::from_partially_read(stream, early, Role::Server, Some(config(&options)))
            .await;

    let mut service = Service::for_path(&path, shared);
    let mut heartbeat = Heartbeat::new(options.ping_interval);
    loop {
        tokio::select! {
            message = ws.next() => {
                heartbeat.heard();
                match message {
                    Some(Ok(message)) => {
                        if let Some(reply) = service.answer(message, options).await {
                            send(&mut ws, reply).await?;
                        }
                    }
                    Some(Err(err)) => {
                        // The peer broke the protocol: tell it why with the close
                        // code RFC 6455 assigns (1002, 1007, 1009), then drop the
                        // connection. (If the error was the connection itself
                        // failing, there is no one left to tell.)
                        if let Some(frame) = close_frame_for(&err) {
                            let _ = tokio::time::timeout(SEND_TIMEOUT, ws.close(Some(frame))).await;
                        }
                        return Err(err);
                    }
                    // The close handshake is complete and the TCP connection is done.
                    None => return Ok(()),
                }
            }
            push = service.push() => match push {
                Push::Send(message) => send(&mut ws, message).await?,
                Push::Close(frame) => {
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, ws.close(Some(frame))).await;
                    return Ok(());
                }
            },
            () = heartbeat.tick() => {
                if heartbeat.peer_is_gone() {
                    // No pong (nor anything else) for a whole interval after a
                    // ping: the peer is gone. No close frame: nobody would read it.
                    return Ok(());
                }
                if heartbeat.should_ping() {
                    send(&mut ws, Message::Ping(common::PING_PAYLOAD.into())).await?;
                }
            }
            _ = &mut stopping => {
                let going_away = CloseFrame {
                    code: CloseCode::Away,
                    reason: "server shutting down".into(),
                };
                // Send our close frame, then keep reading until the client's
                // arrives; what it sent meanwhile is dropped, since we are leaving.
                let goodbye = async {
                    ws.close(Some(going_away)).await?;
                    while let Some(message) = ws.next().await {
                        message?;
                    }
                    Ok(())
                };
                return tokio::time::timeout(CLOSE_TIMEOUT, goodbye).await.unwrap_or(Ok(()));
            }
        }
    }
}

/// What a connection does after the handshake, chosen by the path it asked for.
enum Service {
    /// Any path but the two below: the article's echo.
    Echo(Printer),
    /// `/tick`: the feed, pushed as each tick is made, with no request.
    Tick {
        feed: Subscription,
        /// The last tick sent.
        last: u64,
    },
    /// `/chat`: a member of the room.
    Chat(Member),
}

/// What a service wants sent to its client unasked.
enum Push {
    Send(Message),
    /// Close the connection, with this code and reason.
    Close(CloseFrame),
}

impl Service {
    fn for_path(path: &str, shared: Shared) -> Self {
        match path {
            "/tick" => Service::Tick {
                feed: shared.feed.subscribe(),
                last: 0,
            },
            "/chat" => Service::Chat(shared.room.join()),
            _ => Service::Echo(shared.printer),
        }
    }

    /// Takes one message from the client, and returns the reply, if any.
    async fn answer(&mut self, message: Message, options: Options) -> Option<Message> {
        match self {
            Service::Echo(printer) => {
                if let Message::Text(text) = &message {
                    printer.print(text).await;
                }
                reply_to(message, options)
            }
            // The feed flows one way: what a client says to it is ignored.
            Service::Tick { .. } => None,
            // The room's answer arrives through `push`, like everyone else's
            // lines. The room is for text: binary messages are ignored.
            Service::Chat(member) => {
                if let Message::Text(text) = &message {
                    member.say(text);
                }
                None
            }
        }
    }

    /// Waits until there is something to send the client unasked: the next
    /// tick, or the room's next line. (It is dropped and called again each
    /// time round the loop, so it keeps nothing but in `self`.)
    async fn push(&mut self) -> Push {
        match self {
            // The echo only ever answers.
            Service::Echo(_) => std::future::pending().await,
            Service::Tick { feed, last } => match feed.next_after(*last).await {
                // On the wire: one unmasked text frame (opcode 1) holding the
                // tick's JSON, with no request before it.
                Some(tick) => {
                    *last = tick.seq;
                    Push::Send(Message::text(tick.to_json()))
                }
                // The feed is closed only when the server shuts down, which
                // closes this connection through `stop`.
                None => std::future::pending().await,
            },
            Service::Chat(member) => match member.next().await {
                Some(line) => Push::Send(Message::Text(line)),
                // Dropped from the room for falling behind: close with 1008,
                // "policy violation", and say which policy.
                None => Push::Close(CloseFrame {
                    code: CloseCode::Policy,
                    reason: "too slow: fell too far behind the room".into(),
                }),
            },
        }
    }
}

/// Writes one message, giving up on a peer that does not read it in time.
///
/// `send` waits until the message is written to the socket, so a client that
/// stops reading stops us reading from it too: replies never pile up in
/// memory. The deadline makes sure such a client is not kept forever.
///
/// Almost every write completes at once (the socket has room), so the first
/// attempt goes without a deadline: starting a timer and cancelling it for
/// every message would cost more than the write. Only a write that has to
/// wait gets one.
async fn send(ws: &mut WebSocketStream<TcpStream>, message: Message) -> Result<(), Error> {
    let mut sending = std::pin::pin!(ws.send(message));
    if let Some(result) = sending.as_mut().now_or_never() {
        return result;
    }
    match tokio::time::timeout(SEND_TIMEOUT, sending).await {
        Ok(result) => result,
        Err(_) => Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer stopped reading our replies",
        ))),
    }
}

/// What the server sends back for one message, if anything.
fn reply_to(message: Message, options: Options) -> Option<Message> {
    match message {
        Message::Text(text) => {
            if options.echo_plain {
                Some(Message::Text(text))
            } else {
                Some(Message::text(common::server_response(&text)))
            }
        }
        Message::Binary(data) => Some(Message::Binary(data)),
        // tungstenite has already queued the pong for a ping, and our own
        // close frame for the client's close. Both are written the next time
        // the loop polls the stream, which is why we never `break` on Close:
        // polling until `None` is what completes the close handshake.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => None,
    }
}

/// The close frame that tells a peer what it did wrong, if it did. The
/// reason is short and fixed: a close frame's payload is at most 125 bytes.
fn close_frame_for(err: &Error) -> Option<CloseFrame> {
    let (code, reason) = match err {
        // A message or frame over the size limit.
        Error::Capacity(_) => (CloseCode::Size, "message too big"),
        // A text message that is not valid UTF-8.
        Error::Utf8(_) => (CloseCode::Invalid, "text is not valid UTF-8"),
        // The peer vanished: nobody to send a close frame to.
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => return None,
        // Anything else against the framing rules, such as an unmasked frame
        // from a client, an unknown opcode, reserved bits set, or a control
        // frame that is fragmented or over 125 bytes.
        Error::Protocol(_) => (CloseCode::Protocol, "protocol error"),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
}

/// The per-connection settings, chosen for an echo server that may hold
/// thousands of mostly idle connections rather than a few busy ones.
fn config(options: &Options) -> WebSocketConfig {
    WebSocketConfig::default()
        // tungstenite reads into a buffer allocated up front for each
        // connection: 128 KiB by default, 1.25 GiB for 10,000 idle clients.
        // 2 KiB holds any chat-sized message in one read (larger ones simply
        // take more reads) and brings an idle connection's whole cost to
        // about 5.7 KiB; with 4 KiB it is 7.7 KiB, with 1 KiB 4.7 KiB
        // (`cargo run --release -p bench -- memory`).
        .read_buffer_size(READ_BUFFER_SIZE)
        // Incoming messages and frames are limited to what we are willing to
        // hold and echo (tungstenite's defaults are 64 MiB and 16 MiB).
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.max_message_size))
}
