//! Memory per idle connection: how much the article's "persistent
//! connections require more resources from the server" costs here.
//!
//! A server runs in a process of its own ([`Watched`]); this process opens
//! many connections to it, then leaves them idle. A WebSocket (`ws://` URL)
//! completes its handshake and one ping; a Server-Sent Events stream
//! (`http://` URL, such as http-server's `/tick/stream`) gets its response
//! head. The server's resident memory before and after, read from
//! `/proc/PID/status`, divided by the number of connections, is the cost of
//! one idle connection.
//!
//! Run: `cargo run --release -p bench -- memory` (10,000 connections to a
//! ws-server process of its own), or with `--url URL --pid PID` for another
//! server, as `bench/peers.sh` does.

use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::watched::Watched;

/// The measurement.
#[derive(Debug)]
pub struct Measurement {
    /// Idle connections held open.
    pub connections: usize,
    /// The server's resident memory with no connections, in KiB.
    pub before_kib: u64,
    /// The same with all of them open, in KiB.
    pub after_kib: u64,
}

impl Measurement {
    /// KiB of server memory per idle connection.
    pub fn per_connection_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / self.connections as f64
    }
}

/// Opens `connections` idle connections to `server` (or, if `None`, to a
/// quiet ws-server this process starts) and measures the server's memory.
///
/// Ctrl-C ends the measurement cleanly, so that a server process this one
/// started, which is killed when its handle is dropped, does not outlive it.
pub async fn run(connections: usize, server: Option<Watched>) -> anyhow::Result<Measurement> {
    tokio::select! {
        result = measure(connections, server) => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

async fn measure(connections: usize, server: Option<Watched>) -> anyhow::Result<Measurement> {
    #[cfg(unix)]
    rlimit::increase_nofile_limit(u64::MAX).context("could not raise the open-file limit")?;
    let server = match server {
        Some(server) => server,
        None => Watched::start_ws_server(&[]).await?,
    };
    let before_kib = server.resident_kib()?;
    let sse = server.url.starts_with("http://");

    // Connect a few hundred at a time.
    let slots = Arc::new(Semaphore::new(200));
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (url, slots) = (server.url.clone(), slots.clone());
        opening.spawn(async move {
            let _slot = slots.acquire_owned().await?;
            // Each connection is only held, to keep it open.
            let held: Box<dyn Send> = if sse {
                Box::new(open_event_stream(&url).await?)
            } else {
                Box::new(open_websocket(&url).await?)
            };
            anyhow::Ok(held)
        });
    }
    let mut open = Vec::with_capacity(connections);
    while let Some(result) = opening.join_next().await {
        open.push(result??);
    }
    let after_kib = server.resident_kib()?;
    drop(open);
    Ok(Measurement {
        connections,
        before_kib,
        after_kib,
    })
}

/// A WebSocket that has done its handshake, one ping and its pong: the
/// server has read from it, as from any live connection. Its read buffer is
/// small, so this side's memory stays small too.
pub(crate) async fn open_websocket(
    url: &str,
) -> anyhow::Result<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let uri = common::url::parse(url, "ws")?;
    let stream = TcpStream::connect(common::url::host_and_port(&uri, 80)).await?;
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
pub(crate) async fn open_event_stream(url: &str) -> anyhow::Result<BufReader<TcpStream>> {
    let uri = common::url::parse(url, "http")?;
    let mut stream = TcpStream::connect(common::url::host_and_port(&uri, 80)).await?;
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
