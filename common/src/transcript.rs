//! `--verbose` for the clients: a watcher (see `tap.rs`) that shows on
//! standard error what really crosses the wire, `>` for what we send and `<`
//! for what we receive.
//!
//! HTTP is text, so it is shown as it is, line by line. A WebSocket starts as
//! HTTP (the upgrade request and the `101 Switching Protocols` answer, shown
//! the same way) and then carries binary frames, so after the blank line that
//! ends each side's HTTP head, each frame is shown as one line describing its
//! header: whether it is the final fragment, its opcode, its payload length,
//! and whether it is masked.
//!
//! HTTP/2 is frames from its first byte, so its transcript is one line per
//! HTTP/2 frame (`http2.rs`), and a WebSocket over HTTP/2 shows its frames
//! inside them.

mod http2;

use crate::tap::Watch;
use http2::Http2Frames;

/// What a connection carries after its HTTP head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Text all the way.
    Http,
    /// Frames after the head.
    WebSocket,
    /// HTTP/2: binary frames from the first byte.
    Http2,
    /// A WebSocket over HTTP/2 (RFC 8441): HTTP/2 frames, with the
    /// WebSocket's frames inside its DATA frames.
    WebSocketOverHttp2,
}

/// A [`Watch`] that, when `verbose`, prints a transcript of a stream's
/// traffic; put it on a stream with [`Tap`](crate::tap::Tap).
pub struct Transcript {
    sent: Direction,
    received: Direction,
    verbose: bool,
}

impl Transcript {
    /// A transcript of a connection carrying `protocol`; silent unless `verbose`.
    pub fn new(protocol: Protocol, verbose: bool) -> Self {
        Self {
            sent: Direction::new(">", protocol),
            received: Direction::new("<", protocol),
            verbose,
        }
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
    /// For HTTP/2, set from the start.
    http2: Option<Http2Frames>,
}

impl Direction {
    fn new(arrow: &'static str, protocol: Protocol) -> Self {
        let http2 = match protocol {
            Protocol::Http | Protocol::WebSocket => None,
            Protocol::Http2 => Some(Http2Frames::new(false)),
            Protocol::WebSocketOverHttp2 => Some(Http2Frames::new(true)),
        };
        Self {
            arrow,
            protocol,
            text: Vec::new(),
            frames: None,
            http2,
        }
    }

    /// Describes `bytes`, which just crossed the wire in this direction.
    fn show(&mut self, mut bytes: &[u8]) {
        if let Some(http2) = &mut self.http2 {
            for line in http2.feed(bytes) {
                eprintln!("{} {line}", self.arrow);
            }
            return;
        }
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

impl Watch for Transcript {
    fn sent(&mut self, bytes: &[u8]) {
        if self.verbose {
            self.sent.show(bytes);
        }
    }

    fn received(&mut self, bytes: &[u8]) {
        if self.verbose {
            self.received.show(bytes);
        }
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
