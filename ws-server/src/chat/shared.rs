//! The room across instances, with `--redis URL`: a line said on any
//! ws-server reaches every member on every instance, once.
//!
//! Run Redis (`redis-server --port 6379`), then two servers, `cargo run -p
//! ws-server -- --redis redis://127.0.0.1:6379` and the same with `--port
//! 8766`, and `cargo run -p ws-client -- ws://localhost:8765/chat` and
//! `…:8766/chat` in two more terminals. `deploy/run.sh` does all of it
//! behind nginx.
//!
//! Beyond the article, which names "complex server management" as
//! WebSocket's drawback: a WebSocket is pinned to the instance it connected
//! to, so the instances must pass each other what their members say.
//!
//! # Through Redis, and only back from it
//!
//! Every line (and every join and leave notice) is published on the Redis
//! topic `chat` (`common::shared`) as one small JSON event, say
//! `{"line":"guest-1@2: hi","instance":2}`, and none goes straight into the
//! queues here. The members here get a line when it comes back from the
//! subscription, like the members of every other instance: so each member
//! hears each line exactly once, and the lines of one sender in the order
//! it said them, which is the order this instance published them in.
//!
//! Publishing never waits for Redis: it hands the event to a task of its own
//! (`Publisher::publish`), so a slow or vanished Redis never holds up a
//! member's connection. While Redis is out of reach, that task gives the
//! event straight back to this instance: the room goes on, but a line said
//! then reaches only the members of the instance it was said on.
//!
//! What stays per instance: each member's queue and its budget (`chat.rs`),
//! so the slow-member policy holds as before; and the numbering, which is
//! why a name carries its instance (`guest-1@2`).

use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use common::shared::{Publisher, Redis, Topic};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::Room;

/// The Redis topic every instance's room publishes to and hears from.
const TOPIC: &str = "chat";

/// This instance's way to the others: its publisher on the topic, and its
/// number (which names its members).
pub(super) struct Bus {
    publisher: Publisher,
    instance: u64,
}

/// What crosses Redis for one line of the room.
#[derive(Serialize, Deserialize)]
struct Event {
    /// The line, as members see it: `guest-1@2: hi`, `* guest-1@2 joined`.
    line: String,
    /// The instance it was said on.
    instance: u64,
    /// For a join notice, the member who joined, which alone does not hear it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newcomer: Option<u64>,
}

impl Bus {
    /// This instance's number, unique among the instances sharing the Redis.
    pub(crate) fn instance(&self) -> u64 {
        self.instance
    }

    /// Publishes `line` to every instance, without waiting.
    pub(super) fn publish(&self, line: String, newcomer: Option<u64>) {
        let event = Event {
            line,
            instance: self.instance,
            newcomer,
        };
        // An `Event` is strings and numbers, which always make JSON.
        let json = serde_json::to_vec(&event).unwrap_or_default();
        self.publisher.publish(Bytes::from(json));
    }
}

impl Room {
    /// A room shared with every instance connected to `redis`, until `stop`
    /// changes (shutdown).
    pub(crate) async fn shared(
        redis: &Redis,
        stop: watch::Receiver<()>,
    ) -> anyhow::Result<Arc<Room>> {
        let topic = redis.topic(TOPIC).await?;
        let room = Arc::new(Room {
            members: Mutex::default(),
            shared: Some(Bus {
                publisher: topic.publisher(),
                instance: redis.instance(),
            }),
        });
        tokio::spawn(relay(topic, Arc::downgrade(&room), stop));
        Ok(room)
    }

    /// An event heard from the topic: into the queues of the members here
    /// (but the newcomer's, for its own join notice). A member found at its
    /// budget is dropped, and the room told, through Redis like any line.
    fn hear(&self, event: Event) {
        let mine = event.instance == self.shared.as_ref().map_or(0, Bus::instance);
        let skip = if mine { event.newcomer } else { None };
        let mut members = self.members();
        let dropped = members.deliver(&event.line.into(), skip);
        for id in dropped {
            let notice = self.too_slow(id);
            self.announce(&mut members, notice, None);
        }
    }
}

/// Hands every event heard from the topic to the room, until shutdown or
/// until the room is gone.
async fn relay(mut topic: Topic, room: Weak<Room>, mut stop: watch::Receiver<()>) {
    loop {
        let message = tokio::select! {
            _ = stop.changed() => break,
            message = topic.next() => message,
        };
        let (Some(message), Some(room)) = (message, room.upgrade()) else {
            break;
        };
        match serde_json::from_slice::<Event>(&message) {
            Ok(event) => room.hear(event),
            // Only our servers publish here; anything else is skipped.
            Err(err) => tracing::debug!("skipped a room event that is not ours: {err}"),
        }
    }
}
