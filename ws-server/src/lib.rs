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

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

/// The largest message (and frame) the server accepts: 1 MiB, the default of
/// Python's `websockets`, which the article uses. A peer that sends more is
/// closed with code 1009, "message too big".
pub const MAX_MESSAGE_SIZE: usize = 1024 * 1024;

/// How long a client has to answer our close frame when the server shuts
/// down, before we drop the connection anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a new connection has to complete the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after `accept` failed, for example
/// because the process ran out of file descriptors. Retrying at once would
/// only spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Choices a user makes on the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Send each message back unchanged, instead of the article's
    /// `Server Response: m`. Conformance suites such as Autobahn check that
    /// the echo equals what they sent.
    pub echo_plain: bool,
}

/// The whole program: bind, say where, serve until Ctrl-C or SIGTERM.
pub async fn run(host: &str, port: u16, options: Options) -> anyhow::Result<()> {
    let shutdown = common::server::shutdown_signal()?;
    let listener = common::server::bind(host, port).await?;
    let url = format!("ws://{}", listener.local_addr()?);
    println!("{}", common::ws_server_started(&url));
    serve(listener, options, shutdown).await;
    Ok(())
}

/// Accepts WebSocket clients on `listener` until `shutdown` completes, each
/// in a task of its own, so clients are served side by side and one that
/// misbehaves ends only its own connection.
///
/// On shutdown it stops accepting, sends every connected client a close
/// frame with code 1001 ("going away"), and returns once each connection has
/// finished its close handshake (or five seconds have passed).
pub async fn serve(listener: TcpListener, options: Options, shutdown: impl Future<Output = ()>) {
    // Every connection task holds a receiver; sending on `stop` tells them all.
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(handle_connection(stream, peer, options, stopping.clone()));
                }
                Err(err) => {
                    eprintln!("could not accept a connection: {err}; retrying");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            // Collect finished tasks as we go, so the set does not grow forever.
            Some(_) = connections.join_next() => {}
        }
    }

    // Closing the listener makes the kernel refuse new connections.
    drop(listener);
    stop.send_replace(());
    while connections.join_next().await.is_some() {}
}

/// Runs one client's conversation and reports how it ended. An error here is
/// the peer's business (it vanished, or broke the protocol), so it is logged
/// and the server carries on.
async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    options: Options,
    stop: watch::Receiver<()>,
) {
    use tokio_tungstenite::tungstenite::Error;
    match echo(stream, options, stop).await {
        Ok(()) | Err(Error::ConnectionClosed) => {}
        Err(err) => eprintln!("connection from {peer} ended: {err}"),
    }
}

/// The article's `echo` handler: the handshake, then one reply per message,
/// until the client closes or the server shuts down.
async fn echo(
    stream: TcpStream,
    options: Options,
    mut stop: watch::Receiver<()>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    // Reads the HTTP upgrade request, checks it, and answers `101 Switching
    // Protocols`. A peer that connects but never finishes its request would
    // otherwise hold this task (and its socket) forever, so the handshake has
    // a deadline, and shutting down does not wait for it.
    let handshake = tokio_tungstenite::accept_async_with_config(stream, Some(config()));
    let mut ws = tokio::select! {
        result = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake) => match result {
            Ok(ws) => ws?,
            Err(_) => return Ok(()), // Too slow: drop the TCP connection.
        },
        _ = stop.changed() => return Ok(()),
    };

    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(message)) => {
                    if let Some(reply) = reply_to(message, options) {
                        // `send` waits until the reply is written to the socket. A
                        // client that stops reading therefore stops us reading
                        // from it too, so replies never pile up in memory.
                        ws.send(reply).await?;
                    }
                }
                Some(Err(err)) => {
                    // The peer broke the protocol: tell it why with the close
                    // code RFC 6455 assigns (1002, 1007, 1009), then drop the
                    // connection. (If the
                    // error was the connection itself failing, this send fails
                    // too, and there is no one left to tell.)
                    if let Some(frame) = close_frame_for(&err) {
                        let _ = ws.close(Some(frame)).await;
                    }
                    return Err(err);
                }
                // The close handshake is complete and the TCP connection is done.
                None => return Ok(()),
            },
            _ = stop.changed() => {
                let going_away = CloseFrame {
                    code: CloseCode::Away,
                    reason: "server shutting down".into(),
                };
                ws.close(Some(going_away)).await?;
                // Keep reading until the client's close frame arrives; what it
                // sent meanwhile is dropped, since we said we are leaving.
                let drain = async {
                    while let Some(message) = ws.next().await {
                        message?;
                    }
                    Ok(())
                };
                return tokio::time::timeout(CLOSE_TIMEOUT, drain).await.unwrap_or(Ok(()));
            }
        }
    }
}

/// What the server sends back for one message, if anything.
fn reply_to(message: Message, options: Options) -> Option<Message> {
    match message {
        Message::Text(text) => {
            println!("{}", common::received_message(&text));
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
fn close_frame_for(err: &tokio_tungstenite::tungstenite::Error) -> Option<CloseFrame> {
    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    let (code, reason) = match err {
        // A message or frame over `MAX_MESSAGE_SIZE`.
        Error::Capacity(_) => (CloseCode::Size, "message too big"),
        // A text message that is not valid UTF-8.
        Error::Utf8(_) => (CloseCode::Invalid, "text is not valid UTF-8"),
        // The peer vanished: nobody to send a close frame to.
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => return None,
        // Anything else against the framing rules, such as an unmasked frame
        // from a client or an unknown opcode.
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
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        // tungstenite reads into a buffer allocated up front for each
        // connection: 128 KiB by default, 1.25 GiB for 10,000 idle clients.
        // A few KiB is plenty for chat-sized messages; larger ones simply
        // take more reads.
        .read_buffer_size(4 * 1024)
        // Incoming messages and frames are limited to what we are willing to
        // hold and echo (tungstenite's defaults are 64 MiB and 16 MiB).
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE))
}
