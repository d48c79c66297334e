//! permessage-deflate across the tasks of one slot: the inflater's state belongs to the slot
//! and is set up again for each task that negotiates the extension (RFC 7692 §7.2.2: each
//! connection's server starts a fresh DEFLATE stream, with an empty window). A task that ends
//! in the middle of a compressed message, or after messages that left history in the window,
//! must leave nothing behind that the next task's stream could see: the next task's messages
//! come out exactly as its own server compressed them.
//!
//! The compressed bytes come from a reference compressor (zlib-rs through flate2), never from
//! the core. Run with `cargo test -p sockettask --features deflate --test inflate_slot_reuse`.

#![cfg(feature = "deflate")]

mod support;

use sockettask::{ConnectOptions, Handle, Limits, PerMessageDeflate, ProtocolError, RX_OVERHEAD, TaskError};
use support::*;

const MAX_MESSAGE: usize = 8 * 1024;

/// One slot, with buffers of the documented size for `bits` with context takeover (the
/// larger of the two overheads, so both kinds of task fit).
fn harness(bits: u8) -> Harness {
    let config = sockettask::Config {
        limits: Limits { max_message_size: MAX_MESSAGE, ..Limits::default() },
        ..sockettask::Config::default()
    };
    let rx = MAX_MESSAGE + RX_OVERHEAD + sockettask::inflate_overhead(bits, false);
    Harness::with(config, 1, rx, 4096)
}

/// A task OPEN in the harness's one slot, with permessage-deflate at `bits` (and
/// `server_no_context_takeover` when `reset`), or without it when `bits` is `None`.
fn open(h: &mut Harness, deflate: Option<(u8, bool)>) -> Handle {
    let mut options = ConnectOptions::new(URL);
    let mut answer = Vec::new();
    if let Some((bits, reset)) = deflate {
        options = options.per_message_deflate(PerMessageDeflate {
            server_no_context_takeover: reset,
            server_max_window_bits: Some(bits),
            ..PerMessageDeflate::default()
        });
        let mut line = format!("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits={bits}");
        if reset {
            line.push_str("; server_no_context_takeover");
        }
        answer.push(line);
    }
    let t = h.try_connect(&options).expect("the slot is free again");
    let answer: Vec<&str> = answer.iter().map(String::as_str).collect();
    assert_eq!(h.respond(t, |key| response_101(key, &answer)), [Ev::Open(None)]);
    t
}

/// Text that compresses well and refers back across messages: `seed` makes each run's
/// different, so a window left over from another task would resolve back-references wrong.
fn text_of(seed: u64, len: usize) -> String {
    let words = ["sock", "task", "frame", "window", "deflate", "slot", "event"];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut s = String::new();
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s += words[(x % words.len() as u64) as usize];
        s += if x.is_multiple_of(5) { "\n" } else { " " };
    }
    s.truncate(len);
    s
}

/// Receives `count` compressed text messages on `t` from a fresh server stream, each whole
/// and equal to what was compressed.
fn receive_compressed(h: &mut Harness, t: Handle, bits: u8, reset: bool, seed: u64, count: u64) {
    let mut deflater = Deflater::new(bits.max(9), reset);
    for i in 0..count {
        let message = text_of(seed * 100 + i, 200 + 700 * i as usize);
        let wire = frame_rsv1(OP_TEXT, true, &deflater.message(message.as_bytes()));
        assert_eq!(h.feed(t, &wire), [Ev::text(&message)], "task seed {seed}, message {i}");
    }
}

/// Ends `t` in the middle of a compressed message (half its frame in, then the stream ends):
/// the inflater stops mid-stream, with history in its window. The slot is free afterwards.
fn end_mid_message(h: &mut Harness, t: Handle, bits: u8, seed: u64) {
    let mut deflater = Deflater::new(bits.max(9), false);
    let long = text_of(seed, 4000);
    let wire = frame_rsv1(OP_TEXT, true, &deflater.message(long.as_bytes()));
    assert_eq!(h.feed(t, &wire[..wire.len() / 2]), []);
    let events = h.eof(t);
    assert_eq!(events.last(), Some(&Ev::abnormal()), "the stream's end closes the task: {events:?}");
}

#[test]
fn a_second_task_in_the_slot_inflates_its_own_stream() {
    for bits in [9, 12, 15] {
        let mut h = harness(bits);
        let first = open(&mut h, Some((bits, false)));
        receive_compressed(&mut h, first, bits, false, 1, 4);
        end_mid_message(&mut h, first, bits, 2);
        let second = open(&mut h, Some((bits, false)));
        receive_compressed(&mut h, second, bits, false, 3, 4);
    }
}

#[test]
fn window_sizes_and_context_takeover_change_between_tasks() {
    // Each task in turn: a larger window, a smaller one, no context takeover, none at all,
    // and deflate again after a task without it.
    let tasks: [Option<(u8, bool)>; 6] =
        [Some((9, false)), Some((15, false)), Some((10, true)), None, Some((15, true)), Some((11, false))];
    let mut h = harness(15);
    for (seed, deflate) in tasks.into_iter().enumerate() {
        let t = open(&mut h, deflate);
        match deflate {
            Some((bits, reset)) => {
                receive_compressed(&mut h, t, bits, reset, seed as u64 + 10, 3);
                end_mid_message(&mut h, t, bits, seed as u64 + 20);
            }
            None => {
                let plain = text_of(seed as u64, 300);
                assert_eq!(h.feed(t, &frame(OP_TEXT, true, plain.as_bytes())), [Ev::text(&plain)]);
                // RSV1 without the extension fails the task (RFC 6455 §5.2): this task did
                // not negotiate it, whatever the slot's last task did. The stream then ends.
                let events = h.feed(t, &frame_rsv1(OP_TEXT, true, b"\xf2\x48\xcd\xc9\xc9\x07\x00"));
                let reserved = Ev::Error(TaskError::Protocol(ProtocolError::ReservedBits));
                assert_eq!(events.first(), Some(&reserved), "RSV1 without permessage-deflate: {events:?}");
                h.eof(t);
            }
        }
    }
}
