//! OPEN: messages in (whole, zero-copy, fragmented, pings between fragments), pongs out,
//! UTF-8 (S18), frame-level protocol errors (S17, S19) and what the client sends (S14, S17).

mod support;

use sockettask::{CloseCode, Message, ProtocolError, RX_OVERHEAD, ReadyState, TaskError};
use support::*;

/// The events of a connection failed with `error`: the error at once, the close frame
/// carrying its code and its words, and `onClose` with them once that frame is written.
fn assert_fails(h: &mut Harness, t: sockettask::Handle, wire: &[u8], error: ProtocolError) {
    assert_eq!(h.feed(t, wire), [Ev::Error(TaskError::Protocol(error))], "{wire:02x?}");
    assert_eq!(h.state(t), ReadyState::Closing);
    assert_eq!(
        h.client.send(t, Message::Text("x")),
        Err(sockettask::SendError::NotOpen(ReadyState::Closing))
    );
    let reason = error.reason().to_string();
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0].close(), Some((error.close_code().0, reason.clone())));
    assert_eq!(h.events(t), [Ev::Close(error.close_code().0, reason)]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.feed(t, &text("after")), [], "nothing after close");
}

fn fails_with(wire: &[u8], error: ProtocolError) {
    let mut h = Harness::new();
    let t = h.open();
    assert_fails(&mut h, t, wire, error);
}

// ---- messages in ---------------------------------------------------------------------------

#[test]
fn text_and_binary_messages() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &text("hello")), [Ev::text("hello")]);
    assert_eq!(h.feed(t, &binary(&[0, 0xFF, 7])), [Ev::Binary(vec![0, 0xFF, 7])]);
    assert_eq!(h.feed(t, &text("")), [Ev::text("")]);
    assert_eq!(h.feed(t, &binary(&[])), [Ev::Binary(vec![])]);
    assert_eq!(h.feed(t, &text("κόσμε 🎉")), [Ev::text("κόσμε 🎉")]);
    let big = "x".repeat(300);
    assert_eq!(h.feed(t, &text(&big)), [Ev::Text(big)], "16-bit length");
    assert_eq!(h.feed(t, &pong(b"unsolicited")), [], "pongs are ignored");
    assert!(h.take_tx(t).is_empty(), "nothing to answer");
}

#[test]
fn messages_are_handed_out_in_place() {
    // Caller-owned buffers borrowed by the client, to see where the message lives.
    let mut rx = vec![0u8; 2048];
    let mut tx = vec![0u8; 2048];
    let rx_range = rx.as_ptr_range();
    let storage = [sockettask::Buffers::new(&mut rx[..], &mut tx[..])];
    let mut client: sockettask::Client<&mut [u8], TestRng, 1> =
        sockettask::Client::new(sockettask::Config::default(), TestRng::new(1), storage).unwrap();
    let now = START;
    let t = client.connect_socket(now, &sockettask::ConnectOptions::new(URL)).unwrap();
    let request = parse_request(client.transmit_data(t));
    client.advance_transmit(now, t, request.len);
    let mut wire = response_101(request.key(), &[]);
    wire.extend(binary(b"zero-copy"));
    assert_eq!(client.handle_input(now, t, &wire), wire.len());
    assert!(matches!(client.poll_event(), Some((_, sockettask::Event::Open(_)))));
    let (_, event) = client.poll_event().unwrap();
    let sockettask::Event::Message(Message::Binary(data)) = event else { panic!("{event:?}") };
    assert_eq!(data, b"zero-copy");
    assert!(rx_range.contains(&data.as_ptr()), "the message is a slice of the caller's receive buffer");
}

#[test]
fn message_filling_the_receive_buffer_up_to_the_limit() {
    let limit = RX_LEN - RX_OVERHEAD;
    for size in [limit - 1, limit] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut h = Harness::new();
        let t = h.open();
        assert_eq!(h.feed(t, &binary(&payload)), [Ev::Binary(payload.clone())], "{size}");
        // And again, arriving together with the response.
        let mut h = Harness::new();
        let t = h.connect(URL);
        let key = h.request(t).key().to_owned();
        let long_header = format!("X-Long: {}", "h".repeat(500));
        let mut wire = response_101(&key, &[&long_header]);
        wire.extend(binary(&payload));
        wire.extend(text("next"));
        assert_eq!(h.feed(t, &wire), [Ev::Open(None), Ev::Binary(payload.clone()), Ev::text("next")]);
    }
}

#[test]
fn message_larger_than_the_first_read() {
    let mut h = Harness::new();
    let t = h.open();
    let msg = "ab".repeat(1000);
    let wire = text(&msg);
    assert!(h.feed(t, &wire[..100]).is_empty());
    assert!(h.feed(t, &wire[100..1500]).is_empty());
    assert_eq!(h.feed(t, &wire[1500..]), [Ev::Text(msg)]);
}

#[test]
fn many_small_messages_in_one_input() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..2000 {
        let s = format!("message {i}");
        wire.extend(text(&s));
        expected.push(Ev::Text(s));
    }
    assert!(wire.len() > 4 * RX_LEN, "more than the buffer holds");
    // One message at a time: the client takes what it can, the driver polls, then offers the
    // rest (the back-pressure contract).
    let first = h.client.handle_input(h.now, t, &wire);
    assert!(first <= RX_LEN, "the client takes at most what its buffer holds");
    let (_, event) = h.client.poll_event().unwrap();
    assert!(matches!(event, sockettask::Event::Message(Message::Text("message 0"))));
    let mut events = vec![Ev::text("message 0")];
    events.extend(h.feed(t, &wire[first..]));
    assert_eq!(events, expected);
}

#[test]
fn many_small_messages_in_place() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..500 {
        let s = "y".repeat(i % 40);
        wire.extend(binary(s.as_bytes()));
        expected.push(Ev::Binary(s.into_bytes()));
    }
    assert_eq!(h.feed_read(t, &wire), expected);
}

#[test]
fn fragmented_message_with_pings_between() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = frame(OP_TEXT, false, b"Hel");
    wire.extend(ping(b"one"));
    wire.extend(frame(OP_CONT, false, b"lo, "));
    wire.extend(ping(b""));
    wire.extend(pong(b"ignored"));
    wire.extend(frame(OP_CONT, true, b"world"));
    wire.extend(frame(OP_BINARY, false, &[1]));
    wire.extend(frame(OP_CONT, false, &[]));
    wire.extend(frame(OP_CONT, true, &[2, 3]));
    assert_eq!(h.feed(t, &wire), [Ev::text("Hello, world"), Ev::Binary(vec![1, 2, 3])]);
    let pongs = h.frames(t);
    assert_eq!(
        pongs.iter().map(|f| (f.opcode, f.fin, f.payload.clone())).collect::<Vec<_>>(),
        [(OP_PONG, true, b"one".to_vec()), (OP_PONG, true, vec![]),]
    );
}

#[test]
fn ping_is_answered_with_the_same_payload() {
    let mut h = Harness::new();
    let t = h.open();
    let payload: Vec<u8> = (0..125).collect();
    assert_eq!(h.feed(t, &ping(&payload)), []);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].opcode, OP_PONG);
    assert!(frames[0].fin);
    assert_eq!(frames[0].rsv, 0);
    assert_eq!(frames[0].payload, payload);
    assert_eq!(h.state(t), ReadyState::Open);
}

/// An idle connection the server keeps alive with pings (and pongs) only: the control frames
/// must not fill the receive buffer up.
#[test]
fn long_run_of_control_frames_without_messages() {
    let mut h = Harness::new();
    let t = h.open();
    let payload = [0x55u8; 100];
    for i in 0..200 {
        let wire = if i % 2 == 0 { ping(&payload) } else { pong(&payload) };
        assert_eq!(h.feed(t, &wire), [], "frame {i}");
        assert_eq!(h.take_tx(t).len(), if i % 2 == 0 { 6 + 100 } else { 0 }, "frame {i}");
    }
    assert_eq!(h.feed(t, &text("still here")), [Ev::text("still here")]);
}

/// A message of the largest size the buffer allows, in many small fragments with pings
/// between: the frame headers and pings around the fragments must not eat the buffer.
#[test]
fn largest_message_in_many_fragments() {
    let limit = RX_LEN - RX_OVERHEAD;
    let payload: Vec<u8> = (0..limit).map(|i| (i % 256) as u8).collect();
    let pieces: Vec<&[u8]> = payload.chunks(7).collect();
    let mut wire = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let op = if i == 0 { OP_BINARY } else { OP_CONT };
        wire.extend(frame(op, i == pieces.len() - 1, piece));
        if i % 10 == 0 {
            wire.extend(ping(b"keepalive"));
        }
    }
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &wire), [Ev::Binary(payload.clone())]);
    assert_eq!(h.frames(t).len(), pieces.len().div_ceil(10));
    // Byte by byte too.
    let mut h = Harness::new();
    let t = h.open();
    let mut events = Vec::new();
    for b in wire.chunks(1) {
        events.extend(h.feed(t, b));
    }
    assert_eq!(events, [Ev::Binary(payload)]);
}

// ---- UTF-8 (S18) ---------------------------------------------------------------------------

#[test]
fn invalid_utf8_anywhere_fails_with_1007() {
    for bytes in [&[0xFF, b'a', b'b'][..], b"ab\xC0\xAFcd", b"abc\xED\xA0\x80", b"abc\xF5", b"abc\xE2\x82"] {
        fails_with(&frame(OP_TEXT, true, bytes), ProtocolError::InvalidUtf8);
    }
}

#[test]
fn invalid_utf8_across_fragments() {
    // "€" split across three fragments is fine.
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = frame(OP_TEXT, false, b"\xE2");
    wire.extend(frame(OP_CONT, false, b"\x82"));
    wire.extend(frame(OP_CONT, true, b"\xAC"));
    assert_eq!(h.feed(t, &wire), [Ev::text("€")]);
    // A character started in one fragment and broken in the next is not.
    let mut wire = frame(OP_TEXT, false, b"ok\xE2");
    wire.extend(frame(OP_CONT, true, b"A"));
    fails_with(&wire, ProtocolError::InvalidUtf8);
    // Nor one left unfinished at the final fragment.
    let mut wire = frame(OP_TEXT, false, b"ok");
    wire.extend(frame(OP_CONT, true, b"\xF0\x9F\x8E"));
    fails_with(&wire, ProtocolError::InvalidUtf8);
}

/// Fail fast: the error comes from the input call that delivers the bad byte, long before the
/// message's final frame.
#[test]
fn invalid_utf8_is_reported_as_soon_as_it_arrives() {
    // Inside one frame whose payload has not all arrived.
    let mut h = Harness::new();
    let t = h.open();
    let wire = frame(OP_TEXT, true, &[b"valid start ".as_slice(), &[0xFF], &[b'z'; 200]].concat());
    assert_eq!(h.feed(t, &wire[..4 + 12]), [], "valid so far");
    assert_eq!(
        h.feed(t, &wire[4 + 12..4 + 13]),
        [Ev::Error(TaskError::Protocol(ProtocolError::InvalidUtf8))]
    );
    assert_eq!(h.frames(t)[0].close().unwrap().0, 1007);
    // In a non-final fragment.
    let mut h = Harness::new();
    let t = h.open();
    let first = frame(OP_TEXT, false, b"abc\xC3\x28");
    assert_eq!(h.feed(t, &first), [Ev::Error(TaskError::Protocol(ProtocolError::InvalidUtf8))]);
    assert_eq!(h.events(t), []);
    assert_eq!(h.frames(t)[0].close().unwrap().0, 1007);
    assert_eq!(h.events(t), [Ev::Close(1007, ProtocolError::InvalidUtf8.reason().to_string())]);
}

#[test]
fn binary_messages_are_not_checked_for_utf8() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &binary(&[0xFF, 0xC0])), [Ev::Binary(vec![0xFF, 0xC0])]);
}

// ---- frame-level protocol errors (S17, S19) ------------------------------------------------

#[test]
fn masked_server_frame_fails() {
    fails_with(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2], ProtocolError::MaskedFrame);
}

#[test]
fn reserved_bits_fail() {
    for rsv in [0x40, 0x20, 0x10] {
        fails_with(&[0x81 | rsv, 0x01, b'a'], ProtocolError::ReservedBits);
    }
}

#[test]
fn reserved_opcodes_fail() {
    for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        fails_with(&[0x80 | op, 0x00], ProtocolError::ReservedOpcode(op));
    }
}

#[test]
fn control_frames_must_be_whole_and_short() {
    fails_with(&frame(OP_PING, false, b"x"), ProtocolError::FragmentedControl);
    fails_with(&frame(OP_CLOSE, false, &[]), ProtocolError::FragmentedControl);
    fails_with(&frame(OP_PING, true, &[0; 126]), ProtocolError::ControlTooLong);
    fails_with(&frame(OP_PONG, true, &[0; 200]), ProtocolError::ControlTooLong);
}

#[test]
fn fragmentation_rules() {
    fails_with(&frame(OP_CONT, true, b"x"), ProtocolError::UnexpectedContinuation);
    let mut wire = frame(OP_TEXT, false, b"a");
    wire.extend(frame(OP_TEXT, true, b"b"));
    fails_with(&wire, ProtocolError::ExpectedContinuation);
    let mut wire = frame(OP_BINARY, false, b"a");
    wire.extend(frame(OP_BINARY, true, b"b"));
    fails_with(&wire, ProtocolError::ExpectedContinuation);
    // A continuation after a finished message.
    let mut wire = text("done");
    wire.extend(frame(OP_CONT, true, b"x"));
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &wire[..6]), [Ev::text("done")]);
    assert_fails(&mut h, t, &wire[6..], ProtocolError::UnexpectedContinuation);
}

#[test]
fn lengths_must_be_minimal_and_63_bit() {
    fails_with(&[0x82, 126, 0, 125], ProtocolError::NonMinimalLength);
    fails_with(&[0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], ProtocolError::NonMinimalLength);
    fails_with(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1], ProtocolError::LengthOverflow);
}

#[test]
fn close_payload_rules() {
    fails_with(&frame(OP_CLOSE, true, &[0x03]), ProtocolError::InvalidClosePayload);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        fails_with(&close_frame(code, ""), ProtocolError::InvalidCloseCode(CloseCode(code)));
    }
    // S18 "A close reason must be UTF-8 too": an invalid one fails like invalid text (1007).
    fails_with(&frame(OP_CLOSE, true, b"\x03\xE8bad \xFF"), ProtocolError::InvalidUtf8);
}

#[test]
fn protocol_error_close_codes() {
    assert_eq!(ProtocolError::MaskedFrame.close_code(), CloseCode::PROTOCOL_ERROR);
    assert_eq!(ProtocolError::InvalidCloseCode(CloseCode(0)).close_code(), CloseCode::PROTOCOL_ERROR);
    assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
    assert_eq!(ProtocolError::FrameTooLarge.close_code(), CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn error_after_good_messages_keeps_them() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = text("one");
    wire.extend(binary(b"two"));
    wire.extend([0x83, 0x00]);
    wire.extend(text("never"));
    let events = h.feed(t, &wire);
    assert_eq!(
        events,
        [
            Ev::text("one"),
            Ev::Binary(b"two".to_vec()),
            Ev::Error(TaskError::Protocol(ProtocolError::ReservedOpcode(3)))
        ]
    );
    h.take_tx(t);
    assert_eq!(h.events(t), [Ev::Close(1002, ProtocolError::ReservedOpcode(3).reason().to_string())]);
}

// ---- messages out (S14, S17) ---------------------------------------------------------------

#[test]
fn sent_frames_are_masked_with_fresh_keys() {
    let mut h = Harness::new();
    let t = h.open();
    let long = "L".repeat(70_000 / 20);
    h.client.send(t, Message::Text("Hello")).unwrap();
    h.client.send(t, Message::Binary(&[0, 1, 2, 3, 4, 5])).unwrap();
    h.client.send(t, Message::Text("")).unwrap();
    h.client.send(t, Message::Text(&long)).unwrap();
    h.client.ping(t, b"are you there").unwrap();
    let wire = h.take_tx(t);
    let frames = decode_client_frames(&wire);
    let summary: Vec<_> = frames.iter().map(|f| (f.fin, f.rsv, f.opcode, f.payload.clone())).collect();
    assert_eq!(
        summary,
        [
            (true, 0, OP_TEXT, b"Hello".to_vec()),
            (true, 0, OP_BINARY, vec![0, 1, 2, 3, 4, 5]),
            (true, 0, OP_TEXT, vec![]),
            (true, 0, OP_TEXT, long.clone().into_bytes()),
            (true, 0, OP_PING, b"are you there".to_vec()),
        ]
    );
    let mut keys: Vec<[u8; 4]> = frames.iter().map(|f| f.mask).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), frames.len(), "a fresh mask key per frame");
    // The payload on the wire really is masked, not the plain text.
    assert_ne!(&wire[6..11], b"Hello");
}

#[test]
fn frames_after_a_partial_write_stay_intact() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.send(t, Message::Text("first")).unwrap();
    let mut out = [0u8; 4];
    let n = h.client.poll_transmit(h.now, t, &mut out);
    assert_eq!(n, 4);
    assert_eq!(h.client.buffered_amount(t), 2 + 4 + 5 - 4);
    h.client.send(t, Message::Text("second")).unwrap();
    let mut wire = out.to_vec();
    wire.extend(h.take_tx(t));
    let frames = decode_client_frames(&wire);
    assert_eq!(
        frames.iter().map(|f| f.payload.clone()).collect::<Vec<_>>(),
        [b"first".to_vec(), b"second".to_vec()]
    );
}

#[test]
fn buffered_amount_counts_queued_bytes() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.client.buffered_amount(t), 0);
    h.client.send(t, Message::Text("abc")).unwrap();
    assert_eq!(h.client.buffered_amount(t), 2 + 4 + 3);
    h.client.send(t, Message::Binary(&[0; 200])).unwrap();
    assert_eq!(h.client.buffered_amount(t), 9 + 4 + 4 + 200);
    let mut out = [0u8; 5];
    h.client.poll_transmit(h.now, t, &mut out);
    assert_eq!(h.client.buffered_amount(t), 9 + 208 - 5);
    h.take_tx(t);
    assert_eq!(h.client.buffered_amount(t), 0);
}

#[test]
fn message_with_a_64_bit_length() {
    let mut h = Harness::with(sockettask::Config::default(), 1, 70_000 + RX_OVERHEAD, TX_LEN);
    let t = h.open();
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    let wire = binary(&payload);
    assert_eq!(wire[1], 127, "64-bit length");
    assert_eq!(h.feed(t, &wire), [Ev::Binary(payload.clone())]);
    assert_eq!(h.feed_read(t, &wire), [Ev::Binary(payload)]);
}

/// The largest header block the buffer holds, then a message as large as the buffer allows:
/// the response's bytes are reclaimed once Open is polled.
#[test]
fn response_filling_the_buffer_then_the_largest_message() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let base = response_101(&key, &[]).len();
    let pad = "p".repeat(RX_LEN - base - "X-Pad: \r\n".len());
    let resp = response_101(&key, &[&format!("X-Pad: {pad}")]);
    assert_eq!(resp.len(), RX_LEN);
    let payload = vec![0x42; RX_LEN - RX_OVERHEAD];
    let mut wire = resp;
    wire.extend(binary(&payload));
    wire.extend(text("tail"));
    assert_eq!(h.feed(t, &wire), [Ev::Open(None), Ev::Binary(payload.clone()), Ev::text("tail")]);
    let mut h2 = Harness::new();
    let t2 = h2.connect(URL);
    let key = h2.request(t2).key().to_owned();
    let mut wire = response_101(&key, &[&format!("X-Pad: {pad}")]);
    wire.extend(binary(&payload));
    assert_eq!(h2.feed_read(t2, &wire), [Ev::Open(None), Ev::Binary(payload)]);
}
