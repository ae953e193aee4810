//! Speaking the protocols byte by byte, for tests that must send what no
//! well-behaved library would: hand-built requests and frames.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::within;

/// A well-formed WebSocket upgrade request, with RFC 6455's example key.
pub const UPGRADE: &str = "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                           Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Writes `request` on a fresh connection to `addr` and returns everything
/// the server sends until it closes the connection.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = within(TcpStream::connect(addr)).await.expect("connect");
    within(stream.write_all(request)).await.expect("write");
    let mut answer = Vec::new();
    // A reset after the answer still leaves the answer to read.
    let _ = within(stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Opens a TCP connection and performs the WebSocket handshake by hand,
/// leaving the stream just after the server's `101 Switching Protocols`.
pub async fn handshake(addr: SocketAddr) -> TcpStream {
    let (stream, answer) = request_head(addr, UPGRADE).await;
    assert!(
        answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{answer}"
    );
    stream
}

/// Writes `request` on a fresh connection to `addr` and reads the answer's
/// status line and headers, up to the blank line, leaving the connection
/// open just after them.
pub async fn request_head(addr: SocketAddr, request: &str) -> (TcpStream, String) {
    let mut stream = within(TcpStream::connect(addr)).await.expect("connect");
    within(stream.write_all(request.as_bytes()))
        .await
        .expect("write");
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        let mut byte = [0; 1];
        within(stream.read_exact(&mut byte)).await.expect("read");
        answer.push(byte[0]);
    }
    (stream, String::from_utf8_lossy(&answer).into_owned())
}

/// A frame as a client must send it: `first` is the FIN bit and opcode
/// (0x81 is FIN + text, 0x82 FIN + binary, 0x89 FIN + ping), then the mask
/// bit and length, a masking key, and the payload. The key is zeros, which
/// leaves the payload as it is.
pub fn masked_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// Reads one small frame from the server (unmasked, payload under 126
/// bytes) and returns its first byte and its payload.
pub async fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0; 2];
    within(stream.read_exact(&mut header)).await.expect("read");
    assert!(header[1] < 126, "a small, unmasked frame");
    let mut payload = vec![0; usize::from(header[1])];
    within(stream.read_exact(&mut payload)).await.expect("read");
    (header[0], payload)
}

/// Reads one frame from the server and returns its close code, failing the
/// test if it is not a close frame (0x88: FIN + close).
pub async fn read_close_code(stream: &mut TcpStream) -> u16 {
    let (first, payload) = read_frame(stream).await;
    assert_eq!(first, 0x88, "expected a close frame");
    u16::from_be_bytes([payload[0], payload[1]])
}

/// Waits until the server closes the connection (a read returns 0 bytes, or
/// the connection is reset), discarding anything it sends first.
pub async fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = Vec::new();
    let _ = within(stream.read_to_end(&mut sink)).await;
}
