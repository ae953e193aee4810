//! Counting the bytes a client's socket sends and receives, so the benchmark
//! can report what really crossed the wire rather than what a formula says
//! should have.

use std::io;

use common::tap::{Counters, Tap};
use tokio::net::TcpStream;

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
