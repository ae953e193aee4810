//! Memory per idle connection: how much the article's "persistent
//! connections require more resources from the server" costs here.
//!
//! A server runs in a process of its own ([`Watched`]); this process opens
//! many connections to it, then leaves them idle. A WebSocket (`ws://` URL)
//! completes its handshake and one ping; a Server-Sent Events stream
//! (`http://` URL, such as http-server's `/tick/stream`) gets its response
//! head. The server's resident memory before and after, read from
//! `/proc/PID/status`, divided by the number of connections, is the cost of
//! one idle connection.
//!
//! Run: `cargo run --release -p bench -- memory` (10,000 connections to a
//! ws-server process of its own), or with `--url URL --pid PID` for another
//! server, as `bench/peers.sh` does.

use anyhow::{Context, bail};

use crate::connection::open_many;
use crate::watched::Watched;

/// The measurement.
#[derive(Debug)]
pub struct Measurement {
    /// Idle connections held open.
    pub connections: usize,
    /// The server's resident memory with no connections, in KiB.
    pub before_kib: u64,
    /// The same with all of them open, in KiB.
    pub after_kib: u64,
}

impl Measurement {
    /// KiB of server memory per idle connection.
    pub fn per_connection_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / self.connections as f64
    }
}

/// Opens `connections` idle connections to `server` (or, if `None`, to a
/// quiet ws-server this process starts) and measures the server's memory.
///
/// Ctrl-C ends the measurement cleanly, so that a server process this one
/// started, which is killed when its handle is dropped, does not outlive it.
pub async fn run(connections: usize, server: Option<Watched>) -> anyhow::Result<Measurement> {
    tokio::select! {
        result = measure(connections, server) => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

async fn measure(connections: usize, server: Option<Watched>) -> anyhow::Result<Measurement> {
    #[cfg(unix)]
    rlimit::increase_nofile_limit(u64::MAX).context("could not raise the open-file limit")?;
    let server = match server {
        Some(server) => server,
        None => Watched::start_ws_server(&[]).await?,
    };
    let before_kib = server.resident_kib()?;

    // Each connection is only held, to keep it open.
    let open = open_many(connections, &server.url).await?;
    let after_kib = server.resident_kib()?;
    drop(open);
    Ok(Measurement {
        connections,
        before_kib,
        after_kib,
    })
}
