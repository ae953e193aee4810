//! `/chat`: the article's "real-time chat": a room and its members. Every text
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
//! The room never waits for a member. Each member has a queue of lines,
//! which its own connection task writes to its socket as fast as the socket
//! takes them; the room only adds to the queues. A line is one shared copy:
//! each queue holds a reference to it.
//!
//! What the room judges is how much a member has waiting, not how many lines
//! arrived at once, because bursts are normal. When a thousand members join
//! at once, the first has a thousand `* guest-N joined` notices queued
//! before its task has had a turn to write one (about 50 KB); a member that
//! reads everything is still only a moment behind. So each member may have
//! up to [`MAX_WAITING_BYTES`] (1 MiB) waiting, each line counted at its full
//! length plus its slot in the queue, as if this member alone kept it alive.
//! A member found at or over that budget when a line comes is dropped at
//! once, and the others are told (`* guest-3 left (too slow)`); its task
//! writes out what was queued, then closes the connection with code 1008 and
//! the reason "too slow". Under the budget a line is always queued, so even
//! a message as large as the server allows, itself over the budget, reaches
//! everyone; what a member that never reads can pin is at most the budget
//! plus one line.
//!
//! In a quiet room a member that stops reading may never reach its budget.
//! Its socket fills instead, and the write its task is waiting on gives up
//! after ten seconds (`SEND_TIMEOUT` in `connection.rs`), which ends the connection
//! (the others see `* guest-3 left`). Either way, a client that stopped
//! reading is dropped. Had the room instead waited for each member's socket,
//! that one client would have frozen everyone's chat.
//!
//! # One room across instances
//!
//! With `--redis URL`, the room is shared by every ws-server started with
//! the same URL: lines go through Redis and come back to the members of
//! each instance (`chat/shared.rs`). Everything above still holds, per
//! member, on the instance it is connected to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::connection::Push;

mod shared;

/// How many bytes of lines a member may have waiting to be written to its
/// socket before the room drops it: far more than any burst of joining or
/// talking puts in the queue of a member that reads (a thousand join notices
/// cost about 50 KB, a thousand 100-byte lines about 130 KB), and still a
/// bound on what a member that never reads can make the server hold.
const MAX_WAITING_BYTES: usize = 1024 * 1024;

/// The room: everyone connected to `/chat` here, and, with `--redis`, the
/// way to everyone connected to the other instances (`chat/shared.rs`).
#[derive(Default)]
pub(crate) struct Room {
    /// Who is in the room. A `Mutex` from the standard library is right
    /// here: it is held only to go through or change the members, never
    /// across an `.await`.
    members: Mutex<Members>,
    /// With `--redis`, where this instance's lines go to reach every
    /// instance; `None`, and the room lives in this process alone.
    shared: Option<shared::Bus>,
}

/// Everyone in the room.
#[derive(Default)]
struct Members {
    /// Each member's queue, by member number.
    queues: HashMap<u64, Queue>,
    /// The number the last member to join got.
    last_id: u64,
}

/// The room's end of one member's queue.
struct Queue {
    sender: mpsc::UnboundedSender<Utf8Bytes>,
    /// What the lines in the queue cost (see [`cost`]). The room adds to it
    /// as it queues a line, the member takes away as it takes one.
    waiting: Arc<AtomicUsize>,
}

/// One member of the room, held by its connection task. Dropping it leaves
/// the room.
pub(crate) struct Member {
    id: u64,
    room: Arc<Room>,
    queue: mpsc::UnboundedReceiver<Utf8Bytes>,
    /// Shared with the room's end of the queue.
    waiting: Arc<AtomicUsize>,
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
        let (sender, queue) = mpsc::unbounded_channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        // Numbered, announced and added under one lock: members are
        // announced in the order of their numbers, and whoever has heard of
        // the newcomer hears what it says, as it hears every line after.
        let mut members = self.members();
        members.last_id += 1;
        let id = members.last_id;
        self.announce(
            &mut members,
            format!("* {} joined", self.name(id)),
            Some(id),
        );
        let queue_end = Queue {
            sender,
            waiting: waiting.clone(),
        };
        members.queues.insert(id, queue_end);
        drop(members);
        Member {
            id,
            room: self.clone(),
            queue,
            waiting,
        }
    }

    /// Sends `line` to every member. Here alone, it goes straight into the
    /// queues (before a `newcomer` it announces is added, so the newcomer
    /// does not hear of itself). With `--redis` it goes to every instance,
    /// and the members here get it only when it comes back (`shared.rs`),
    /// so that each hears it once, in the order Redis passed it on.
    fn announce(&self, members: &mut Members, line: String, newcomer: Option<u64>) {
        match &self.shared {
            Some(bus) => bus.publish(line, newcomer),
            None => {
                let mut lines = vec![line];
                while let Some(line) = lines.pop() {
                    let dropped = members.deliver(&line.into(), None);
                    lines.extend(dropped.into_iter().map(|id| self.too_slow(id)));
                }
            }
        }
    }

    /// What the room calls member `id`: `guest-2`; with `--redis`,
    /// `guest-2@3`, member 2 of instance 3, since each instance counts its
    /// own members.
    fn name(&self, id: u64) -> String {
        match &self.shared {
            Some(bus) => format!("guest-{id}@{}", bus.instance()),
            None => format!("guest-{id}"),
        }
    }

    /// The notice for a member dropped for falling behind.
    fn too_slow(&self, id: u64) -> String {
        format!("* {} left (too slow)", self.name(id))
    }

    fn members(&self) -> MutexGuard<'_, Members> {
        // A panic while holding the lock cannot leave the map half-changed,
        // so a poisoned lock is still a good one.
        self.members
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Members {
    /// Offers `line` to every member's queue but `skip`'s, without waiting
    /// for any. A member already at its budget is dropped from the room; the
    /// numbers of those dropped are returned, for the room to announce.
    fn deliver(&mut self, line: &Utf8Bytes, skip: Option<u64>) -> Vec<u64> {
        let mut too_slow = Vec::new();
        for (id, queue) in &self.queues {
            if Some(*id) != skip && !queue.offer(line) {
                too_slow.push(*id);
            }
        }
        for id in &too_slow {
            // Dropping its sender ends the member's queue once emptied.
            self.queues.remove(id);
        }
        too_slow
    }
}

impl Queue {
    /// Queues `line`, unless the member already has its budget's worth
    /// waiting; then returns `false`.
    fn offer(&self, line: &Utf8Bytes) -> bool {
        if self.waiting.load(Ordering::Relaxed) >= MAX_WAITING_BYTES {
            return false;
        }
        // Only the room adds, under its lock, so nothing can add between the
        // check and here. Counted before it is sent, so the member, which
        // takes the cost away after receiving, never takes more than was added.
        self.waiting.fetch_add(cost(line), Ordering::Relaxed);
        // `line` is shared, not copied: a clone is a reference count. The
        // send cannot fail: the member leaves the map before its receiver
        // is dropped.
        let _ = self.sender.send(line.clone());
        true
    }
}

impl Member {
    /// Sends `text` to the room, labelled with this member's name.
    pub(crate) fn say(&self, text: &str) {
        let line = format!("{}: {text}", self.room.name(self.id));
        let mut members = self.room.members();
        self.room.announce(&mut members, line, None);
    }

    /// The next line for this member to write to its socket; `None` once it
    /// has been dropped from the room for falling behind and its queue is empty.
    pub(crate) async fn next(&mut self) -> Option<Utf8Bytes> {
        let line = self.queue.recv().await?;
        self.waiting.fetch_sub(cost(&line), Ordering::Relaxed);
        Some(line)
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut members = self.room.members();
        // Still in the room (not dropped for being slow): say goodbye.
        if members.queues.remove(&self.id).is_some() {
            let line = format!("* {} left", self.room.name(self.id));
            self.room.announce(&mut members, line, None);
        }
    }
}

/// What a queued line counts against a member's budget: its bytes, which
/// the queue keeps alive, and the queue's slot that holds the reference.
fn cost(line: &Utf8Bytes) -> usize {
    line.len() + std::mem::size_of::<Utf8Bytes>()
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
            None => {
                tracing::debug!(
                    "{} dropped from the room: too slow",
                    self.room.name(self.id)
                );
                Push::Close(CloseFrame {
                    code: CloseCode::Policy,
                    reason: "too slow: fell too far behind the room".into(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
