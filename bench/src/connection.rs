//! Many connections to one server, as the memory and fan-out measurements
//! open them: a WebSocket for a `ws://` URL, a Server-Sent Events stream
//! for an `http://` one (such as http-server's `/tick/stream`), a few
//! hundred handshakes at a time.
//!
//! Used by `cargo run --release -p bench -- memory` and `-- fanout`; not run
//! on its own.

use std::sync::Arc;

use anyhow::{Context, bail};
use common::feed::Tick;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How many handshakes are under way at once, so that the server's listen
/// queue is never what is measured.
const OPENING_AT_ONCE: usize = 200;

/// One connection to the server.
pub(crate) enum Connection {
    /// A WebSocket: each tick is a text message.
    WebSocket(Box<WebSocketStream<TcpStream>>),
    /// Server-Sent Events: each tick is a `data:` line.
    EventStream(BufReader<TcpStream>),
}

/// Opens `count` connections to `url`.
pub(crate) async fn open_many(count: usize, url: &str) -> anyhow::Result<Vec<Connection>> {
    let slots = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (url, slots) = (url.to_string(), slots.clone());
        opening.spawn(async move {
            let _slot = slots.acquire_owned().await?;
            Connection::open(&url).await
        });
    }
    let mut open = Vec::with_capacity(count);
    while let Some(result) = opening.join_next().await {
        open.push(result.context("opening a connection panicked")??);
    }
    Ok(open)
}

impl Connection {
    /// A WebSocket or an event stream, by `url`'s scheme.
    async fn open(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("http://") {
            Ok(Self::EventStream(open_event_stream(url).await?))
        } else {
            Ok(Self::WebSocket(Box::new(open_websocket(url).await?)))
        }
    }

    /// The next tick, or `None` if the server ended the connection.
    pub(crate) async fn next_tick(&mut self) -> anyhow::Result<Option<Tick>> {
        match self {
            Self::WebSocket(ws) => {
                while let Some(message) = ws.next().await {
                    if let Message::Text(text) = message? {
                        return Tick::from_json(&text).map(Some);
                    }
                }
                Ok(None)
            }
            // Only `data:` lines matter; `id:` lines, blank lines, comments
            // and the chunk sizes of chunked transfer coding (one chunk per
            // event) pass by.
            Self::EventStream(reader) => {
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(None);
                    }
                    if let Some(data) = line.strip_prefix("data: ") {
                        return Tick::from_json(data.trim_end()).map(Some);
                    }
                }
            }
        }
    }
}

/// A WebSocket that has done its handshake, one ping and its pong: the
/// server has read from it, as from any live connection. Its read buffer is
/// small, so this side's memory stays small too.
async fn open_websocket(
    url: &str,
) -> anyhow::Result<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let uri = common::url::parse(url, "ws")?;
    let stream = TcpStream::connect(common::url::host_and_port(&uri)).await?;
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    ws.send(Message::Ping("hi".into())).await?;
    while let Some(message) = ws.next().await {
        if message?.is_pong() {
            return Ok(ws);
        }
    }
    bail!("the server closed a connection")
}

/// An event stream whose response head has arrived (`200 OK`, then the
/// headers up to the blank line); the events that follow are left unread.
async fn open_event_stream(url: &str) -> anyhow::Result<BufReader<TcpStream>> {
    let uri = common::url::parse(url, "http")?;
    let mut stream = TcpStream::connect(common::url::host_and_port(&uri)).await?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        uri.path(),
        uri.authority().map_or("", |authority| authority.as_str())
    );
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if !line.starts_with("HTTP/1.1 200") {
        bail!("the event stream was refused: {line:?}");
    }
    while line != "\r\n" {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            bail!("the server closed an event stream");
        }
    }
    Ok(reader)
}
