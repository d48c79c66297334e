//! A polled message ends its loan of the receive buffer as it is handed out (issue 13: no
//! release work left for the next call): once the caller drops it, what the task holds is
//! what a server's bytes say it must, the same before and after the next call, and the
//! events that follow are unchanged.

mod support;

use sockettask::{Event, Message};
use support::*;

#[test]
fn after_a_polled_message_only_the_unparsed_bytes_are_in_use() {
    let mut h = Harness::new();
    let t = h.open();
    let first = binary(&[0xAB; 16]);
    let second = text("κόσμε");
    let third = frame(OP_BINARY, true, &[1; 200]);
    let wire = [first.as_slice(), &second, &third].concat();
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());

    let Some((_, Event::Message(Message::Binary(bytes)))) = h.client.poll_event() else { panic!("first") };
    assert_eq!(bytes, [0xAB; 16]);
    // The first frame is done with: the two frames after it are all the task holds.
    assert_eq!(h.client.buffer_use(t.slot()).rx, second.len() + third.len());

    let Some((_, Event::Message(Message::Text(text)))) = h.client.poll_event() else { panic!("second") };
    assert_eq!(text, "κόσμε");
    assert_eq!(h.client.buffer_use(t.slot()).rx, third.len());
    let Some((_, Event::Message(Message::Binary(bytes)))) = h.client.poll_event() else { panic!("third") };
    assert_eq!(bytes, [1; 200]);
    assert_eq!(h.client.buffer_use(t.slot()).rx, 0);
    assert!(h.client.poll_event().is_none());
    // The whole buffer is free again for the next read.
    assert_eq!(h.client.input_buffer(t).len(), RX_LEN);
}

#[test]
fn a_message_read_in_place_leaves_the_whole_buffer_free() {
    let mut h = Harness::new();
    let t = h.open();
    for round in 0..50u8 {
        let wire = binary(&[round; 16]);
        assert_eq!(h.read_into(t, &wire), wire.len());
        let Some((_, Event::Message(Message::Binary(bytes)))) = h.client.poll_event() else {
            panic!("message")
        };
        assert_eq!(bytes, [round; 16]);
        assert_eq!(h.client.buffer_use(t.slot()).rx, 0, "round {round}");
    }
    assert_eq!(h.client.input_buffer(t).len(), RX_LEN);
}
