//! Counting the bytes a client's socket sends and receives, so the benchmark
//! can report what really crossed the wire rather than what a formula says
//! should have.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::tap::{Tap, Watch};
use tokio::net::TcpStream;

/// Bytes sent and received so far, shared by the streams of one client.
#[derive(Clone, Default)]
pub(crate) struct Counters {
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
}

impl Counters {
    /// (sent, received) so far.
    pub(crate) fn read(&self) -> (u64, u64) {
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

/// A TCP connection whose traffic adds to [`Counters`].
pub(crate) type Counted = Tap<TcpStream, Counters>;

/// Connects to `addr`; everything this connection carries is counted.
pub(crate) async fn connect(
    addr: std::net::SocketAddr,
    counters: &Counters,
) -> io::Result<Counted> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(Tap::new(stream, counters.clone()))
}
