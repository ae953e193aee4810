//! The opening handshake, by hand: the HTTP request that asks to become a
//! WebSocket, checked rule by rule against RFC 6455 (section 4.2.1), and the
//! answer, `101 Switching Protocols` or an HTTP error that says what was wrong.
//!
//! tungstenite can do all of this itself, but on a bad request it just drops
//! the connection, so a learner who points `curl` or a browser tab at the
//! server sees nothing. Here every refusal is an ordinary HTTP answer with a
//! sentence in its body.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// The largest request head (request line and headers) accepted. A browser's
/// upgrade request is well under 2 KiB.
const MAX_HEAD: usize = 8 * 1024;

/// The most headers accepted in a request head.
const MAX_HEADERS: usize = 32;

/// How the handshake ended.
pub(crate) enum Handshake {
    /// We answered 101: from now on both sides speak WebSocket frames.
    /// `path` is the path the client asked for, without any query string;
    /// `early` holds any bytes that came right behind the request (a client
    /// may send its first frame without waiting for our answer).
    Upgraded { path: String, early: Vec<u8> },
    /// We answered with an HTTP error, or the peer left; the connection is done.
    Refused,
}

/// An HTTP error answer: status line, extra headers, and a sentence.
pub(crate) struct Refusal {
    status: &'static str,
    headers: &'static str,
    body: String,
}

impl Refusal {
    fn new(status: &'static str, headers: &'static str, body: impl Into<String>) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
        }
    }

    /// What a request without `Upgrade: websocket` gets, such as a browser
    /// tab or `curl` pointed at the server.
    fn not_an_upgrade() -> Self {
        Self::new(
            "426 Upgrade Required",
            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
            "This is a WebSocket endpoint: plain HTTP requests are not served here. \
             Connect with a WebSocket client, such as `cargo run -p ws-client`.\n",
        )
    }

    /// What a client gets when the server is at its connection limit.
    pub(crate) fn busy(limit: usize) -> Self {
        Self::new(
            "503 Service Unavailable",
            "Retry-After: 1\r\n",
            format!("This server is at its limit of {limit} connections; try again shortly.\n"),
        )
    }

    /// Writes the answer and closes our side of the connection.
    pub(crate) async fn send(&self, stream: &mut TcpStream) -> io::Result<()> {
        let answer = format!(
            "HTTP/1.1 {}\r\n{}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{}",
            self.status,
            self.headers,
            self.body.len(),
            self.body
        );
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    }
}

/// Reads the client's upgrade request and answers it.
pub(crate) async fn accept(stream: &mut TcpStream) -> io::Result<Handshake> {
    let (head, early) = match read_head(stream).await? {
        Ok(parts) => parts,
        Err(refusal) => {
            refusal.send(stream).await?;
            return Ok(Handshake::Refused);
        }
    };
    match check(&head) {
        Ok(Upgrade { key, path }) => {
            // The answer that turns this HTTP connection into a WebSocket.
            // `Sec-WebSocket-Accept` proves we read the client's key: it is
            // base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {key}\r\n\r\n"
            );
            stream.write_all(answer.as_bytes()).await?;
            Ok(Handshake::Upgraded { path, early })
        }
        Err(refusal) => {
            refusal.send(stream).await?;
            Ok(Handshake::Refused)
        }
    }
}

/// Reads until the blank line that ends the request head. Returns the head
/// and whatever came after it, or the refusal for a head that is too large.
/// A peer that closes the connection first is an `UnexpectedEof` error.
pub(crate) async fn read_head(
    stream: &mut TcpStream,
) -> io::Result<Result<(Vec<u8>, Vec<u8>), Refusal>> {
    let mut buffer = Vec::with_capacity(1024);
    loop {
        if let Some(end) = find_blank_line(&buffer) {
            let early = buffer.split_off(end);
            return Ok(Ok((buffer, early)));
        }
        if buffer.len() >= MAX_HEAD {
            return Ok(Err(Refusal::new(
                "431 Request Header Fields Too Large",
                "",
                format!("The request head is over {MAX_HEAD} bytes.\n"),
            )));
        }
        let mut chunk = [0; 1024];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// Where the request head ends: just past its first `\r\n\r\n`.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|start| start + 4)
}

/// An upgrade request that passed every check.
pub(crate) struct Upgrade {
    /// The `Sec-WebSocket-Accept` value that answers the client's key.
    key: String,
    /// The path asked for (`/`, `/tick`, `/chat`), without a query string.
    path: String,
}

/// Checks an upgrade request, rule by rule, and returns what the answer
/// needs, or the refusal that explains which rule it broke.
pub(crate) fn check(head: &[u8]) -> Result<Upgrade, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                "431 Request Header Fields Too Large",
                "",
                format!("The request has over {MAX_HEADERS} headers.\n"),
            ));
        }
        _ => {
            return Err(Refusal::new(
                "400 Bad Request",
                "",
                "This is not an HTTP request.\n",
            ));
        }
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|value| {
            value
                .split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };

    // 1. `GET`, over HTTP/1.1.
    if request.method != Some("GET") {
        return Err(Refusal::new(
            "405 Method Not Allowed",
            "Allow: GET\r\n",
            "A WebSocket handshake is a GET request.\n",
        ));
    }
    if request.version != Some(1) {
        return Err(Refusal::new(
            "400 Bad Request",
            "",
            "A WebSocket handshake needs HTTP/1.1.\n",
        ));
    }
    // 2. `Upgrade: websocket` and `Connection: Upgrade`: "switch protocols".
    if !has_token("Upgrade", "websocket") || !has_token("Connection", "upgrade") {
        return Err(Refusal::not_an_upgrade());
    }
    // 3. `Sec-WebSocket-Version: 13`, the only version there is (RFC 6455).
    if header("Sec-WebSocket-Version") != Some("13") {
        return Err(Refusal::new(
            "426 Upgrade Required",
            "Sec-WebSocket-Version: 13\r\n",
            "This server speaks WebSocket version 13 (RFC 6455) only.\n",
        ));
    }
    // 4. `Sec-WebSocket-Key`: 16 random bytes, in base64.
    match header("Sec-WebSocket-Key") {
        Some(key) if is_valid_key(key) => Ok(Upgrade {
            key: derive_accept_key(key.as_bytes()),
            path: request
                .path
                .unwrap_or("/")
                .split('?')
                .next()
                .unwrap_or("/")
                .to_string(),
        }),
        _ => Err(Refusal::new(
            "400 Bad Request",
            "",
            "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters).\n",
        )),
    }
}

/// Whether `key` is 16 bytes in base64: 22 characters of the base64
/// alphabet and `==`. The 22nd character carries only 2 bits of the last
/// byte, so it must be one whose other 4 bits are zero: `A`, `Q`, `g` or `w`.
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let is_base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    bytes.len() == 24
        && bytes[..21].iter().all(is_base64)
        && matches!(bytes[21], b'A' | b'Q' | b'g' | b'w')
        && &bytes[22..] == b"=="
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455's own example (section 1.3): the key `dGhlIHNhbXBsZSBub25jZQ==`
    /// gives `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
    #[test]
    fn accept_key_matches_the_rfc_example() {
        let request = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
                        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                        Sec-WebSocket-Version: 13\r\n\r\n";
        let upgrade = check(request).ok().expect("a valid upgrade request");
        assert_eq!(upgrade.key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(upgrade.path, "/chat");
    }

    /// Keys that are not 16 bytes of base64 are refused.
    #[test]
    fn only_sixteen_byte_keys_are_valid() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        for bad in [
            "",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZR==",
            "dGhl*HNhbXBsZSBub25jZQ==",
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }
}
