//! The two plain pages ws-server serves beside its WebSockets, over HTTP/1.1
//! and HTTP/2 alike: `GET /echo.html`, a page whose script opens a
//! WebSocket back to this server and shows the reply, and `GET /stats`, how
//! many WebSockets each version of HTTP has carried since the server
//! started. Together they let a browser show which version it chose.
//!
//! Run: `cargo run -p ws-server -- --self-signed`, open
//! `https://localhost:8765/echo.html` (trusting the printed certificate),
//! then `curl --cacert FILE https://localhost:8765/stats`.
//!
//! Beyond the article, whose server serves nothing but WebSockets.

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, Version};

use crate::handshake::Body;

/// The page, as a file of its own beside this one.
const ECHO_PAGE: &str = include_str!("echo.html");

/// WebSockets accepted since the server started, by the version of HTTP
/// that carried their handshake.
#[derive(Default)]
pub(crate) struct Stats {
    over_http1: AtomicU64,
    over_http2: AtomicU64,
}

impl Stats {
    /// Counts one more WebSocket, accepted over `version`.
    pub(crate) fn accepted(&self, version: Version) {
        let counter = if version == Version::HTTP_2 {
            &self.over_http2
        } else {
            &self.over_http1
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn json(&self) -> String {
        format!(
            "{{\"websockets_over_http1\": {}, \"websockets_over_http2\": {}}}\n",
            self.over_http1.load(Ordering::Relaxed),
            self.over_http2.load(Ordering::Relaxed)
        )
    }
}

/// The answer to `request` if it asks for one of the pages; `None` for
/// anything else, which the handshake's rules then judge.
pub(crate) fn page<B>(request: &Request<B>, stats: &Stats) -> Option<Response<Body>> {
    if request.method() != Method::GET {
        return None;
    }
    let (body, content_type) = match request.uri().path() {
        "/echo.html" => (ECHO_PAGE.to_string(), "text/html; charset=utf-8"),
        "/stats" => (stats.json(), "application/json"),
        _ => return None,
    };
    let mut response = Response::new(Body::from(body));
    let value = content_type.parse().expect("a header value");
    response.headers_mut().insert(CONTENT_TYPE, value);
    Some(response)
}
