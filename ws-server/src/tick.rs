//! `/tick`: what only a WebSocket can do. The server pushes the live feed
//! (`common::feed`) to the client as each tick is made, without being asked;
//! an HTTP client would have to ask again and again.
//!
//! Run `cargo run -p ws-server`, then `cargo run -p ws-client --
//! ws://localhost:8765/tick`.
//!
//! Beyond the article, which names "real-time stock trading systems" as a
//! use for WebSocket: this is that, with a made-up price.

use common::feed::{Feed, Subscription};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// One client's place in the feed.
pub(crate) struct Tick {
    feed: Subscription,
    /// The last tick sent.
    last: u64,
}

impl Tick {
    pub(crate) fn new(feed: &Feed) -> Self {
        Self {
            feed: feed.subscribe(),
            last: 0,
        }
    }

    /// The next tick to send, as soon as it is made.
    ///
    /// On the wire: one unmasked text frame (opcode 1) holding the tick's
    /// JSON, with no request before it.
    pub(crate) async fn next(&mut self) -> Message {
        match self.feed.next_after(self.last).await {
            Some(kept) => {
                self.last = kept.tick.seq;
                // The feed's JSON is UTF-8 already; this checks, and shares
                // the bytes rather than copying them.
                let text = Utf8Bytes::try_from(kept.json).unwrap_or_default();
                Message::Text(text)
            }
            // The feed is closed only when the server shuts down, which
            // closes this connection through its stop signal.
            None => std::future::pending().await,
        }
    }
}
