//! The answer past the connection cap: `503 Service Unavailable`, with a
//! sentence and `retry-after`, in the version of HTTP the client speaks.
//! Used by `serve` in `lib.rs` for a connection it has no slot for.
//!
//! Run: `cargo run -p ws-server -- --max-connections 1`, hold one
//! connection open, then connect again: `cargo run -p ws-client` gets the
//! answer over HTTP/1.1, `cargo run -p ws-client -- --http2` over HTTP/2.
//!
//! Which version is told as for a connection served (`connection.rs`):
//! over TLS by what ALPN chose, on plain TCP by HTTP/2's preface
//! (`preface.rs`). An HTTP/2 client sent `HTTP/1.1 503` would read it as a
//! broken frame and learn nothing, so it gets our SETTINGS (the same as a
//! connection served, so a WebSocket client goes on to send its CONNECT),
//! then `:status 503` on each stream it opens, then GOAWAY.

use std::convert::Infallible;
use std::time::Duration;

use common::tls::{Accepted, ServerTls};
use hyper::Version;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::check::Refusal;
use crate::handshake;
use crate::http2::{self, Socket};
use crate::preface;

/// How long a client past the connection cap has for its TLS handshake and
/// its request; past it the connection is dropped, answered or not.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Past the connection cap: read the client's request (briefly) and answer
/// `503 Service Unavailable`, so it learns why rather than seeing a reset.
/// Over TLS, the answer too needs a TLS handshake first.
pub(crate) async fn refuse_busy(stream: TcpStream, limit: usize, tls: Option<ServerTls>) {
    tracing::debug!("{limit} connections already: answering 503");
    // Whatever it asked for, the answer is the same.
    let refusal = Refusal::busy(limit);
    let answer = async {
        match &tls {
            None => match preface::sniff(stream).await {
                Ok((true, stream)) => refuse_http2(stream, &refusal).await,
                Ok((false, stream)) => handshake::refuse(stream, refusal).await,
                Err(_) => {}
            },
            Some(tls) => match common::tls::accept(tls, stream).await {
                Ok(Accepted::Tls(stream)) if stream.get_ref().1.alpn_protocol() == Some(b"h2") => {
                    refuse_http2(stream, &refusal).await;
                }
                Ok(Accepted::Tls(stream)) => handshake::refuse(stream, refusal).await,
                Ok(Accepted::Refused) | Err(_) => {}
            },
        }
    };
    let _ = tokio::time::timeout(BUSY_TIMEOUT, answer).await;
}

/// Serves HTTP/2 on `stream` just long enough to refuse: every request
/// (a CONNECT for a WebSocket, or anything else) gets `refusal` on its own
/// stream. After the first answer, GOAWAY says "no new streams", and the
/// connection ends once the streams already open are answered.
async fn refuse_http2<S: Socket>(stream: S, refusal: &Refusal) {
    let answered = Notify::new();
    let answer = |_request| {
        answered.notify_one();
        std::future::ready(Ok::<_, Infallible>(refusal.response(Version::HTTP_2)))
    };
    let settings = http2::settings();
    let mut connection =
        std::pin::pin!(settings.serve_connection(TokioIo::new(stream), service_fn(answer)));
    tokio::select! {
        _ = &mut connection => return,
        () = answered.notified() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
