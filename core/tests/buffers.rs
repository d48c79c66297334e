//! Buffers sized to their use: a transport starts a task with small buffers, grows them when
//! the task asks (`BufferUse::rx_wanted`, `SendError::BufferFull` with
//! `send_buffer_len_for`), and shrinks them back once what they hold is small again
//! (`replace_buffers`). The limits come from the growth bounds, not from the current lengths;
//! what the task holds survives every move.

mod support;

use sockettask::{
    BufferUse, Buffers, Config, Handle, Limits, MIN_BUFFER_LEN, Message, ProtocolError, RX_OVERHEAD,
    ReadyState, SendError, TX_OVERHEAD, TaskError,
};
use support::*;

const SMALL: usize = 1024;
const MAX_MESSAGE: usize = 256 << 10;

fn growable(max_message: usize) -> Harness {
    let config =
        Config { limits: Limits { max_message_size: max_message, ..Limits::default() }, ..Config::default() };
    let storage = (0..2).map(|_| {
        Buffers::new(vec![0u8; SMALL], vec![0u8; SMALL])
            .growable(MAX_MESSAGE + RX_OVERHEAD, MAX_MESSAGE + TX_OVERHEAD)
    });
    Harness::with_storage(config, storage)
}

fn lens(h: &Harness, t: Handle) -> (usize, usize) {
    let b = h.client.buffers(t.slot()).unwrap();
    (b.rx.len(), b.tx.len())
}

/// Replaces the buffers of `t`'s slot with ones of `rx` and `tx` bytes.
fn resize(h: &mut Harness, t: Handle, rx: usize, tx: usize) -> Result<(), ()> {
    let new = Buffers::new(vec![0u8; rx], vec![0u8; tx]);
    h.client.replace_buffers(t.slot(), new).map(drop).map_err(drop)
}

fn feed_growing(h: &mut Harness, t: Handle, bytes: &[u8]) -> (Vec<Ev>, usize) {
    h.feed_growing(t, bytes, MAX_MESSAGE + RX_OVERHEAD)
}

#[test]
fn a_message_larger_than_the_buffer_grows_it_then_it_shrinks_back() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    assert_eq!(h.client.buffer_use(t.slot()), BufferUse::default());
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    // One frame: the frame header names the size, so the first growth is straight to it.
    let (events, growths) = feed_growing(&mut h, t, &binary(&payload));
    assert_eq!(events, [Ev::Binary(payload.clone())]);
    assert_eq!(growths, 1);
    // In many frames: doubling, so a logarithmic number of growths.
    resize(&mut h, t, SMALL, SMALL).unwrap();
    let mut wire = Vec::new();
    for (i, chunk) in payload.chunks(500).enumerate() {
        let last = (i + 1) * 500 >= payload.len();
        wire.extend(frame(if i == 0 { OP_BINARY } else { OP_CONT }, last, chunk));
    }
    let (events, growths) = feed_growing(&mut h, t, &wire);
    assert_eq!(events, [Ev::Binary(payload)]);
    assert!((1..=9).contains(&growths), "{growths} growths");
    // Back to idle: nothing in use, and a small buffer serves small messages again.
    assert_eq!(h.client.buffer_use(t.slot()), BufferUse::default());
    resize(&mut h, t, SMALL, SMALL).unwrap();
    assert_eq!(lens(&h, t), (SMALL, SMALL));
    assert_eq!(feed_growing(&mut h, t, &text("small")), (vec![Ev::text("small")], 0));
}

#[test]
fn text_split_across_a_growth_is_still_checked_and_whole() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    let s = "é€😀".repeat(2000);
    let mut wire = frame(OP_TEXT, false, &s.as_bytes()[..5001]);
    wire.extend(frame(OP_CONT, true, &s.as_bytes()[5001..]));
    assert_eq!(feed_growing(&mut h, t, &wire).0, [Ev::Text(s)]);
    // Invalid bytes in the first fragment fail fast, before the rest arrives.
    let mut bad = vec![b'a'; 3000];
    bad[2500] = 0xFF;
    let (events, _) = feed_growing(&mut h, t, &frame(OP_TEXT, false, &bad));
    assert_eq!(events, [Ev::Error(TaskError::Protocol(ProtocolError::InvalidUtf8))]);
}

#[test]
fn the_limits_come_from_the_bounds_not_from_the_current_length() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    // Over the bound: refused from the header alone (1009), small as the buffer is.
    let wire = binary(&vec![0; MAX_MESSAGE + 1]);
    assert_eq!(h.feed(t, &wire[..10]), [Ev::Error(TaskError::Protocol(ProtocolError::MessageTooLarge))]);
    assert_eq!(h.frames(t)[0].close().unwrap().0, 1009);
    // Fixed buffers keep their own lengths as the bound: nothing ever asks for room.
    let mut fixed = Harness::with(Config::default(), 1, SMALL, SMALL);
    let t = fixed.open();
    assert_eq!(fixed.feed(t, &binary(&[7; SMALL - RX_OVERHEAD])), [Ev::Binary(vec![7; SMALL - RX_OVERHEAD])]);
    assert_eq!(fixed.client.buffer_use(t.slot()).rx_wanted, None);
    let over = binary(&[7; SMALL - RX_OVERHEAD + 1]);
    assert_eq!(fixed.feed(t, &over[..4]), [Ev::Error(TaskError::Protocol(ProtocolError::MessageTooLarge))]);
}

#[test]
fn a_send_that_does_not_fit_grows_the_send_buffer_to_the_length_asked() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    let payload = vec![9u8; 10_000];
    let refused = h.client.send(t, Message::Binary(&payload));
    assert!(matches!(refused, Err(SendError::BufferFull { required: 10_000, .. })), "{refused:?}");
    let needed = h.client.send_buffer_len_for(t, payload.len());
    resize(&mut h, t, SMALL, needed).unwrap();
    h.client.send(t, Message::Binary(&payload)).unwrap();
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].payload, payload);
    // The bound is the limit, in payload bytes, the same both ways.
    let over = vec![0u8; MAX_MESSAGE + 1];
    let refused = h.client.send(t, Message::Binary(&over));
    assert_eq!(refused, Err(SendError::MessageTooLarge { required: MAX_MESSAGE + 1, limit: MAX_MESSAGE }));
    let needed = h.client.send_buffer_len_for(t, MAX_MESSAGE);
    assert_eq!(needed, MAX_MESSAGE + TX_OVERHEAD);
    resize(&mut h, t, SMALL, needed).unwrap();
    h.client.send(t, Message::Binary(&vec![1u8; MAX_MESSAGE])).unwrap();
    assert_eq!(h.frames(t)[0].payload.len(), MAX_MESSAGE);
}

#[test]
fn queued_bytes_and_a_waiting_message_move_with_the_buffers() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    h.client.send(t, Message::Text("queued before the move")).unwrap();
    // A whole message parsed but not polled yet, and bytes behind it.
    let mut wire = text("waiting");
    wire.extend(ping(b"behind"));
    let taken = h.client.handle_input(h.now, t, &wire);
    assert_eq!(taken, wire.len());
    let usage = h.client.buffer_use(t.slot());
    assert_eq!(usage.tx, h.client.buffered_amount(t));
    assert!(usage.rx >= wire.len());
    // Too small for what is held: refused, nothing changes.
    assert!(resize(&mut h, t, MIN_BUFFER_LEN, MIN_BUFFER_LEN).is_ok());
    let refused =
        h.client.replace_buffers(t.slot(), Buffers::new(vec![0; MIN_BUFFER_LEN - 1], vec![0; 4096]));
    assert!(refused.is_err());
    resize(&mut h, t, 8192, 8192).unwrap();
    assert_eq!(h.events(t), [Ev::text("waiting")]);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0].payload, b"queued before the move");
    assert_eq!(frames[1].payload, b"behind", "the pong answers the ping parsed after the move");
}

#[test]
fn a_replacement_smaller_than_what_is_held_is_refused() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.open();
    let wire = binary(&[3; 900]);
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    let held = h.client.buffer_use(t.slot()).rx;
    assert!(held >= 900);
    assert!(resize(&mut h, t, MIN_BUFFER_LEN, SMALL).is_err());
    assert_eq!(lens(&h, t), (SMALL, SMALL));
    assert_eq!(h.events(t), [Ev::Binary(vec![3; 900])]);
}

#[test]
fn a_header_block_larger_than_the_buffer_grows_it() {
    let mut h = growable(MAX_MESSAGE);
    let t = h.connect(URL);
    let request = h.request(t);
    let cookie = format!("X-Big: {}", "c".repeat(3000));
    let response = response_101(request.key(), &[&cookie]);
    let (events, growths) = feed_growing(&mut h, t, &response);
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], Ev::Open(None)));
    assert!(growths >= 1);
    assert_eq!(h.state(t), ReadyState::Open);
}

#[test]
fn after_the_peer_close_input_is_taken_and_dropped_until_the_end() {
    let mut h = Harness::with(Config::default(), 1, SMALL, SMALL);
    let t = h.open();
    assert_eq!(h.feed(t, &close_frame(1000, "bye")), []);
    assert_eq!(h.state(t), ReadyState::Closing);
    // The transport need not know why: there is room, and what goes in is dropped.
    for _ in 0..3 {
        let space = h.client.input_buffer(t);
        assert!(!space.is_empty());
        let n = space.len();
        space.fill(0xEE);
        h.client.handle_read(h.now, t, n);
        assert_eq!(h.client.buffer_use(t.slot()).rx, 0);
    }
    assert_eq!(h.eof(t), [Ev::close(1000, "bye")]);
}
