//! A stream that lets something watch its bytes go by: [`Tap`] passes every
//! read and write through to the stream it wraps and shows the bytes to a
//! [`Watch`]. The clients' `--verbose` transcript is one watcher; the byte
//! [`Counters`] of the feed clients and the benchmark are another.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Something that wants to see the bytes a stream carries.
pub trait Watch {
    /// `bytes` were just written to the stream.
    fn sent(&mut self, bytes: &[u8]);
    /// `bytes` were just read from the stream.
    fn received(&mut self, bytes: &[u8]);
}

/// Two watchers see the same bytes: `(transcript, counters)`.
impl<A: Watch, B: Watch> Watch for (A, B) {
    fn sent(&mut self, bytes: &[u8]) {
        self.0.sent(bytes);
        self.1.sent(bytes);
    }

    fn received(&mut self, bytes: &[u8]) {
        self.0.received(bytes);
        self.1.received(bytes);
    }
}

/// Counts the bytes sent and received, so a report can say what really
/// crossed the wire rather than what a formula says should have. Clones
/// share their counts: give one to each connection of a client.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
}

impl Counters {
    /// (sent, received) so far.
    pub fn read(&self) -> (u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.received.load(Ordering::Relaxed),
        )
    }
}

impl Watch for Counters {
    fn sent(&mut self, bytes: &[u8]) {
        self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }

    fn received(&mut self, bytes: &[u8]) {
        self.received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }
}

/// A stream whose traffic a [`Watch`] sees.
pub struct Tap<S, W> {
    inner: S,
    watch: W,
}

impl<S, W> Tap<S, W> {
    /// Wraps `inner`, showing its traffic to `watch`.
    pub fn new(inner: S, watch: W) -> Self {
        Self { inner, watch }
    }
}

impl<S: AsyncRead + Unpin, W: Watch + Unpin> AsyncRead for Tap<S, W> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.watch.received(&buf.filled()[before..]);
        result
    }
}

impl<S: AsyncWrite + Unpin, W: Watch + Unpin> AsyncWrite for Tap<S, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            self.watch.sent(&buf[..written]);
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
