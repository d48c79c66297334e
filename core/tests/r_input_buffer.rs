//! The in-place input path as a transport drives it (`input_buffer`, `handle_read`, one
//! `poll_event` per turn) over reads that fill the receive buffer to its last byte: every
//! message as the server sent it, in order, every ping answered, never an empty buffer
//! without an event to poll, and the whole buffer free once all is polled (issue 13: the
//! slot is looked up once per call, and a buffer with no room is parsed in place).

mod support;

use sockettask::Event;
use support::*;

/// Server frames: text and binary messages of `payload_len` bytes with a ping every fifth
/// frame, `count` of them; the messages they carry.
fn stream(payload_len: usize, count: usize) -> (Vec<u8>, Vec<Ev>, usize) {
    let (mut wire, mut want, mut pings) = (Vec::new(), Vec::new(), 0);
    for k in 0..count {
        let payload: Vec<u8> = (0..payload_len).map(|i| (k + i) as u8).collect();
        if k % 5 == 4 {
            wire.extend(ping(&payload[..payload.len().min(125)]));
            pings += 1;
        } else if k % 2 == 0 {
            let text: String = payload.iter().map(|&b| char::from(b'a' + b % 26)).collect();
            wire.extend(support::text(&text));
            want.push(Ev::text(&text));
        } else {
            wire.extend(binary(&payload));
            want.push(Ev::Binary(payload));
        }
    }
    (wire, want, pings)
}

#[test]
fn reads_that_fill_the_buffer_give_every_message_in_order() {
    for payload_len in [0usize, 1, 16, 100, 125, 126, 300, 1000] {
        let mut h = Harness::new();
        let t = h.open();
        let (mut wire, mut want, pings) = stream(payload_len, 3 * RX_LEN / (payload_len + 4) + 3);
        // The frames that fit in the first read with at least 200 bytes to spare, then a
        // binary message (its length in the 16-bit form) that ends that read at the buffer's
        // last byte; the rest of the stream after it.
        let mut at = 0;
        while at < wire.len() && at + frame_len(&wire[at..]) <= RX_LEN - 200 {
            at += frame_len(&wire[at..]);
        }
        let filler = vec![0xEE; RX_LEN - at - 4];
        want.insert(messages_in(&wire[..at]), Ev::Binary(filler.clone()));
        let rest = wire.split_off(at);
        wire.extend(binary(&filler));
        assert_eq!(wire.len(), RX_LEN, "payload {payload_len}");
        wire.extend(rest);

        let mut got = Vec::new();
        let mut delivered = 0;
        // Bounded: each turn polls an event or reads at least one byte, or it fails.
        for _ in 0..2 * wire.len() + 10 {
            let space = h.client.input_buffer(t);
            let n = space.len().min(wire.len() - delivered);
            space[..n].copy_from_slice(&wire[delivered..delivered + n]);
            if n > 0 {
                h.client.handle_read(h.now, t, n);
                delivered += n;
            }
            let event = h.client.poll_event().map(|(from, event)| {
                assert_eq!(from, t);
                Ev::from_event(&event)
            });
            let polled = event.is_some();
            got.extend(event);
            if delivered == wire.len() && !polled {
                break;
            }
            assert!(n > 0 || polled, "payload {payload_len}: no room and no event");
        }
        assert_eq!(delivered, wire.len(), "payload {payload_len}");
        assert_eq!(got, want, "payload {payload_len}");
        assert_eq!(h.client.input_buffer(t).len(), RX_LEN, "payload {payload_len}");
        let pongs = h.frames(t).iter().filter(|f| f.opcode == OP_PONG).count();
        assert_eq!(pongs, pings, "payload {payload_len}");
        assert!(h.client.poll_event().is_none_or(|(_, e)| !matches!(e, Event::Message(_))));
    }
}

/// The length of the server frame (unmasked, 7- or 16-bit length) at the start of `bytes`.
fn frame_len(bytes: &[u8]) -> usize {
    match bytes[1] {
        126 => 4 + usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
        n => 2 + usize::from(n),
    }
}

/// How many messages the frames in `bytes` carry (pings carry none).
fn messages_in(mut bytes: &[u8]) -> usize {
    let mut messages = 0;
    while !bytes.is_empty() {
        if bytes[0] & 0x0F != OP_PING {
            messages += 1;
        }
        bytes = &bytes[frame_len(bytes)..];
    }
    messages
}
