//! The room's own tests: bursts, and the budget of a member that never
//! reads. Run: `cargo test -p ws-server chat`.

use futures_util::FutureExt;

use super::*;

/// The line waiting for `member`, or `None` if its queue has ended. The
/// room queues lines as they are said, so a test never waits for one:
/// a line that is not there already is a failure.
fn take(member: &mut Member) -> Option<Utf8Bytes> {
    member
        .next()
        .now_or_never()
        .expect("no line waiting for this member")
}

/// Asserts nothing more is waiting for `member`, and that it is still
/// in the room (a dropped member's queue would have ended).
fn assert_nothing_waiting(member: &mut Member) {
    assert!(member.next().now_or_never().is_none());
}

/// A first member and a thousand more join before anyone reads a line:
/// every member, the first one included, then reads the notice of each
/// member who joined after it, in order, and nobody is dropped as too
/// slow.
#[test]
fn a_burst_of_joiners_drops_no_one() {
    let room = Arc::new(Room::default());
    let mut members: Vec<Member> = (0..=1_000).map(|_| room.join()).collect();
    // `members[0]` is guest-1, who hears of guest-2 to guest-1001.
    for (index, member) in members.iter_mut().enumerate() {
        for joined in index + 2..=1_001 {
            let expected = format!("* guest-{joined} joined");
            assert_eq!(take(member).as_deref(), Some(expected.as_str()));
        }
        assert_nothing_waiting(member);
    }
}

/// A thousand chat-sized lines said before anyone reads: each member
/// then reads all of them, in order, and nobody is dropped.
#[test]
fn a_burst_of_lines_drops_no_one() {
    let room = Arc::new(Room::default());
    let mut listener = room.join();
    let mut speaker = room.join();
    assert_eq!(take(&mut listener).as_deref(), Some("* guest-2 joined"));
    let text = "x".repeat(100);
    for n in 0..1_000 {
        speaker.say(&format!("{n} {text}"));
    }
    for member in [&mut listener, &mut speaker] {
        for n in 0..1_000 {
            let expected = format!("guest-2: {n} {text}");
            assert_eq!(take(member).as_deref(), Some(expected.as_str()));
        }
        assert_nothing_waiting(member);
    }
}

/// Everyone hears every line once, the sender included; a member that
/// stops reading is dropped once what it has waiting reaches its budget
/// (not before, and holding no more than one line past it), the others
/// are told, and nobody is held up.
#[test]
fn a_member_that_never_reads_is_dropped_past_its_budget() {
    let room = Arc::new(Room::default());
    let mut slow = room.join();
    let mut fast = room.join();
    // Only those already in the room hear of a newcomer.
    assert_eq!(take(&mut slow).as_deref(), Some("* guest-2 joined"));

    // `slow` now reads nothing; `fast` reads every line.
    let text = "x".repeat(1024);
    let mut said = 0;
    loop {
        assert!(said < 2_000, "the slow member was never dropped");
        let line = format!("{said} {text}");
        fast.say(&line);
        said += 1;
        let expected = format!("guest-2: {line}");
        assert_eq!(take(&mut fast).as_deref(), Some(expected.as_str()));
        if let Some(notice) = fast.next().now_or_never() {
            assert_eq!(notice.as_deref(), Some("* guest-1 left (too slow)"));
            break;
        }
    }
    assert_nothing_waiting(&mut fast);

    // `slow` gets what was queued, then the end: every line but the one
    // that found it at its budget.
    let mut backlog = Vec::new();
    while let Some(line) = take(&mut slow) {
        backlog.push(cost(&line));
    }
    assert_eq!(backlog.len(), said - 1);
    let total: usize = backlog.iter().sum();
    assert!(total >= MAX_WAITING_BYTES, "dropped under its budget");
    let before_last = total - backlog.last().expect("a backlog");
    assert!(before_last < MAX_WAITING_BYTES, "kept past its budget");
}

/// A line larger than the whole budget still reaches a member with
/// nothing waiting, so the largest message the server allows is never
/// the reason a member is dropped.
#[test]
fn one_line_over_the_budget_reaches_everyone() {
    let room = Arc::new(Room::default());
    let mut listener = room.join();
    let mut speaker = room.join();
    assert_eq!(take(&mut listener).as_deref(), Some("* guest-2 joined"));
    let text = "x".repeat(MAX_WAITING_BYTES + 1);
    speaker.say(&text);
    for member in [&mut listener, &mut speaker] {
        assert_eq!(take(member).map(|line| line.len()), Some(text.len() + 9));
        assert_nothing_waiting(member);
    }
}
