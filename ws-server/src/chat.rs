//! `/chat`: the article's "real-time chat", in a few dozen lines. Every text
//! message one member sends goes to every member (the sender too, so the
//! article's client, which waits for a reply, gets one), as
//! `guest-2: hello`; joining and leaving are announced to the others as
//! `* guest-2 joined`.
//!
//! Run `cargo run -p ws-server`, then `cargo run -p ws-client --
//! ws://localhost:8765/chat` in two or three terminals, and type.
//!
//! # A slow member must not slow the room
//!
//! The room never waits for a member. Each member has a bounded queue of
//! lines, which its own connection task writes to its socket. The room only
//! *tries* to add a line to each queue: if one is full, that member has fallen
//! [`QUEUE_SIZE`] lines behind (its socket is full, so its client is not
//! reading), and the room drops it at once and tells the others. Its task
//! writes out what was queued, then closes the connection with code 1008 and
//! the reason "too slow". Had the room instead waited for each member's
//! socket, one client that stopped reading would have frozen everyone's chat.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::connection::Push;

/// How many lines a member may fall behind before it is dropped.
pub(crate) const QUEUE_SIZE: usize = 64;

/// The room: everyone connected to `/chat`.
#[derive(Default)]
pub(crate) struct Room {
    /// Each member's queue, by member number. A `Mutex` from the standard
    /// library is right here: it is held only to go through the map, never
    /// across an `.await`.
    members: Mutex<HashMap<u64, mpsc::Sender<Utf8Bytes>>>,
    /// The number the next member gets.
    next_id: AtomicU64,
}

/// One member of the room, held by its connection task. Dropping it leaves
/// the room.
pub(crate) struct Member {
    id: u64,
    room: Arc<Room>,
    queue: mpsc::Receiver<Utf8Bytes>,
}

impl Room {
    /// Tells the room, then adds a member.
    ///
    /// The newcomer itself is not told. Like the article's client, ws-client
    /// takes the first message after it sends as the reply; a greeting still
    /// on its way when a piped-in line goes out would pass for the answer to
    /// it. So the first line a member hears is the echo of its own first one
    /// (or what another member says), and that is where it learns its name.
    pub(crate) fn join(self: &Arc<Self>) -> Member {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.broadcast(format!("* {} joined", name(id)));
        let (sender, queue) = mpsc::channel(QUEUE_SIZE);
        self.members().insert(id, sender);
        Member {
            id,
            room: self.clone(),
            queue,
        }
    }

    /// Offers `line` to every member's queue, without waiting for any. A
    /// member whose queue is full is dropped, and the room told so.
    fn broadcast(&self, line: String) {
        let mut members = self.members();
        let mut lines = vec![Utf8Bytes::from(line)];
        while let Some(line) = lines.pop() {
            let mut too_slow = Vec::new();
            for (id, queue) in members.iter() {
                // `line` is shared, not copied: a clone is a reference count.
                if let Err(mpsc::error::TrySendError::Full(_)) = queue.try_send(line.clone()) {
                    too_slow.push(*id);
                }
            }
            for id in too_slow {
                // Dropping its sender ends the member's queue once emptied.
                members.remove(&id);
                lines.push(format!("* {} left (too slow)", name(id)).into());
            }
        }
    }

    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::Sender<Utf8Bytes>>> {
        // A panic while holding the lock cannot leave the map half-changed,
        // so a poisoned lock is still a good one.
        self.members
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Member {
    /// Sends `text` to the room, labelled with this member's name.
    pub(crate) fn say(&self, text: &str) {
        self.room.broadcast(format!("{}: {text}", name(self.id)));
    }

    /// The next line for this member to write to its socket; `None` once it
    /// has been dropped from the room for falling behind and its queue is empty.
    pub(crate) async fn next(&mut self) -> Option<Utf8Bytes> {
        self.queue.recv().await
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        // Still in the room (not dropped for being slow): say goodbye.
        if self.room.members().remove(&self.id).is_some() {
            self.room.broadcast(format!("* {} left", name(self.id)));
        }
    }
}

/// What the room calls member `id`.
fn name(id: u64) -> String {
    format!("guest-{id}")
}

// The connection side: what a member's connection task (`connection.rs`)
// does with the messages its client sends, and what it sends its client.

impl Member {
    /// A message from this member's client: text goes to the room, and comes
    /// back, like everyone's lines, through [`Member::push`]. The room is for
    /// text: binary messages are ignored.
    pub(crate) fn hear(&self, message: &Message) {
        if let Message::Text(text) = message {
            self.say(text);
        }
    }

    /// The next thing to send this member's client: the room's next line, as
    /// a text frame; or, once dropped from the room for falling behind and
    /// its queue written out, a close frame with 1008, "policy violation",
    /// that says which policy.
    pub(crate) async fn push(&mut self) -> Push {
        match self.next().await {
            Some(line) => Push::Send(Message::Text(line)),
            None => Push::Close(CloseFrame {
                code: CloseCode::Policy,
                reason: "too slow: fell too far behind the room".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everyone hears every line once, the sender included, and a member
    /// that stops reading is dropped without holding up the others.
    #[tokio::test]
    async fn a_member_that_falls_behind_is_dropped() {
        let room = Arc::new(Room::default());
        let mut slow = room.join();
        let mut fast = room.join();
        // Only those already in the room hear of a newcomer.
        assert_eq!(slow.next().await.as_deref(), Some("* guest-2 joined"));

        // `slow` now reads nothing; `fast` reads every line.
        for n in 0..QUEUE_SIZE {
            fast.say(&n.to_string());
            assert_eq!(fast.next().await.unwrap(), format!("guest-2: {n}"));
        }
        fast.say("one too many");
        assert_eq!(fast.next().await.as_deref(), Some("guest-2: one too many"));
        assert_eq!(
            fast.next().await.as_deref(),
            Some("* guest-1 left (too slow)")
        );

        // `slow` gets what was queued, then the end.
        let mut backlog = 0;
        while slow.next().await.is_some() {
            backlog += 1;
        }
        assert_eq!(backlog, QUEUE_SIZE);
    }
}
