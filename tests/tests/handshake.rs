//! The hostile server against the opening handshake (S2, S5, S6, S8, S12): each case is the
//! server's bytes and the exact events the client must report. A refused handshake is
//! `onError` alone (no `onOpen`, no `onClose`), and the client sends nothing after its request.

use std::time::Duration;

use sockettask::HandshakeError::{self, *};
use sockettask::ProtocolCheck;
use sockettask_mio::{Config, ConnectOptions, Limits, Options, TaskError, TransportError};
use sockettask_tests::hostile::{self, Script, UPGRADE};
use sockettask_tests::record::{Rec, insecure, run_one};
use sockettask_tests::wire::{close_frame, frame};

/// The headers of a valid response, without the status line and final CRLF.
const UPGRADE_HEADERS: &str =
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n";

fn options() -> Options {
    insecure(Config::default())
}

/// `101` with `headers` (each ending in CRLF) and the end of the header block.
fn switching(headers: &str) -> String {
    format!("HTTP/1.1 101 Switching Protocols\r\n{headers}\r\n")
}

/// The server answers `response`; the client, offering `protocols`, must fail with `error`
/// and send nothing after its request.
fn refuses(response: &str, protocols: &[&str], config: Config, error: HandshakeError) {
    let script = Script::new().respond(response);
    let (events, seen) = hostile::run(script, insecure(config), ConnectOptions::new("").protocols(protocols));
    assert_eq!(events, [Rec::Error(TaskError::Handshake(error))], "response {response:?}");
    assert!(seen.request.starts_with("GET / HTTP/1.1\r\n"), "{:?}", seen.request);
    assert_eq!(seen.sent, b"", "the client sent bytes after a refused handshake");
}

/// The server answers `response` then closes with 1000; the client, offering `protocols`,
/// must open with `protocol` and end with the close handshake.
fn accepts(response: &str, protocols: &[&str], config: Config, protocol: Option<&str>) {
    let script = Script::new().respond(response).send(&close_frame(1000, ""));
    let (events, seen) = hostile::run(script, insecure(config), ConnectOptions::new("").protocols(protocols));
    assert_eq!(events, [Rec::Open(protocol.map(str::to_owned)), Rec::Close(1000, String::new())]);
    assert_eq!(seen.close_code(), Some(Some(1000)), "the client must echo the server's code");
}

/// One line per case: `name: response => error` (refused) or `name: response => open(p)`.
macro_rules! case {
    ($name:ident: $response:expr => $error:expr) => {
        case!($name: $response, [], Config::default() => $error);
    };
    ($name:ident: $response:expr, $protocols:expr, $config:expr => open($protocol:expr)) => {
        #[test]
        fn $name() {
            accepts(&$response, &$protocols, $config, $protocol);
        }
    };
    ($name:ident: $response:expr, $protocols:expr, $config:expr => $error:expr) => {
        #[test]
        fn $name() {
            refuses(&$response, &$protocols, $config, $error);
        }
    };
}

fn strict() -> Config {
    Config { protocol_check: ProtocolCheck::Strict, ..Config::default() }
}

fn lenient() -> Config {
    Config { protocol_check: ProtocolCheck::Lenient, ..Config::default() }
}

fn header_limit(limit: usize) -> Config {
    Config { limits: Limits { max_header_block: limit, ..Limits::default() }, ..Config::default() }
}

// ---- status line -------------------------------------------------------------------------

case!(status_200: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" => Status(200));
case!(status_301: "HTTP/1.1 301 Moved Permanently\r\nLocation: ws://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n" => Status(301));
case!(status_404: "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found" => Status(404));
case!(status_500: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" => Status(500));
case!(status_100_continue: "HTTP/1.1 100 Continue\r\n\r\n" => Status(100));
case!(http_1_0: UPGRADE.replace("HTTP/1.1", "HTTP/1.0") => Version);

// ---- Upgrade and Connection --------------------------------------------------------------

case!(missing_upgrade: switching("Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => MissingUpgrade);
case!(wrong_upgrade: switching("Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(missing_connection: switching("Upgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n") => MissingConnection);
case!(wrong_connection: switching("Upgrade: websocket\r\nConnection: close\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidConnection);
case!(connection_keep_alive_upgrade: switching("Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"), [], Config::default() => open(None));
case!(tokens_in_any_case: switching("upgrade: WebSocket\r\nCONNECTION: upgrade\r\nsec-websocket-accept: {accept}\r\n"), [], Config::default() => open(None));
case!(connection_token_list: switching("Upgrade: websocket\r\nConnection: Upgrade, keep-alive\r\nSec-WebSocket-Accept: {accept}\r\n"), [], Config::default() => open(None));
case!(connection_on_two_lines: switching("Upgrade: websocket\r\nConnection: keep-alive\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"), [], Config::default() => open(None));
// S8, RFC 6455 §4.1 client rule 2: `Upgrade` is one value, `websocket`, not a list holding it.
case!(upgrade_websocket_and_another: switching("Upgrade: websocket, foo\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(upgrade_token_list: switching("Upgrade: foo/2, websocket\r\nConnection: Upgrade, keep-alive\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(upgrade_on_two_lines: switching("Upgrade: websocket\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(upgrade_empty: switching("Upgrade:\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);

case!(upgrade_token_is_not_a_substring: switching("Upgrade: websocketx\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(upgrade_token_is_not_a_suffix: switching("Upgrade: notwebsocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
case!(connection_token_is_not_a_substring: switching("Upgrade: websocket\r\nConnection: upgraded\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidConnection);
case!(no_whitespace_after_the_colons: switching("Upgrade:websocket\r\nConnection:Upgrade\r\nSec-WebSocket-Accept:{accept}\r\n"), [], Config::default() => open(None));
case!(extra_whitespace_around_values: switching("Upgrade:   websocket  \r\nConnection: \t Upgrade \r\nSec-WebSocket-Accept:  {accept}  \r\n"), [], Config::default() => open(None));
case!(empty_reason_phrase: format!("HTTP/1.1 101 \r\n{UPGRADE_HEADERS}\r\n"), [], Config::default() => open(None));

// ---- Sec-WebSocket-Accept ----------------------------------------------------------------

case!(missing_accept: switching("Upgrade: websocket\r\nConnection: Upgrade\r\n") => MissingAccept);
// RFC 6455 §1.3's accept value: well formed, for another key.
case!(wrong_accept: UPGRADE.replace("{accept}", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") => WrongAccept);
case!(accept_of_the_key_itself: UPGRADE.replace("{accept}", "dGhlIHNhbXBsZSBub25jZQ==") => WrongAccept);
case!(duplicated_accept: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Accept: {{accept}}\r\n")) => DuplicateAccept);

// ---- extensions and subprotocols (S5) ----------------------------------------------------

case!(unrequested_extension: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Extensions: permessage-deflate\r\n")) => UnofferedExtension);
case!(unrequested_protocol: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v1\r\n")) => UnofferedProtocol);
case!(protocol_not_among_offered: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v9\r\n")), ["chat.v1", "chat.v2"], Config::default() => UnofferedProtocol);
case!(missing_protocol_strict: UPGRADE, ["chat.v1"], strict() => MissingProtocol);
case!(missing_protocol_lenient: UPGRADE, ["chat.v1"], lenient() => open(None));
case!(offered_protocol_chosen: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v2\r\n")), ["chat.v1", "chat.v2"], strict() => open(Some("chat.v2")));
case!(two_protocols_in_one_header: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n")), ["chat.v1", "chat.v2"], Config::default() => MultipleProtocols);
case!(two_protocol_headers: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v1\r\nSec-WebSocket-Protocol: chat.v2\r\n")), ["chat.v1", "chat.v2"], Config::default() => MultipleProtocols);
case!(two_protocols_lenient: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n")), ["chat.v1", "chat.v2"], lenient() => MultipleProtocols);

// ---- obs-fold (RFC 9112 §5.2): unfolded, not refused (S8) --------------------------------

case!(folded_upgrade: switching("Upgrade:\r\n websocket\r\nConnection: keep-alive,\r\n\tUpgrade\r\nSec-WebSocket-Accept:\r\n {accept}\r\n"), [], Config::default() => open(None));
case!(folded_protocol: switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol:\r\n chat.v2\r\n")), ["chat.v1", "chat.v2"], strict() => open(Some("chat.v2")));
case!(fold_adding_a_word_to_upgrade: switching("Upgrade: websocket\r\n foo\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n") => InvalidUpgrade);
// RFC 9112 §2.2: whitespace between the status line and the first header: rejected.
case!(whitespace_before_the_first_header: format!("HTTP/1.1 101 Switching Protocols\r\n X-Fold: a\r\n{UPGRADE_HEADERS}\r\n") => Malformed(httparse::Error::HeaderName));

/// A folded header opens the task, and `onOpen` shows the unfolded values: each obs-fold
/// replaced with spaces, the values trimmed.
#[test]
fn folded_headers_open_with_unfolded_values() {
    let response = switching(&format!(
        "{UPGRADE_HEADERS}X-Long: first\r\n second\r\n\tthird\r\nSec-WebSocket-Protocol: \r\n chat.v1 \r\nX-After: 1\r\n"
    ));
    let script = Script::new().respond(response).send(&close_frame(1000, ""));
    let (events, headers, seen) =
        hostile::run_with_headers(script, options(), ConnectOptions::new("").protocols(&["chat.v1"]));
    assert_eq!(events, [Rec::Open(Some("chat.v1".into())), Rec::Close(1000, String::new())]);
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    assert_eq!(headers[..2], [("Upgrade", &b"websocket"[..]), ("Connection", b"Upgrade")]);
    assert_eq!(headers[2].0, "Sec-WebSocket-Accept");
    assert_eq!(
        headers[3..],
        [
            ("X-Long", &b"first   second   third"[..]),
            ("Sec-WebSocket-Protocol", b"chat.v1"),
            ("X-After", b"1")
        ]
    );
    assert_eq!(seen.close_code(), Some(Some(1000)));
}

/// S8: `Upgrade: websocket, foo` is refused with `onError` alone, and `onOpen` never sees it.
#[test]
fn upgrade_with_a_second_value_never_opens() {
    let response =
        switching("Upgrade: websocket, foo\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n");
    let (events, headers, seen) =
        hostile::run_with_headers(Script::new().respond(response), options(), ConnectOptions::new(""));
    assert_eq!(events, [Rec::Error(TaskError::Handshake(InvalidUpgrade))]);
    assert!(headers.is_empty());
    assert_eq!(seen.sent, b"");
}

// ---- size, garbage, EOF ------------------------------------------------------------------

case!(header_block_over_the_default_limit: switching(&format!("{UPGRADE_HEADERS}X-Filler: {}\r\n", "a".repeat(8 * 1024))), [], Config::default() => HeaderBlockTooLarge { limit: 8 * 1024 });
case!(header_block_one_byte_over_a_configured_limit: switching(&format!("{UPGRADE_HEADERS}X-Filler: {}\r\n", "a".repeat(1024 - 140))), [], header_limit(1024) => HeaderBlockTooLarge { limit: 1024 });
case!(header_block_of_exactly_a_configured_limit: switching(&format!("{UPGRADE_HEADERS}X-Filler: {}\r\n", "a".repeat(1024 - 141))), [], header_limit(1024) => open(None));
case!(binary_garbage: "\x00\x01garbage\r\n\r\n" => Malformed(httparse::Error::Version));
case!(not_http: "SSH-2.0-OpenSSH_9.6\r\n\r\n" => Malformed(httparse::Error::Version));
case!(header_without_colon: switching("Upgrade websocket\r\n") => Malformed(httparse::Error::HeaderName));

/// S8: the limit is on the header block alone: frames after it in the same write do not count.
#[test]
fn header_block_of_exactly_the_limit_with_frames_in_the_same_write() {
    let head = switching(&format!("{UPGRADE_HEADERS}X-Filler: {}\r\n", "a".repeat(1024 - 141)));
    let mut bytes = head.into_bytes();
    bytes.extend(frame(0x2, &[9; 3000]));
    bytes.extend(close_frame(1000, ""));
    let (events, _) =
        hostile::run(Script::new().respond(bytes), insecure(header_limit(1024)), ConnectOptions::new(""));
    assert_eq!(events, [Rec::Open(None), Rec::Binary(vec![9; 3000]), Rec::Close(1000, String::new())]);
}

/// A header block that never ends fails as soon as it passes the limit, without waiting
/// for the end or the connect timeout.
#[test]
fn header_block_that_never_ends_fails_at_the_limit() {
    let endless =
        format!("HTTP/1.1 101 Switching Protocols\r\n{}", "X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n".repeat(400));
    let (events, elapsed, seen) =
        with_timeout(Script::new().respond(endless).sleep(Duration::from_secs(2)), Duration::from_secs(5));
    assert_eq!(events, [Rec::Error(TaskError::Handshake(HeaderBlockTooLarge { limit: 8 * 1024 }))]);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(seen.sent, b"");
}

// ---- timing, pieces, EOF, reset ----------------------------------------------------------

/// Runs `script` with default options and no protocols.
fn play(script: Script) -> (Vec<Rec>, hostile::Seen) {
    hostile::run(script, options(), ConnectOptions::new(""))
}

/// S12's option: `onError`, then `onClose { 1006 }`, for apps that reconnect in `onClose`.
#[test]
fn failure_before_open_with_error_then_close() {
    let config = Config { failure_events: sockettask::FailureEvents::ErrorThenClose, ..Config::default() };
    let script = Script::new().respond("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    let (events, seen) = hostile::run(script, insecure(config), ConnectOptions::new(""));
    assert_eq!(events, [Rec::Error(TaskError::Handshake(Status(503))), Rec::abnormal()]);
    assert_eq!(seen.sent, b"");
}

#[test]
fn eof_before_any_response() {
    let (events, seen) = play(Script::new().eof());
    assert_eq!(events, [Rec::Error(TaskError::Handshake(Eof))]);
    assert_eq!(seen.sent, b"");
}

#[test]
fn eof_mid_header() {
    let (events, seen) =
        play(Script::new().respond("HTTP/1.1 101 Switching Protocols\r\nUpgrade: web").eof());
    assert_eq!(events, [Rec::Error(TaskError::Handshake(Eof))]);
    assert_eq!(seen.sent, b"");
}

#[test]
fn eof_between_the_header_lines_and_the_empty_line() {
    let response = UPGRADE.trim_end_matches("\r\n").to_owned() + "\r\n";
    let (events, _) = play(Script::new().respond(&response).eof());
    assert_eq!(events, [Rec::Error(TaskError::Handshake(Eof))]);
}

#[test]
fn reset_mid_header() {
    let (events, _) =
        play(Script::new().respond("HTTP/1.1 101 Switching").sleep(Duration::from_millis(50)).reset());
    assert_eq!(events, [Rec::Error(TaskError::Transport(TransportError::Reset))]);
}

/// Runs `script` with a connect timeout of `timeout`; returns the events, how long the task
/// took (the server may go on after it) and what the server saw.
fn with_timeout(script: Script, timeout: Duration) -> (Vec<Rec>, Duration, hostile::Seen) {
    let server = script.serve();
    let url = server.url("/");
    let started = std::time::Instant::now();
    let events = run_one(options(), ConnectOptions::new(&url).timeout(timeout), Duration::from_secs(10));
    (events, started.elapsed(), server.finish())
}

#[test]
fn silence_hits_the_connect_timeout() {
    let (events, elapsed, _) =
        with_timeout(Script::new().sleep(Duration::from_secs(2)), Duration::from_millis(300));
    assert_eq!(events, [Rec::Error(TaskError::Timeout)]);
    assert!(elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(2), "{elapsed:?}");
}

/// S6: the connect timeout covers the whole upgrade: a response dribbled one byte per
/// 100 ms (about 13 s for the whole block) fails at the timeout, not when it completes.
#[test]
fn header_block_dribbled_past_the_connect_timeout() {
    let script = Script::new().dribble(UPGRADE, Duration::from_millis(100));
    let (events, elapsed, seen) = with_timeout(script, Duration::from_millis(700));
    assert_eq!(events, [Rec::Error(TaskError::Timeout)]);
    assert!(elapsed >= Duration::from_millis(690) && elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(seen.sent, b"");
}

/// A response written one byte at a time, without delay, within the timeout: accepted.
#[test]
fn header_block_in_one_byte_pieces_within_the_timeout() {
    let script =
        Script::new().dribble(UPGRADE, Duration::from_millis(1)).send(&close_frame(4000, "piecewise"));
    let (events, seen) = play(script);
    assert_eq!(events, [Rec::Open(None), Rec::Close(4000, "piecewise".into())]);
    assert_eq!(seen.close_code(), Some(Some(4000)));
}

/// S8: bytes after the header block are the first frames, even in the same read.
#[test]
fn frames_in_the_same_read_as_the_101() {
    let mut bytes = UPGRADE.as_bytes().to_vec();
    bytes.extend(frame(0x1, b"Hello"));
    bytes.extend(frame(0x2, &[1, 2, 3]));
    bytes.extend(close_frame(1000, "bye"));
    let (events, seen) = play(Script::new().respond(bytes));
    assert_eq!(
        events,
        [
            Rec::Open(None),
            Rec::Text("Hello".into()),
            Rec::Binary(vec![1, 2, 3]),
            Rec::Close(1000, "bye".into())
        ]
    );
    assert_eq!(seen.close_code(), Some(Some(1000)));
}

/// The same, then a protocol error in that read: open, error, close 1002 (nothing lost
/// before the bad frame).
#[test]
fn a_bad_frame_in_the_same_read_as_the_101() {
    let mut bytes = UPGRADE.as_bytes().to_vec();
    bytes.extend(frame(0x1, b"ok"));
    bytes.extend([0x83, 0x00]);
    let (events, seen) = play(Script::new().respond(bytes));
    let error = sockettask::ProtocolError::ReservedOpcode(3);
    assert_eq!(
        events,
        [
            Rec::Open(None),
            Rec::Text("ok".into()),
            Rec::Error(TaskError::Protocol(error)),
            Rec::failed(1002, error)
        ]
    );
    assert_eq!(seen.close_code(), Some(Some(1002)));
}

/// The request itself (S7), as the hostile server read it.
#[test]
fn the_request_is_rfc_6455_4_1() {
    let script =
        Script::new().respond(switching(&format!("{UPGRADE_HEADERS}Sec-WebSocket-Protocol: b\r\n"))).eof();
    let (events, seen) = hostile::run(
        script,
        options(),
        ConnectOptions::new("").protocols(&["a", "b"]).header(&[("x-token", "t")]),
    );
    assert_eq!(events, [Rec::Open(Some("b".into())), Rec::abnormal()]);
    let head = &seen.request;
    assert!(head.starts_with("GET / HTTP/1.1\r\n"), "{head}");
    assert_eq!(hostile::header(head, "host").map(|h| h.starts_with("127.0.0.1:")), Some(true));
    assert_eq!(hostile::header(head, "upgrade"), Some("websocket"));
    assert_eq!(hostile::header(head, "connection"), Some("Upgrade"));
    assert_eq!(hostile::header(head, "sec-websocket-version"), Some("13"));
    assert_eq!(hostile::header(head, "sec-websocket-key").map(str::len), Some(24));
    assert_eq!(hostile::header(head, "sec-websocket-protocol"), Some("a, b"));
    assert_eq!(hostile::header(head, "x-token"), Some("t"));
    assert_eq!(hostile::header(head, "sec-websocket-extensions"), None);
}
