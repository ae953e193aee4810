//! Speaking HTTP/2 to http-server from a test, with hyper's client at its
//! lowest level: h2c by prior knowledge on a plain connection, or over TLS
//! after offering `h2` alone in the handshake (ALPN). The tests that use it
//! (`tests/http2.rs`) see what http-client hides: headers, the end of each
//! body, and a request body sent one piece at a time.

use std::convert::Infallible;
use std::net::SocketAddr;

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::certs::CertFiles;
use crate::within;

/// A request body of any kind: empty, or pieces sent one at a time.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// An HTTP/2 connection to a server, on which each request is a new stream.
pub struct H2 {
    sender: SendRequest<Body>,
    /// `http://` or `https://` and the server's address: the `:scheme` and
    /// `:authority` of every request.
    base: String,
}

/// What a test reads of an answer.
pub struct Answer {
    /// The `:status`.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body, as text.
    pub body: String,
}

impl H2 {
    /// HTTP/2 with prior knowledge (h2c) on a new TCP connection to `addr`.
    pub async fn h2c(addr: SocketAddr) -> Self {
        let stream = within(TcpStream::connect(addr)).await.expect("connect");
        Self::start(stream, format!("http://{addr}")).await
    }

    /// HTTP/2 over TLS to `addr`, trusting `certs`, having offered `h2`
    /// alone in the handshake; fails the test unless the server picked it.
    pub async fn tls(addr: SocketAddr, certs: &CertFiles) -> Self {
        let stream = within(TcpStream::connect(addr)).await.expect("connect");
        let url = format!("https://{addr}");
        let config = certs
            .client_options()
            .client_config(&[b"h2"])
            .expect("a client config");
        let handshake = common::tls::connect(stream, "127.0.0.1", config, &url);
        let stream = within(handshake).await.expect("a TLS handshake");
        let agreed = stream.get_ref().1.alpn_protocol();
        assert_eq!(agreed, Some(&b"h2"[..]), "the server picked h2 by ALPN");
        Self::start(stream, url).await
    }

    async fn start<S>(stream: S, base: String) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let handshake = http2::handshake(TokioExecutor::new(), TokioIo::new(stream));
        let (sender, connection) = within(handshake).await.expect("an HTTP/2 handshake");
        tokio::spawn(connection);
        Self { sender, base }
    }

    /// Sends `method path` with `body` on a new stream and returns the
    /// answer as soon as its headers have arrived, its body still coming.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Body,
    ) -> hyper::Response<Incoming> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .body(body)
            .expect("a request");
        within(self.sender.ready())
            .await
            .expect("the connection is open");
        within(self.sender.send_request(request))
            .await
            .expect("an answer")
    }

    /// Sends `method path` without a body and reads the whole answer.
    pub async fn request(&mut self, method: Method, path: &str) -> Answer {
        let response = self.send(method, path, Empty::new().boxed_unsync()).await;
        let (head, body) = response.into_parts();
        let body = within(body.collect()).await.expect("the body").to_bytes();
        Answer {
            status: head.status,
            headers: head.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Waits until the connection is closed, as a GOAWAY from the server
    /// ends it: `ready` fails once no new stream can be opened.
    pub async fn closed(&mut self) {
        assert!(
            within(self.sender.ready()).await.is_err(),
            "the connection is still open"
        );
    }
}

/// A request body sent one piece at a time: each piece put into the sender
/// goes out as a DATA frame, and dropping the sender ends the body
/// (END_STREAM).
pub fn pieces() -> (mpsc::Sender<Bytes>, Body) {
    let (sender, mut receiver) = mpsc::channel::<Bytes>(1);
    let frames = futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|piece| piece.map(|bytes| Ok(Frame::data(bytes))))
    });
    (sender, StreamBody::new(frames).boxed_unsync())
}

/// The next piece of data on `body`, or `None` once it has ended. Empty
/// pieces are skipped: an empty DATA frame often carries only END_STREAM.
pub async fn next_data(body: &mut Incoming) -> Option<Bytes> {
    loop {
        let frame = within(body.frame()).await?.expect("the body is intact");
        match frame.into_data() {
            Ok(data) if !data.is_empty() => return Some(data),
            _ => continue,
        }
    }
}
