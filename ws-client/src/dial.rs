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

use anyhow::Context;
use common::tap::{Counters, Tap};
use common::tls::ClientTlsOptions;
use common::transcript::{Protocol, Transcript};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The client's end of the connection, after the handshake: frames, past
/// the `--verbose` transcript and a byte counter, then TLS if the URL asked
/// for it, then a counter of the bytes on the socket itself.
pub(crate) type Connection =
    WebSocketStream<Tap<MaybeTlsStream<Tap<TcpStream, Counters>>, (Transcript, Counters)>>;

/// The one protocol this client asks for in TLS's ALPN: a WebSocket upgrade
/// is an HTTP/1.1 request.
const ALPN: &[&[u8]] = &[b"http/1.1"];

/// Opens the connection to `url` and performs the upgrade handshake.
/// `counters` counts the bytes of HTTP and WebSocket (inside TLS, if any);
/// over TLS, the counters returned count those on the socket.
pub(crate) async fn connect(
    url: &str,
    verbose: bool,
    tls: &ClientTlsOptions,
    counters: Counters,
) -> anyhow::Result<(Connection, Option<Counters>)> {
    let uri = common::url::parse(url, "ws")?;
    let (host, port) = common::url::host_and_port(&uri);
    let config = tls.config_for(&uri, ALPN)?;

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

    let (stream, socket) = match config {
        None => (MaybeTlsStream::Plain(stream), None),
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
            (MaybeTlsStream::Rustls(stream), Some(socket))
        }
    };

    let watch = (Transcript::new(Protocol::WebSocket, verbose), counters);
    let stream = Tap::new(stream, watch);
    let (ws, _response) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|err| refused(url, err))?;
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
