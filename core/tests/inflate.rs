//! permessage-deflate, receive side (RFC 7692 §6, §7.2.2), through the public API: a client
//! that offered `perMessageDeflate` and got it inflates the server's compressed messages in
//! place, in a receive buffer of `max_message_size + RX_OVERHEAD + inflate_overhead` bytes.
//!
//! The compressed bytes come from the RFC's own examples or from a reference compressor
//! (zlib-rs through flate2, [`Deflater`]), never from the core. Run with
//! `cargo test -p sockettask --features deflate --test inflate`.

#![cfg(feature = "deflate")]

mod support;

use proptest::prelude::*;
use sockettask::{
    BufferUse, Buffers, CloseCode, Config, ConnectOptions, Handle, Limits, Message, PerMessageDeflate,
    ProtocolError, RX_OVERHEAD, SendError, TaskError,
};
use support::*;

/// The error a malformed compressed payload fails the task with.
const INVALID_DATA: ProtocolError = ProtocolError::InvalidCompressedData;

/// What the server accepted.
#[derive(Clone, Copy, Debug)]
struct Session {
    bits: u8,
    no_context_takeover: bool,
}

impl Session {
    const fn new(bits: u8) -> Self {
        Session { bits, no_context_takeover: false }
    }

    const fn no_context_takeover(bits: u8) -> Self {
        Session { bits, no_context_takeover: true }
    }

    fn offer(self) -> PerMessageDeflate {
        PerMessageDeflate {
            server_no_context_takeover: self.no_context_takeover,
            server_max_window_bits: Some(self.bits),
            ..PerMessageDeflate::default()
        }
    }

    fn answer(self) -> String {
        let mut line =
            format!("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits={}", self.bits);
        if self.no_context_takeover {
            line.push_str("; server_no_context_takeover");
        }
        line
    }

    /// The server's compressor (zlib has no 256-byte window: 8 compresses as 9).
    fn deflater(self) -> Deflater {
        Deflater::new(self.bits.max(9), self.no_context_takeover)
    }

    /// `inflate_overhead(bits, no_context_takeover)` as documented.
    fn overhead(self) -> usize {
        let documented = if self.no_context_takeover { 1 } else { (1 << self.bits.max(9)) + 1 };
        assert_eq!(sockettask::inflate_overhead(self.bits, self.no_context_takeover), documented);
        documented
    }

    /// The documented fixed receive buffer for messages of up to `max_message` bytes.
    fn rx_len(self, max_message: usize) -> usize {
        max_message + RX_OVERHEAD + self.overhead()
    }
}

fn config(max_message: usize) -> Config {
    Config { limits: Limits { max_message_size: max_message, ..Limits::default() }, ..Config::default() }
}

/// A task OPEN with `session` negotiated, in a harness of one slot.
fn open_with(mut h: Harness, session: Session) -> (Harness, Handle) {
    let options = ConnectOptions::new(URL).per_message_deflate(session.offer());
    let t = h.try_connect(&options).expect("connect");
    let answer = session.answer();
    assert_eq!(h.respond(t, |key| response_101(key, &[&answer])), [Ev::Open(None)]);
    (h, t)
}

/// A task OPEN with `session`, over fixed buffers of the documented size for `max_message`.
fn open(session: Session, max_message: usize) -> (Harness, Handle) {
    open_with(Harness::with(config(max_message), 1, session.rx_len(max_message), 4096), session)
}

/// A compressed message's frames: RSV1 on the first, its payload cut at `cuts`.
fn compressed(opcode: u8, payload: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut from = 0;
    for (i, &at) in cuts.iter().chain([payload.len()].iter()).enumerate() {
        let (op, fin) = (if i == 0 { opcode } else { OP_CONT }, i == cuts.len());
        let piece = &payload[from..at.max(from)];
        wire.extend(if i == 0 { frame_rsv1(op, fin, piece) } else { frame(op, fin, piece) });
        from = at.max(from);
    }
    wire
}

fn protocol_error(e: ProtocolError) -> Ev {
    Ev::Error(TaskError::Protocol(e))
}

/// Incompressible bytes.
fn noise(seed: u64, i: u64) -> u8 {
    (seed.wrapping_add(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

/// Some JSON-like text of `len` bytes, different for each `seed`.
fn json(seed: u64, len: usize) -> String {
    let names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut s = String::from("[");
    while s.len() < len {
        let (id, name, n, price) = (next(1_000_000), names[next(5) as usize], next(100), next(100_000));
        s += &format!("{{\"id\":{id},\"name\":\"{name}{n}\",\"price\":{price},\"ok\":true}},");
    }
    s.truncate(len);
    s
}

// ---- RFC 7692 §7.2.3, verbatim ---------------------------------------------------------------

/// §7.2.3.1: "Hello" in one compressed frame, and in two fragments.
#[test]
fn rfc_hello_compressed() {
    let (mut h, t) = open(Session::new(15), 1024);
    assert_eq!(h.feed(t, &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), [Ev::text("Hello")]);
    let (mut h, t) = open(Session::new(15), 1024);
    let fragments = [0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(h.feed(t, &fragments), [Ev::text("Hello")]);
}

/// §7.2.3.2: with context takeover, the second "Hello" is one back-reference into the first.
#[test]
fn rfc_hello_twice_with_context_takeover() {
    let (mut h, t) = open(Session::new(15), 1024);
    let mut wire = vec![0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    wire.extend([0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    assert_eq!(h.feed(t, &wire), [Ev::text("Hello"), Ev::text("Hello")]);
}

/// §7.2.3.3: a stored block (no compression); §7.2.3.4: a block with BFINAL set, then the byte
/// that lets the tail end a block; §7.2.3.5: two blocks in one message.
#[test]
fn rfc_stored_final_and_two_block_messages() {
    let (mut h, t) = open(Session::new(15), 1024);
    let stored = [0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
    let final_block = [0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let two_blocks =
        [0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00];
    let wire = [&stored[..], &final_block, &two_blocks].concat();
    assert_eq!(h.feed(t, &wire), [Ev::text("Hello"), Ev::text("Hello"), Ev::text("Hello")]);
}

/// A final block that ends the payload without the extra byte §7.2.3.4 asks for: the
/// message ends with the block (the tail is not needed), and the next message starts a new
/// stream with the same window.
#[test]
fn a_final_block_may_end_the_payload() {
    let (mut h, t) = open(Session::new(15), 1024);
    let mut wire = frame_rsv1(OP_TEXT, true, &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    wire.extend(frame_rsv1(OP_TEXT, true, &[0xf2, 0x00, 0x11, 0x00, 0x00]));
    assert_eq!(h.feed(t, &wire), [Ev::text("Hello"), Ev::text("Hello")]);
}

// ---- chunkings, fragments, windows -----------------------------------------------------------

/// The messages of one run: short ones that refer back across messages, long ones that pass
/// the window, an empty one, binary noise that does not compress.
fn messages() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [0, 1, 17, 300, 700, 1500, 4000, 20_000, 60, 60]
        .iter()
        .enumerate()
        .map(|(i, &len)| json(i as u64 % 3, len).into_bytes())
        .collect();
    out.push((0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect());
    out.push(Vec::new());
    out
}

/// The wire of `msgs` compressed by `deflater`: even ones as text, odd ones as binary, every
/// third in three fragments with a ping between two of them.
fn session_wire(msgs: &[Vec<u8>], deflater: &mut Deflater) -> (Vec<u8>, Vec<Ev>) {
    let (mut wire, mut events) = (Vec::new(), Vec::new());
    for (i, msg) in msgs.iter().enumerate() {
        let payload = deflater.message(msg);
        let text = i % 2 == 0 && std::str::from_utf8(msg).is_ok();
        let opcode = if text { OP_TEXT } else { OP_BINARY };
        if i % 3 == 2 {
            let (a, b) = (payload.len() / 3, 2 * payload.len() / 3);
            let frames = compressed(opcode, &payload, &[a, b]);
            let second = frames.len() - (payload.len() - b) - header_len(payload.len() - b);
            wire.extend(&frames[..second]);
            wire.extend(ping(b"between"));
            wire.extend(&frames[second..]);
        } else {
            wire.extend(compressed(opcode, &payload, &[]));
        }
        events.push(if text {
            Ev::Text(String::from_utf8(msg.clone()).unwrap())
        } else {
            Ev::Binary(msg.clone())
        });
    }
    (wire, events)
}

fn header_len(payload: usize) -> usize {
    match payload {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    }
}

fn messages_only(events: Vec<Ev>) -> Vec<Ev> {
    events.into_iter().filter(|e| !matches!(e, Ev::Open(_))).collect()
}

#[test]
fn every_chunking_window_and_takeover_gives_the_messages() {
    let msgs = messages();
    for bits in [9, 10, 15] {
        for session in [Session::new(bits), Session::no_context_takeover(bits)] {
            let (wire, expected) = session_wire(&msgs, &mut session.deflater());
            for chunk in [1, 7, 1000, wire.len()] {
                let (mut h, t) = open(session, 20_000);
                let cuts: Vec<usize> = (chunk..wire.len()).step_by(chunk).collect();
                let events = h.feed_chunks(t, &wire, &cuts);
                assert_eq!(messages_only(events), expected, "{session:?}, chunks of {chunk}");
                // Every ping between fragments was answered, in order.
                let pongs = h.frames(t).iter().filter(|f| f.opcode == OP_PONG).count();
                assert_eq!(pongs, msgs.len() / 3);
            }
            // The same through the in-place path.
            let (mut h, t) = open(session, 20_000);
            assert_eq!(messages_only(h.feed_read(t, &wire)), expected, "{session:?}, in place");
        }
    }
}

/// A window of 8 bits is kept as 9 (zlib compresses with 512 bytes when asked for 256).
#[test]
fn window_bits_8_inflates_a_512_byte_window() {
    let session = Session::new(8);
    let msgs: Vec<Vec<u8>> = (0..20).map(|i| json(i % 2, 100 + 37 * i as usize).into_bytes()).collect();
    let (wire, expected) = session_wire(&msgs, &mut session.deflater());
    let (mut h, t) = open(session, 2000);
    assert_eq!(h.feed(t, &wire), expected);
}

/// Messages sent uncompressed in a deflate session (RSV1 clear) are not part of the stream:
/// the compressed ones around them still refer back to each other.
#[test]
fn uncompressed_messages_leave_the_window_alone() {
    // zlib refers back at most 2^bits - 262 bytes: 762 with 10 bits.
    let session = Session::new(10);
    let mut deflater = session.deflater();
    let (mut h, t) = open(session, 4000);
    let one = json(7, 400);
    let mut wire = compressed(OP_TEXT, &deflater.message(one.as_bytes()), &[]);
    wire.extend(text(&json(8, 3000)));
    wire.extend(binary(&[0xAB; 700]));
    // The same text again: mostly back-references into the first message.
    let again = deflater.message(one.as_bytes());
    assert!(again.len() < 40, "{} bytes", again.len());
    wire.extend(compressed(OP_TEXT, &again, &[]));
    let expected = [Ev::text(&one), Ev::text(&json(8, 3000)), Ev::Binary(vec![0xAB; 700]), Ev::text(&one)];
    for chunk in [1, 5, 64] {
        let (mut h2, t2) = open(session, 4000);
        let cuts: Vec<usize> = (chunk..wire.len()).step_by(chunk).collect();
        assert_eq!(h2.feed_chunks(t2, &wire, &cuts), expected);
    }
    assert_eq!(h.feed(t, &wire), expected);
}

/// RFC 7692 §7.2.3.6 sends an empty message as the single byte 0x00; zlib sends nothing at
/// all when it has nothing new to flush. Both are empty messages, and the stream goes on.
#[test]
fn empty_compressed_messages() {
    let session = Session::new(10);
    let mut deflater = session.deflater();
    let (mut h, t) = open(session, 1000);
    let first = deflater.message(b"first");
    let nothing = deflater.message(b"");
    assert!(nothing.is_empty(), "zlib flushes nothing: {nothing:?}");
    let last = deflater.message(b"first, last");
    let mut wire = compressed(OP_TEXT, &first, &[]);
    wire.extend(frame_rsv1(OP_BINARY, true, &[0x00]));
    wire.extend(compressed(OP_TEXT, &nothing, &[]));
    wire.extend(compressed(OP_TEXT, &last, &[]));
    let expected = [Ev::text("first"), Ev::Binary(vec![]), Ev::text(""), Ev::text("first, last")];
    assert_eq!(h.feed(t, &wire), expected);
}

/// A message whose deflate stream ends (BFINAL) and starts again mid-message.
#[test]
fn a_final_block_mid_message_starts_a_new_stream() {
    let mut finished = Vec::with_capacity(100);
    let mut first = flate2::Compress::new_with_window_bits(flate2::Compression::default(), false, 15);
    first.compress_vec(b"the first half, ", &mut finished, flate2::FlushCompress::Finish).unwrap();
    // Continuing right after the final block: a new stream.
    let mut rest = Deflater::new(15, false);
    let mut payload = finished.clone();
    payload.extend(rest.message(b"and the second half"));
    let (mut h, t) = open(Session::new(15), 1000);
    let cut = finished.len() - 1;
    let wire = compressed(OP_TEXT, &payload, &[cut, cut + 2]);
    assert_eq!(h.feed(t, &wire), [Ev::text("the first half, and the second half")]);
}

// ---- limits -------------------------------------------------------------------------------------

/// The limit applies to the inflated size: a message of exactly the limit is delivered, one
/// byte more fails with 1009, in the documented buffer whatever the window.
#[test]
fn the_limit_counts_inflated_bytes() {
    const MAX: usize = 5000;
    for session in [Session::new(9), Session::new(15), Session::no_context_takeover(12)] {
        for len in [MAX, MAX + 1] {
            let msg = json(len as u64, len);
            let mut deflater = session.deflater();
            let mut wire = compressed(OP_TEXT, &deflater.message(json(1, 900).as_bytes()), &[]);
            let payload = deflater.message(msg.as_bytes());
            wire.extend(compressed(OP_TEXT, &payload, &[payload.len() / 2]));
            let (mut h, t) = open(session, MAX);
            let events = h.feed(t, &wire);
            if len == MAX {
                assert_eq!(events, [Ev::Text(json(1, 900)), Ev::Text(msg)], "{session:?}");
            } else {
                assert_eq!(events[1..], [protocol_error(ProtocolError::MessageTooLarge)], "{session:?}");
                assert_eq!(h.frames(t)[0].close().unwrap().0, 1009);
            }
        }
    }
}

/// A decompression bomb: 8 MiB of spaces, 8 KiB compressed. It fails with 1009 as soon as the
/// output passes the limit, long before its last compressed byte.
#[test]
fn a_decompression_bomb_stops_at_the_limit() {
    let bomb = Session::new(15).deflater().message(&vec![b' '; 8 << 20]);
    assert!(bomb.len() < 10_000, "{} bytes", bomb.len());
    let (mut h, t) = open(Session::new(15), 64 << 10);
    let wire = compressed(OP_TEXT, &bomb, &[]);
    let mut fed = 0;
    let mut events = Vec::new();
    for piece in wire.chunks(16) {
        assert_eq!(h.client.handle_input(h.now, t, piece), piece.len());
        fed += piece.len();
        events = h.events(t);
        if !events.is_empty() {
            break;
        }
    }
    assert_eq!(events, [protocol_error(ProtocolError::MessageTooLarge)]);
    assert!(fed < 1000, "failed after {fed} of {} compressed bytes", wire.len());
    assert_eq!(h.frames(t)[0].close().unwrap().0, 1009);
}

/// The fragment limit counts frames, compressed or not.
#[test]
fn the_fragment_limit_counts_compressed_frames() {
    let session = Session::new(12);
    let config = Config { limits: Limits { max_fragments: 3, ..config(1000).limits }, ..Config::default() };
    let (mut h, t) = open_with(Harness::with(config, 1, session.rx_len(1000), 4096), session);
    let payload = session.deflater().message(json(3, 600).as_bytes());
    let third = payload.len() / 3;
    assert_eq!(h.feed(t, &compressed(OP_TEXT, &payload, &[third, 2 * third])), [Ev::Text(json(3, 600))]);
    let payload = session.deflater().message(b"four fragments");
    let events = h.feed(t, &compressed(OP_TEXT, &payload, &[1, 2, 3]));
    assert_eq!(events, [protocol_error(ProtocolError::TooManyFragments)]);
}

// ---- malformed input --------------------------------------------------------------------------

/// A payload that is not DEFLATE data, or that leaves the stream inside a block, fails the task
/// with a protocol error (1002).
#[test]
fn invalid_compressed_data_fails() {
    let mut truncated = Session::new(15).deflater().message(json(5, 2000).as_bytes());
    truncated.truncate(truncated.len() / 2);
    let cases: [&[u8]; 4] = [
        // Block type 3 is reserved.
        &[0xFF, 0xFF, 0xFF],
        // A stored block whose length does not match its complement.
        &[0x00, 0x05, 0x00, 0x00, 0x00, b'H'],
        // A fixed-Huffman block whose first symbol copies 3 bytes from 1 back: before the
        // start of the stream.
        &[0x02, 0x02],
        &truncated,
    ];
    for payload in cases {
        let (mut h, t) = open(Session::new(15), 4000);
        let events = h.feed(t, &compressed(OP_BINARY, payload, &[]));
        assert_eq!(events, [protocol_error(INVALID_DATA)], "{payload:02x?}");
        assert_eq!(h.frames(t)[0].close().unwrap().0, 1002);
    }
}

/// RFC 7692 §6: RSV1 only on the first frame of a data message; RFC 6455 §5.2: RSV2 and RSV3
/// have no meaning here either.
#[test]
fn rsv1_on_a_continuation_or_control_frame_fails() {
    let payload = Session::new(15).deflater().message(b"Hello, Hello, Hello");
    let mut continuation = compressed(OP_TEXT, &payload, &[4]);
    continuation[2 + 4] |= 0x40;
    let mut rsv2 = compressed(OP_TEXT, &payload, &[]);
    rsv2[0] |= 0x20;
    let wires = [continuation, frame_rsv1(OP_PING, true, b"x"), frame_rsv1(OP_CLOSE, true, &[]), rsv2, {
        let mut rsv3 = frame(OP_BINARY, true, b"x");
        rsv3[0] |= 0x10;
        rsv3
    }];
    for wire in wires {
        let (mut h, t) = open(Session::new(15), 1000);
        assert_eq!(h.feed(t, &wire), [protocol_error(ProtocolError::ReservedBits)], "{wire:02x?}");
        assert_eq!(h.frames(t)[0].close().unwrap().0, 1002);
    }
}

/// Without the extension negotiated, RSV1 fails as before.
#[test]
fn rsv1_without_the_extension_fails() {
    let mut h = Harness::new();
    let t = h.open();
    let events = h.feed(t, &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    assert_eq!(events, [protocol_error(ProtocolError::ReservedBits)]);
}

/// Fail fast on the inflated text: invalid UTF-8 in the first fragment fails the task
/// before the rest arrives.
#[test]
fn invalid_utf8_in_inflated_text_fails_fast() {
    let mut bad = json(4, 3000).into_bytes();
    bad[1000] = 0xFF;
    let payload = Session::new(15).deflater().message(&bad);
    let (mut h, t) = open(Session::new(15), 4000);
    let wire = compressed(OP_TEXT, &payload, &[payload.len() * 2 / 3]);
    let first = wire.len() - (payload.len() - payload.len() * 2 / 3) - 2;
    assert_eq!(h.feed(t, &wire[..first]), [protocol_error(ProtocolError::InvalidUtf8)]);
    assert_eq!(h.frames(t)[0].close().unwrap().0, CloseCode::INVALID_PAYLOAD.0);
}

// ---- buffers -----------------------------------------------------------------------------------

fn feed_growing(h: &mut Harness, t: Handle, bytes: &[u8], max_rx: usize) -> (Vec<Ev>, usize) {
    h.feed_growing(t, bytes, max_rx)
}

/// A growable buffer starts small and grows while a compressed message inflates, the window
/// and the message moving with it; afterwards it holds the window alone.
#[test]
fn growable_buffers_grow_mid_message_and_keep_the_window() {
    const MAX: usize = 200_000;
    let session = Session::new(15);
    let max_rx = session.rx_len(MAX);
    let storage = [Buffers::new(vec![0u8; 1024], vec![0u8; 4096]).growable(max_rx, 4096)];
    let (mut h, t) = open_with(Harness::with_storage(config(MAX), storage), session);
    let mut deflater = session.deflater();
    let msgs = [json(1, 150_000), json(2, 300), json(1, 150_000), json(3, 40)];
    let mut wire = Vec::new();
    for (i, msg) in msgs.iter().enumerate() {
        let payload = deflater.message(msg.as_bytes());
        let cuts: Vec<usize> = if i == 0 { (1000..payload.len()).step_by(1000).collect() } else { vec![] };
        wire.extend(compressed(OP_TEXT, &payload, &cuts));
    }
    let (events, growths) = feed_growing(&mut h, t, &wire, max_rx);
    assert_eq!(events, msgs.iter().map(|m| Ev::text(m)).collect::<Vec<_>>());
    assert!((1..=12).contains(&growths), "{growths} growths");
    // What stays is the window: the last 32 KiB of the stream.
    assert_eq!(h.client.buffer_use(t.slot()), BufferUse { rx: 1 << 15, tx: 0, rx_wanted: None });
    // A smaller buffer that holds it is fine; the next message still refers back into it.
    let small = Buffers::new(vec![0u8; (1 << 15) + 2048], vec![0u8; 4096]);
    h.client.replace_buffers(t.slot(), small).expect("the window fits");
    let again = deflater.message(json(3, 40).as_bytes());
    assert_eq!(
        feed_growing(&mut h, t, &compressed(OP_TEXT, &again, &[]), max_rx).0,
        [Ev::text(&json(3, 40))]
    );
}

/// A fixed buffer of the documented size never stalls and never asks for room, whatever the
/// messages, windows, fragments and chunks.
#[test]
fn a_fixed_buffer_of_the_documented_size_never_asks_for_room() {
    let session = Session::new(9);
    let msgs: Vec<Vec<u8>> = (0..30).map(|i| json(i, 1000).into_bytes()).collect();
    let (wire, expected) = session_wire(&msgs, &mut session.deflater());
    let (mut h, t) = open(session, 1000);
    let mut events = Vec::new();
    for piece in wire.chunks(300) {
        events.extend(h.feed_read(t, piece));
        assert_eq!(h.client.buffer_use(t.slot()).rx_wanted, None);
    }
    assert_eq!(events, expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random messages (compressible and not, compressed and not, up to the limit),
    /// fragments, pings, windows and chunkings, in a fixed buffer of exactly
    /// `max + RX_OVERHEAD + inflate_overhead`: every message arrives, and the task never
    /// stalls (the harness asserts it on every call).
    #[test]
    fn fixed_documented_buffers_never_deadlock(
        bits in 9u8..=15,
        reset: bool,
        max in 400usize..3000,
        specs in prop::collection::vec((0usize..=100, 0u8..4, 1usize..4, any::<u64>()), 1..12),
        chunk in 1usize..400,
        in_place: bool,
    ) {
        let session = Session { bits, no_context_takeover: reset };
        let mut deflater = session.deflater();
        let (mut wire, mut expected) = (Vec::new(), Vec::new());
        // Kinds: 0 incompressible binary, 1 compressed text, 2 compressed binary, 3 text sent
        // uncompressed (not part of the deflate stream).
        for (percent, kind, fragments, seed) in specs {
            let len = max * percent / 100;
            let msg: Vec<u8> = if kind == 0 {
                (0..len as u64).map(|i| noise(seed, i)).collect()
            } else {
                json(seed, len).into_bytes()
            };
            let payload = if kind == 3 { msg.clone() } else { deflater.message(&msg) };
            let opcode = if kind % 2 == 1 { OP_TEXT } else { OP_BINARY };
            let cuts: Vec<usize> = (1..fragments).map(|k| payload.len() * k / fragments).collect();
            let mut frames = compressed(opcode, &payload, &cuts);
            if kind == 3 {
                frames[0] &= !0x40;
            }
            // A ping before the last fragment's header when there are several.
            let last = payload.len() - cuts.last().copied().unwrap_or(0);
            let split = if cuts.is_empty() { frames.len() } else { frames.len() - last - header_len(last) };
            wire.extend(&frames[..split]);
            if split < frames.len() {
                wire.extend(ping(&[7; 125]));
            }
            wire.extend(&frames[split..]);
            let text = opcode == OP_TEXT;
            expected.push(if text { Ev::Text(String::from_utf8(msg).unwrap()) } else { Ev::Binary(msg) });
        }
        let (mut h, t) = open(session, max);
        let mut events = Vec::new();
        for piece in wire.chunks(chunk) {
            events.extend(if in_place { h.feed_read(t, piece) } else { h.feed(t, piece) });
            prop_assert_eq!(h.client.buffer_use(t.slot()).rx_wanted, None);
        }
        prop_assert_eq!(events, expected);
    }
}

// ---- send: a message the caller compressed (RFC 7692 §7.2.1) ------------------------------

/// Inflates what the client sent: raw DEFLATE with the tail put back, as a server does.
fn server_inflate(decompress: &mut flate2::Decompress, payload: &[u8]) -> Vec<u8> {
    let mut input = payload.to_vec();
    input.extend_from_slice(&DEFLATE_TAIL);
    let mut out = Vec::with_capacity(64 << 10);
    decompress.decompress_vec(&input, &mut out, flate2::FlushDecompress::Sync).expect("inflate");
    out
}

#[test]
fn send_compressed_sets_rsv1_and_a_server_inflates_the_payload() {
    let (mut h, t) = open(Session::new(15), 64 << 10);
    let mut client_deflater = Deflater::new(15, false);
    let mut server = flate2::Decompress::new(false);
    for text in ["{\"hello\":\"world\"}", &"abc".repeat(1000), ""] {
        let payload = client_deflater.message(text.as_bytes());
        h.client.send_compressed(t, Message::Text(text), &payload).unwrap();
        let frames = h.frames(t);
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].opcode, frames[0].fin, frames[0].rsv), (OP_TEXT, true, 0x40), "RSV1 only");
        assert_eq!(frames[0].payload, payload);
        assert_eq!(server_inflate(&mut server, &frames[0].payload), text.as_bytes());
    }
    // Uncompressed messages go on in the same session without RSV1 (RFC 7692 §6).
    h.client.send(t, Message::Binary(b"plain")).unwrap();
    let frames = h.frames(t);
    assert_eq!((frames[0].rsv, frames[0].payload.as_slice()), (0, &b"plain"[..]));
}

#[test]
fn send_compressed_needs_the_extension_and_counts_the_message_for_the_limit() {
    // Not negotiated: refused, nothing queued.
    let mut h = Harness::with(config(4096), 1, 8192, 8192);
    let t = h.open();
    assert_eq!(
        h.client.send_compressed(t, Message::Text("x"), &[0x2a, 0x01, 0]),
        Err(SendError::NotCompressing)
    );
    assert!(h.take_tx(t).is_empty());
    // Negotiated: a message over the limit is refused by its own size, however small its
    // compressed payload.
    let session = Session::new(10);
    let (mut h, t) = open_with(Harness::with(config(4096), 1, session.rx_len(4096), 8192), session);
    let big = "a".repeat(4097);
    let payload = Deflater::new(15, false).message(big.as_bytes());
    assert!(payload.len() < 100);
    let refused = h.client.send_compressed(t, Message::Text(&big), &payload);
    assert_eq!(refused, Err(SendError::MessageTooLarge { required: 4097, limit: 4096 }));
    // Not OPEN: the state, as for send.
    h.client.close(h.now, t, None, "").unwrap();
    let refused = h.client.send_compressed(t, Message::Text("a"), &payload);
    assert_eq!(refused, Err(SendError::NotOpen(sockettask::ReadyState::Closing)));
}
