//! WebSockets over HTTP/2 (RFC 8441) from the test's side: hyper's own
//! HTTP/2 client, so each step (the server's SETTINGS, the extended
//! CONNECT, its answer) is in the test's hands. Used by ws_http2.rs and
//! ws_http2_defences.rs.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http2::{Builder, SendRequest};
use hyper::http::request;
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::within;

/// A WebSocket on one stream of an HTTP/2 connection.
pub type Stream = WebSocketStream<TokioIo<Upgraded>>;

/// What the test's requests carry: nothing, or (for a CONNECT) the tunnel.
pub type Sender = SendRequest<Empty<Bytes>>;

/// An HTTP/2 client's settings: hyper's defaults, on tokio.
pub fn builder() -> Builder<TokioExecutor> {
    Builder::new(TokioExecutor::new())
}

/// An HTTP/2 connection on `io` (TCP, or TLS over it) with `builder`'s
/// settings, and the answer to `first`, its first request; returned once
/// the server's SETTINGS have allowed extended CONNECT, as a client must
/// wait for, with the server's `SETTINGS_MAX_CONCURRENT_STREAMS`. The
/// connection then runs in a task of its own, reading frames into each
/// stream's buffer whether or not the test reads them.
///
/// The server's SETTINGS frame is the first it sends, so it has been read
/// by the time the answer to a first request arrives. A refusing server
/// says GOAWAY at once, so its connection may end before the answer is
/// read: the answer is still there to read.
pub async fn connect<S>(
    io: S,
    builder: &Builder<TokioExecutor>,
    first: request::Builder,
) -> (Sender, (StatusCode, String), usize)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = within(builder.handshake(TokioIo::new(io)))
        .await
        .expect("HTTP/2 handshake");
    let mut connection = Box::pin(connection);
    let answer = {
        let mut asking = std::pin::pin!(ask(&mut sender, first));
        tokio::select! {
            biased;
            answer = &mut asking => answer,
            ended = &mut connection => {
                ended.expect("the connection ended cleanly");
                asking.await
            }
        }
    };
    assert!(connection.is_extended_connect_protocol_enabled());
    let streams = connection.current_max_send_streams();
    tokio::spawn(connection);
    (sender, answer, streams)
}

/// `GET /stats` at `addr`, a first request that changes nothing.
pub fn stats(addr: SocketAddr) -> request::Builder {
    Request::get(format!("http://{addr}/stats"))
}

/// An extended CONNECT for a WebSocket at `path`, with `:authority` the
/// server's address.
pub fn connect_request(addr: SocketAddr, path: &str) -> request::Builder {
    Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}{path}"))
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .header("sec-websocket-version", "13")
}

/// Sends `request` on its own stream and returns the answer's status and
/// body, for requests the server refuses or answers with a page.
pub async fn ask(sender: &mut Sender, request: request::Builder) -> (StatusCode, String) {
    let request = request.body(Empty::new()).expect("a request");
    within(sender.ready())
        .await
        .expect("the connection is open");
    let response = within(sender.send_request(request))
        .await
        .expect("an answer");
    let status = response.status();
    let body = within(response.into_body().collect())
        .await
        .expect("a body");
    (
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    )
}

/// Opens a WebSocket with `request` on a new stream of `sender`'s
/// connection.
pub async fn open(sender: &mut Sender, request: request::Builder) -> Stream {
    let request = request.body(Empty::new()).expect("a request");
    let response = within(sender.send_request(request))
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK, "{response:?}");
    upgrade(response).await
}

/// The WebSocket on the stream a CONNECT's `200` opened.
pub async fn upgrade(response: hyper::Response<hyper::body::Incoming>) -> Stream {
    // No `sec-websocket-accept` over HTTP/2: the stream is the proof.
    assert!(!response.headers().contains_key("sec-websocket-accept"));
    let upgraded = within(hyper::upgrade::on(response))
        .await
        .expect("upgraded");
    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await
}
