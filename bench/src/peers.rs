//! The pieces `bench/peers.sh` puts our servers beside: a hyper server, bare
//! or with http-server's defences, a plain axum server, a plain
//! tokio-tungstenite echo (in plain text or over TLS) and a raw TCP echo
//! (what our servers would be with less or nothing of their own), and load
//! generators for WebSocket (`ws://` or `wss://`) and raw TCP echo (wrk does
//! HTTP and HTTPS).
//!
//! Each server prints a started line with its URL, like ours, so the script
//! can start them all the same way.
//!
//! Run through `bash bench/peers.sh`, which starts them with `bench
//! serve-peer` and loads them with `bench ws-load` and `bench tcp-load`.
//! Mirrors the article's comparison table, with servers other than ours.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::tls::{ClientTlsOptions, ServerTls};
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A hyper 1.x server: the article's body on every request, no router.
///
/// Without `defended`, nothing else either (no deadlines, no limits): the
/// floor under http-server. With it, hyper gets http-server's defences,
/// built here the way http-server builds them: its deadline and size limit
/// for request heads, and its graceful-shutdown tracking of every
/// connection. What those defences cost, with no axum at all.
pub async fn serve_hyper(listener: TcpListener, defended: bool) -> anyhow::Result<()> {
    let (name, http) = if defended {
        ("hyper with http-server's defences", defended_settings())
    } else {
        ("bare hyper", http1::Builder::new())
    };
    println!(
        "{name} server started. Listening on http://{}",
        listener.local_addr()?
    );
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, _) = listener.accept().await?;
        let connection = http.serve_connection(TokioIo::new(stream), service_fn(hello));
        if defended {
            let connection = graceful.watch(connection);
            tokio::spawn(connection);
        } else {
            tokio::spawn(connection);
        }
    }
}

/// hyper's settings as http-server sets them: its default deadline for a
/// request head, and its limit of 16 KiB on the head's size.
fn defended_settings() -> http1::Builder {
    let header_timeout = http_server::Options::default().header_timeout;
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(header_timeout))
        .max_buf_size(16 * 1024);
    http
}

/// The article's answer, in hyper's own terms: status 200, the one header,
/// the body.
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(common::HELLO_BODY.as_bytes())));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(common::HTML_CONTENT_TYPE),
    );
    Ok(response)
}

/// A plain axum server, as in axum's own examples: `axum::serve` and one
/// handler for every path, and nothing else (no deadlines or limits, no
/// other routes). What http-server would be with axum doing all the work.
pub async fn serve_axum(listener: TcpListener) -> anyhow::Result<()> {
    println!(
        "plain axum server started. Listening on http://{}",
        listener.local_addr()?
    );
    let app = axum::Router::new()
        .route("/", axum::routing::get(axum_hello))
        .route("/{*path}", axum::routing::get(axum_hello));
    axum::serve(listener, app).await?;
    Ok(())
}

/// The article's answer as an axum handler: the same bytes on the wire as
/// http-server's. The body is a `Body`, not a plain `&str`, for which axum
/// would set `text/plain` only for the header here to replace it.
async fn axum_hello() -> ([(HeaderName, HeaderValue); 1], axum::body::Body) {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(common::HTML_CONTENT_TYPE),
        )],
        axum::body::Body::from(common::HELLO_BODY),
    )
}

/// A raw TCP echo: bytes in, the same bytes out. The floor under ws-server.
pub async fn serve_tcp_echo(listener: TcpListener) -> anyhow::Result<()> {
    println!(
        "raw TCP echo server started. Listening on tcp://{}",
        listener.local_addr()?
    );
    loop {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let (mut reader, mut writer) = stream.split();
            let _ = tokio::io::copy(&mut reader, &mut writer).await;
        });
    }
}

/// A plain tokio-tungstenite echo, as in its own examples: each message
/// sent back unchanged, nothing else (no printing, deadlines, heartbeat or
/// shutdown). What ws-server would be without the article's behaviour and
/// its defences. Same read buffer as ws-server, so only the code differs.
/// With `tls`, each connection's TLS handshake comes first, with
/// tokio-rustls as ws-server does it (`wss://`).
pub async fn serve_tungstenite_echo(
    listener: TcpListener,
    tls: Option<ServerTls>,
) -> anyhow::Result<()> {
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    println!(
        "plain tokio-tungstenite echo server started. Listening on {scheme}://{}",
        listener.local_addr()?
    );
    if let Some(tls) = &tls {
        println!("{}", tls.certificate_line());
    }
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let tls = tls.clone();
        tokio::spawn(async move {
            let Some(tls) = tls else {
                return echo(stream).await;
            };
            if let Ok(stream) = tls.acceptor().accept(stream).await {
                echo(stream).await;
            }
        });
    }
}

/// The WebSocket upgrade on `stream`, then every text and binary message
/// back as it came, until the client goes.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    // 2 KiB: the read buffer ws-server gives each connection.
    let config = WebSocketConfig::default().read_buffer_size(2 * 1024);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

/// `clients` WebSocket clients send a `payload`-byte text message and wait
/// for the reply, again and again, for `duration`; returns round trips per
/// second. A `wss://` URL is dialled over TLS, trusting what `tls` says
/// (`--cacert FILE`).
///
/// After the handshake and one exchange through tungstenite (which shows
/// what the reply looks like), each client writes the same masked frame,
/// built once, and reads the reply's exact bytes, as [`tcp_load`] does with
/// raw bytes. So the load generator costs the same per round trip for
/// WebSocket and for raw TCP, and the two rates compare the servers alone.
/// (Over TLS, the frames go through tokio-rustls like any other bytes.)
pub async fn ws_load(
    url: &str,
    tls: &ClientTlsOptions,
    clients: usize,
    duration: Duration,
    payload: usize,
) -> anyhow::Result<f64> {
    let uri = common::url::parse(url, "ws")?;
    // Only `wss://` needs a TLS config; reading the system's certificates
    // for a `ws://` URL would be wasted work.
    let tls = if common::url::is_tls(&uri) {
        Some(tls.client_config(&[b"http/1.1"])?)
    } else {
        None
    };
    let message = "x".repeat(payload);
    load(clients, duration, |deadline| {
        let (url, tls, message) = (url.to_string(), tls.clone(), message.clone());
        async move {
            let (mut ws, reply) = ws_connect(&url, tls, &message).await?;
            let request = text_frame(message.as_bytes(), Some(MASK))?;
            let expected = text_frame(reply.as_bytes(), None)?;
            let count = exchange_until(deadline, ws.get_mut(), &request, &expected).await?;
            let _ = ws.close(None).await;
            Ok(count)
        }
    })
    .await
}

/// Opens a WebSocket to `url` (over TLS with `tls`) and sends `message`
/// once; returns the connection and the text of the reply.
async fn ws_connect(
    url: &str,
    tls: Option<Arc<ClientConfig>>,
    message: &str,
) -> anyhow::Result<(WebSocketStream<MaybeTlsStream<TcpStream>>, Utf8Bytes)> {
    let uri = common::url::parse(url, "ws")?;
    let (host, port) = common::url::host_and_port(&uri);
    let stream = TcpStream::connect((host, port))
        .await
        .with_context(|| format!("could not connect to {url}"))?;
    stream.set_nodelay(true)?;
    let stream = match tls {
        Some(config) => {
            MaybeTlsStream::Rustls(common::tls::connect(stream, host, config, url).await?)
        }
        None => MaybeTlsStream::Plain(stream),
    };
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await?;
    let reply = crate::compare::ws_echo(&mut ws, message).await?;
    Ok((ws, reply))
}

/// A final text frame holding `payload`, as it crosses the wire, built by
/// tungstenite: the first byte (FIN and opcode 1), the length (7 bits, or
/// 126 and 16 bits, or 127 and 64 bits; RFC 6455, section 5.2), and from a
/// client, the mask bit, the masking key and the payload XORed with it.
/// (A real client picks a fresh random key for every frame; the server
/// cannot tell the difference, and a fixed one lets the frame be built once.)
fn text_frame(payload: &[u8], mask: Option<[u8; 4]>) -> anyhow::Result<Vec<u8>> {
    let mut frame = Frame::message(payload.to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().mask = mask;
    let mut bytes = Vec::new();
    frame.format(&mut bytes)?;
    Ok(bytes)
}

/// The masking key of the load generator's frames (RFC 6455's own example).
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The same with raw TCP: `payload` bytes out, as many back.
pub async fn tcp_load(
    addr: &str,
    clients: usize,
    duration: Duration,
    payload: usize,
) -> anyhow::Result<f64> {
    load(clients, duration, |deadline| {
        let addr = addr.to_string();
        async move {
            let mut stream = TcpStream::connect(&addr)
                .await
                .with_context(|| format!("could not connect to {addr}"))?;
            stream.set_nodelay(true)?;
            let message = vec![b'x'; payload];
            exchange_until(deadline, &mut stream, &message, &message).await
        }
    })
    .await
}

/// Writes `request` and reads a reply of `expected`'s length, checking it,
/// again and again until `deadline` (at least once); returns how many round
/// trips that was.
async fn exchange_until<S: AsyncRead + AsyncWrite + Unpin>(
    deadline: Instant,
    stream: &mut S,
    request: &[u8],
    expected: &[u8],
) -> anyhow::Result<u64> {
    let mut reply = vec![0; expected.len()];
    let mut count = 0;
    loop {
        stream.write_all(request).await?;
        // A no-op on TCP; through TLS, it makes sure the record is sent.
        stream.flush().await?;
        stream.read_exact(&mut reply).await?;
        if reply != expected {
            bail!("an unexpected reply: {:?}", String::from_utf8_lossy(&reply));
        }
        count += 1;
        if Instant::now() >= deadline {
            return Ok(count);
        }
    }
}

/// Runs `clients` copies of `client` until the deadline; round trips per second.
async fn load<F, Fut>(clients: usize, duration: Duration, client: F) -> anyhow::Result<f64>
where
    F: Fn(Instant) -> Fut,
    Fut: Future<Output = anyhow::Result<u64>> + Send + 'static,
{
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        tasks.spawn(client(deadline));
    }
    let mut total = 0;
    while let Some(result) = tasks.join_next().await {
        total += result.context("a load client panicked")??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455, section 5.7, gives both frames for "Hello": masked with the
    /// key 37 fa 21 3d from a client, unmasked from a server.
    #[test]
    fn frames_match_the_rfc_examples() {
        assert_eq!(
            text_frame(b"Hello", Some(MASK)).unwrap(),
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        assert_eq!(
            text_frame(b"Hello", None).unwrap(),
            [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
        assert_eq!(
            text_frame(&[0; 256], Some(MASK)).unwrap()[..4],
            [0x81, 0xfe, 0x01, 0x00]
        );
    }

    /// The load generator gets through real round trips with ws-server,
    /// checking every reply (each client makes at least one, however short
    /// the run), in plain text and over TLS.
    #[tokio::test]
    async fn ws_load_runs_against_ws_server() {
        let self_signed = common::tls::ServerTlsOptions {
            self_signed: true,
            ..Default::default()
        };
        let tls = self_signed.load(&[b"http/1.1"]).unwrap();
        let certificate = tls.as_ref().unwrap().certificate_path().to_path_buf();
        let trust = ClientTlsOptions {
            cacert: Some(certificate.clone()),
            insecure: false,
        };
        for (scheme, tls) in [("ws", None), ("wss", tls)] {
            let options = ws_server::Options {
                quiet: true,
                tls,
                ..ws_server::Options::default()
            };
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("{scheme}://{}", listener.local_addr().unwrap());
            let feed = common::feed::Feed::new();
            let server = tokio::spawn(ws_server::serve(
                listener,
                options,
                feed,
                std::future::pending(),
            ));
            let rate = ws_load(&url, &trust, 2, Duration::from_millis(50), 32)
                .await
                .unwrap();
            assert!(rate > 0.0, "{url}");
            server.abort();
        }
        let _ = std::fs::remove_file(certificate);
    }
}
