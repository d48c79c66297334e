//! Limits: what the server may send (S20, each failing with 1009) and what the client may
//! queue (S14: refused with a clear error, never dropped).

mod support;

use sockettask::{
    CONTROL_FRAME_MAX, Config, DATA_RESERVE, Limits, Message, ProtocolError, RX_OVERHEAD, ReadyState,
    SendError, TaskError,
};
use support::*;

fn limited(limits: Limits) -> (Harness, sockettask::Handle) {
    let mut h = Harness::with_config(Config { limits, ..Config::default() });
    let t = h.open();
    (h, t)
}

/// The error at once, then a close frame with 1009, then onClose 1009.
fn assert_too_big(h: &mut Harness, t: sockettask::Handle, wire: &[u8], error: ProtocolError) {
    assert_eq!(h.feed(t, wire), [Ev::Error(TaskError::Protocol(error))]);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].close(), Some((1009, error.reason().to_string())));
    assert_eq!(h.events(t), [Ev::Close(1009, error.reason().to_string())]);
}

// ---- received (S20) ------------------------------------------------------------------------

#[test]
fn frame_size_limit() {
    let (mut h, t) = limited(Limits { max_frame_size: 100, ..Limits::default() });
    assert_eq!(h.feed(t, &binary(&[1; 100])), [Ev::Binary(vec![1; 100])]);
    // Refused from the header alone: the payload need not arrive.
    let wire = binary(&[1; 101]);
    assert_too_big(&mut h, t, &wire[..4], ProtocolError::FrameTooLarge);
}

#[test]
fn frame_size_limit_applies_to_each_fragment() {
    let (mut h, t) = limited(Limits { max_frame_size: 10, ..Limits::default() });
    let mut wire = frame(OP_TEXT, false, b"0123456789");
    wire.extend(frame(OP_CONT, true, b"0123456789"));
    assert_eq!(h.feed(t, &wire), [Ev::text("01234567890123456789")]);
    let mut wire = frame(OP_TEXT, false, b"0123456789");
    wire.extend(frame(OP_CONT, true, b"0123456789X"));
    assert_too_big(&mut h, t, &wire, ProtocolError::FrameTooLarge);
}

#[test]
fn message_size_limit() {
    let (mut h, t) = limited(Limits { max_message_size: 20, ..Limits::default() });
    assert_eq!(h.feed(t, &text(&"m".repeat(20))), [Ev::Text("m".repeat(20))]);
    let mut wire = frame(OP_BINARY, false, &[0; 15]);
    wire.extend(frame(OP_CONT, false, &[0; 5]));
    wire.extend(frame(OP_CONT, true, &[0; 1]));
    assert_too_big(&mut h, t, &wire, ProtocolError::MessageTooLarge);
}

#[test]
fn receive_buffer_bounds_the_message() {
    let mut h = Harness::new();
    let t = h.open();
    let limit = RX_LEN - RX_OVERHEAD;
    let wire = binary(&vec![0; limit + 1]);
    assert_too_big(&mut h, t, &wire[..4], ProtocolError::MessageTooLarge);
    // Also when the excess comes in a later fragment.
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = frame(OP_BINARY, false, &vec![0; limit]);
    wire.extend(frame(OP_CONT, true, &[0]));
    assert_too_big(&mut h, t, &wire, ProtocolError::MessageTooLarge);
}

#[test]
fn fragment_count_limit() {
    let (mut h, t) = limited(Limits { max_fragments: 3, ..Limits::default() });
    let mut wire = frame(OP_TEXT, false, b"a");
    wire.extend(frame(OP_CONT, false, b"b"));
    wire.extend(ping(b"not a fragment"));
    wire.extend(frame(OP_CONT, true, b"c"));
    assert_eq!(h.feed(t, &wire), [Ev::text("abc")]);
    assert_eq!(h.frames(t)[0].payload, b"not a fragment");
    let mut wire = frame(OP_TEXT, false, b"a");
    for _ in 0..2 {
        wire.extend(frame(OP_CONT, false, b"b"));
    }
    wire.extend(frame(OP_CONT, true, b"c"));
    assert_too_big(&mut h, t, &wire, ProtocolError::TooManyFragments);
}

#[test]
fn limits_apply_per_message() {
    let (mut h, t) = limited(Limits { max_message_size: 10, max_fragments: 2, ..Limits::default() });
    for _ in 0..50 {
        let mut wire = frame(OP_BINARY, false, &[1; 5]);
        wire.extend(frame(OP_CONT, true, &[2; 5]));
        assert_eq!(h.feed(t, &wire), [Ev::Binary([[1; 5], [2; 5]].concat())]);
    }
}

// ---- sent (S14) ----------------------------------------------------------------------------

#[test]
fn send_buffer_full_loses_nothing() {
    let tx = 1024;
    let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
    let t = h.open();
    let limit = tx - DATA_RESERVE;
    let a = vec![0xAA; 500];
    h.client.send(t, Message::Binary(&a)).unwrap();
    let queued = h.client.buffered_amount(t);
    assert_eq!(queued, 4 + 4 + 500);
    let err = h.client.send(t, Message::Binary(&a)).unwrap_err();
    assert_eq!(err, SendError::BufferFull { required: 508, available: limit - 508 });
    assert_eq!(err.err_msg().to_string(), "SocketTask.send:fail buffer is full");
    assert_eq!(h.client.buffered_amount(t), queued, "a refused send changes nothing");
    assert_eq!(h.state(t), ReadyState::Open);
    // Drain part of it: still full; drain all: the send goes through, and nothing was lost.
    let mut out = [0u8; 100];
    h.client.poll_transmit(t, h.now, &mut out);
    assert!(matches!(h.client.send(t, Message::Binary(&a)), Err(SendError::BufferFull { .. })));
    let mut wire = out.to_vec();
    wire.extend(h.take_tx(t));
    h.client.send(t, Message::Text("after")).unwrap();
    h.client.send(t, Message::Binary(&a)).unwrap();
    wire.extend(h.take_tx(t));
    let payloads: Vec<Vec<u8>> = decode_client_frames(&wire).into_iter().map(|f| f.payload).collect();
    assert_eq!(payloads, [a.clone(), b"after".to_vec(), a]);
}

#[test]
fn message_too_large_for_the_send_buffer() {
    let tx = 1024;
    let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
    let t = h.open();
    let limit = tx - DATA_RESERVE;
    let fits = vec![0; limit - 8];
    let too_big = vec![0; limit - 7];
    let err = h.client.send(t, Message::Binary(&too_big)).unwrap_err();
    assert_eq!(err, SendError::MessageTooLarge { required: limit + 1, limit });
    assert_eq!(err.err_msg().to_string(), "SocketTask.send:fail message is too large");
    assert_eq!(h.client.buffered_amount(t), 0);
    h.client.send(t, Message::Binary(&fits)).unwrap();
    assert_eq!(h.client.buffered_amount(t), limit);
    assert_eq!(h.client.ping(t, &[0; 126]), Err(SendError::MessageTooLarge { required: 126, limit: 125 }));
}

/// The reserve keeps room for a pong and a close even when data fills its share.
#[test]
fn control_frames_fit_a_full_send_buffer() {
    let tx = 1024;
    let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
    let t = h.open();
    h.client.send(t, Message::Binary(&vec![1; tx - DATA_RESERVE - 8])).unwrap();
    h.feed(t, &ping(&[9; 125]));
    h.client.close(t, Some(sockettask::CloseCode(3000)), &"r".repeat(123), h.now).unwrap();
    assert_eq!(h.client.buffered_amount(t), tx - DATA_RESERVE + 2 * CONTROL_FRAME_MAX);
    let frames = h.frames(t);
    assert_eq!(frames.iter().map(|f| f.opcode).collect::<Vec<_>>(), [OP_BINARY, OP_PONG, OP_CLOSE]);
    assert_eq!(frames[1].payload, [9; 125]);
    assert_eq!(frames[2].close(), Some((3000, "r".repeat(123))));
}

/// A pong that does not fit waits until the driver has written.
#[test]
fn pong_waits_for_room() {
    let tx = 1024;
    let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
    let t = h.open();
    h.client.send(t, Message::Binary(&vec![1; tx - DATA_RESERVE - 8])).unwrap();
    h.feed(t, &ping(b"first"));
    h.feed(t, &ping(&[2; 125]));
    let sent: Vec<_> = h.frames(t).into_iter().map(|f| (f.opcode, f.payload)).collect();
    assert_eq!(sent[1..], [(OP_PONG, b"first".to_vec())]);
    let sent: Vec<_> = h.frames(t).into_iter().map(|f| (f.opcode, f.payload)).collect();
    assert_eq!(sent, [(OP_PONG, vec![2; 125])], "sent once there is room");
    assert!(h.take_tx(t).is_empty());
}

/// RFC 6455 §5.5.3 lets a client answer only the most recent of several pings; it must not
/// answer an older ping after a newer one.
#[test]
fn pongs_are_never_sent_out_of_order() {
    let tx = 1024;
    let mut h = Harness::with(Config::default(), 1, RX_LEN, tx);
    let t = h.open();
    h.client.send(t, Message::Binary(&vec![1; tx - DATA_RESERVE - 8])).unwrap();
    h.feed(t, &ping(b"1"));
    h.feed(t, &ping(&[2; 125])); // does not fit now
    h.feed(t, &ping(b"3")); // fits
    let mut sent: Vec<_> = h.frames(t).into_iter().map(|f| (f.opcode, f.payload)).collect();
    sent.extend(h.frames(t).into_iter().map(|f| (f.opcode, f.payload)));
    assert_eq!(sent[1..], [(OP_PONG, b"1".to_vec()), (OP_PONG, b"3".to_vec())]);
}

#[test]
fn send_outside_open_fails_and_changes_nothing() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let queued = h.client.buffered_amount(t);
    let err = h.client.send(t, Message::Text("early")).unwrap_err();
    assert_eq!(err, SendError::NotOpen(ReadyState::Connecting));
    assert_eq!(err.err_msg().to_string(), "SocketTask.send:fail SocketTask.readyState is not OPEN");
    assert_eq!(h.client.ping(t, b""), Err(SendError::NotOpen(ReadyState::Connecting)));
    assert_eq!(h.client.buffered_amount(t), queued);
    assert_eq!(h.state(t), ReadyState::Connecting);
    let key = h.request(t).key().to_owned();
    assert_eq!(h.feed(t, &response_101(&key, &[])), [Ev::Open(None)]);
    h.client.close(t, None, "", h.now).unwrap();
    let closing = h.client.buffered_amount(t);
    assert_eq!(h.client.send(t, Message::Binary(b"late")), Err(SendError::NotOpen(ReadyState::Closing)));
    assert_eq!(h.client.buffered_amount(t), closing);
    assert_eq!(h.frames(t).len(), 1, "only the close frame");
}
