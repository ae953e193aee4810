//! `POST /echo`: the answer streams back each piece of the request's body
//! as it arrives, while the request is still open. The demonstration of
//! full duplex over HTTP: run `cargo run -p http-server`, then
//! `cargo run -p http-client -- --http2 --duplex 5 http://localhost:8000/echo`.
//!
//! Beyond the article, whose HTTP is one request, then one answer; ws-server's
//! echo is the WebSocket way to the same conversation.

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Request};
use axum::response::Response;

/// The answer to `POST /echo`: `200 OK` at once, then a body made of the
/// request's own pieces, each sent on as soon as it has arrived.
///
/// HTTP/1.1 permits a response that flows while the request body is still
/// arriving, in principle, but browsers and proxies do not do it; HTTP/2
/// makes it ordinary (each direction of a stream is its own flow of DATA
/// frames).
///
/// Nothing is gathered here: hyper asks the answer's body for its next
/// piece only when it can send one, and only then is the next piece of the
/// request read. What a client can send ahead of its echo is bounded by the
/// connection: over HTTP/2 by its flow-control window (the WINDOW_UPDATE
/// frames the server sends as it reads), over HTTP/1.1 by TCP's.
pub(crate) fn echo<B>(request: Request<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    // The answer says the same of its body as the request did.
    let content_type = request.headers().get(CONTENT_TYPE).cloned();
    // Only the data: a request's trailers (headers after the body, rare)
    // are not echoed.
    let pieces = Body::new(request.into_body()).into_data_stream();
    let mut response = Response::new(Body::from_stream(pieces));
    let octets = HeaderValue::from_static("application/octet-stream");
    response
        .headers_mut()
        .insert(CONTENT_TYPE, content_type.unwrap_or(octets));
    response
}
