//! Property tests: any split of the input yields the same events (STYLE rule 17), no input
//! makes the client panic or break S11, and client frames round-trip through an independent
//! decoder.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;
use sockettask::{CloseCode, Message, RX_OVERHEAD, ReadyState};
use support::*;

/// One thing the server sends after the handshake.
#[derive(Clone, Debug)]
enum Item {
    /// A message, cut into fragments at the given byte offsets (modulo its length + 1), with a
    /// ping after the fragment of each given index.
    Message {
        text: bool,
        payload: Vec<u8>,
        cuts: Vec<Index>,
        pings: Vec<(Index, Vec<u8>)>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

/// How the server ends the script.
#[derive(Clone, Debug)]
enum Ending {
    /// The stream just stays open.
    Nothing,
    /// A close frame, then EOF.
    Close(u16, String),
    /// EOF without a close frame.
    Eof,
}

fn small_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn item() -> impl Strategy<Value = Item> {
    let text = proptest::collection::vec(any::<char>(), 0..40)
        .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes());
    let payload = prop_oneof![
        text.prop_map(|p| (true, p)),
        small_bytes(SMALL_RX - RX_OVERHEAD + 1).prop_map(|p| (false, p))
    ];
    let message = (
        payload,
        proptest::collection::vec(any::<Index>(), 0..8),
        proptest::collection::vec((any::<Index>(), small_bytes(126)), 0..6),
    )
        .prop_map(|((text, payload), cuts, pings)| Item::Message { text, payload, cuts, pings });
    prop_oneof![2 => message, 1 => small_bytes(126).prop_map(Item::Ping), 1 => small_bytes(126).prop_map(Item::Pong)]
}

fn ending() -> impl Strategy<Value = Ending> {
    let reason =
        proptest::collection::vec(any::<char>(), 0..10).prop_map(|c| c.into_iter().collect::<String>());
    prop_oneof![
        Just(Ending::Nothing),
        Just(Ending::Eof),
        (prop_oneof![Just(1000u16), Just(1001), 3000u16..5000], reason)
            .prop_filter("reason fits", |(_, r)| r.len() <= 123)
            .prop_map(|(c, r)| Ending::Close(c, r)),
    ]
}

/// The frames of `items`, the events they must produce after Open, and the pong payloads the
/// client must send, in order.
fn script(items: &[Item]) -> (Vec<u8>, Vec<Ev>, Vec<Vec<u8>>) {
    let mut wire = Vec::new();
    let mut events = Vec::new();
    let mut pongs = Vec::new();
    for item in items {
        match item {
            Item::Ping(p) => {
                wire.extend(ping(p));
                pongs.push(p.clone());
            }
            Item::Pong(p) => wire.extend(pong(p)),
            Item::Message { text, payload, cuts, pings } => {
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(payload.len() + 1)).collect();
                at.sort_unstable();
                let mut pieces = Vec::new();
                let mut from = 0;
                for &cut in &at {
                    pieces.push(&payload[from..cut]);
                    from = cut;
                }
                pieces.push(&payload[from..]);
                let ping_after: Vec<(usize, &Vec<u8>)> =
                    pings.iter().map(|(i, p)| (i.index(pieces.len()), p)).collect();
                for (n, piece) in pieces.iter().enumerate() {
                    let op = match (n, text) {
                        (0, true) => OP_TEXT,
                        (0, false) => OP_BINARY,
                        _ => OP_CONT,
                    };
                    wire.extend(frame(op, n == pieces.len() - 1, piece));
                    for (_, p) in ping_after.iter().filter(|(k, _)| *k == n) {
                        wire.extend(ping(p));
                        pongs.push((*p).clone());
                    }
                }
                events.push(if *text {
                    Ev::Text(String::from_utf8(payload.clone()).unwrap())
                } else {
                    Ev::Binary(payload.clone())
                });
            }
        }
    }
    (wire, events, pongs)
}

/// The receive buffer of the scripted runs: the smallest allowed, so a script often holds
/// more than the buffer does. Messages up to `SMALL_RX - RX_OVERHEAD` (352) bytes fit.
const SMALL_RX: usize = sockettask::MIN_BUFFER_LEN;

/// Where the input is cut.
#[derive(Clone, Copy, Debug)]
enum Cuts<'a> {
    Whole,
    /// At these points (modulo the input's length + 1).
    At(&'a [Index]),
    /// Between every two bytes.
    Every,
}

/// Runs a connection: the response, `frames` and the ending's close frame, fed in the pieces
/// `cuts` makes (through the in-place path when `in_place`), the client's output written
/// after every piece, then the stream's end. Returns the events and every frame the client
/// sent.
fn run(frames: &[u8], ending: &Ending, cuts: Cuts<'_>, in_place: bool) -> (Vec<Ev>, Vec<ClientFrame>) {
    // A small receive buffer, so a script often holds more than it does.
    let mut h = Harness::with(sockettask::Config::default(), 1, SMALL_RX, TX_LEN);
    let t = h.connect(URL);
    let mut wire = response_101(h.request(t).key(), &[]);
    wire.extend(frames);
    if let Ending::Close(code, reason) = ending {
        wire.extend(close_frame(*code, reason));
    }
    let splits = match cuts {
        Cuts::Whole => vec![],
        Cuts::At(picks) => splits(wire.len(), picks),
        Cuts::Every => (1..wire.len()).collect(),
    };
    let mut events = Vec::new();
    let mut sent = Vec::new();
    let mut from = 0;
    for at in splits.into_iter().chain([wire.len()]) {
        let piece = &wire[from..at];
        events.extend(if in_place { h.feed_read(t, piece) } else { h.feed(t, piece) });
        sent.extend(h.take_tx(t));
        from = at;
    }
    if !matches!(ending, Ending::Nothing) {
        events.extend(h.eof(t));
        assert_eq!(h.state(t), ReadyState::Closed);
    }
    (events, decode_client_frames(&sent))
}

fn splits(len: usize, picks: &[Index]) -> Vec<usize> {
    let mut at: Vec<usize> = picks.iter().map(|i| i.index(len + 1)).collect();
    at.sort_unstable();
    at
}

/// One step of a random driver.
#[derive(Clone, Debug)]
enum Step {
    Server(Item),
    Garbage(Vec<u8>),
    ServerClose(u16),
    Send(Vec<u8>),
    Ping(Vec<u8>),
    Close(u16),
    Write(usize),
    Advance(u64),
    Eof,
    Fail,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => item().prop_map(Step::Server),
        1 => small_bytes(8).prop_map(Step::Garbage),
        1 => prop_oneof![Just(1000u16), Just(1005), 3000u16..5000].prop_map(Step::ServerClose),
        3 => small_bytes(400).prop_map(Step::Send),
        1 => small_bytes(130).prop_map(Step::Ping),
        1 => prop_oneof![Just(1000u16), Just(1001), 2999u16..5001].prop_map(Step::Close),
        3 => (0usize..600).prop_map(Step::Write),
        2 => (0u64..3000).prop_map(Step::Advance),
        1 => Just(Step::Eof),
        1 => Just(Step::Fail),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any chunking of a valid server stream gives the events of feeding it whole, and those
    /// are the script's: Open, every message in order, then the close the ending implies.
    #[test]
    fn any_split_gives_the_same_events(
        items in proptest::collection::vec(item(), 0..16),
        ending in ending(),
        picks in proptest::collection::vec(any::<Index>(), 0..40),
        in_place in any::<bool>(),
    ) {
        let (frames, messages, pongs) = script(&items);
        let mut expected = vec![Ev::Open(None)];
        expected.extend(messages);
        match &ending {
            Ending::Nothing => {}
            Ending::Eof => expected.push(Ev::abnormal()),
            Ending::Close(code, reason) => expected.push(Ev::Close(*code, reason.clone())),
        }
        let (whole, sent_whole) = run(&frames, &ending, Cuts::Whole, false);
        prop_assert_eq!(&whole, &expected);
        let (chunked, sent_chunked) = run(&frames, &ending, Cuts::At(&picks), in_place);
        prop_assert_eq!(&chunked, &expected);
        // The pongs answer every ping, in order, with its payload; then the echoed close.
        let mut expected_sent: Vec<(u8, Vec<u8>)> = pongs.into_iter().map(|p| (OP_PONG, p)).collect();
        if let Ending::Close(code, _) = &ending {
            expected_sent.push((OP_CLOSE, code.to_be_bytes().to_vec()));
        }
        for sent in [&sent_whole, &sent_chunked] {
            let got: Vec<(u8, Vec<u8>)> = sent.iter().map(|f| (f.opcode, f.payload.clone())).collect();
            prop_assert_eq!(&got, &expected_sent);
        }
    }

    /// Byte by byte, through both input paths, equals whole.
    #[test]
    fn byte_by_byte_equals_whole(items in proptest::collection::vec(item(), 0..4), ending in ending()) {
        let (frames, _, _) = script(&items);
        let whole = run(&frames, &ending, Cuts::Whole, false);
        prop_assert_eq!(&run(&frames, &ending, Cuts::Every, false), &whole);
        prop_assert_eq!(&run(&frames, &ending, Cuts::Every, true), &whole);
    }

    /// Random bytes after a valid handshake never panic, never stall, keep S11, and the task
    /// always ends CLOSED with a close event once the stream ends.
    #[test]
    fn random_frames_never_panic(
        garbage in proptest::collection::vec(any::<u8>(), 0..600),
        prefix in proptest::collection::vec(item(), 0..3),
        picks in proptest::collection::vec(any::<Index>(), 0..10),
    ) {
        let mut h = Harness::new();
        let t = h.open();
        let (mut wire, _, _) = script(&prefix);
        wire.extend(&garbage);
        let mut from = 0;
        for at in splits(wire.len(), &picks).into_iter().chain([wire.len()]) {
            h.feed(t, &wire[from..at]);
            h.take_tx(t);
            from = at;
        }
        let _ = h.client.send(t, Message::Binary(b"x"));
        let _ = h.client.close(h.now, t, Some(CloseCode(3000)), "");
        h.take_tx(t);
        h.eof(t);
        h.advance(Duration::from_secs(10));
        prop_assert_eq!(h.state(t), ReadyState::Closed);
        prop_assert!(matches!(h.log(t).last(), Some(Ev::Close(..))), "{:?}", h.log(t));
        // The slot is free again.
        h.connect(URL);
    }

    /// Random bytes as the response: never a panic; the task opens or fails with exactly one
    /// error, and ends CLOSED.
    #[test]
    fn random_responses_never_panic(
        garbage in proptest::collection::vec(any::<u8>(), 0..400),
        http_prefix in any::<bool>(),
    ) {
        let mut h = Harness::new();
        let t = h.connect(URL);
        h.take_tx(t);
        let mut wire = if http_prefix { b"HTTP/1.1 101 Switching Protocols\r\n".to_vec() } else { Vec::new() };
        wire.extend(&garbage);
        h.feed(t, &wire);
        h.eof(t);
        h.advance(Duration::from_secs(60));
        prop_assert_eq!(h.state(t), ReadyState::Closed);
        let log = h.log(t).to_vec();
        prop_assert!(
            matches!(log.as_slice(), [Ev::Error(_)] | [Ev::Open(_), .., Ev::Close(..)]),
            "{:?}", log
        );
    }

    /// Every message the client sends decodes, unmasked, to what was sent, with the right
    /// opcode, FIN, no RSV bits and a mask key per frame.
    #[test]
    fn client_frames_round_trip(
        messages in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<char>(), 0..200).prop_map(|c| (true, c.into_iter().collect::<String>().into_bytes())),
                small_bytes(70_000).prop_map(|b| (false, b)),
            ],
            1..5,
        ),
        code in prop_oneof![Just(1000u16), 3000u16..5000],
        reason in proptest::collection::vec(any::<char>(), 0..40).prop_map(|c| c.into_iter().collect::<String>()),
    ) {
        prop_assume!(reason.len() <= 123);
        let mut h = Harness::with(sockettask::Config::default(), 1, RX_LEN, 80_000);
        let t = h.open();
        let mut sent = Vec::new();
        for (text, payload) in &messages {
            let message = if *text {
                Message::Text(std::str::from_utf8(payload).unwrap())
            } else {
                Message::Binary(payload)
            };
            h.client.send(t, message).unwrap();
            sent.extend(h.frames(t));
        }
        h.client.close(h.now, t, Some(CloseCode(code)), &reason).unwrap();
        sent.extend(h.frames(t));
        prop_assert_eq!(sent.len(), messages.len() + 1);
        for (frame, (text, payload)) in sent.iter().zip(&messages) {
            prop_assert_eq!(frame.opcode, if *text { OP_TEXT } else { OP_BINARY });
            prop_assert!(frame.fin);
            prop_assert_eq!(frame.rsv, 0);
            prop_assert_eq!(&frame.payload, payload);
        }
        prop_assert_eq!(sent.last().unwrap().close(), Some((code, reason)));
    }

    /// A random driver — server traffic, garbage, sends, closes, partial writes, time, the
    /// stream ending — never panics or stalls, keeps S11 and `poll_timeout` sane (the harness
    /// checks both on every call), and every task ends CLOSED once its stream ends.
    #[test]
    fn random_drivers_keep_the_invariants(
        open_first in any::<bool>(),
        steps in proptest::collection::vec(step(), 0..30),
    ) {
        let mut h = Harness::with(sockettask::Config::default(), 1, SMALL_RX, 1024);
        let t = if open_first { h.open() } else { h.connect(URL) };
        let mut key = None;
        let mut sent = Vec::new();
        for step in steps {
            match step {
                Step::Server(item) => {
                    let mut wire = Vec::new();
                    if h.state(t) == ReadyState::Connecting && key.is_none() {
                        sent.extend(h.take_tx(t));
                        let k = parse_request(&sent).key().to_owned();
                        wire = response_101(&k, &[]);
                        key = Some(k);
                    }
                    wire.extend(script(&[item]).0);
                    h.feed(t, &wire);
                }
                Step::Garbage(bytes) => { h.feed(t, &bytes); }
                Step::ServerClose(1005) => { h.feed(t, &frame(OP_CLOSE, true, &[])); }
                Step::ServerClose(code) => { h.feed(t, &close_frame(code, "")); }
                Step::Send(bytes) => {
                    let before = h.client.buffered_amount(t);
                    if h.client.send(t, Message::Binary(&bytes)).is_err() {
                        prop_assert_eq!(h.client.buffered_amount(t), before, "a refused send changes nothing");
                    }
                }
                Step::Ping(bytes) => { let _ = h.client.ping(t, &bytes); }
                Step::Close(code) => {
                    let state = h.state(t);
                    let result = h.client.close(h.now, t, Some(CloseCode(code)), "");
                    prop_assert_eq!(result.is_ok(), CloseCode(code).is_allowed_for_close() && state != ReadyState::Closed);
                }
                Step::Write(n) => {
                    let mut out = vec![0u8; n];
                    let n = h.client.poll_transmit(h.now, t, &mut out);
                    sent.extend(&out[..n]);
                }
                Step::Advance(ms) => { h.advance(Duration::from_millis(ms)); }
                Step::Eof => { h.eof(t); }
                Step::Fail => { h.transport_error(t, sockettask::TransportError::Reset); }
            }
            h.drain();
        }
        sent.extend(h.take_tx(t));
        h.eof(t);
        h.advance(Duration::from_secs(120));
        prop_assert_eq!(h.state(t), ReadyState::Closed);
        if open_first {
            // What the client wrote is masked frames (the decoder checks) with nothing after
            // its close frame (RFC 6455 §5.5.1); a stream cut by the task's end may end mid-frame.
            let mut rest = sent.as_slice();
            let mut opcodes = Vec::new();
            while let Some((frame, n)) = decode_client_frame(rest) {
                opcodes.push(frame.opcode);
                rest = &rest[n..];
            }
            let closes = opcodes.iter().filter(|&&op| op == OP_CLOSE).count();
            prop_assert!(closes <= 1, "{:?}", opcodes);
            prop_assert!(closes == 0 || opcodes.last() == Some(&OP_CLOSE), "{:?}", opcodes);
        }
        let log = h.log(t).to_vec();
        prop_assert!(
            matches!(log.as_slice(), [Ev::Error(_)] | [.., Ev::Close(..)]),
            "{:?}", log
        );
        h.connect(URL);
    }
}
