//! The live feed of the demonstrations: a made-up stock price that ticks
//! once per interval, the articles' "real-time stock trading" use case.
//!
//! Both servers deliver it, in the four ways the articles name: short polling
//! (`GET /tick/latest`), long polling (`GET /tick/next?after=N`), HTTP
//! streaming (`GET /tick/stream`, Server-Sent Events) from http-server, and
//! WebSocket push (`ws://…/tick`) from ws-server. Every way carries the same
//! tick as the same JSON text, so only the delivery differs:
//!
//! ```text
//! {"seq":7,"price":100.75,"created_us":1763812345123456}
//! ```
//!
//! Run `cargo run -p http-server` and `cargo run -p http-client --
//! http://localhost:8000/tick/stream` to watch it (the URL's path picks the
//! way, as on the server); `cargo run --release -p bench -- feed` compares
//! the four.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// How long http-server holds a long-poll request when no tick comes; then
/// it answers `204 No Content` and the client simply asks again. Well under
/// the minute after which proxies tend to give up on a silent response.
pub const LONG_POLL_WAIT: Duration = Duration::from_secs(25);

/// How long http-server lets an event stream go quiet before it writes a
/// comment line (`:` and a blank line) into it. Clients ignore the comment,
/// but it tells a follower that the server is still there: one that hears
/// nothing for longer has lost it. (axum's default; on a WebSocket a ping
/// does this job.)
pub const STREAM_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One event of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// 1 for the first tick, then one more for each; a client asks for
    /// "the one after N" with it, and sees from gaps what it missed.
    pub seq: u64,
    /// The made-up price.
    pub price: f64,
    /// When the server made the tick, in microseconds since the Unix epoch,
    /// so a client on the same machine can tell how long delivery took.
    pub created_us: u64,
}

impl Tick {
    /// The tick as the JSON text every delivery method carries.
    pub fn to_json(&self) -> String {
        // A struct of two numbers and an integer always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a tick from its JSON text.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        serde_json::from_str(text).with_context(|| format!("{text:?} is not a tick"))
    }

    /// How long ago the tick was made (zero if the clocks disagree).
    pub fn age(&self) -> Duration {
        Duration::from_micros(now_us().saturating_sub(self.created_us))
    }
}

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

/// The feed a server delivers: the latest tick, and a way to wait for the
/// next. Cloning it gives another handle on the same feed.
#[derive(Clone, Default)]
pub struct Feed {
    state: Arc<watch::Sender<State>>,
}

/// What a `watch` channel holds: only the latest value. A subscriber that
/// falls behind skips straight to the newest price, which is what a price
/// feed wants (nobody trades on a stale one).
#[derive(Clone, Default)]
struct State {
    latest: Option<Tick>,
    closed: bool,
}

impl Feed {
    /// A feed with no ticks yet; [`publish`](Self::publish) makes them (tests
    /// make them one by one, so what a client prints is exact).
    pub fn new() -> Self {
        Self::default()
    }

    /// A feed that makes its first tick now and one more every `interval`,
    /// until it is closed.
    pub fn ticking(interval: Duration) -> Self {
        let feed = Self::new();
        let publisher = feed.clone();
        tokio::spawn(async move {
            let mut clock = tokio::time::interval(interval);
            clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                clock.tick().await;
                if publisher.publish().is_none() {
                    break;
                }
            }
        });
        feed
    }

    /// Makes the next tick and wakes everyone waiting for it. `None` once the
    /// feed is closed.
    pub fn publish(&self) -> Option<Tick> {
        let mut published = None;
        self.state.send_if_modified(|state| {
            if state.closed {
                return false;
            }
            let seq = state.latest.as_ref().map_or(1, |tick| tick.seq + 1);
            let tick = Tick {
                seq,
                price: price(seq),
                created_us: now_us(),
            };
            state.latest = Some(tick.clone());
            published = Some(tick);
            true
        });
        published
    }

    /// The latest tick, if there has been one.
    pub fn latest(&self) -> Option<Tick> {
        self.state.borrow().latest.clone()
    }

    /// Ends the feed: waiting subscribers get `None`, so streams and pushes
    /// end, and a server shutting down is not held open by them.
    pub fn close(&self) {
        self.state.send_modify(|state| state.closed = true);
    }

    /// A handle that waits for ticks.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.state.subscribe(),
        }
    }
}

/// One listener's view of the feed.
pub struct Subscription {
    receiver: watch::Receiver<State>,
}

impl Subscription {
    /// The latest tick if it is newer than `after`, or else the next one, as
    /// soon as it is made; `None` once the feed is closed. Safe to drop and
    /// call again (as in a `select!` loop): it holds no state of its own.
    pub async fn next_after(&mut self, after: u64) -> Option<Tick> {
        let newer = |state: &State| state.latest.as_ref().is_some_and(|tick| tick.seq > after);
        let state = self
            .receiver
            .wait_for(|state| state.closed || newer(state))
            .await
            .ok()?;
        if state.closed {
            return None;
        }
        state.latest.clone()
    }
}

/// A price that wanders around 100 in steps of a quarter, the same for the
/// same `seq` every run.
fn price(seq: u64) -> f64 {
    100.0 + 0.25 * ((seq * 7 % 17) as f64 - 8.0)
}

/// Microseconds since the Unix epoch, from the wall clock (both ends of a
/// delivery read the same one when they share a machine).
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tick survives the trip through its JSON text.
    #[test]
    fn tick_round_trips_through_json() {
        let tick = Tick {
            seq: 7,
            price: 100.75,
            created_us: 1,
        };
        assert_eq!(tick.to_json(), r#"{"seq":7,"price":100.75,"created_us":1}"#);
        assert_eq!(Tick::from_json(&tick.to_json()).unwrap(), tick);
        assert!(Tick::from_json("hello").is_err());
    }

    /// A subscriber gets the latest tick at once, waits for the next one, and
    /// is told when the feed closes.
    #[tokio::test]
    async fn subscribers_wait_for_the_next_tick() {
        let feed = Feed::new();
        let mut subscription = feed.subscribe();
        assert_eq!(feed.publish().map(|tick| tick.seq), Some(1));
        assert_eq!(subscription.next_after(0).await.map(|t| t.seq), Some(1));

        let waiting = tokio::spawn(async move { subscription.next_after(1).await });
        feed.publish();
        assert_eq!(waiting.await.unwrap().map(|t| t.seq), Some(2));

        feed.close();
        assert!(feed.subscribe().next_after(2).await.is_none());
        assert!(feed.publish().is_none());
    }
}
