//! What a feed client saw, and the lines it prints about it.

use std::time::Duration;

use super::Tick;

/// What a feed client saw: the ticks, and what it took to get them.
#[derive(Debug, Default)]
pub struct Delivery {
    /// How long each tick took from its making to its arrival, in order.
    pub delays: Vec<Duration>,
    /// HTTP requests sent (for a WebSocket, the one upgrade request).
    pub requests: u64,
    /// TCP connections opened.
    pub connections: u64,
    /// Bytes sent, all told (as counted by a [`Counters`](crate::tap::Counters)).
    pub sent: u64,
    /// Bytes received, all told.
    pub received: u64,
    /// Ticks made after the first one seen that never arrived (short polling
    /// misses every tick that is followed by another before the next poll).
    pub missed: u64,
    /// The last tick seen.
    last_seq: Option<u64>,
}

impl Delivery {
    /// Nothing delivered yet, over `connections` TCP connections and
    /// `requests` requests so far.
    pub fn new(requests: u64, connections: u64) -> Self {
        Self {
            requests,
            connections,
            ..Self::default()
        }
    }

    /// Records a tick that has just arrived and returns the line a client
    /// prints for it, e.g. `tick 7: price 100.75, delivered in 0.31 ms`.
    pub fn arrived(&mut self, tick: &Tick) -> String {
        let delay = tick.age();
        self.delays.push(delay);
        if let Some(last) = self.last_seq {
            self.missed += tick.seq.saturating_sub(last + 1);
        }
        self.last_seq = Some(tick.seq);
        format!(
            "tick {}: price {:.2}, delivered in {:.2} ms",
            tick.seq,
            tick.price,
            delay.as_secs_f64() * 1000.0
        )
    }

    /// Whether `count` ticks have arrived (never, when `count` is `None`:
    /// a client without `--count` follows the feed until stopped).
    pub fn reached(&self, count: Option<u64>) -> bool {
        count.is_some_and(|count| self.delays.len() as u64 >= count)
    }

    /// The line a client prints at the end, e.g. `3 ticks, 5 requests, 1
    /// connection, 612 bytes sent, 1230 bytes received` (and `, 2 ticks
    /// missed` if any were).
    pub fn summary(&self) -> String {
        let mut summary = format!(
            "{}, {}, {}, {} bytes sent, {} bytes received",
            plural(self.delays.len() as u64, "tick"),
            plural(self.requests, "request"),
            plural(self.connections, "connection"),
            self.sent,
            self.received
        );
        if self.missed > 0 {
            summary += &format!(", {} missed", plural(self.missed, "tick"));
        }
        summary
    }
}

/// `1 tick`, `2 ticks`.
fn plural(count: u64, noun: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("{count} {noun}{s}")
}
