//! permessage-deflate (RFC 7692) through both drivers, against an in-memory server
//! ([`Peer`](common::peer::Peer)) that accepts the offer with
//! `permessage-deflate; server_max_window_bits=10` and sends compressed messages: context
//! takeover across messages, a compressed message in three fragments with a ping between two
//! of them, a compressed binary message, and one that inflates past the message limit (1009).
//! The client echoes every message; the echoes go out uncompressed (RSV1 clear), and the
//! server checks their bytes.
//!
//! The receive buffer is the documented size: `max_message + RX_OVERHEAD +
//! inflate_overhead(10, false)`, the 1 KiB window included. Every script runs with reads of 1,
//! 7 and 4096 bytes.
#![cfg(feature = "deflate")]

mod common;

use common::Ev;
use common::peer::{ClientFrame, OP_CLOSE, Peer, server_frame};
use rand::rngs::ThreadRng;
use sockettask::{
    Buffers, Client, Config, ConnectOptions, Event, Instant, Limits, Message, Negotiated, PerMessageDeflate,
    ProtocolError, RX_OVERHEAD, TaskError, inflate_overhead,
};
use sockettask_embedded_io::{Driver, Error};

/// The largest message, inflated.
const MAX_MESSAGE: usize = 1024;
/// The documented receive buffer: messages, read-ahead, the 1 KiB window and the byte past the
/// limit.
const RX_LEN: usize = MAX_MESSAGE + RX_OVERHEAD + inflate_overhead(10, false);
const TX_LEN: usize = 2048;
/// Most driver calls one run may take: reads of one byte, and the ticks between.
const TURNS: usize = 10_000;
/// Read sizes every script runs with.
const CHUNKS: [usize; 3] = [1, 7, 4096];

/// The offer: a 1 KiB window.
const OFFER: PerMessageDeflate =
    PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() };
/// The server's answer.
const ANSWER: &str = "permessage-deflate; server_max_window_bits=10";
/// What the client offers for [`OFFER`]: it always adds `client_max_window_bits`, so that a server
/// may answer with a smaller window instead of declining.
const OFFERED: &str = "permessage-deflate; server_max_window_bits=10; client_max_window_bits";

// ---- the messages, and the server's compressed payloads ------------------------------------
//
// The payloads are one compressor's output, message after message (context takeover), with a
// 1 KiB window, each sync-flushed and with its 00 00 ff ff tail removed (RFC 7692 §7.2.1), from
// Python 3's zlib (1.2.13):
//
//   python3 -c 'import zlib
//   c = zlib.compressobj(6, zlib.DEFLATED, -10)
//   reading = b"{\"sensor\":\"kitchen\",\"temp\":21.5,\"unit\":\"C\"}"
//   batch = b"[" + b",".join(b"{\"sensor\":\"%s\",\"temp\":%s}" % p for p in [(b"kitchen", b"21.5"),
//       (b"hall", b"19.0"), (b"attic", b"24.25"), (b"cellar", b"12.75"), (b"garage", b"8.5")] * 2) + b"]"
//   for m in [reading, reading, batch, bytes(range(16)) * 4, (reading + b",") * 25]:
//       z = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH); assert z[-4:] == b"\0\0\xff\xff"
//       print(", ".join("0x%02x" % b for b in z[:-4]))'

/// A sensor reading, 43 bytes.
const READING: &str = r#"{"sensor":"kitchen","temp":21.5,"unit":"C"}"#;
const READING_Z: [u8; 44] = [
    0xaa, 0x56, 0x2a, 0x4e, 0xcd, 0x2b, 0xce, 0x2f, 0x52, 0xb2, 0x52, 0xca, 0xce, 0x2c, 0x49, 0xce, 0x48,
    0xcd, 0x53, 0xd2, 0x51, 0x2a, 0x49, 0xcd, 0x2d, 0x50, 0xb2, 0x32, 0x32, 0xd4, 0x33, 0xd5, 0x51, 0x2a,
    0xcd, 0xcb, 0x2c, 0x01, 0x4a, 0x3a, 0x2b, 0xd5, 0x02, 0x00,
];
/// The same reading again: one back-reference into the previous message (context takeover).
const AGAIN_Z: [u8; 5] = [0xaa, 0x26, 0x5e, 0x29, 0x00];
/// [`batch`], 319 bytes, sent in three fragments.
const BATCH_Z: [u8; 62] = [
    0x8a, 0x26, 0xa0, 0xb6, 0x56, 0x07, 0x49, 0x41, 0x46, 0x62, 0x4e, 0x0e, 0x5c, 0xd6, 0xd0, 0x52, 0xcf,
    0x00, 0x45, 0x36, 0xb1, 0xa4, 0x24, 0x33, 0x19, 0xa1, 0xd9, 0x44, 0xcf, 0x08, 0x55, 0x77, 0x72, 0x6a,
    0x4e, 0x4e, 0x62, 0x11, 0x42, 0xbf, 0x91, 0x9e, 0x39, 0xaa, 0x82, 0xf4, 0xc4, 0xa2, 0xc4, 0xf4, 0x54,
    0xb8, 0x02, 0x0b, 0x34, 0xdb, 0x07, 0xa1, 0xf3, 0x62, 0x01, 0x00,
];
/// [`binary`], 64 bytes.
const BINARY_Z: [u8; 20] = [
    0x62, 0x60, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, 0xe7, 0xe0, 0xe4, 0xe2, 0xe6, 0xe1, 0xe5, 0xe3, 0x27,
    0x95, 0x0f, 0x00,
];
/// [`over`]: 17 bytes that inflate to 1100, past [`MAX_MESSAGE`].
const OVER_Z: [u8; 17] =
    [0x22, 0x21, 0xa6, 0x08, 0x05, 0xc5, 0xa8, 0xda, 0x51, 0xb5, 0xa3, 0x6a, 0x47, 0xb0, 0x5a, 0x00, 0x00];

/// Ten readings of five rooms as one JSON array.
fn batch() -> String {
    let rooms =
        [("kitchen", "21.5"), ("hall", "19.0"), ("attic", "24.25"), ("cellar", "12.75"), ("garage", "8.5")];
    let items: Vec<String> =
        rooms.iter().chain(&rooms).map(|(room, t)| format!(r#"{{"sensor":"{room}","temp":{t}}}"#)).collect();
    format!("[{}]", items.join(","))
}

fn binary() -> Vec<u8> {
    (0..16).cycle().take(64).collect()
}

fn over() -> String {
    format!("{READING},").repeat(25)
}

// ---- the server's script ---------------------------------------------------------------------

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Four compressed messages: a reading, the same again (context takeover), the batch in three
/// fragments (RSV1 on the first only, RFC 7692 §6.1) with a ping between the second and third,
/// and a binary message.
fn four_messages() -> Vec<u8> {
    let (a, b) = BATCH_Z.split_at(20);
    let (b, c) = b.split_at(25);
    [
        server_frame(FIN | RSV1 | OP_TEXT, &READING_Z),
        server_frame(FIN | RSV1 | OP_TEXT, &AGAIN_Z),
        server_frame(RSV1 | OP_TEXT, a),
        server_frame(0, b),
        server_frame(FIN | OP_PING, b"between"),
        server_frame(FIN, c),
        server_frame(FIN | RSV1 | OP_BINARY, &BINARY_Z),
    ]
    .concat()
}

/// The events of [`four_messages`].
fn four_events() -> Vec<Ev> {
    vec![Ev::Text(READING.into()), Ev::Text(READING.into()), Ev::Text(batch()), Ev::Binary(binary())]
}

/// What a 1 KiB window with context takeover negotiates.
const NEGOTIATED: Negotiated = Negotiated {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
    server_max_window_bits: 10,
    client_max_window_bits: 15,
};

// ---- the client's side -----------------------------------------------------------------------

fn config() -> Config {
    Config { limits: Limits { max_message_size: MAX_MESSAGE, ..Limits::default() }, ..common::config() }
}

fn options() -> ConnectOptions<'static> {
    ConnectOptions::new("ws://device.local/ws").per_message_deflate(OFFER)
}

fn client() -> Client<Vec<u8>, ThreadRng, 1> {
    Client::new(config(), rand::rng(), [Buffers::new(vec![0; RX_LEN], vec![0; TX_LEN])]).expect("client")
}

/// What the test's client saw and does: it echoes every message, and closes after `close_after`
/// messages.
struct Seen {
    events: Vec<Ev>,
    negotiated: Option<Option<Negotiated>>,
    close_after: Option<usize>,
    messages: usize,
}

impl Seen {
    fn new(close_after: Option<usize>) -> Self {
        Seen { events: Vec::new(), negotiated: None, close_after, messages: 0 }
    }

    /// Records `event`; returns the echo to send.
    fn record(&mut self, event: Event<'_>) -> Option<Ev> {
        if let Event::Open(open) = &event {
            self.negotiated = Some(open.per_message_deflate);
        }
        let ev = Ev::from(event);
        self.events.push(ev.clone());
        matches!(ev, Ev::Text(_) | Ev::Binary(_)).then(|| {
            self.messages += 1;
            ev
        })
    }

    /// Whether the client closes now, right after its echo.
    fn closes_now(&self) -> bool {
        self.close_after == Some(self.messages)
    }
}

fn message(echo: &Ev) -> Message<'_> {
    match echo {
        Ev::Text(text) => Message::Text(text),
        Ev::Binary(bytes) => Message::Binary(bytes),
        other => panic!("not a message: {other:?}"),
    }
}

/// Runs `peer` through the blocking driver until the task is CLOSED; returns the peer.
fn through_blocking(peer: Peer, seen: &mut Seen) -> Peer {
    let mut d = Driver::new(client(), common::clock as fn() -> Instant);
    let task = d.connect_socket(peer, &options()).expect("connect");
    for _ in 0..TURNS {
        match d.next_event(task) {
            Ok(Some((task, event))) => {
                if let Some(echo) = seen.record(event) {
                    d.send(task, message(&echo)).expect("echo");
                    if seen.closes_now() {
                        d.close(task, None, "done").expect("close");
                    }
                }
            }
            Ok(None) => {}
            Err(Error::Closed) => return d.take_stream(task).expect("the stream back"),
            Err(e) => panic!("{e:?} after {:?}", seen.events),
        }
    }
    panic!("not CLOSED after {TURNS} turns: {:?}", seen.events);
}

// ---- the checks --------------------------------------------------------------------------------

/// The offer went out as asked, and the server's answer was taken.
fn check_negotiation(peer: &Peer, seen: &Seen) {
    assert_eq!(peer.request_header("Sec-WebSocket-Extensions"), Some(OFFERED));
    assert_eq!(seen.negotiated, Some(Some(NEGOTIATED)));
}

/// Each echo went out as one uncompressed frame: FIN, RSV1–3 clear, the message's opcode, and
/// the inflated bytes as its payload.
fn check_echoes(peer: &Peer, messages: &[Ev]) {
    let echoes: Vec<ClientFrame> = peer.data_frames().into_iter().cloned().collect();
    let expected: Vec<ClientFrame> = messages
        .iter()
        .map(|m| match m {
            Ev::Text(t) => ClientFrame { first_byte: FIN | OP_TEXT, payload: t.clone().into_bytes() },
            Ev::Binary(b) => ClientFrame { first_byte: FIN | OP_BINARY, payload: b.clone() },
            other => panic!("not a message: {other:?}"),
        })
        .collect();
    assert_eq!(echoes, expected);
}

/// The ping between the fragments was answered, and the client's close came last.
fn check_control(peer: &Peer, code: u16, reason: &str) {
    let control: Vec<&ClientFrame> = peer.frames.iter().filter(|f| f.is_control()).collect();
    assert_eq!(control.len(), 2, "{control:?}");
    assert_eq!(*control[0], ClientFrame { first_byte: FIN | OP_PONG, payload: b"between".to_vec() });
    let last = peer.frames.last().expect("frames");
    assert_eq!(last.first_byte, FIN | OP_CLOSE);
    assert_eq!(last.payload, [&code.to_be_bytes()[..], reason.as_bytes()].concat());
}

fn check_session(peer: &Peer, seen: &Seen) {
    check_negotiation(peer, seen);
    let mut expected = vec![Ev::Open];
    expected.extend(four_events());
    expected.push(Ev::Close(1000, "done".into()));
    assert_eq!(seen.events, expected);
    check_echoes(peer, &four_events());
    check_control(peer, 1000, "done");
}

fn check_over_the_limit(peer: &Peer, seen: &Seen) {
    check_negotiation(peer, seen);
    let mut expected = vec![Ev::Open];
    expected.extend(four_events());
    expected.push(Ev::Error(TaskError::Protocol(ProtocolError::MessageTooLarge)));
    // The client's close carries the reason, and the server answers with the same.
    expected.push(Ev::Close(1009, TOO_LARGE.into()));
    assert_eq!(seen.events, expected);
    check_echoes(peer, &four_events());
    check_control(peer, 1009, TOO_LARGE);
}

/// The reason of the client's close for a message over the limit.
const TOO_LARGE: &str = "message exceeds the message size limit";

/// The four messages, then the server's message that inflates past the limit.
fn over_the_limit() -> Vec<u8> {
    assert_eq!(over().len(), 1100);
    [four_messages(), server_frame(FIN | RSV1 | OP_TEXT, &OVER_Z)].concat()
}

// ---- the blocking driver -------------------------------------------------------------------------

#[test]
fn blocking_compressed_messages_arrive_inflated_and_echoes_go_out_uncompressed() {
    for chunk in CHUNKS {
        let mut seen = Seen::new(Some(4));
        let peer = through_blocking(Peer::new(Some(ANSWER), four_messages(), chunk), &mut seen);
        check_session(&peer, &seen);
    }
}

#[test]
fn blocking_a_message_inflating_past_the_limit_fails_with_1009() {
    for chunk in CHUNKS {
        let mut seen = Seen::new(None);
        let peer = through_blocking(Peer::new(Some(ANSWER), over_the_limit(), chunk), &mut seen);
        check_over_the_limit(&peer, &seen);
    }
}

/// A server that declines (no extension in its answer): the task opens without it, and
/// messages arrive as they are.
#[test]
fn blocking_a_declined_offer_opens_without_compression() {
    let script = [server_frame(FIN | OP_TEXT, READING.as_bytes())].concat();
    let mut seen = Seen::new(Some(1));
    let peer = through_blocking(Peer::new(None, script, 4096), &mut seen);
    assert_eq!(peer.request_header("Sec-WebSocket-Extensions"), Some(OFFERED));
    assert_eq!(seen.negotiated, Some(None));
    assert_eq!(seen.events, [Ev::Open, Ev::Text(READING.into()), Ev::Close(1000, "done".into())]);
    check_echoes(&peer, &[Ev::Text(READING.into())]);
}

// ---- the async driver ----------------------------------------------------------------------------

#[cfg(feature = "async")]
mod asynch {
    use sockettask_embedded_io::{AsyncDriver, Error};

    use super::common::PATIENCE;
    use super::common::asynch::{PollTimer, block_on_until};
    use super::common::peer::Peer;
    use super::{
        ANSWER, CHUNKS, Seen, TURNS, check_over_the_limit, check_session, client, four_messages, message,
        options, over_the_limit,
    };

    /// Runs `peer` through the async driver until the task is CLOSED; returns the peer.
    fn through_async(peer: Peer, seen: &mut Seen) -> Peer {
        let mut d = AsyncDriver::new(client(), PollTimer);
        let task = d.connect_socket(peer, &options()).expect("connect");
        let run = async {
            for _ in 0..TURNS {
                match d.next_event(task).await {
                    Ok(Some((task, event))) => {
                        if let Some(echo) = seen.record(event) {
                            d.send(task, message(&echo)).expect("echo");
                            if seen.closes_now() {
                                d.close(task, None, "done").expect("close");
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(Error::Closed) => return d.take_stream(task).expect("the stream back"),
                    Err(e) => panic!("{e:?} after {:?}", seen.events),
                }
            }
            panic!("not CLOSED after {TURNS} turns: {:?}", seen.events);
        };
        block_on_until(run, std::time::Instant::now() + PATIENCE).expect("the run completes")
    }

    #[test]
    fn async_compressed_messages_arrive_inflated_and_echoes_go_out_uncompressed() {
        for chunk in CHUNKS {
            let mut seen = Seen::new(Some(4));
            let peer = through_async(Peer::new(Some(ANSWER), four_messages(), chunk), &mut seen);
            check_session(&peer, &seen);
        }
    }

    #[test]
    fn async_a_message_inflating_past_the_limit_fails_with_1009() {
        for chunk in CHUNKS {
            let mut seen = Seen::new(None);
            let peer = through_async(Peer::new(Some(ANSWER), over_the_limit(), chunk), &mut seen);
            check_over_the_limit(&peer, &seen);
        }
    }
}
