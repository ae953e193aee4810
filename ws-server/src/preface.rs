//! Which version of HTTP a plain-TCP client speaks, told from its first
//! bytes. Over TLS, ALPN says it in the handshake (`connection.rs`); on
//! plain TCP an HTTP/2 client with "prior knowledge" (h2c) simply starts
//! with HTTP/2's connection preface, RFC 9113 section 3.4:
//!
//! ```text
//! PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n
//! ```
//!
//! 24 bytes chosen so that an HTTP/1.1 server would refuse them as a
//! request. An HTTP/1.1 request (`GET / HTTP/1.1`) differs at its first
//! byte, so [`sniff`] reads one byte at a time until the bytes stop
//! matching, and hands them back in front of the stream.
//!
//! Run: `cargo run -p ws-server`, then `cargo run -p ws-client -- --http2`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// HTTP/2's connection preface, the first bytes of every HTTP/2 connection.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The socket, with the bytes [`sniff`] read off it put back in front.
pub(crate) struct Sniffed {
    /// What was read and not yet passed on (empty once passed on).
    read: Bytes,
    stream: TcpStream,
}

/// Reads until the client's first bytes match HTTP/2's preface or stop
/// matching it: `true` for HTTP/2, with the stream to serve either way. No
/// deadline here: the caller's handshake deadline covers it.
pub(crate) async fn sniff(mut stream: TcpStream) -> io::Result<(bool, Sniffed)> {
    let mut read = Vec::with_capacity(PREFACE.len());
    let mut byte = [0; 1];
    while read.len() < PREFACE.len() && stream.read(&mut byte).await? == 1 {
        read.push(byte[0]);
        if byte[0] != PREFACE[read.len() - 1] {
            break;
        }
    }
    let http2 = read == PREFACE;
    let read = Bytes::from(read);
    Ok((http2, Sniffed { read, stream }))
}

impl AsyncRead for Sniffed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.read.is_empty() {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        let n = self.read.len().min(buf.remaining());
        buf.put_slice(&self.read[..n]);
        self.read.advance(n);
        if self.read.is_empty() {
            // Let go of the bytes' allocation: the connection may live long.
            self.read = Bytes::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Sniffed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
