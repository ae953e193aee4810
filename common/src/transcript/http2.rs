//! The transcript of an HTTP/2 connection: one line per frame.
//!
//! HTTP/2 sends no text. After the client's 24-byte connection preface
//! (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, chosen so that an HTTP/1.1 server
//! refuses it at once), both sides send frames, each with the same 9-byte
//! header, as simple as a WebSocket frame's:
//!
//! ```text
//! 3 bytes: payload length    1 byte: type (DATA, HEADERS, SETTINGS, ...)
//! 1 byte:  flags             4 bytes: stream id (0: the connection itself)
//! ```
//!
//! A request is a HEADERS frame on a new stream (1, 3, 5, ...: the client
//! numbers its streams with odd numbers), its body DATA frames on the same
//! stream; the answer comes back on that stream the same way. Many streams
//! share the connection at once, so their frames interleave.
//!
//! The headers travel compressed by HPACK (RFC 7541), against a table that
//! both sides keep for the whole connection: a header sent before is sent
//! again as a one-byte index. So the line for a HEADERS frame gives its
//! encoded size, and the second request on a connection shows it shrink.
//! (The header names and values themselves are not decoded here: no
//! well-kept HPACK crate stands apart from an HTTP/2 library, and hyper's
//! own, in the `h2` crate, is private.)
//!
//! On a WebSocket over HTTP/2 (RFC 8441), the WebSocket's frames travel
//! inside the DATA frames of its stream; each is shown, indented, under the
//! DATA frame that completed its header.

use super::FrameHeaders;

/// What every HTTP/2 client sends first (RFC 9113, section 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The length of every frame header.
const FRAME_HEADER_LEN: usize = 9;

/// Finds HTTP/2 frames in one direction of a connection's bytes, which
/// arrive in pieces, and describes each once it is whole.
pub(super) struct Http2Frames {
    /// Bytes received but not yet a whole frame.
    pending: Vec<u8>,
    /// Whether the start of the stream has been checked for the preface.
    started: bool,
    /// With a WebSocket inside: its frames, found in the DATA payloads.
    websocket: Option<FrameHeaders>,
}

impl Http2Frames {
    /// A direction of an HTTP/2 connection; with `websocket`, one that
    /// carries a WebSocket in its DATA frames.
    pub(super) fn new(websocket: bool) -> Self {
        Self {
            pending: Vec::new(),
            started: false,
            websocket: websocket.then(FrameHeaders::default),
        }
    }

    /// Takes the next bytes and returns a line for each frame completed.
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        if !self.started {
            let seen = self.pending.len().min(PREFACE.len());
            if self.pending[..seen] != PREFACE[..seen] {
                // Not the client's side: frames from the first byte.
                self.started = true;
            } else if seen == PREFACE.len() {
                self.pending.drain(..PREFACE.len());
                self.started = true;
                lines.push(format!(
                    "[HTTP/2 connection preface: PRI * HTTP/2.0, {} bytes]",
                    PREFACE.len()
                ));
            } else {
                return lines;
            }
        }
        while let Some(frame) = Frame::parse(&self.pending) {
            lines.push(frame.describe());
            if let (Some(websocket), Some(data)) = (&mut self.websocket, frame.data()) {
                lines.extend(websocket.feed(data).into_iter().map(|l| format!("  {l}")));
            } else if let Some(data) = frame.data().filter(|data| !data.is_empty()) {
                // An HTTP body: text, as HTTP/1.1's transcript shows it.
                lines.extend(
                    String::from_utf8_lossy(data)
                        .lines()
                        .map(|l| format!("  {l}")),
                );
            }
            let len = frame.len();
            self.pending.drain(..len);
        }
        lines
    }
}

/// One whole frame, borrowed from the bytes it was found in.
struct Frame<'a> {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: &'a [u8],
}

/// The frame types of RFC 9113, section 6.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;

/// Flags: END_STREAM on DATA and HEADERS (this side is done with the
/// stream), ACK on SETTINGS and PING, and the rest on HEADERS.
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

impl<'a> Frame<'a> {
    /// The frame at the start of `bytes`, once all of it is there.
    fn parse(bytes: &'a [u8]) -> Option<Self> {
        let header = bytes.get(..FRAME_HEADER_LEN)?;
        let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
        Some(Self {
            kind: header[3],
            flags: header[4],
            stream,
            payload: bytes.get(FRAME_HEADER_LEN..FRAME_HEADER_LEN + length)?,
        })
    }

    /// Its length on the wire, header included.
    fn len(&self) -> usize {
        FRAME_HEADER_LEN + self.payload.len()
    }

    /// The payload without padding (and, for HEADERS, without the priority
    /// fields): the body bytes of DATA, the HPACK block of HEADERS.
    fn content(&self) -> &'a [u8] {
        let mut content = self.payload;
        if self.flags & PADDED != 0 && matches!(self.kind, DATA | HEADERS) {
            let padding = usize::from(content.first().copied().unwrap_or(0));
            content = content
                .get(1..content.len().saturating_sub(padding))
                .unwrap_or(&[]);
        }
        if self.flags & PRIORITY != 0 && self.kind == HEADERS {
            content = content.get(5..).unwrap_or(&[]);
        }
        content
    }

    /// A DATA frame's body bytes.
    fn data(&self) -> Option<&'a [u8]> {
        (self.kind == DATA).then(|| self.content())
    }

    /// One line: type, stream, length, what the payload says, flags.
    fn describe(&self) -> String {
        let (name, detail) = match self.kind {
            DATA => ("DATA", String::new()),
            HEADERS => (
                "HEADERS",
                format!(": {} bytes of HPACK", self.content().len()),
            ),
            0x2 => ("PRIORITY", String::new()),
            RST_STREAM => ("RST_STREAM", format!(": {}", error_code(self.payload))),
            SETTINGS => ("SETTINGS", settings(self.payload)),
            0x5 => ("PUSH_PROMISE", String::new()),
            PING => ("PING", String::new()),
            GOAWAY => ("GOAWAY", goaway(self.payload)),
            WINDOW_UPDATE => ("WINDOW_UPDATE", window_update(self.payload)),
            0x9 => ("CONTINUATION", String::new()),
            _ => ("unknown type", String::new()),
        };
        format!(
            "[HTTP/2 {name}, stream {}, {}-byte payload{detail}{}]",
            self.stream,
            self.payload.len(),
            self.flag_names()
        )
    }

    /// The flags that are set, by name.
    fn flag_names(&self) -> String {
        let mut names = Vec::new();
        match self.kind {
            DATA | HEADERS if self.flags & END_STREAM != 0 => names.push("END_STREAM"),
            SETTINGS | PING if self.flags & ACK != 0 => names.push("ACK"),
            _ => {}
        }
        if self.kind == HEADERS && self.flags & END_HEADERS != 0 {
            names.push("END_HEADERS");
        }
        if names.is_empty() {
            String::new()
        } else {
            format!(", {}", names.join(" "))
        }
    }
}

/// A SETTINGS frame's parameters, 6 bytes each: a 16-bit id, a 32-bit value.
fn settings(payload: &[u8]) -> String {
    let names = payload.chunks_exact(6).map(|setting| {
        let id = u16::from_be_bytes([setting[0], setting[1]]);
        let value = u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]);
        let name = match id {
            0x1 => "HEADER_TABLE_SIZE",
            0x2 => "ENABLE_PUSH",
            0x3 => "MAX_CONCURRENT_STREAMS",
            0x4 => "INITIAL_WINDOW_SIZE",
            0x5 => "MAX_FRAME_SIZE",
            0x6 => "MAX_HEADER_LIST_SIZE",
            // RFC 8441: the server lets this connection carry WebSockets.
            0x8 => "ENABLE_CONNECT_PROTOCOL",
            _ => return format!("setting {id}={value}"),
        };
        format!("{name}={value}")
    });
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(": {}", names.join(" "))
    }
}

/// A WINDOW_UPDATE's increment: how many more bytes the sender of the frame
/// is ready to receive (on the stream, or on the whole connection for 0).
fn window_update(payload: &[u8]) -> String {
    match payload.get(..4) {
        Some(b) => format!(
            ": +{}",
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff
        ),
        None => String::new(),
    }
}

/// A GOAWAY's last stream the sender will still answer, and why it goes.
fn goaway(payload: &[u8]) -> String {
    match payload.get(..4) {
        Some(b) => format!(
            ": last stream {}, {}",
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff,
            error_code(&payload[4..])
        ),
        None => String::new(),
    }
}

/// The 32-bit error code of RST_STREAM and GOAWAY, by name.
fn error_code(bytes: &[u8]) -> String {
    let Some(b) = bytes.get(..4) else {
        return "no error code".to_string();
    };
    let code = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let name = match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x5 => "STREAM_CLOSED",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0xb => "ENHANCE_YOUR_CALM",
        _ => return format!("error {code}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame header for `kind` on `stream`, then `payload`.
    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_be_bytes();
        let mut bytes = vec![len[1], len[2], len[3], kind, flags];
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    /// The client's side: the preface, then SETTINGS and a request's
    /// HEADERS, arriving one byte at a time, each shown once it is whole.
    #[test]
    fn the_preface_and_frames_are_found_across_pieces() {
        let mut bytes = PREFACE.to_vec();
        bytes.extend(frame(SETTINGS, 0, 0, &[0, 8, 0, 0, 0, 1]));
        bytes.extend(frame(HEADERS, END_STREAM | END_HEADERS, 1, &[0x82; 17]));
        let mut frames = Http2Frames::new(false);
        let lines: Vec<String> = bytes.iter().flat_map(|b| frames.feed(&[*b])).collect();
        assert_eq!(
            lines,
            [
                "[HTTP/2 connection preface: PRI * HTTP/2.0, 24 bytes]",
                "[HTTP/2 SETTINGS, stream 0, 6-byte payload: ENABLE_CONNECT_PROTOCOL=1]",
                "[HTTP/2 HEADERS, stream 1, 17-byte payload: 17 bytes of HPACK, END_STREAM END_HEADERS]",
            ]
        );
    }

    /// A server's side has no preface; a DATA frame's body is shown as text,
    /// and padding is not counted as HPACK.
    #[test]
    fn bodies_show_as_text_and_padding_is_left_out() {
        let mut padded = vec![2];
        padded.extend_from_slice(&[0x88; 5]);
        padded.extend_from_slice(&[0, 0]);
        let mut bytes = frame(HEADERS, END_HEADERS | PADDED, 1, &padded);
        bytes.extend(frame(DATA, END_STREAM, 1, b"Hello"));
        assert_eq!(
            Http2Frames::new(false).feed(&bytes),
            [
                "[HTTP/2 HEADERS, stream 1, 8-byte payload: 5 bytes of HPACK, END_HEADERS]",
                "[HTTP/2 DATA, stream 1, 5-byte payload, END_STREAM]",
                "  Hello",
            ]
        );
    }

    /// On a WebSocket over HTTP/2, a WebSocket frame split over two DATA
    /// frames is shown under the one that completes its header.
    #[test]
    fn websocket_frames_are_found_inside_data_frames() {
        let text = [0x81, 0x85, 1, 2, 3, 4, b'h', b'e', b'l', b'l', b'o'];
        let mut bytes = frame(DATA, 0, 1, &text[..3]);
        bytes.extend(frame(DATA, 0, 1, &text[3..]));
        assert_eq!(
            Http2Frames::new(true).feed(&bytes),
            [
                "[HTTP/2 DATA, stream 1, 3-byte payload]",
                "[HTTP/2 DATA, stream 1, 8-byte payload]",
                "  [frame: text, 5-byte payload, masked, 6-byte header]",
            ]
        );
    }

    /// Flow control and the end of a connection, with their fields decoded.
    #[test]
    fn window_updates_and_goaway_say_what_they_carry() {
        let mut bytes = frame(WINDOW_UPDATE, 0, 0, &983_041u32.to_be_bytes());
        bytes.extend(frame(GOAWAY, 0, 0, &[0, 0, 0, 3, 0, 0, 0, 0]));
        bytes.extend(frame(RST_STREAM, 0, 5, &[0, 0, 0, 8]));
        assert_eq!(
            Http2Frames::new(false).feed(&bytes),
            [
                "[HTTP/2 WINDOW_UPDATE, stream 0, 4-byte payload: +983041]",
                "[HTTP/2 GOAWAY, stream 0, 8-byte payload: last stream 3, NO_ERROR]",
                "[HTTP/2 RST_STREAM, stream 5, 4-byte payload: CANCEL]",
            ]
        );
    }
}
