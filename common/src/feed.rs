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
//!
//! The feed keeps its last ticks (`history.rs`), so a follower that lost
//! its connection resumes where it left off.

mod delivery;
mod history;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub use delivery::Delivery;
pub use history::{Feed, HISTORY, Published, Subscription};

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

/// A price that wanders around 100 in steps of a quarter, the same for the
/// same `seq` every run.
pub(crate) fn price(seq: u64) -> f64 {
    100.0 + 0.25 * ((seq * 7 % 17) as f64 - 8.0)
}

/// Microseconds since the Unix epoch, from the wall clock (both ends of a
/// delivery read the same one when they share a machine).
pub(crate) fn now_us() -> u64 {
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
}
