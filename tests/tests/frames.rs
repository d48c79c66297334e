//! The hostile server after a valid handshake (S13, S17–S20): each case is the frames the
//! server sends and the exact events the client must report. When the client fails the
//! connection it reports `onOpen`, `onError`, then `onClose` with the error's code, and the
//! close frame it sends carries that code; when the link just drops it reports
//! `onClose { 1006 }` and sends no close frame.

use std::time::Duration;

use sockettask::CloseCode;
use sockettask::ProtocolError::{self, *};
use sockettask_mio::{Config, ConnectOptions, Limits, Options, TaskError, TransportError};
use sockettask_tests::hostile::{self, Script, Seen, UPGRADE};
use sockettask_tests::record::{Rec, insecure};
use sockettask_tests::wire::{ClientFrame, close_frame, frame};

fn options() -> Options {
    insecure(Config::default())
}

fn limits(limits: Limits) -> Options {
    insecure(Config { limits, ..Config::default() })
}

/// Upgrades, sends `bytes`, then records; returns the events and what the server saw.
fn play(bytes: &[u8], options: Options) -> (Vec<Rec>, Seen) {
    play_script(Script::new().respond(UPGRADE).send(bytes), options)
}

fn play_script(script: Script, options: Options) -> (Vec<Rec>, Seen) {
    let (events, seen) = hostile::run(script, options, ConnectOptions::new(""));
    for frame in seen.frames() {
        assert!(frame.masked, "RFC 6455 §5.3: an unmasked client frame {frame:?}");
    }
    (events, seen)
}

/// The client must deliver `before`, then fail with `error`: `onError`, `onClose` with its
/// code and words, and a close frame carrying both.
fn fails(bytes: &[u8], options: Options, before: &[Rec], error: ProtocolError) {
    let (events, seen) = play(bytes, options);
    let code = error.close_code().0;
    let mut expected = vec![Rec::Open(None)];
    expected.extend_from_slice(before);
    expected.extend([Rec::Error(TaskError::Protocol(error)), Rec::failed(code, error)]);
    assert_eq!(events, expected, "server sent {:02x?}", &bytes[..bytes.len().min(16)]);
    let closes = seen.close_frames();
    assert_eq!(closes.len(), 1, "one close frame: {:?}", seen.frames());
    assert_eq!(closes[0].close_code(), Some(code), "the client's close code");
    assert_eq!(closes[0].close_reason(), error.reason());
}

/// One line per case: `name: server bytes => error`, optionally with options and the
/// messages delivered before the error.
macro_rules! fails {
    ($name:ident: $bytes:expr => $error:expr) => {
        fails!($name: $bytes, options(), [] => $error);
    };
    ($name:ident: $bytes:expr, $options:expr => $error:expr) => {
        fails!($name: $bytes, $options, [] => $error);
    };
    ($name:ident: $bytes:expr, $options:expr, [$($before:expr),*] => $error:expr) => {
        #[test]
        fn $name() {
            fails(&$bytes, $options, &[$($before),*], $error);
        }
    };
}

/// `bytes` followed by `n` bytes of `fill`.
fn with(bytes: &[u8], n: usize, fill: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.resize(bytes.len() + n, fill);
    out
}

fn text(s: &str) -> Rec {
    Rec::Text(s.into())
}

// ---- S17: framing ------------------------------------------------------------------------

fails!(masked_server_frame: [0x81, 0x81, 1, 2, 3, 4, b'x' ^ 1] => MaskedFrame);
fails!(masked_empty_server_frame: [0x82, 0x80, 1, 2, 3, 4] => MaskedFrame);
fails!(rsv1: [0xc1, 0x01, b'x'] => ReservedBits);
fails!(rsv2: [0xa1, 0x01, b'x'] => ReservedBits);
fails!(rsv3: [0x91, 0x01, b'x'] => ReservedBits);
fails!(rsv1_on_a_ping: [0xc9, 0x00] => ReservedBits);
fails!(opcode_3: [0x83, 0x00] => ReservedOpcode(3));
fails!(opcode_4: [0x84, 0x00] => ReservedOpcode(4));
fails!(opcode_5: [0x85, 0x00] => ReservedOpcode(5));
fails!(opcode_6: [0x86, 0x00] => ReservedOpcode(6));
fails!(opcode_7: [0x87, 0x01, b'x'] => ReservedOpcode(7));
fails!(opcode_11: [0x8b, 0x00] => ReservedOpcode(11));
fails!(opcode_12: [0x8c, 0x00] => ReservedOpcode(12));
fails!(opcode_13: [0x8d, 0x00] => ReservedOpcode(13));
fails!(opcode_14: [0x8e, 0x00] => ReservedOpcode(14));
fails!(opcode_15: [0x8f, 0x01, b'x'] => ReservedOpcode(15));
fails!(fragmented_ping: [0x09, 0x01, b'x', 0x80, 0x01, b'y'] => FragmentedControl);
fails!(fragmented_close: [0x08, 0x02, 0x03, 0xe8] => FragmentedControl);
fails!(ping_of_126_bytes: with(&[0x89, 0x7e, 0x00, 0x7e], 126, b'p') => ControlTooLong);
fails!(close_of_126_bytes: with(&[0x88, 0x7e, 0x00, 0x7e, 0x03, 0xe8], 124, b'r') => ControlTooLong);
fails!(pong_header_claiming_64_kib: [0x8a, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0] => ControlTooLong);
fails!(continuation_without_a_start: [0x80, 0x01, b'x'] => UnexpectedContinuation);
fails!(unfinished_continuation_without_a_start: [0x00, 0x01, b'x'] => UnexpectedContinuation);
fails!(continuation_after_a_finished_message: [0x81, 0x01, b'a', 0x80, 0x01, b'b'], options(), [text("a")] => UnexpectedContinuation);
fails!(text_inside_a_fragmented_text: [0x01, 0x01, b'a', 0x81, 0x01, b'b'] => ExpectedContinuation);
fails!(binary_inside_a_fragmented_text: [0x01, 0x01, b'a', 0x02, 0x01, b'b'] => ExpectedContinuation);
fails!(text_inside_a_fragmented_binary: [0x02, 0x01, 0xff, 0x81, 0x00] => ExpectedContinuation);
fails!(length_126_for_5_bytes: [0x81, 0x7e, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o'] => NonMinimalLength);
fails!(length_127_for_200_bytes: with(&[0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 200], 200, 0) => NonMinimalLength);
fails!(length_with_the_top_bit_set: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0] => LengthOverflow);
fails!(length_of_all_ones: [0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] => LengthOverflow);

// ---- S18: UTF-8 (fail fast: the rest of the message is never sent) -----------------------

fails!(invalid_utf8_at_the_start: [0x81, 0x02, 0xff, b'a'] => InvalidUtf8);
fails!(invalid_utf8_in_the_middle: [0x81, 0x05, b'a', b'b', 0xc3, 0x28, b'c'] => InvalidUtf8);
fails!(invalid_utf8_at_the_end: [0x81, 0x02, b'a', 0xe2] => InvalidUtf8);
fails!(invalid_utf8_in_a_first_fragment_without_the_rest: [0x01, 0x02, 0xff, b'a'] => InvalidUtf8);
fails!(invalid_utf8_split_across_fragments: [0x01, 0x02, b'a', 0xe2, 0x00, 0x01, 0x82, 0x80, 0x01, 0x28] => InvalidUtf8);
fails!(utf8_cut_short_by_the_last_fragment: [0x01, 0x02, b'a', 0xe2, 0x80, 0x01, 0x82] => InvalidUtf8);
fails!(overlong_utf8: [0x81, 0x02, 0xc0, 0xaf] => InvalidUtf8);
fails!(utf16_surrogate: [0x81, 0x03, 0xed, 0xa0, 0x80] => InvalidUtf8);
fails!(code_point_over_u10ffff: [0x81, 0x04, 0xf4, 0x90, 0x80, 0x80] => InvalidUtf8);
fails!(invalid_utf8_after_valid_messages: [0x81, 0x01, b'a', 0x82, 0x01, 0xff, 0x81, 0x01, 0xff], options(), [text("a"), Rec::Binary(vec![0xff])] => InvalidUtf8);

// ---- S19: close frames -------------------------------------------------------------------

fails!(close_with_a_1_byte_payload: [0x88, 0x01, 0x03] => InvalidClosePayload);
fails!(close_code_0: close_frame(0, "") => InvalidCloseCode(CloseCode(0)));
fails!(close_code_999: close_frame(999, "") => InvalidCloseCode(CloseCode(999)));
fails!(close_code_1004: close_frame(1004, "") => InvalidCloseCode(CloseCode(1004)));
fails!(close_code_1005: close_frame(1005, "") => InvalidCloseCode(CloseCode(1005)));
fails!(close_code_1006: close_frame(1006, "") => InvalidCloseCode(CloseCode(1006)));
fails!(close_code_1015: close_frame(1015, "") => InvalidCloseCode(CloseCode(1015)));
fails!(close_code_1016: close_frame(1016, "") => InvalidCloseCode(CloseCode(1016)));
fails!(close_code_2999: close_frame(2999, "") => InvalidCloseCode(CloseCode(2999)));
fails!(close_code_5000: close_frame(5000, "") => InvalidCloseCode(CloseCode(5000)));
fails!(close_code_65535: close_frame(65535, "") => InvalidCloseCode(CloseCode(65535)));
fails!(close_with_an_invalid_utf8_reason: [0x88, 0x04, 0x03, 0xe8, 0xff, 0xfe] => InvalidUtf8);
fails!(close_with_a_truncated_utf8_reason: [0x88, 0x05, 0x03, 0xe8, b'o', b'k', 0xe2] => InvalidUtf8);

// ---- S20: limits -------------------------------------------------------------------------

fn frame_limit(n: usize) -> Options {
    limits(Limits { max_frame_size: n, ..Limits::default() })
}

fn message_limit(n: usize) -> Options {
    limits(Limits { max_message_size: n, ..Limits::default() })
}

fn fragment_limit(n: usize) -> Options {
    limits(Limits { max_fragments: n, ..Limits::default() })
}

// A header announcing 1025 bytes is enough: the payload never comes.
fails!(frame_over_the_limit: [0x82, 0x7e, 0x04, 0x01], frame_limit(1024) => FrameTooLarge);
fails!(frame_over_the_limit_in_a_fragment: [0x02, 0x01, 0, 0x80, 0x7e, 0x04, 0x01], frame_limit(1024) => FrameTooLarge);
fails!(message_over_the_limit_in_one_frame: [0x82, 0x7e, 0x10, 0x01], message_limit(4096) => MessageTooLarge);
fails!(message_over_the_limit_in_fragments: [with(&[0x01, 0x7e, 0x07, 0xd0], 2000, b'a'), with(&[0x00, 0x7e, 0x07, 0xd0], 2000, b'b'), with(&[0x80, 0x61], 97, b'c')].concat(), message_limit(4096) => MessageTooLarge);
fails!(too_many_fragments: [0x01, 1, b'a', 0x00, 1, b'b', 0x00, 1, b'c', 0x00, 1, b'd', 0x80, 1, b'e'], fragment_limit(4) => TooManyFragments);
fails!(too_many_empty_fragments: [vec![0x02, 0x00], [0x00, 0x00].repeat(4), vec![0x80, 0x00]].concat(), fragment_limit(4) => TooManyFragments);

/// The limits are inclusive: a frame, a message and a fragment count exactly at the limit
/// are delivered.
#[test]
fn messages_exactly_at_the_limits() {
    let config = Config {
        limits: Limits {
            max_frame_size: 1024,
            max_message_size: 4096,
            max_fragments: 4,
            ..Limits::default()
        },
        ..Config::default()
    };
    let mut bytes = frame(0x2, &[7; 1024]);
    // A text message in 4 fragments of 1024 bytes: 4096 bytes in all.
    for first_byte in [0x01, 0x00, 0x00, 0x80] {
        bytes.extend(with(&[first_byte, 0x7e, 0x04, 0x00], 1024, b'x'));
    }
    bytes.extend(close_frame(1000, ""));
    let (events, seen) = play(&bytes, insecure(config));
    assert_eq!(
        events,
        [
            Rec::Open(None),
            Rec::Binary(vec![7; 1024]),
            text(&"x".repeat(4096)),
            Rec::Close(1000, String::new())
        ]
    );
    assert_eq!(seen.close_code(), Some(Some(1000)));
}

// ---- the link drops: 1006, no close frame ------------------------------------------------

fn drops(script: Script, before: &[Rec], error: Option<TransportError>) {
    let (events, seen) = play_script(script, options());
    let mut expected = vec![Rec::Open(None)];
    expected.extend_from_slice(before);
    expected.extend(error.map(|e| Rec::Error(TaskError::Transport(e))));
    expected.push(Rec::abnormal());
    assert_eq!(events, expected);
    assert_eq!(seen.close_code(), None, "no close frame after the link dropped");
}

#[test]
fn eof_right_after_the_handshake() {
    drops(Script::new().respond(UPGRADE).eof(), &[], None);
}

#[test]
fn eof_mid_frame_header() {
    drops(Script::new().respond(UPGRADE).send(&[0x82, 0x7e, 0x01]).eof(), &[], None);
}

#[test]
fn eof_mid_frame_payload() {
    drops(Script::new().respond(UPGRADE).send(&with(&[0x82, 0x7e, 0x01, 0x00], 10, 0)).eof(), &[], None);
}

#[test]
fn eof_mid_fragmented_message() {
    let bytes = [0x81, 0x01, b'a', 0x01, 0x01, b'b'];
    drops(Script::new().respond(UPGRADE).send(&bytes).eof(), &[text("a")], None);
}

#[test]
fn eof_mid_close_frame() {
    drops(Script::new().respond(UPGRADE).send(&[0x88, 0x05, 0x03, 0xe8]).eof(), &[], None);
}

#[test]
fn tcp_reset_after_the_handshake() {
    let script = Script::new().respond(UPGRADE).sleep(Duration::from_millis(50)).reset();
    drops(script, &[], Some(TransportError::Reset));
}

#[test]
fn tcp_reset_mid_frame() {
    let bytes = [0x81, 0x01, b'a', 0x82, 0x7e, 0x01, 0x00, 0, 0];
    let script = Script::new().respond(UPGRADE).send(&bytes).sleep(Duration::from_millis(50)).reset();
    drops(script, &[text("a")], Some(TransportError::Reset));
}

// ---- what a well-behaved server may do ---------------------------------------------------

/// Plays `bytes` (which end with the server's close) and expects `events` after `onOpen`;
/// returns the client's frames.
fn delivers(bytes: &[u8], events: &[Rec]) -> Vec<ClientFrame> {
    let (got, seen) = play(bytes, options());
    let mut expected = vec![Rec::Open(None)];
    expected.extend_from_slice(events);
    assert_eq!(got, expected, "server sent {:02x?}", &bytes[..bytes.len().min(16)]);
    seen.frames()
}

#[test]
fn ping_is_answered_with_the_same_payload() {
    let bytes = [frame(0x9, b"are you there?"), frame(0x9, b""), close_frame(1000, "")].concat();
    let frames = delivers(&bytes, &[Rec::Close(1000, String::new())]);
    let kinds: Vec<_> = frames.iter().map(|f| (f.opcode, f.payload.clone())).collect();
    assert_eq!(kinds, [(0xa, b"are you there?".to_vec()), (0xa, vec![]), (0x8, vec![0x03, 0xe8])]);
}

#[test]
fn control_frames_between_fragments() {
    let bytes = [
        vec![0x01, 0x03, b'H', b'e', b'l'],
        frame(0x9, b"p"),
        frame(0xa, b"unsolicited pong"),
        vec![0x00, 0x00, 0x80, 0x02, b'l', b'o'],
        close_frame(1000, ""),
    ]
    .concat();
    let frames = delivers(&bytes, &[text("Hello"), Rec::Close(1000, String::new())]);
    assert_eq!(frames[0].opcode, 0xa);
    assert_eq!(frames[0].payload, b"p");
}

#[test]
fn utf8_split_into_one_byte_fragments() {
    let emoji = "😀".as_bytes();
    let mut bytes = Vec::new();
    for (i, byte) in emoji.iter().enumerate() {
        let opcode = if i == 0 { 0x01 } else { 0x00 };
        let fin = if i == emoji.len() - 1 { 0x80 } else { 0x00 };
        bytes.extend([fin | opcode, 0x01, *byte]);
    }
    bytes.extend(close_frame(1000, ""));
    delivers(&bytes, &[text("😀"), Rec::Close(1000, String::new())]);
}

#[test]
fn empty_messages_and_empty_fragments() {
    let bytes =
        [frame(0x1, b""), frame(0x2, b""), vec![0x01, 0x00, 0x00, 0x00, 0x80, 0x00], close_frame(1000, "")]
            .concat();
    delivers(&bytes, &[text(""), Rec::Binary(vec![]), text(""), Rec::Close(1000, String::new())]);
}

#[test]
fn close_without_a_code_is_1005_and_echoed_empty() {
    let frames = delivers(&[0x88, 0x00], &[Rec::Close(1005, String::new())]);
    assert_eq!(frames.iter().map(|f| (f.opcode, f.payload.len())).collect::<Vec<_>>(), [(0x8, 0)]);
}

#[test]
fn every_valid_close_code_is_reported_and_echoed() {
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999] {
        let frames = delivers(&close_frame(code, "why"), &[Rec::Close(code, "why".into())]);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].close_code(), Some(code));
    }
}

#[test]
fn close_reason_of_123_bytes() {
    let reason = "é".repeat(61) + "x";
    assert_eq!(reason.len(), 123);
    delivers(&close_frame(4000, &reason), &[Rec::Close(4000, reason.clone())]);
}

#[test]
fn frames_after_the_servers_close_are_not_delivered() {
    let bytes = [close_frame(1000, "bye"), frame(0x1, b"late"), frame(0x9, b"late")].concat();
    let frames = delivers(&bytes, &[Rec::Close(1000, "bye".into())]);
    assert_eq!(frames.iter().map(|f| f.opcode).collect::<Vec<_>>(), [0x8], "no pong after the close");
}

// ---- while the client's own close is under way -------------------------------------------

/// The client closes at once on `onOpen`; the server then sends `bytes` (200 ms later).
fn after_client_close(bytes: &[u8]) -> (Vec<Rec>, Seen) {
    let server = Script::new().respond(UPGRADE).sleep(Duration::from_millis(200)).send(bytes).serve();
    let mut client = sockettask_mio::Client::new(options()).expect("client");
    let url = server.url("/");
    let task = client.connect_socket(ConnectOptions::new(&url)).expect("connectSocket");
    let log = sockettask_tests::record::Log::attach(&mut client, task);
    task.on_open(&mut client, |client, task, _| {
        task.close(client, Some(CloseCode(4000)), "mine").expect("close")
    });
    sockettask_tests::record::run_to_end(&mut client, Duration::from_secs(10));
    (log.events(), server.finish())
}

#[test]
fn protocol_error_while_closing_reports_its_code() {
    let (events, seen) = after_client_close(&[0x83, 0x00]);
    let error = ReservedOpcode(3);
    assert_eq!(events, [Rec::Open(None), Rec::Error(TaskError::Protocol(error)), Rec::failed(1002, error)]);
    assert_eq!(seen.close_code(), Some(Some(4000)), "one close frame: the client's own");
}

/// S11 allows messages until `onClose`: one the server sent before it saw the client's close
/// is still delivered in CLOSING (browsers drop it: WHATWG fires `message` only in OPEN).
#[test]
fn a_message_while_closing_is_delivered_and_the_servers_close_ends_it() {
    let bytes = [frame(0x1, b"late"), close_frame(4000, "yours")].concat();
    let (events, seen) = after_client_close(&bytes);
    assert_eq!(events, [Rec::Open(None), Rec::Text("late".into()), Rec::Close(4000, "yours".into())]);
    assert_eq!(seen.close_code(), Some(Some(4000)));
}

#[test]
fn ping_of_125_bytes_is_answered() {
    let payload = [0xa5u8; 125];
    let frames =
        delivers(&[frame(0x9, &payload), close_frame(1000, "")].concat(), &[Rec::Close(1000, String::new())]);
    assert_eq!((frames[0].opcode, frames[0].payload.as_slice()), (0xa, &payload[..]));
}

#[test]
fn invalid_utf8_at_the_end_of_a_large_message_arriving_in_pieces() {
    let mut text = "a".repeat(300_000).into_bytes();
    text.push(0xff);
    let bytes = frame(0x1, &text);
    let mut script = Script::new().respond(UPGRADE);
    for chunk in bytes.chunks(50_000) {
        script = script.send(chunk).sleep(Duration::from_millis(5));
    }
    let (events, seen) = play_script(script, options());
    assert_eq!(
        events,
        [Rec::Open(None), Rec::Error(TaskError::Protocol(InvalidUtf8)), Rec::failed(1007, InvalidUtf8)]
    );
    assert_eq!(seen.close_code(), Some(Some(1007)));
}

#[test]
fn tcp_reset_after_the_servers_close_frame() {
    let script = Script::new()
        .respond(UPGRADE)
        .send(&close_frame(1001, "going"))
        .sleep(Duration::from_millis(100))
        .reset();
    let (events, _) = play_script(script, options());
    assert_eq!(events, [Rec::Open(None), Rec::Close(1001, "going".into())]);
}

// ---- pieces and floods -------------------------------------------------------------------

/// Any split of the input gives the same events: the frames of a mixed conversation, one
/// byte per write.
#[test]
fn frames_one_byte_at_a_time() {
    let bytes = [
        frame(0x1, b"Hello"),
        vec![0x02, 0x02, 1, 2],
        frame(0x9, b"ping"),
        vec![0x80, 0x7e, 0x01, 0x00],
        vec![3; 256],
        close_frame(4000, "bye"),
    ]
    .concat();
    let script = Script::new().respond(UPGRADE).dribble(&bytes, Duration::from_micros(200));
    let (events, seen) = play_script(script, options());
    let mut binary = vec![1, 2];
    binary.extend([3; 256]);
    assert_eq!(events, [Rec::Open(None), text("Hello"), Rec::Binary(binary), Rec::Close(4000, "bye".into())]);
    let frames = seen.frames();
    assert_eq!(frames.iter().map(|f| f.opcode).collect::<Vec<_>>(), [0xa, 0x8]);
    assert_eq!(frames[0].payload, b"ping");
}

/// The same, with a protocol error at the end: every message before it is delivered.
#[test]
fn a_protocol_error_one_byte_at_a_time() {
    let bytes = [frame(0x1, b"one"), frame(0x1, b"two"), vec![0x81, 0x03, b'a', 0xc3, 0x28]].concat();
    let script = Script::new().respond(UPGRADE).dribble(&bytes, Duration::from_micros(200));
    let (events, seen) = play_script(script, options());
    assert_eq!(
        events,
        [
            Rec::Open(None),
            text("one"),
            text("two"),
            Rec::Error(TaskError::Protocol(InvalidUtf8)),
            Rec::failed(1007, InvalidUtf8)
        ]
    );
    assert_eq!(seen.close_code(), Some(Some(1007)));
}

/// RFC 6455 §5.5.3: a pong may answer only the most recent ping. A flood of 200 pings in
/// one write: every pong the client sends carries a ping's payload, the last ping is
/// answered, and the connection goes on to a clean close.
#[test]
fn ping_flood() {
    let mut bytes: Vec<u8> = (0..200u32).flat_map(|i| frame(0x9, format!("ping {i}").as_bytes())).collect();
    bytes.extend(frame(0x1, b"still here"));
    bytes.extend(close_frame(1000, ""));
    let frames = delivers(&bytes, &[text("still here"), Rec::Close(1000, String::new())]);
    let pongs: Vec<String> = frames
        .iter()
        .filter(|f| f.opcode == 0xa)
        .map(|f| String::from_utf8_lossy(&f.payload).into())
        .collect();
    assert!(!pongs.is_empty());
    assert!(pongs.iter().all(|p| p.starts_with("ping ")), "{pongs:?}");
    assert_eq!(pongs.last().map(String::as_str), Some("ping 199"));
    assert_eq!(frames.last().map(|f| f.opcode), Some(0x8));
}

#[test]
fn close_in_the_middle_of_a_fragmented_message() {
    let frames = delivers(
        &[vec![0x01, 0x01, b'a'], close_frame(1000, "cut")].concat(),
        &[Rec::Close(1000, "cut".into())],
    );
    assert_eq!(frames.iter().map(|f| f.opcode).collect::<Vec<_>>(), [0x8]);
}
