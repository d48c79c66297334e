//! S11, "state follows event order": while the caller handles event k, the task is in the
//! state of event k. Bytes buffered behind a message (a close frame, a protocol error) take
//! effect only when the next event is polled, so a reply sent while handling the message is
//! accepted and goes out before the client's close frame (Autobahn 3.2, 3.3, 4.1.3, 4.1.4,
//! 4.2.3, 4.2.4, 5.15 expect exactly that echo).
//!
//! Every script here puts the message and what follows it in ONE read, and echoes each
//! message from inside the event loop, as an echo client does.

mod support;

use sockettask::{Event, Message, ProtocolError, ReadyState, TaskError};
use support::*;

/// How the bytes reach the client.
#[derive(Clone, Copy, Debug)]
enum Path {
    /// `handle_input` (copied in).
    Copy,
    /// `input_buffer` + `handle_read` (read in place).
    InPlace,
}

/// Writes `bytes` into the task in one read, then polls every event, echoing each message
/// from inside the loop (after checking that the task is still OPEN and that commands and
/// queries did not parse ahead). Returns the events.
fn one_read_with_echo(h: &mut Harness, t: sockettask::Handle, bytes: &[u8], path: Path) -> Vec<Ev> {
    match path {
        Path::Copy => {
            assert_eq!(h.client.handle_input(h.now, t, bytes), bytes.len(), "one read takes it all")
        }
        Path::InPlace => {
            let space = h.client.input_buffer(t);
            assert!(space.len() >= bytes.len(), "one read fits");
            space[..bytes.len()].copy_from_slice(bytes);
            h.client.handle_read(h.now, t, bytes.len());
        }
    }
    let mut events = Vec::new();
    while let Some((from, event)) = h.client.poll_event() {
        assert_eq!(from, t);
        let ev = Ev::from_event(&event);
        let reply: Option<(bool, Vec<u8>)> = match event {
            Event::Message(Message::Text(text)) => Some((true, text.as_bytes().to_vec())),
            Event::Message(Message::Binary(bytes)) => Some((false, bytes.to_vec())),
            _ => None,
        };
        if let Some((is_text, payload)) = reply {
            // The state of this event, whatever is buffered behind it; queries and the
            // in-place read buffer must not parse ahead.
            assert_eq!(h.client.ready_state(t), ReadyState::Open, "while handling {ev:?}");
            let queued = h.client.buffered_amount(t);
            let _ = h.client.input_buffer(t);
            assert_eq!(h.client.buffered_amount(t), queued, "input_buffer parsed ahead");
            assert_eq!(h.client.ready_state(t), ReadyState::Open, "input_buffer parsed ahead");
            let message = if is_text {
                Message::Text(std::str::from_utf8(&payload).unwrap())
            } else {
                Message::Binary(&payload)
            };
            assert_eq!(h.client.send(t, message), Ok(()), "echo of {ev:?} refused");
            assert_eq!(h.client.ready_state(t), ReadyState::Open, "send parsed ahead");
        }
        events.push(ev);
    }
    events
}

/// The client's frames: every echo, then exactly one close frame with `code`.
fn assert_echoes_then_close(h: &mut Harness, t: sockettask::Handle, echoes: &[(u8, &[u8])], code: u16) {
    let frames = h.frames(t);
    let got: Vec<(u8, Vec<u8>)> = frames.iter().map(|f| (f.opcode, f.payload.clone())).collect();
    let mut want: Vec<(u8, Vec<u8>)> = echoes.iter().map(|(op, p)| (*op, p.to_vec())).collect();
    let close = frames.last().and_then(|f| f.close());
    want.push((OP_CLOSE, got.last().map(|f| f.1.clone()).unwrap_or_default()));
    assert_eq!(got, want, "echoes first, then the close frame");
    assert_eq!(close.map(|c| c.0), Some(code));
}

fn protocol(e: ProtocolError) -> Ev {
    Ev::Error(TaskError::Protocol(e))
}

fn for_both_paths(script: impl Fn(Path)) {
    script(Path::Copy);
    script(Path::InPlace);
}

#[test]
fn text_then_close_frame() {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.open();
        let wire = [text("last words"), close_frame(1000, "bye")].concat();
        assert_eq!(one_read_with_echo(&mut h, t, &wire, path), [Ev::text("last words")]);
        assert_eq!(h.state(t), ReadyState::Closing);
        assert_echoes_then_close(&mut h, t, &[(OP_TEXT, b"last words")], 1000);
        assert_eq!(h.eof(t), [Ev::close(1000, "bye")]);
    });
}

#[test]
fn binary_then_close_frame_without_code() {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.open();
        let wire = [binary(&[1, 2, 3]), frame(OP_CLOSE, true, &[])].concat();
        assert_eq!(one_read_with_echo(&mut h, t, &wire, path), [Ev::Binary(vec![1, 2, 3])]);
        let frames = h.frames(t);
        assert_eq!(frames.len(), 2);
        assert_eq!((frames[0].opcode, frames[0].payload.as_slice()), (OP_BINARY, &[1u8, 2, 3][..]));
        assert_eq!(
            (frames[1].opcode, frames[1].payload.len()),
            (OP_CLOSE, 0),
            "an empty close is echoed empty"
        );
        assert_eq!(h.eof(t), [Ev::close(1005, "")]);
    });
}

/// A message, then a frame that fails the connection with `error`: the echo goes out before
/// the client's close frame with the error's code, and the events come in wire order.
fn message_then_failure(bad: &[u8], error: ProtocolError, code: u16) {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.open();
        let wire = [text("before"), bad.to_vec()].concat();
        let events = one_read_with_echo(&mut h, t, &wire, path);
        assert_eq!(events, [Ev::text("before"), protocol(error)], "{path:?}");
        assert_echoes_then_close(&mut h, t, &[(OP_TEXT, b"before")], code);
        // The close frame is out: the connection is failed.
        assert_eq!(h.events(t), [Ev::close(code, error.reason())]);
        assert_eq!(h.state(t), ReadyState::Closed);
    });
}

#[test]
fn message_then_rsv_bits() {
    message_then_failure(&[0x81 | 0x40, 0x00], ProtocolError::ReservedBits, 1002);
}

#[test]
fn message_then_reserved_opcode() {
    message_then_failure(&[0x83, 0x00], ProtocolError::ReservedOpcode(3), 1002);
}

#[test]
fn message_then_continuation_with_nothing_to_continue() {
    message_then_failure(&frame(OP_CONT, true, b"x"), ProtocolError::UnexpectedContinuation, 1002);
}

#[test]
fn message_then_invalid_utf8_in_the_next_message() {
    message_then_failure(&frame(OP_TEXT, true, &[b'o', b'k', 0xFF, 0xFE]), ProtocolError::InvalidUtf8, 1007);
}

#[test]
fn message_then_invalid_utf8_in_the_next_fragmented_message() {
    // The bad byte is in the first fragment: it fails there, before the message is whole.
    let bad = [frame(OP_TEXT, false, &[0xC0, 0xAF]), frame(OP_CONT, true, b"never")].concat();
    message_then_failure(&bad, ProtocolError::InvalidUtf8, 1007);
}

#[test]
fn fragmented_message_then_bad_frame() {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.open();
        let wire = [
            frame(OP_TEXT, false, b"frag"),
            ping(b"p"),
            frame(OP_CONT, false, b"men"),
            frame(OP_CONT, true, b"ted"),
            vec![0x82 | 0x20, 0x00], // RSV3
        ]
        .concat();
        let events = one_read_with_echo(&mut h, t, &wire, path);
        assert_eq!(events, [Ev::text("fragmented"), protocol(ProtocolError::ReservedBits)]);
        let frames = h.frames(t);
        let kinds: Vec<u8> = frames.iter().map(|f| f.opcode).collect();
        assert_eq!(kinds, [OP_PONG, OP_TEXT, OP_CLOSE], "pong as parsed, the echo, then the close");
        assert_eq!(frames[1].payload, b"fragmented");
        assert_eq!(frames[2].close().map(|c| c.0), Some(1002));
    });
}

#[test]
fn two_messages_then_close_are_each_answered() {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.open();
        let wire = [text("one"), ping(b"between"), binary(b"two"), close_frame(4000, "done")].concat();
        let events = one_read_with_echo(&mut h, t, &wire, path);
        assert_eq!(events, [Ev::text("one"), Ev::Binary(b"two".to_vec())]);
        let frames = h.frames(t);
        let got: Vec<(u8, &[u8])> = frames.iter().map(|f| (f.opcode, f.payload.as_slice())).collect();
        assert_eq!(&got[..3], [(OP_TEXT, &b"one"[..]), (OP_PONG, b"between"), (OP_BINARY, b"two")]);
        assert_eq!(frames[3].close(), Some((4000, String::new())));
        assert_eq!(h.eof(t), [Ev::close(4000, "done")]);
    });
}

#[test]
fn handshake_message_and_close_in_one_read() {
    for_both_paths(|path| {
        let mut h = Harness::new();
        let t = h.connect(URL);
        let request = h.request(t);
        let wire = [response_101(request.key(), &[]), text("welcome"), close_frame(1001, "going")].concat();
        let events = one_read_with_echo(&mut h, t, &wire, path);
        assert_eq!(events, [Ev::Open(None), Ev::text("welcome")]);
        assert_echoes_then_close(&mut h, t, &[(OP_TEXT, b"welcome")], 1001);
        assert_eq!(h.eof(t), [Ev::close(1001, "going")]);
    });
}

#[test]
fn close_from_inside_the_message_handler_is_the_clients_close() {
    // The peer's close sits behind the message; the client closes first while handling the
    // message, so its close frame carries its own code, and the peer's close then completes
    // the handshake.
    let mut h = Harness::new();
    let t = h.open();
    let wire = [text("m"), close_frame(1000, "")].concat();
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    let Some((_, Event::Message(_))) = h.client.poll_event() else { panic!("message first") };
    assert_eq!(h.client.close(h.now, t, Some(sockettask::CloseCode(4100)), "mine"), Ok(()));
    assert_eq!(h.client.ready_state(t), ReadyState::Closing);
    assert!(h.client.poll_event().is_none(), "the peer's close makes no event by itself");
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1, "no second close frame in reply");
    assert_eq!(frames[0].close(), Some((4100, "mine".to_owned())));
    assert_eq!(h.eof(t), [Ev::close(1000, "")]);
}

#[test]
fn eof_behind_a_message_waits_for_it() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.client.handle_input(h.now, t, &text("m")), 3);
    h.client.handle_eof(h.now, t);
    assert_eq!(h.client.ready_state(t), ReadyState::Open, "the message is not polled yet");
    let Some((_, Event::Message(_))) = h.client.poll_event() else { panic!("message first") };
    assert_eq!(h.client.send(t, Message::Text("reply")), Ok(()));
    assert_eq!(h.events(t), [Ev::abnormal()]);
}

#[test]
fn fail_fast_utf8_is_the_same_whatever_the_chunking() {
    // Invalid UTF-8 in a fragment under way fails the connection before anything after the
    // fragment takes effect (a bad frame, a ping, the peer's close), in one read or split at
    // any byte. Found by the frame_decode fuzz target (chunked and whole runs disagreed).
    let after: [Vec<u8>; 3] = [vec![0x83, 0x00], ping(b"p"), close_frame(1000, "")];
    for tail in after {
        let wire = [frame(OP_TEXT, false, &[b'a', 0xFF]), tail].concat();
        for split in 0..=wire.len() {
            let mut h = Harness::new();
            let t = h.open();
            let events = h.feed_chunks(t, &wire, &[split]);
            assert_eq!(events, [protocol(ProtocolError::InvalidUtf8)], "split at {split}: {wire:x?}");
            let frames = h.frames(t);
            assert_eq!(frames.len(), 1, "only the close frame, no pong: {frames:?}");
            assert_eq!(frames[0].close().map(|c| c.0), Some(1007));
        }
    }
}

// ---- timers behind events ----------------------------------------------------------------

/// The close timeout expiring while a message waits to be polled does not overtake it: the
/// message is handed out in CLOSING, then `onClose { 1006 }` in CLOSED (found by the
/// `socket_task` fuzz target: the timer took effect at once and the message came in CLOSED).
#[test]
fn close_timeout_behind_a_waiting_message_takes_effect_after_it() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    assert_eq!(h.frames(t)[0].close(), Some((1000, String::new())));
    let wire = text("late");
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    let due = h.client.poll_timeout().expect("the close timer");
    h.now = due;
    h.client.handle_timeout(due);
    assert_eq!(h.client.poll_timeout(), None, "the timer fired");
    let mut seen = Vec::new();
    while let Some((from, event)) = h.client.poll_event() {
        assert_eq!(from, t);
        let ev = Ev::from_event(&event);
        seen.push((ev, h.client.ready_state(t)));
    }
    assert_eq!(seen, [(Ev::text("late"), ReadyState::Closing), (Ev::abnormal(), ReadyState::Closed)]);
}

/// The same for a failed connection whose close frame never goes out: its error comes in
/// CLOSING, and the close timeout's `onClose` after it.
#[test]
fn close_timeout_behind_a_waiting_error_takes_effect_after_it() {
    let mut h = Harness::new();
    let t = h.open();
    let wire = frame(0x3, true, b"");
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    let due = h.client.poll_timeout().expect("the close timer of the failed connection");
    h.now = due;
    h.client.handle_timeout(due);
    let mut seen = Vec::new();
    while let Some((_, event)) = h.client.poll_event() {
        seen.push((Ev::from_event(&event), h.client.ready_state(t)));
    }
    let error = ProtocolError::ReservedOpcode(3);
    assert_eq!(
        seen,
        [
            (Ev::Error(TaskError::Protocol(error)), ReadyState::Closing),
            (Ev::close(1002, error.reason()), ReadyState::Closed)
        ]
    );
}
