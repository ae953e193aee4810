//! Fan-out: one feed, many followers. What it costs a server to push each
//! tick to every one of thousands of connections, and how late the ticks
//! arrive.
//!
//! Run: `cargo run --release -p bench -- fanout --followers 10000` (a
//! ws-server process of its own, ticking five times a second, followed at
//! `/tick`). `bench/peers.sh` points it at other servers with `--url URL
//! --pid PID`: a `ws://` URL is followed as WebSocket push, an `http://` one
//! as a Server-Sent Events stream (http-server's `/tick/stream`).
//!
//! Mirrors the articles' "real-time stock trading" use case at scale: one
//! price, many watchers. Every follower connects first; then, for the set
//! time, each records how long every tick made in that window took from its
//! making (`created_us`) to its arrival, and the server's CPU time over the
//! window is divided by the ticks delivered in it. All followers run in this
//! one process, so the delays include its own queueing: with 10,000
//! followers it reads 10,000 messages a tick. The CPU figure is the sturdier.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::Instant;

use crate::connection::{Connection, open_many};
use crate::watched::Watched;

/// How long past the window a follower waits for the tick that ends it.
const LAST_TICK_WAIT: Duration = Duration::from_secs(5);

/// What one run saw.
#[derive(Debug)]
pub struct Measurement {
    /// The URL followed.
    pub url: String,
    /// Followers connected.
    pub followers: usize,
    /// How long the measured window lasted.
    pub window: Duration,
    /// Each tick made in the window and delivered, its delay from making to
    /// arrival (all followers together).
    pub delays: Vec<Duration>,
    /// Ticks made in the window that some follower never received.
    pub missed: u64,
    /// The server's CPU time over the window.
    pub server_cpu: Duration,
}

impl Measurement {
    /// The result as one line: `F followers of URL for S s: N ticks
    /// delivered (R a second), M missed; delay p50 A ms, p99 B ms; server
    /// CPU C µs per delivered tick`.
    pub fn summary(&mut self) -> String {
        let delivered = self.delays.len();
        let (p50, p99) = if delivered == 0 {
            (Duration::ZERO, Duration::ZERO)
        } else {
            crate::compare::percentiles(&mut self.delays)
        };
        let cpu_per_tick = self.server_cpu.as_secs_f64() * 1e6 / delivered.max(1) as f64;
        format!(
            "{} followers of {} for {:.1} s: {delivered} ticks delivered ({:.0} a second), {} missed; \
             delay p50 {:.1} ms, p99 {:.1} ms; server CPU {cpu_per_tick:.2} µs per delivered tick",
            self.followers,
            self.url,
            self.window.as_secs_f64(),
            delivered as f64 / self.window.as_secs_f64(),
            self.missed,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
        )
    }
}

/// Connects `followers` followers to `server` (or, if `None`, to the `/tick`
/// of a ws-server this process starts), then measures for `window`.
pub async fn run(
    followers: usize,
    window: Duration,
    server: Option<Watched>,
) -> anyhow::Result<Measurement> {
    tokio::select! {
        result = measure(followers, window, server) => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

async fn measure(
    followers: usize,
    window: Duration,
    server: Option<Watched>,
) -> anyhow::Result<Measurement> {
    #[cfg(unix)]
    rlimit::increase_nofile_limit(u64::MAX).context("could not raise the open-file limit")?;
    let (server, url) = match server {
        Some(server) => {
            let url = server.url.clone();
            (server, url)
        }
        None => {
            let server = Watched::start_ws_server(&["--tick-interval", "0.2"]).await?;
            let url = format!("{}/tick", server.url);
            (server, url)
        }
    };

    // The ticks that arrive while the followers connect wait in the sockets
    // and are not counted (they were made before the window).
    let connected = open_many(followers, &url).await?;

    let start = Instant::now();
    let end = start + window;
    let start_us = now_us();
    let end_us = start_us + window.as_micros() as u64;
    let cpu_before = server.cpu_time()?;
    let mut following = tokio::task::JoinSet::new();
    for follower in connected {
        following.spawn(record(follower, start_us, end_us, end + LAST_TICK_WAIT));
    }
    tokio::time::sleep_until(end).await;
    let server_cpu = server.cpu_time()?.saturating_sub(cpu_before);

    let mut measurement = Measurement {
        url,
        followers,
        window,
        delays: Vec::new(),
        missed: 0,
        server_cpu,
    };
    while let Some(result) = following.join_next().await {
        let seen = result.context("a follower panicked")??;
        measurement.delays.extend(seen.delays);
        measurement.missed += seen.missed;
    }
    Ok(measurement)
}

/// What one follower saw in the window.
struct Seen {
    delays: Vec<Duration>,
    missed: u64,
}

/// Reads `connection`'s ticks, recording the delay of each made between `start_us` and
/// `end_us`, until one made later arrives (or `give_up` passes).
async fn record(
    mut connection: Connection,
    start_us: u64,
    end_us: u64,
    give_up: Instant,
) -> anyhow::Result<Seen> {
    let mut seen = Seen {
        delays: Vec::new(),
        missed: 0,
    };
    let mut last_seq = None;
    while let Ok(tick) = tokio::time::timeout_at(give_up, connection.next_tick()).await {
        let Some(tick) = tick? else {
            bail!("the server closed a follower's connection");
        };
        if tick.created_us >= end_us {
            break;
        }
        if tick.created_us >= start_us {
            seen.delays.push(tick.age());
            if let Some(last) = last_seq {
                seen.missed += tick.seq.saturating_sub(last + 1);
            }
            last_seq = Some(tick.seq);
        }
    }
    Ok(seen)
}

/// Microseconds since the Unix epoch, the clock `created_us` is read from.
fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few followers of a ws-server (in this process, ticking every 50
    /// ms) record ticks made in the window, and the summary says so.
    #[tokio::test]
    async fn followers_record_the_ticks_of_a_ws_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/tick", listener.local_addr().unwrap());
        let feed = common::feed::Feed::ticking(Duration::from_millis(50));
        let server = tokio::spawn(ws_server::serve(
            listener,
            ws_server::Options::default(),
            feed,
            std::future::pending(),
        ));
        let watched = Watched::external(url, std::process::id());
        let mut measurement = tokio::time::timeout(
            Duration::from_secs(20),
            run(3, Duration::from_millis(500), Some(watched)),
        )
        .await
        .expect("the run ends")
        .expect("the run succeeds");
        assert!(!measurement.delays.is_empty(), "{measurement:?}");
        let summary = measurement.summary();
        assert!(summary.starts_with("3 followers of ws://"), "{summary}");
        server.abort();
    }
}
