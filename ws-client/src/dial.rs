//! How the client's connection is opened, in the order it happens on the
//! wire: the TCP connection, then for `wss://` the TLS handshake, then the
//! HTTP upgrade request inside it, answered `101 Switching Protocols`.
//!
//! Run: `cargo run -p ws-client -- --verbose` shows each step (and, against
//! `ws-server --self-signed`, `cargo run -p ws-client -- --verbose --cacert
//! PATH wss://localhost:8765` shows what TLS negotiated).
//!
//! `wss://` is not another protocol: it is the same upgrade and the same
//! frames, carried in TLS records. So the `--verbose` transcript sits above
//! TLS and shows the same plain text as for `ws://`, while a byte counter
//! below TLS sees what really crossed the socket, records and all.
//! (tokio-tungstenite can do the TLS itself, `connect_async_tls_with_config`,
//! but then TLS would wrap our transcript and it could show only ciphertext.)
//!
//! With `--http2` the same TCP connection and TLS carry HTTP/2 instead, and
//! the WebSocket is one stream of it (`http2.rs`); the transcript then shows
//! HTTP/2's frames, with the WebSocket's frames inside their DATA.

use anyhow::Context;
use common::tap::{Counters, Tap};
use common::transcript::{Protocol, Transcript};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error;

use crate::Options;

/// What a WebSocket runs on: the socket (or TLS inside it), or one stream
/// of an HTTP/2 connection. One boxed type for all of them, so the rest of
/// the client is written once.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The client's end of the connection, after the handshake: frames, on
/// what [`Io`] says, with the `--verbose` transcript and a byte counter
/// above TLS (if any) and a counter of the bytes on the socket itself.
pub(crate) type Connection = WebSocketStream<Box<dyn Io>>;

/// Opens the connection to `url` and performs the opening handshake: the
/// HTTP/1.1 upgrade, or with `--http2` an extended CONNECT (`http2.rs`).
/// `counters` counts the bytes of HTTP and WebSocket (inside TLS, if any);
/// over TLS, the counters returned count those on the socket.
pub(crate) async fn connect(
    url: &str,
    verbose: bool,
    options: &Options,
    counters: Counters,
) -> anyhow::Result<(Connection, Option<Counters>)> {
    let uri = common::url::parse(url, "ws")?;
    let (host, port) = common::url::host_and_port(&uri);
    // The one protocol asked for in TLS's ALPN: an upgrade is an HTTP/1.1
    // request; an extended CONNECT, an HTTP/2 one.
    let alpn: &[&[u8]] = if options.http2 {
        &[b"h2"]
    } else {
        &[b"http/1.1"]
    };
    let config = options.tls.config_for(&uri, alpn)?;

    let stream = TcpStream::connect((host, port)).await.with_context(|| {
        format!(
            "could not connect to {url} (is the server running? \
             start it with `cargo run -p ws-server`)"
        )
    })?;
    // Send each small frame at once, rather than letting Nagle's algorithm
    // wait in case more data follows.
    stream.set_nodelay(true)?;
    let socket = Counters::default();
    let stream = Tap::new(stream, socket.clone());

    let (stream, socket): (Box<dyn Io>, _) = match config {
        None => (Box::new(stream), None),
        Some(config) => {
            // The TLS handshake: one round trip in TLS 1.3 (ClientHello, then
            // the server's hello, certificate and Finished), checked against
            // the trusted roots before any HTTP is sent.
            let stream = common::tls::connect(stream, host, config, url).await?;
            if verbose {
                for line in common::tls::describe(stream.get_ref().1) {
                    eprintln!("{line}");
                }
            }
            if options.http2 && stream.get_ref().1.alpn_protocol() != Some(b"h2") {
                anyhow::bail!(
                    "{url} did not agree to HTTP/2 in the TLS handshake (ALPN); try without --http2"
                );
            }
            (Box::new(stream), Some(socket))
        }
    };

    let protocol = if options.http2 {
        Protocol::WebSocketOverHttp2
    } else {
        Protocol::WebSocket
    };
    let stream = Box::new(Tap::new(
        stream,
        (Transcript::new(protocol, verbose), counters),
    ));
    let ws = if options.http2 {
        crate::http2::open(url, &uri, stream).await?
    } else {
        let stream: Box<dyn Io> = stream;
        let (ws, _response) = tokio_tungstenite::client_async(url, stream)
            .await
            .map_err(|err| refused(url, err))?;
        ws
    };
    Ok((ws, socket))
}

/// Why the server refused the upgrade, in one line.
fn refused(url: &str, err: Error) -> anyhow::Error {
    // A TLS server's port met with plain `ws://`: ws-server answers such a
    // request `400` with this sentence, in plain text.
    if let Error::Http(response) = &err {
        let body = response.body().as_deref().unwrap_or_default();
        if String::from_utf8_lossy(body).trim() == common::SPEAKS_TLS {
            return anyhow::anyhow!("{url} speaks TLS on this port: use wss://");
        }
    }
    // tungstenite's errors name their cause in their own text (and again as
    // their `source`), so the text alone says it once.
    anyhow::anyhow!(
        "{url} did not accept the WebSocket handshake (is it a WebSocket server?): {err}"
    )
}
