//! `Client::input_buffer`'s promise with permessage-deflate: an empty buffer always means an
//! event to poll, a request for a larger buffer (`BufferUse::rx_wanted`), or a task that reads
//! no more. The inflater caps the unparsed bytes at its read budget (a whole control frame and
//! the next header in a buffer of the documented size), and bytes read while an event waits
//! are not parsed (S11): a transport that reads until the buffer is empty and then polls one
//! event finds, right after that event, a budget full of bytes nothing parsed yet, no event,
//! and free room behind them. The buffer it is handed then must not be empty for no reason.
//! Run with `cargo test -p sockettask --features deflate --test t_input_buffer_room`.

#![cfg(feature = "deflate")]

mod support;

use sockettask::{
    Buffers, Config, ConnectOptions, Handle, Limits, PerMessageDeflate, RX_OVERHEAD, ReadyState,
};
use support::*;

/// `server_max_window_bits` both sides agree on.
const BITS: u8 = 9;

fn config(max_message: usize) -> Config {
    Config { limits: Limits { max_message_size: max_message, ..Limits::default() }, ..Config::default() }
}

/// The documented fixed receive buffer for `max_message` with a 2^`BITS` window and context
/// takeover: the message, [`RX_OVERHEAD`] and `inflate_overhead`.
fn documented_rx_len(max_message: usize) -> usize {
    max_message + RX_OVERHEAD + sockettask::inflate_overhead(BITS, false)
}

/// A task OPEN with permessage-deflate (`server_max_window_bits=BITS`, context takeover), in
/// a harness of one slot over `storage`.
fn open(config: Config, storage: Buffers<Vec<u8>>) -> (Harness, Handle) {
    let mut h = Harness::with_storage(config, [storage]);
    let offer = PerMessageDeflate { server_max_window_bits: Some(BITS), ..PerMessageDeflate::default() };
    let t = h.try_connect(&ConnectOptions::new(URL).per_message_deflate(offer)).expect("connect");
    let answer = format!("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits={BITS}");
    assert_eq!(h.respond(t, |key| response_101(key, &[&answer])), [Ev::Open(None)]);
    assert_eq!(h.state(t), ReadyState::Open);
    (h, t)
}

/// Incompressible bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| (seed.wrapping_add(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8).collect()
}

/// Text that compresses, different for each `seed`.
fn words(seed: u64, len: usize) -> String {
    let names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let mut s = String::new();
    let mut k = seed;
    while s.len() < len {
        k = k.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        s += &format!("{{\"{}\":{}}},", names[(k >> 60) as usize % 5], k >> 44);
    }
    s.truncate(len);
    s
}

/// The server's frames: small compressed texts (each one frame, well inside the read budget)
/// each followed by a long compressed binary message (its compressed payload far longer than
/// the budget, sometimes in fragments with a ping between two of them), and now and then a
/// text sent uncompressed. The messages they carry, in order.
fn stream(max_message: usize, count: usize) -> (Vec<u8>, Vec<Ev>) {
    let mut deflater = Deflater::new(BITS, false);
    let (mut wire, mut want) = (Vec::new(), Vec::new());
    for k in 0..count as u64 {
        let small = words(k, 20 + 7 * k as usize % 60);
        wire.extend(frame_rsv1(OP_TEXT, true, &deflater.message(small.as_bytes())));
        want.push(Ev::Text(small));
        let long = noise(k, max_message - 100 * (k as usize % 4));
        let payload = deflater.message(&long);
        assert!(payload.len() > 4 * RX_OVERHEAD, "the long message is longer than the budget");
        if k % 2 == 1 {
            let cut = payload.len() / 2;
            wire.extend(frame_rsv1(OP_BINARY, false, &payload[..cut]));
            wire.extend(ping(b"between"));
            wire.extend(frame(OP_CONT, true, &payload[cut..]));
        } else {
            wire.extend(frame_rsv1(OP_BINARY, true, &payload));
        }
        want.push(Ev::Binary(long));
        if k % 3 == 2 {
            let plain = words(k + 100, 50);
            wire.extend(text(&plain));
            want.push(Ev::Text(plain));
        }
    }
    (wire, want)
}

/// A transport that, on every turn, reads as long as the task hands it room and the server
/// has sent bytes, then polls one event (growing the receive buffer when the task asks, up
/// to `max_rx`). Every `input_buffer` call is held to its promise: when it is empty, either
/// `rx_wanted` asks for a larger buffer or an event is there to poll (the task reads on: it
/// stays OPEN). The events, in order, and how many times the buffer grew.
fn drive(h: &mut Harness, t: Handle, wire: &[u8], max_rx: usize) -> (Vec<Ev>, usize) {
    let (mut at, mut events, mut growths) = (0, Vec::new(), 0);
    for turn in 0..100_000 {
        let mut empty = false;
        for _ in 0..wire.len() + 1 {
            let space = h.client.input_buffer(t);
            let n = space.len().min(wire.len() - at);
            empty = space.is_empty();
            space[..n].copy_from_slice(&wire[at..at + n]);
            if n == 0 {
                break;
            }
            h.client.handle_read(h.now, t, n);
            at += n;
        }
        if empty {
            // The promise, checked before anything else is called: `has_event` parses.
            assert_eq!(h.state(t), ReadyState::Open);
            match h.client.buffer_use(t.slot()).rx_wanted {
                Some(wanted) => {
                    let rx = h.client.buffers(t.slot()).expect("slot").rx.len();
                    assert!(wanted > rx && wanted <= max_rx, "wanted {wanted} (buffer {rx}, bound {max_rx})");
                    let tx = vec![0u8; h.client.buffers(t.slot()).expect("slot").tx.len()];
                    let larger = Buffers::new(vec![0u8; wanted], tx);
                    h.client.replace_buffers(t.slot(), larger).expect("a larger buffer holds what is in use");
                    growths += 1;
                    continue;
                }
                None => assert!(
                    h.client.has_event(),
                    "turn {turn}: input_buffer is empty, yet no event waits, no larger buffer is \
                     asked for and the task reads on ({at} of {} bytes read, {} events so far, {:?})",
                    wire.len(),
                    events.len(),
                    h.client.buffer_use(t.slot()),
                ),
            }
        }
        match h.client.poll_event() {
            Some((from, event)) => {
                assert_eq!(from, t);
                events.push(Ev::from_event(&event));
            }
            None if at == wire.len() => return (events, growths),
            None => {}
        }
    }
    panic!("no end after 100,000 turns: {at} of {} bytes read, {} events", wire.len(), events.len());
}

/// Every ping the server sent was answered with a pong carrying its payload.
fn assert_pongs(h: &mut Harness, t: Handle, pings: usize) {
    let pongs: Vec<ClientFrame> = h.frames(t).into_iter().filter(|f| f.opcode == OP_PONG).collect();
    assert_eq!(pongs.len(), pings);
    assert!(pongs.iter().all(|f| f.payload == b"between"));
}

/// A fixed buffer of the documented size: after each small message is polled, the bytes of
/// the long one read behind it (the whole budget) wait unparsed with room behind them; the
/// buffer handed out then has room, and every message arrives, in order, without the task
/// ever asking for a larger buffer.
#[test]
fn room_right_after_an_event_with_the_budget_read_behind_it() {
    const MAX: usize = 1200;
    let rx_len = documented_rx_len(MAX);
    let (mut h, t) = open(config(MAX), Buffers::new(vec![0u8; rx_len], vec![0u8; 4096]));
    let (wire, want) = stream(MAX, 8);
    let (events, growths) = drive(&mut h, t, &wire, rx_len);
    assert_eq!(events, want);
    assert_eq!(growths, 0, "a buffer of the documented size never asks for room");
    assert_pongs(&mut h, t, 4);
}

/// The same stream through a growable buffer that starts small: the task asks for room when
/// it needs it, and an empty buffer never means anything else.
#[test]
fn room_right_after_an_event_in_a_growable_buffer() {
    const MAX: usize = 1200;
    let max_rx = documented_rx_len(MAX);
    let storage = Buffers::new(vec![0u8; 700], vec![0u8; 4096]).growable(max_rx, 4096);
    let (mut h, t) = open(config(MAX), storage);
    let (wire, want) = stream(MAX, 8);
    let (events, growths) = drive(&mut h, t, &wire, max_rx);
    assert_eq!(events, want);
    assert!(growths >= 1, "a 700-byte buffer grows for {MAX}-byte messages");
    assert_pongs(&mut h, t, 4);
}
