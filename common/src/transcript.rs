//! `--verbose` for the clients: a stream that shows on standard error what
//! really crosses the wire, `>` for what we send and `<` for what we receive.
//!
//! HTTP is text, so it is shown as it is, line by line. A WebSocket starts as
//! HTTP (the upgrade request and the `101 Switching Protocols` answer, shown
//! the same way) and then carries binary frames, so after the blank line that
//! ends each side's HTTP head, each frame is shown as one line describing its
//! header: whether it is the final fragment, its opcode, its payload length,
//! and whether it is masked.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a connection carries after its HTTP head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Text all the way.
    Http,
    /// Frames after the head.
    WebSocket,
}

/// A stream that, when `verbose`, prints a transcript of its traffic.
pub struct Transcript<S> {
    inner: S,
    sent: Direction,
    received: Direction,
    verbose: bool,
}

impl<S> Transcript<S> {
    /// Wraps `inner`; prints only if `verbose`.
    pub fn new(inner: S, protocol: Protocol, verbose: bool) -> Self {
        Self {
            inner,
            sent: Direction::new(">", protocol),
            received: Direction::new("<", protocol),
            verbose,
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// One direction's transcript: lines of the HTTP head, then frames.
struct Direction {
    arrow: &'static str,
    protocol: Protocol,
    /// Bytes of the HTTP head not yet printed (a line can arrive in pieces).
    text: Vec<u8>,
    /// Set once the head has ended, for a WebSocket.
    frames: Option<FrameHeaders>,
}

impl Direction {
    fn new(arrow: &'static str, protocol: Protocol) -> Self {
        Self {
            arrow,
            protocol,
            text: Vec::new(),
            frames: None,
        }
    }

    /// Describes `bytes`, which just crossed the wire in this direction.
    fn show(&mut self, mut bytes: &[u8]) {
        if let Some(frames) = &mut self.frames {
            for line in frames.feed(bytes) {
                eprintln!("{} {line}", self.arrow);
            }
            return;
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.text.extend_from_slice(&bytes[..=end]);
            bytes = &bytes[end + 1..];
            let line = String::from_utf8_lossy(&self.text).trim_end().to_string();
            self.text.clear();
            eprintln!("{} {line}", self.arrow);
            if line.is_empty() && self.protocol == Protocol::WebSocket {
                // The HTTP head is over: from here on, frames.
                self.frames = Some(FrameHeaders::default());
                return self.show(bytes);
            }
        }
        self.text.extend_from_slice(bytes);
        if self.protocol == Protocol::Http && !self.text.is_empty() {
            // A body need not end in a newline: show what there is.
            eprintln!("{} {}", self.arrow, String::from_utf8_lossy(&self.text));
            self.text.clear();
        }
    }
}

/// Finds frame headers in a byte stream that arrives in pieces.
#[derive(Default)]
pub struct FrameHeaders {
    /// Bytes received but not yet understood.
    pending: Vec<u8>,
    /// Payload bytes of the current frame still to pass.
    payload_left: u64,
}

impl FrameHeaders {
    /// Takes the next bytes and returns a line for each frame header completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        loop {
            let skip = self.payload_left.min(self.pending.len() as u64) as usize;
            self.pending.drain(..skip);
            self.payload_left -= skip as u64;
            if self.payload_left > 0 {
                break;
            }
            let Some((header_len, payload_len, line)) = describe(&self.pending) else {
                break;
            };
            self.pending.drain(..header_len);
            self.payload_left = payload_len;
            lines.push(line);
        }
        lines
    }
}

/// Reads a frame header (RFC 6455, section 5.2) from the start of `bytes`:
/// its length, the payload's length, and a line describing it. `None` until
/// the whole header is there.
///
/// ```text
/// byte 0: FIN bit, three reserved bits, 4-bit opcode
/// byte 1: MASK bit, 7-bit length (126: a 16-bit length follows, 127: 64-bit)
/// then:   the extended length, if any; the 4-byte masking key, if masked
/// ```
fn describe(bytes: &[u8]) -> Option<(usize, u64, String)> {
    let (&first, &second) = (bytes.first()?, bytes.get(1)?);
    let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
    let masked = second & 0x80 != 0;
    let (extended, length) = match second & 0x7f {
        126 => (
            2,
            u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
        ),
        127 => (8, u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)),
        short => (0, u64::from(short)),
    };
    let header_len = 2 + extended + if masked { 4 } else { 0 };
    if bytes.len() < header_len {
        return None;
    }
    let kind = match opcode {
        0x0 => "continuation",
        0x1 => "text",
        0x2 => "binary",
        0x8 => "close",
        0x9 => "ping",
        0xa => "pong",
        _ => "unknown opcode",
    };
    let line = format!(
        "[frame: {}{kind}, {length}-byte payload, {}, {header_len}-byte header]",
        if fin { "" } else { "not final, " },
        if masked { "masked" } else { "not masked" },
    );
    Some((header_len, length, line))
}

impl<S: AsyncRead + Unpin> AsyncRead for Transcript<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.verbose {
            let this = &mut *self;
            this.received.show(&buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Transcript<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            if self.verbose {
                self.sent.show(&buf[..written]);
            }
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked 5-byte text frame from a client, arriving in two pieces,
    /// then an unmasked 2-byte close frame from a server.
    #[test]
    fn frame_headers_are_found_across_pieces() {
        let mut frames = FrameHeaders::default();
        let text = [0x81, 0x85, 1, 2, 3, 4, b'h', b'e', b'l', b'l', b'o'];
        assert!(frames.feed(&text[..3]).is_empty());
        assert_eq!(
            frames.feed(&text[3..]),
            ["[frame: text, 5-byte payload, masked, 6-byte header]"]
        );
        assert_eq!(
            frames.feed(&[0x88, 0x02, 0x03, 0xe8, 0x02, 0x7e, 0, 200]),
            [
                "[frame: close, 2-byte payload, not masked, 2-byte header]",
                "[frame: not final, binary, 200-byte payload, not masked, 4-byte header]",
            ]
        );
    }
}
