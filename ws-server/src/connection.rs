//! One connection's life, from its first byte to its last: the handshake
//! (with a deadline), then the article's `async for message in websocket`
//! loop, here a `select!` that also listens for what the server sends
//! unasked, for the heartbeat and for shutdown; and, on the way out, the
//! close frame that says why. Used by `serve` in `lib.rs`, which spawns one
//! task per connection.
//!
//! Run: `cargo run -p ws-server`; every client goes through here.
//!
//! What a connection does with each message depends on the path it asked
//! for: the article's echo (`echo.rs`), the feed at `/tick` (`tick.rs`), or
//! the room at `/chat` (`chat.rs`).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::Version;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::chat::Member;
use common::tls::Accepted;

use crate::handshake::{self, Upgrade};
use crate::heartbeat::Heartbeat;
use crate::http2::{self, Socket};
use crate::preface;
use crate::printer::Printer;
use crate::tick::Tick;
use crate::{Options, Shared};

/// A server's end of a WebSocket connection: frames, on the socket hyper
/// handed back after the handshake.
pub(crate) type WebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// The read buffer each connection gets, allocated up front (see `config`).
const READ_BUFFER_SIZE: usize = 2 * 1024;

/// How long a client has to answer our close frame before we drop the
/// connection anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one message may take to be written. A peer that stops reading
/// fills its receive window and then ours; past this we give up on it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one client's connection: the handshake, then one WebSocket
/// (HTTP/1.1) or as many as it opens (HTTP/2, `http2.rs`). `slot` is this
/// connection's place under the cap, given back when the task ends.
pub(crate) async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Shared,
    slot: OwnedSemaphorePermit,
) {
    let opened = {
        let mut stop = shared.stop.clone();
        // Shutting down does not wait for a handshake to finish.
        tokio::select! {
            opened = open_within_deadline(stream, &shared) => opened,
            _ = stop.changed() => return,
        }
    };
    match opened {
        Opened::WebSocket(Upgrade { stream, path }) => {
            shared.stats.accepted(Version::HTTP_11);
            session(stream, &path, peer, &shared).await;
            drop(slot);
        }
        // Boxed: an HTTP/2 connection's state is large, and only it needs it.
        Opened::Http2(stream) => Box::pin(http2::serve(stream, peer, shared, slot)).await,
        Opened::Nothing => {}
    }
}

/// Runs one WebSocket's conversation and reports how it ended. An error here
/// is the peer's business (it vanished, or broke the protocol), so it is
/// logged and the server carries on.
pub(crate) async fn session(
    stream: TokioIo<Upgraded>,
    path: &str,
    peer: SocketAddr,
    shared: &Shared,
) {
    let ws =
        WebSocketStream::from_raw_socket(stream, Role::Server, Some(config(&shared.options))).await;
    match converse(ws, path, shared).await {
        Ok(()) | Err(Error::ConnectionClosed) => {}
        Err(err) => tracing::info!("connection from {peer} ended: {err}"),
    }
}

/// One client's conversation after the handshake: messages until the
/// client closes, goes silent, or the server shuts down.
async fn converse(mut ws: WebSocket, path: &str, shared: &Shared) -> Result<(), Error> {
    let mut stop = shared.stop.clone();
    // Made once, not once per message: each new `changed()` future would
    // sign up with the channel again.
    let mut stopping = std::pin::pin!(stop.changed());
    let mut service = Service::for_path(path, shared);
    let mut heartbeat = Heartbeat::new(shared.options.ping_interval);
    loop {
        tokio::select! {
            // `async for message in websocket`: the next message from the peer.
            message = ws.next() => {
                heartbeat.heard();
                match message {
                    Some(Ok(message)) => service.answer(&mut ws, message).await?,
                    Some(Err(err)) => return refuse(&mut ws, err).await,
                    // The close handshake is complete and the TCP connection is done.
                    None => return Ok(()),
                }
            }
            // What the service sends unasked: the next tick, or a line of the room.
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
                    tracing::debug!("a peer answered no ping: dropped");
                    return Ok(());
                }
                if heartbeat.should_ping() {
                    send(&mut ws, Message::Ping(common::PING_PAYLOAD.into())).await?;
                }
            }
            _ = &mut stopping => return say_goodbye(&mut ws).await,
        }
    }
}

/// What the opening handshake made of a connection.
enum Opened {
    /// An HTTP/1.1 upgrade: one WebSocket, for the connection's life.
    WebSocket(Upgrade),
    /// HTTP/2: a connection that will carry WebSockets on its streams.
    Http2(Box<dyn Socket>),
    /// Refused with an HTTP error, answered a page, left, or too slow.
    Nothing,
}

/// The opening handshake, with its deadline: TLS if the server speaks it,
/// then which HTTP, then (for HTTP/1.1) the upgrade (`handshake.rs`).
async fn open_within_deadline(stream: TcpStream, shared: &Shared) -> Opened {
    // Each frame is a whole message: send it at once, rather than letting
    // Nagle's algorithm hold small writes back in case more data follows.
    if stream.set_nodelay(true).is_err() {
        return Opened::Nothing;
    }
    // A peer that connects but never finishes its request would otherwise
    // hold this task (and its socket) forever.
    let deadline = Duration::from_secs(shared.options.handshake_timeout);
    // Boxed: the handshake's state (hyper's connection and the futures of
    // the TLS handshake) is large and needed only until the `101`, so it
    // lives on the heap for that long rather than in every connection's
    // future for good. (The TLS session itself moves into `Upgraded`.)
    let opening = Box::pin(open(stream, shared));
    tokio::time::timeout(deadline, opening)
        .await
        .unwrap_or(Opened::Nothing)
}

/// The TLS handshake, if this server speaks TLS, then the HTTP inside it:
/// `wss://` is the same WebSocket as `ws://`, in TLS records. Which HTTP:
/// over TLS, the one ALPN agreed on in the handshake (`h2` or
/// `http/1.1`); on plain TCP, HTTP/2 if the client starts with its
/// preface (`preface.rs`).
async fn open(stream: TcpStream, shared: &Shared) -> Opened {
    let Some(tls) = &shared.options.tls else {
        return match preface::sniff(stream).await {
            Ok((true, stream)) => Opened::Http2(Box::new(stream)),
            Ok((false, stream)) => upgrade(stream, shared).await,
            Err(_) => Opened::Nothing,
        };
    };
    match common::tls::accept(tls, stream).await {
        Ok(Accepted::Tls(stream)) if stream.get_ref().1.alpn_protocol() == Some(b"h2") => {
            Opened::Http2(Box::new(stream))
        }
        Ok(Accepted::Tls(stream)) => upgrade(stream, shared).await,
        Ok(Accepted::Refused) | Err(_) => Opened::Nothing,
    }
}

/// The HTTP/1.1 upgrade (`handshake.rs`).
async fn upgrade<S: Socket>(stream: S, shared: &Shared) -> Opened {
    match handshake::accept(stream, shared).await {
        Some(upgrade) => Opened::WebSocket(upgrade),
        None => Opened::Nothing,
    }
}

/// What a connection does after the handshake, chosen by the path it asked for.
enum Service {
    /// Any path but the two below: the article's echo.
    Echo { printer: Printer, plain: bool },
    /// `/tick`: the feed, pushed as each tick is made, with no request.
    Tick(Tick),
    /// `/chat`: a member of the room.
    Chat(Member),
}

/// What a service wants sent to its client unasked.
pub(crate) enum Push {
    Send(Message),
    /// Close the connection, with this code and reason.
    Close(CloseFrame),
}

impl Service {
    fn for_path(path: &str, shared: &Shared) -> Self {
        match path {
            "/tick" => Service::Tick(Tick::new(&shared.feed)),
            "/chat" => Service::Chat(shared.room.join()),
            _ => Service::Echo {
                printer: shared.printer.clone(),
                plain: shared.options.echo_plain,
            },
        }
    }

    /// Takes one message from the client, and answers it if the service does.
    async fn answer(&mut self, ws: &mut WebSocket, message: Message) -> Result<(), Error> {
        match self {
            Service::Echo { printer, plain } => {
                crate::echo::echo(ws, message, printer, *plain).await
            }
            // The feed flows one way: what a client says to it is ignored.
            Service::Tick(_) => Ok(()),
            Service::Chat(member) => {
                member.hear(&message);
                Ok(())
            }
        }
    }

    /// Waits until there is something to send the client unasked. (It is
    /// dropped and called again each time round the loop, so it keeps
    /// nothing but in `self`.)
    async fn push(&mut self) -> Push {
        match self {
            // The echo only ever answers.
            Service::Echo { .. } => std::future::pending().await,
            Service::Tick(tick) => Push::Send(tick.next().await),
            Service::Chat(member) => member.push().await,
        }
    }
}

/// Writes one message, giving up on a peer that does not read it in time.
///
/// `send` waits until the message is written to the socket, so a client that
/// stops reading stops us reading from it too: replies never pile up in
/// memory. The deadline makes sure such a client is not kept forever.
///
/// Over HTTP/2 a write lands not on the socket but on the stream: hyper
/// hands it to a task that passes it to h2 only once the peer's
/// flow-control window has room (the peer's HTTP/2 opens its window again
/// as its application reads). A peer that stops reading leaves its window
/// used up (64 KiB by default), hyper's one-write queue fills, and `send`
/// waits here just as over TCP, so the same deadline bites.
///
/// Almost every write completes at once (the socket has room), so the first
/// attempt goes without a deadline: no timer is started and cancelled for a
/// write that never waits. Only a write that has to wait gets one.
pub(crate) async fn send(ws: &mut WebSocket, message: Message) -> Result<(), Error> {
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

/// The peer broke the protocol: tell it why with the close code RFC 6455
/// assigns (1002, 1007, 1009), then drop the connection, returning `err` to
/// be logged. (If the error was the connection itself failing, there is no
/// one left to tell.)
async fn refuse(ws: &mut WebSocket, err: Error) -> Result<(), Error> {
    if let Some(frame) = close_frame_for(&err) {
        let _ = tokio::time::timeout(SEND_TIMEOUT, ws.close(Some(frame))).await;
    }
    Err(err)
}

/// The server is shutting down: send our close frame with code 1001, "going
/// away", then keep reading until the client's answering close frame
/// arrives; what it sent meanwhile is dropped, since we are leaving.
async fn say_goodbye(ws: &mut WebSocket) -> Result<(), Error> {
    let going_away = CloseFrame {
        code: CloseCode::Away,
        reason: "server shutting down".into(),
    };
    let goodbye = async {
        ws.close(Some(going_away)).await?;
        while let Some(message) = ws.next().await {
            message?;
        }
        Ok(())
    };
    tokio::time::timeout(CLOSE_TIMEOUT, goodbye)
        .await
        .unwrap_or(Ok(()))
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

/// The per-connection settings, chosen for a server that may hold thousands
/// of mostly idle connections rather than a few busy ones.
fn config(options: &Options) -> WebSocketConfig {
    WebSocketConfig::default()
        // tungstenite reads into a buffer allocated up front for each
        // connection: 128 KiB by default, 1.25 GiB for 10,000 idle clients.
        // 2 KiB holds any chat-sized message in one read (larger ones simply
        // take more reads) and keeps an idle connection to a few KiB in all
        // (`cargo run --release -p bench -- memory` measures it).
        .read_buffer_size(READ_BUFFER_SIZE)
        // Incoming messages and frames are limited to what we are willing to
        // hold and echo (tungstenite's defaults are 64 MiB and 16 MiB).
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.max_message_size))
}
