//! The feed a server delivers: the ticks it keeps, the newest last, and a
//! way to wait for the next.
//!
//! It keeps the last [`HISTORY`] ticks, not only the latest, so that a
//! follower that lost its connection can come back, say the last tick it
//! has (`Last-Event-ID: 7` to an event stream, `?after=7` to a long poll
//! or a WebSocket), and get every tick since, in order.
//!
//! Each tick is made into its JSON text once, when it is kept; every
//! follower is then handed the same bytes (a reference count, not a copy).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use super::{Tick, now_us, price};

/// How many ticks the feed keeps: a few minutes at the servers' default of
/// two ticks a second, long enough for a follower to reconnect.
pub const HISTORY: usize = 1_000;

/// A tick as the feed keeps it: the tick, and its JSON text.
#[derive(Clone, Debug)]
pub struct Published {
    /// The tick.
    pub tick: Tick,
    /// `tick.to_json()`, made once and shared by every follower.
    pub json: Bytes,
}

impl Published {
    fn new(tick: Tick) -> Self {
        let json = Bytes::from(tick.to_json());
        Self { tick, json }
    }
}

/// The feed. Cloning it gives another handle on the same feed.
#[derive(Clone, Default)]
pub struct Feed {
    state: Arc<watch::Sender<State>>,
}

/// What the `watch` channel holds. A `watch` wakes every waiting
/// subscriber when the state changes; each then takes what it needs
/// from the kept ticks.
#[derive(Default)]
struct State {
    /// The last [`HISTORY`] ticks, oldest first, `seq` rising.
    kept: VecDeque<Published>,
    closed: bool,
}

impl State {
    fn latest_seq(&self) -> u64 {
        self.kept.back().map_or(0, |kept| kept.tick.seq)
    }

    /// Keeps `tick` if it is newer than the newest kept, dropping the oldest
    /// past [`HISTORY`]; `seq` never goes back.
    fn keep(&mut self, tick: Tick) -> Option<Published> {
        if self.closed || tick.seq <= self.latest_seq() {
            return None;
        }
        let published = Published::new(tick);
        if self.kept.len() == HISTORY {
            self.kept.pop_front();
        }
        self.kept.push_back(published.clone());
        Some(published)
    }
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

    /// Makes the next tick here and wakes everyone waiting for it. `None`
    /// once the feed is closed.
    pub fn publish(&self) -> Option<Tick> {
        let mut published = None;
        self.state.send_if_modified(|state| {
            let seq = state.latest_seq() + 1;
            let tick = Tick {
                seq,
                price: price(seq),
                created_us: now_us(),
            };
            published = state.keep(tick).map(|kept| kept.tick);
            published.is_some()
        });
        published
    }

    /// Keeps a tick made elsewhere (by another instance, through Redis) and
    /// wakes everyone waiting for it; `false`, and nothing changes, if it is
    /// not newer than the latest or the feed is closed.
    pub fn insert(&self, tick: Tick) -> bool {
        self.state
            .send_if_modified(|state| state.keep(tick).is_some())
    }

    /// The latest tick, if there has been one.
    pub fn latest(&self) -> Option<Published> {
        self.state.borrow().kept.back().cloned()
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
    /// The tick after `after`, as soon as there is one; `None` once the feed
    /// is closed. Safe to drop and call again (as in a `select!` loop): it
    /// holds no state of its own.
    ///
    /// `after` is the last tick the follower has. `0`, "none yet", gets the
    /// latest tick: a new follower wants the price now, not the history.
    /// Otherwise it gets the next tick in order, from those kept; if the feed
    /// has moved on past them all, the oldest it still has (the follower
    /// sees from the gap in `seq` how many it missed).
    pub async fn next_after(&mut self, after: u64) -> Option<Published> {
        let state = self
            .receiver
            .wait_for(|state| state.closed || state.latest_seq() > after)
            .await
            .ok()?;
        if state.closed {
            return None;
        }
        if after == 0 {
            return state.kept.back().cloned();
        }
        let next = state.kept.partition_point(|kept| kept.tick.seq <= after);
        state.kept.get(next).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(seq: u64) -> Tick {
        Tick {
            seq,
            price: price(seq),
            created_us: 1,
        }
    }

    /// A subscriber gets the latest tick at once, waits for the next one, and
    /// is told when the feed closes.
    #[tokio::test]
    async fn subscribers_wait_for_the_next_tick() {
        let feed = Feed::new();
        let mut subscription = feed.subscribe();
        assert_eq!(feed.publish().map(|tick| tick.seq), Some(1));
        let first = subscription.next_after(0).await.expect("tick 1");
        assert_eq!(first.tick.seq, 1);
        assert_eq!(first.json, first.tick.to_json());

        let waiting = tokio::spawn(async move { subscription.next_after(1).await });
        feed.publish();
        assert_eq!(waiting.await.unwrap().map(|t| t.tick.seq), Some(2));

        feed.close();
        assert!(feed.subscribe().next_after(2).await.is_none());
        assert!(feed.publish().is_none());
    }

    /// A follower that comes back with `after` gets every tick since, in
    /// order, from those kept; a new one (`after` 0) only the latest.
    #[tokio::test]
    async fn a_returning_follower_resumes_where_it_left_off() {
        let feed = Feed::new();
        for _ in 0..5 {
            feed.publish();
        }
        let mut subscription = feed.subscribe();
        let mut seen = Vec::new();
        let mut after = 2;
        while after < 5 {
            after = subscription.next_after(after).await.expect("open").tick.seq;
            seen.push(after);
        }
        assert_eq!(seen, [3, 4, 5]);
        let latest = subscription.next_after(0).await.expect("open");
        assert_eq!(latest.tick.seq, 5);
    }

    /// The feed keeps the last [`HISTORY`] ticks: one further back resumes
    /// at the oldest kept.
    #[tokio::test]
    async fn past_the_history_a_follower_resumes_at_the_oldest_kept() {
        let feed = Feed::new();
        for _ in 0..HISTORY + 10 {
            feed.publish();
        }
        let next = feed.subscribe().next_after(3).await.expect("open");
        assert_eq!(next.tick.seq, 11);
    }

    /// A tick made elsewhere is kept only if it is newer than the latest:
    /// `seq` never goes back and never repeats.
    #[test]
    fn inserted_ticks_never_go_back() {
        let feed = Feed::new();
        assert!(feed.insert(tick(7)));
        assert!(!feed.insert(tick(7)));
        assert!(!feed.insert(tick(3)));
        assert!(feed.insert(tick(9)));
        assert_eq!(feed.latest().map(|kept| kept.tick.seq), Some(9));
        // Made here, the next tick follows the newest, wherever it was made.
        assert_eq!(feed.publish().map(|tick| tick.seq), Some(10));
    }
}
