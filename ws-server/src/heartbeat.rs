//! How ws-server tells a live peer from a vanished one: ping after a silent
//! interval, give up after a second one. Used by `converse` in
//! `connection.rs`; set with `--ping-interval`.
//!
//! Run `cargo run -p ws-server -- --ping-interval 5` and connect a client
//! with `--verbose` to watch the pings. Beyond the article, whose server
//! relies on `websockets`' own keepalive pings.

use std::time::Duration;

use tokio::time::{Instant, Interval};

/// Keeps track of whether a peer is still there.
///
/// A timer ticks once per ping interval. At a tick with nothing heard from
/// the peer since the last one, we ping it (a ping must be answered with a
/// pong); at the next tick, if still nothing was heard, the peer is gone.
/// TCP alone would not tell us: a peer whose machine vanished sends nothing,
/// not even a reset.
pub(crate) struct Heartbeat {
    /// `None` when pings are turned off (`--ping-interval 0`).
    timer: Option<Interval>,
    /// Whether anything arrived from the peer since the last tick.
    heard: bool,
    /// Whether we pinged at the last tick and are waiting for an answer.
    pinged: bool,
}

impl Heartbeat {
    pub(crate) fn new(interval_secs: u64) -> Self {
        let timer = (interval_secs > 0).then(|| {
            let period = Duration::from_secs(interval_secs);
            tokio::time::interval_at(Instant::now() + period, period)
        });
        Self {
            timer,
            heard: false,
            pinged: false,
        }
    }

    /// Something arrived from the peer.
    pub(crate) fn heard(&mut self) {
        self.heard = true;
        self.pinged = false;
    }

    /// Completes at the next tick (never, with pings off).
    pub(crate) async fn tick(&mut self) {
        match &mut self.timer {
            Some(timer) => {
                timer.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// At a tick: was the peer pinged last time, and silent since?
    pub(crate) fn peer_is_gone(&self) -> bool {
        self.pinged && !self.heard
    }

    /// At a tick: if the peer was silent since the last tick, it is pinged
    /// now; otherwise a new interval of listening starts.
    pub(crate) fn should_ping(&mut self) -> bool {
        let ping = !self.heard;
        self.heard = false;
        self.pinged = ping;
        ping
    }
}
