//! The calls every message makes, after each kind of event and at the edges of their timers,
//! through the public API as a transport makes them (`input_buffer`, `handle_read`,
//! `poll_event`). Expectations come from RFC 6455 and SPEC.md: a frame's payload arrives
//! unchanged (§5.6), in order (S11), a connect timer fires when it is due and not before (S6),
//! and a task never stops taking bytes with nothing to poll.

mod support;

use core::time::Duration;

use sockettask::{Config, ConnectOptions, Event, Instant, Message, ProtocolError, ReadyState, TaskError};
use support::*;

/// One task slot, as on a device: every poll looks at the slot that holds the event first.
fn one_slot() -> Harness {
    Harness::with(Config::default(), 1, RX_LEN, TX_LEN)
}

/// A polled `Open` lends the receive buffer until the next call; a binary frame that came in
/// the same read as the 101 is the next event, whole, and the reads after it go on.
#[test]
fn a_message_behind_the_open_event_follows_it() {
    let mut h = one_slot();
    let t = h.connect(URL);
    let request = h.request(t);
    let payload: Vec<u8> = (0..=255).collect();
    let wire = [response_101(request.key(), &[]), binary(&payload)].concat();
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    assert!(matches!(h.client.poll_event(), Some((_, Event::Open(_)))));
    // The call after `Open` ends its loan first, then hands out the message.
    match h.client.poll_event() {
        Some((from, Event::Message(Message::Binary(bytes)))) => {
            assert_eq!(from, t);
            assert_eq!(bytes, payload.as_slice());
        }
        other => panic!("expected the binary message, got {other:?}"),
    }
    assert!(h.client.poll_event().is_none());
    assert_eq!(h.read_into(t, &binary(b"next")), 6);
    assert_eq!(h.client.poll_event().map(|(_, e)| Ev::from_event(&e)), Some(Ev::Binary(b"next".to_vec())));
}

/// Read in place right after `Open` was polled (its loan still on): the read ends the loan,
/// and the message read is whole.
#[test]
fn a_read_after_the_open_event_ends_its_loan() {
    let mut h = one_slot();
    let t = h.connect(URL);
    let request = h.request(t);
    let response = response_101(request.key(), &[]);
    assert_eq!(h.client.handle_input(h.now, t, &response), response.len());
    assert!(matches!(h.client.poll_event(), Some((_, Event::Open(_)))));
    let frame = text("κόσμε");
    assert_eq!(h.read_into(t, &frame), frame.len());
    assert_eq!(h.client.poll_event().map(|(_, e)| Ev::from_event(&e)), Some(Ev::text("κόσμε")));
    assert!(h.client.poll_event().is_none());
}

/// Binary and text messages of every length form (7-bit, 16-bit) and every kind of event
/// between them, read in place one byte short of each frame and then the rest: each message
/// arrives whole and unchanged, in order, and a ping is answered (RFC 6455 §5.5.2).
#[test]
fn messages_between_other_events_arrive_whole_in_order() {
    let mut h = one_slot();
    let t = h.open();
    let big: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    let frames = [
        binary(&[]),
        binary(&big),
        ping(b"are you there"),
        text(""),
        text(&"é".repeat(100)),
        pong(b"unsolicited"),
        binary(&[0xFF; 125]),
        binary(&[0xEE; 126]),
    ];
    let mut events = Vec::new();
    for frame in &frames {
        let (head, last) = frame.split_at(frame.len() - 1);
        events.extend(h.feed_read(t, head));
        events.extend(h.feed_read(t, last));
    }
    assert_eq!(
        events,
        [
            Ev::Binary(Vec::new()),
            Ev::Binary(big.clone()),
            Ev::text(""),
            Ev::text(&"é".repeat(100)),
            Ev::Binary(vec![0xFF; 125]),
            Ev::Binary(vec![0xEE; 126]),
        ]
    );
    let pongs: Vec<_> = h.frames(t).into_iter().filter(|f| f.opcode == OP_PONG).collect();
    assert_eq!(pongs.len(), 1);
    assert_eq!(pongs[0].payload, b"are you there");
}

/// Two tasks with a message each waiting: both are handed out, one per task (a busy task
/// does not hide the other's event), each with its own bytes.
#[test]
fn messages_of_two_tasks_both_come_out() {
    let mut h = Harness::new();
    let a = h.open();
    let b = h.open();
    for round in 0..4u8 {
        assert_eq!(h.read_into(a, &binary(&[round; 10])), 12);
        assert_eq!(h.read_into(b, &binary(&[round + 100; 20])), 22);
        let mut got = h.drain();
        got.sort_by_key(|(handle, _)| handle.slot());
        assert_eq!(got, [(a, Ev::Binary(vec![round; 10])), (b, Ev::Binary(vec![round + 100; 20]))]);
    }
}

/// Invalid UTF-8 in a whole text frame fails the connection with 1007 (RFC 6455 §8.1), in
/// the message's place; what arrives after it is not handed out.
#[test]
fn invalid_text_in_one_frame_fails_instead_of_arriving() {
    let mut h = one_slot();
    let t = h.open();
    let wire = [frame(OP_TEXT, true, b"ok \xC0\xAF"), binary(b"after")].concat();
    let events = h.feed_read(t, &wire);
    assert_eq!(events.first(), Some(&Ev::Error(TaskError::Protocol(ProtocolError::InvalidUtf8))));
    assert!(!events.iter().any(is_message), "{events:?}");
    let close = h.frames(t).into_iter().find_map(|f| f.close());
    assert_eq!(close.map(|(code, _)| code), Some(1007));
}

/// S6: the connect timer fires at the instant `poll_timeout` names, not a microsecond before.
#[test]
fn the_connect_timer_fires_when_due_and_not_before() {
    let config = Config { connect_timeout: Duration::from_secs(3), ..Config::default() };
    let mut h = Harness::with_config(config);
    let t = h.connect(URL);
    let due = h.client.poll_timeout().expect("the connect timer");
    assert_eq!(due, h.now + Duration::from_secs(3));
    h.client.handle_timeout(Instant::from_micros(due.micros() - 1));
    assert!(h.client.poll_event().is_none());
    assert_eq!(h.state(t), ReadyState::Connecting);
    h.client.handle_timeout(due);
    assert_eq!(h.events(t), [Ev::Error(TaskError::Timeout)]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.poll_timeout(), None);
}

/// A connect near the end of the clock: its timer saturates (it cannot be past the end) but
/// stays armed, and fires by the end of time.
#[test]
fn a_timer_at_the_end_of_time_still_fires() {
    let mut h = Harness::new();
    h.now = Instant::from_micros(u64::MAX - 5);
    let t = h.client.connect_socket(h.now, &ConnectOptions::new(URL)).expect("connect");
    let due = h.client.poll_timeout().expect("an armed timer");
    assert!(due >= h.now, "{due:?}");
    h.client.handle_timeout(Instant::from_micros(u64::MAX));
    assert_eq!(h.events(t), [Ev::Error(TaskError::Timeout)]);
}
