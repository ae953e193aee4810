//! The article's WebSocket client: prompt for a line, send it as a text
//! message, print the server's reply; again for every further line until the
//! end of input, then close the connection properly.
//!
//! Run it with `cargo run -p ws-server` in one terminal and
//! `cargo run -p ws-client` in another, then type; or, for the article's
//! single exchange, `echo hello | cargo run -p ws-client`.
//!
//! Mirrors the article's "WebSocket Client Code": `websockets.connect(...)`,
//! `input("Enter a message: ")`, `send`, `recv` and its two `print` lines.
//!
//! Unlike an HTTP client, this one opens its connection once and keeps it:
//! every line typed travels as one small frame on the same TCP connection,
//! with no new handshake and no headers.
//!
//! # Beyond the article: push and the room
//!
//! Pointed at ws-server's `/tick` (`cargo run -p ws-client --
//! ws://localhost:8765/tick`), it reads nothing from the user and prints each
//! tick of the live feed as the server pushes it ([`follow`]). At `/chat` it
//! is the article's client in a room: what others say appears as it is said,
//! even while the prompt waits for a line.

use std::io::{self, Write};
use std::time::Duration;

mod dial;
mod http2;

use anyhow::{Context, bail};
use common::feed::{Delivery, Tick};
use common::tap::Counters;
use common::tls::ClientTlsOptions;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::dial::Connection;

/// How the client reaches a server: which certificates to trust at a
/// `wss://` URL, and whether the WebSocket goes over HTTP/1.1 or HTTP/2.
/// The command line's flags (`--cacert`, `--insecure`, `--http2`), or a
/// program's choices (`Options::default()` is the article's client).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Options {
    /// Open the WebSocket as one stream of an HTTP/2 connection (RFC 8441's
    /// extended CONNECT): with prior knowledge at ws://, offering only h2 in
    /// the TLS handshake (ALPN) at wss://
    #[arg(long)]
    pub http2: bool,
    /// At a `wss://` URL, the certificates to trust.
    #[command(flatten)]
    pub tls: ClientTlsOptions,
}

/// Lines of input, as they are typed (or piped in).
pub type Lines = mpsc::Receiver<io::Result<String>>;

/// The whole program: a session on `url` fed from standard input, printed to
/// standard output. `timeout` bounds the connection and each wait for a reply,
/// never the wait for the user to type. With `verbose`, standard error shows
/// what crossed the wire: the upgrade request, the 101, then each frame.
/// `options` says whom to trust when `url` is `wss://`, and which HTTP
/// opens the WebSocket.
pub async fn run(
    url: &str,
    options: &Options,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<()> {
    session(
        url,
        stdin_lines(),
        &mut io::stdout(),
        options,
        timeout,
        verbose,
    )
    .await
}

/// Reads standard input on a thread of its own and passes each line on.
///
/// Reading a terminal blocks a thread until the user presses Enter. Doing
/// that on a thread of its own, rather than inside the async runtime, leaves
/// the runtime free to answer the server's pings meanwhile, and to exit even
/// while a read is pending.
fn stdin_lines() -> Lines {
    let (sender, lines) = mpsc::channel(1);
    std::thread::spawn(move || {
        for line in io::stdin().lines() {
            if sender.blocking_send(line).is_err() {
                break; // The session is over; nobody is listening.
            }
        }
    });
    lines
}

/// Connects to `url`, then for each line from `lines` prints the prompt,
/// sends the line and prints the reply, in the article's words, to `out`.
///
/// However the conversation ends (the end of input, or the server leaving),
/// it ends with the close handshake, so neither side sees a connection
/// dropped without one.
pub async fn session(
    url: &str,
    lines: Lines,
    out: &mut impl Write,
    options: &Options,
    timeout: Duration,
    verbose: bool,
) -> anyhow::Result<()> {
    let inside = Counters::default();
    let (mut ws, socket) = connect(url, timeout, verbose, options, inside.clone()).await?;
    let result = converse(url, &mut ws, lines, out, timeout).await;
    close(ws, timeout).await;
    report_tls(verbose, &socket, &inside);
    result
}

/// Follows the feed at `url` (ws-server's `/tick`): prints each tick to
/// `out` as the server pushes it, until `count` ticks have arrived (or
/// forever, without `count`), then a line saying what they cost.
///
/// There is no request per tick: after the one upgrade request, each tick is
/// a single frame the server sends unasked. `timeout` bounds the connection;
/// ticks come when the server makes them, but a server silent for `timeout`
/// is pinged, and given up on if it does not answer within another.
pub async fn follow(
    url: &str,
    count: Option<u64>,
    options: &Options,
    timeout: Duration,
    verbose: bool,
    out: &mut impl Write,
) -> anyhow::Result<Delivery> {
    let counters = Counters::default();
    let (mut ws, socket) = connect(url, timeout, verbose, options, counters.clone()).await?;
    // One request, the upgrade, on one connection.
    let mut delivery = Delivery::new(1, 1);
    let result = async {
        while !delivery.reached(count) {
            let text = next_tick(&mut ws, timeout).await?;
            writeln!(out, "{}", delivery.arrived(&Tick::from_json(&text)?))?;
        }
        anyhow::Ok(())
    }
    .await;
    close(ws, timeout).await;
    report_tls(verbose, &socket, &counters);
    result?;
    // The bytes on the socket, TLS records and all, as http-client counts
    // its own: what following the feed really cost.
    (delivery.sent, delivery.received) = socket.as_ref().unwrap_or(&counters).read();
    writeln!(out, "{}", delivery.summary())?;
    Ok(delivery)
}

/// Waits for the server's next data message, for as long as the server is
/// there.
///
/// A feed may tick seldom, so silence alone proves nothing. But a server
/// whose machine vanished, or whose network did, sends nothing at all, not
/// even a TCP reset, and without a check we would wait forever. So after
/// `timeout` of silence we ping (on the wire: a frame with opcode 9, which
/// the server must answer with a pong, opcode 10); anything heard, pong or
/// tick, shows the server is there; nothing within another `timeout`, and
/// we give up. (ws-server checks on its clients the same way.)
async fn next_tick(ws: &mut Connection, timeout: Duration) -> anyhow::Result<String> {
    let mut pinged = false;
    loop {
        match tokio::time::timeout(timeout, ws.next()).await {
            Ok(message) => {
                pinged = false;
                if let Some(text) = data_or_end(message)? {
                    return Ok(text);
                }
            }
            Err(_) if !pinged => {
                let ping = async {
                    let ping = Message::Ping(common::PING_PAYLOAD.into());
                    ws.send(ping).await.context("could not ping the server")
                };
                let silent = || "the server went silent and did not take a ping".to_string();
                common::cli::within(timeout, silent, ping).await?;
                pinged = true;
            }
            Err(_) => bail!(
                "the server went silent: no answer to a ping within {timeout:?} (see --timeout)"
            ),
        }
    }
}

/// The article's exchange, once per line of input.
async fn converse(
    url: &str,
    ws: &mut Connection,
    mut lines: Lines,
    out: &mut impl Write,
    timeout: Duration,
) -> anyhow::Result<()> {
    loop {
        write!(out, "{}", common::PROMPT)?;
        out.flush()?;
        let Some(line) = next_line(&mut lines, ws, out).await? else {
            break;
        };

        // On the wire: one text frame, FIN set, opcode 1, masked with a
        // fresh random key (every frame from a client is masked).
        ws.send(Message::text(line.as_str()))
            .await
            .with_context(|| format!("could not send to {url}"))?;
        writeln!(out, "{}", common::sent_message(&line))?;

        let no_reply = || format!("no reply from {url}");
        let reply = common::cli::within(timeout, no_reply, next_reply(ws)).await?;
        writeln!(out, "{}", common::received_response(&reply))?;
    }
    // End the line the last prompt started, so the shell's prompt starts afresh.
    writeln!(out)?;
    Ok(())
}

/// Opens the connection (`dial.rs`), within `timeout`.
async fn connect(
    url: &str,
    timeout: Duration,
    verbose: bool,
    options: &Options,
    inside: Counters,
) -> anyhow::Result<(Connection, Option<Counters>)> {
    let connecting = dial::connect(url, verbose, options, inside);
    common::cli::within(timeout, || format!("no answer from {url}"), connecting).await
}

/// With `verbose`, over TLS (`socket` counts its bytes): what TLS cost on
/// the socket, beside what went inside it.
fn report_tls(verbose: bool, socket: &Option<Counters>, inside: &Counters) {
    if let (true, Some(socket)) = (verbose, socket) {
        eprintln!("{}", common::tls::cost_line(socket, inside, "WebSocket"));
    }
}

/// Waits for the next line of input while still reading the socket.
///
/// Reading the socket meanwhile matters: tungstenite answers a ping only
/// when the stream is polled, and a server that closes the connection should
/// be noticed now, not after the user has typed their next line.
async fn next_line(
    lines: &mut Lines,
    ws: &mut Connection,
    out: &mut impl Write,
) -> anyhow::Result<Option<String>> {
    loop {
        tokio::select! {
            line = lines.recv() => {
                return line.transpose().context("could not read standard input");
            }
            message = ws.next() => match data_or_end(message) {
                // A message nobody asked for: show it, and keep waiting.
                Ok(Some(unasked)) => {
                    writeln!(out, "\n{}", common::received_response(&unasked))?;
                    write!(out, "{}", common::PROMPT)?;
                    out.flush()?;
                }
                Ok(None) => {}
                Err(ended) => {
                    // End the prompt's line before the error is printed.
                    writeln!(out)?;
                    return Err(ended);
                }
            }
        }
    }
}

/// Waits for the server's answer, skipping pings and pongs.
async fn next_reply(ws: &mut Connection) -> anyhow::Result<String> {
    loop {
        if let Some(text) = data_or_end(ws.next().await)? {
            return Ok(text);
        }
    }
}

/// Sorts what the stream yields: the text of a data message, `None` for a
/// ping or pong (tungstenite answers pings by itself), or an error that says
/// how the conversation ended.
fn data_or_end(message: Option<Result<Message, Error>>) -> anyhow::Result<Option<String>> {
    match message {
        Some(Ok(Message::Text(text))) => Ok(Some(text.to_string())),
        Some(Ok(Message::Binary(data))) => Ok(Some(String::from_utf8_lossy(&data).into_owned())),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(None),
        Some(Ok(Message::Close(Some(frame)))) => bail!(
            "the server closed the connection (code {}, reason {:?})",
            u16::from(frame.code),
            frame.reason.as_str()
        ),
        Some(Ok(Message::Close(None))) => bail!("the server closed the connection"),
        // tungstenite's errors name their cause in their own text (and again
        // as their `source`), so the text alone says it once.
        Some(Err(err)) => bail!("the connection to the server broke: {err}"),
        None => bail!("the server closed the connection"),
    }
}

/// Completes the close handshake, within `timeout`.
///
/// If we are first to close, this sends our close frame (opcode 8, code
/// 1000, "normal closure") and waits for the server's. If the server closed
/// first, tungstenite has already queued our answering close frame, and this
/// sends it. Either way the stream then yields `None`: the WebSocket is
/// over, and we shut down what it ran on: TCP sends its FIN, TLS its
/// close_notify first, and over HTTP/2 the stream ends and the connection
/// says GOAWAY (`http2.rs`).
///
/// Nothing here is worth an error: everything the user asked for is done, and
/// a server that never answers the close frame is its own problem.
async fn close(mut ws: Connection, timeout: Duration) {
    let handshake = async {
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        let _ = ws.close(Some(normal)).await;
        while let Some(Ok(_)) = ws.next().await {}
        let _ = ws.get_mut().shutdown().await;
    };
    let _ = tokio::time::timeout(timeout, handshake).await;
}
