//! The `log` feature: the lines scripted sessions write (connect, open with the protocol, a
//! close started by the peer, by `close()`, by a failure, timeouts, errors), and that no
//! payload byte, path or query ever appears in them.
//!
//! `cargo test -p sockettask --features log --test log`
#![cfg(feature = "log")]

mod support;

use std::cell::RefCell;
use std::sync::Once;

use sockettask::{CloseCode, Config, ConnectOptions, FailureEvents, TransportError};
use support::*;

// ---- a logger that keeps each test thread's lines ------------------------------------------

/// Every record, as `"LEVEL message"`, of the thread that wrote it: tests run on threads of
/// their own and share the one global logger.
struct Capture;

thread_local! {
    static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        assert!(record.target().starts_with("sockettask"), "target {}", record.target());
        let line = format!("{} {}", record.level(), record.args());
        LINES.with(|lines| lines.borrow_mut().push(line));
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

/// Installs the logger (once per process) and forgets this thread's earlier lines.
fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
    LINES.with(|lines| lines.borrow_mut().clear());
}

/// The lines written on this thread since the last call.
fn lines() -> Vec<String> {
    LINES.with(|lines| std::mem::take(&mut *lines.borrow_mut()))
}

/// Payload bytes, paths and query strings that the sessions below carry: none may be logged.
const SECRETS: [&str; 7] = ["s3cr3t", "token", "/chat", "PAYLOAD", "BINARY", "PINGDATA", "PONGDATA"];

fn assert_no_secret(lines: &[String]) {
    for line in lines {
        for secret in SECRETS {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
}

/// A session's traffic after OPEN: a text and a binary message, a ping and a pong, each
/// carrying bytes that must never reach a log line.
fn traffic() -> Vec<u8> {
    [text("PAYLOAD text"), binary(b"BINARY bytes"), ping(b"PINGDATA"), pong(b"PONGDATA")].concat()
}

// ---- open, and closes from either side ----------------------------------------------------

#[test]
fn open_with_a_protocol_then_the_peer_closes() {
    capture();
    let mut h = Harness::new();
    let options = ConnectOptions::new("wss://example.com:8443/chat?token=s3cr3t").protocols(&["chat", "v2"]);
    let t = h.try_connect(&options).unwrap();
    h.respond(t, |key| response_101(key, &["Sec-WebSocket-Protocol: chat"]));
    h.feed(t, &traffic());
    h.feed(t, &close_frame(4000, "server bye"));
    h.take_tx(t);
    // Bytes after the peer's close are dropped, and never logged either.
    h.feed(t, &text("PAYLOAD after close"));
    assert_eq!(h.eof(t), [Ev::close(4000, "server bye")]);
    let lines = lines();
    assert_eq!(
        lines,
        [
            "INFO socketTaskId 1 connect to example.com port 8443 (wss)",
            "INFO socketTaskId 1 open, protocol \"chat\"",
            "INFO socketTaskId 1 closing, started by the peer: code 4000 reason \"server bye\"",
            "INFO socketTaskId 1 closed by the peer: code 4000 reason \"server bye\"",
        ]
    );
    assert_no_secret(&lines);
}

#[test]
fn open_without_a_protocol_and_a_close_frame_without_a_code() {
    capture();
    let mut h = Harness::new();
    let t = h.open_url("wss://[::1]/?token=s3cr3t");
    h.feed(t, &frame(OP_CLOSE, true, &[]));
    h.eof(t);
    assert_eq!(
        lines(),
        [
            "INFO socketTaskId 1 connect to ::1 port 443 (wss)",
            "INFO socketTaskId 1 open, protocol \"\"",
            "INFO socketTaskId 1 closing, started by the peer: code 1005 reason \"\"",
            "INFO socketTaskId 1 closed by the peer: code 1005 reason \"\"",
        ]
    );
}

#[test]
fn the_client_closes_and_the_peer_answers() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.feed(t, &traffic());
    h.client.close(h.now, t, Some(CloseCode(4001)), "bye now").unwrap();
    h.take_tx(t);
    h.feed(t, &close_frame(4001, "server bye"));
    assert_eq!(h.eof(t), [Ev::close(4001, "server bye")]);
    let lines = lines();
    assert_eq!(
        lines[1..],
        [
            "INFO socketTaskId 1 open, protocol \"\"",
            "INFO socketTaskId 1 closing, started by close(): code 4001 reason \"bye now\"",
            "DEBUG socketTaskId 1 the peer answered the close: code 4001 reason \"server bye\"",
            "INFO socketTaskId 1 closed by the peer: code 4001 reason \"server bye\"",
        ]
    );
    assert_no_secret(&lines);
}

#[test]
fn close_while_connecting() {
    capture();
    let mut h = Harness::new();
    let t = h.connect(URL);
    h.client.close(h.now, t, None, "").unwrap();
    assert_eq!(h.events(t), [Ev::abnormal()]);
    assert_eq!(
        lines()[1..],
        ["INFO socketTaskId 1 closed by close(): code 1006 reason \"abnormal closure\""]
    );
}

// ---- failures ----------------------------------------------------------------------------

#[test]
fn a_protocol_error_fails_the_connection() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.feed(t, &traffic());
    h.feed(t, &frame(0x3, true, b"PAYLOAD of a reserved opcode"));
    h.take_tx(t);
    assert_eq!(h.events(t), [Ev::close(1002, "reserved opcode")]);
    let lines = lines();
    assert_eq!(
        lines[2..],
        [
            "INFO socketTaskId 1 error: reserved opcode 0x3",
            "INFO socketTaskId 1 closing, started by a failure: code 1002 reason \"reserved opcode\"",
            "INFO socketTaskId 1 closed by a failure: code 1002 reason \"reserved opcode\"",
        ]
    );
    assert_no_secret(&lines);
}

#[test]
fn a_refused_handshake_is_an_error_only() {
    capture();
    let mut h = Harness::new();
    let t = h.connect(URL);
    h.respond(t, |_| response("HTTP/1.1 404 Not Found", &["X-Token: s3cr3t"]));
    assert_eq!(
        lines()[1..],
        [
            "INFO socketTaskId 1 error: unexpected HTTP status 404, expected 101",
            "INFO socketTaskId 1 closed by a failure, without onClose",
        ]
    );
}

#[test]
fn a_transport_error_after_open() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.transport_error(t, TransportError::Reset);
    assert_eq!(
        lines()[2..],
        [
            "INFO socketTaskId 1 error: connection reset by peer",
            "INFO socketTaskId 1 closed by a failure: code 1006 reason \"abnormal closure\"",
        ]
    );
}

#[test]
fn the_link_drops_without_a_close_frame() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.eof(t);
    assert_eq!(
        lines()[2..],
        ["INFO socketTaskId 1 closed by the peer: code 1006 reason \"abnormal closure\""]
    );
}

// ---- timeouts -----------------------------------------------------------------------------

#[test]
fn the_connect_timeout() {
    capture();
    let config = Config { failure_events: FailureEvents::ErrorThenClose, ..Config::default() };
    let mut h = Harness::with_config(config);
    h.connect(URL);
    let second = h.connect(URL);
    h.advance(sockettask::DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(h.state(second), sockettask::ReadyState::Closed);
    assert_eq!(
        lines()[2..],
        [
            "INFO socketTaskId 1 error: timeout",
            "INFO socketTaskId 1 closed by a timeout: code 1006 reason \"abnormal closure\"",
            "INFO socketTaskId 2 error: timeout",
            "INFO socketTaskId 2 closed by a timeout: code 1006 reason \"abnormal closure\"",
        ]
    );
}

#[test]
fn the_close_timeout() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    h.advance(sockettask::DEFAULT_CLOSE_TIMEOUT);
    assert_eq!(
        lines()[2..],
        [
            "INFO socketTaskId 1 closing, started by close(): code 1000 reason \"\"",
            "INFO socketTaskId 1 closed by a timeout: code 1006 reason \"abnormal closure\"",
        ]
    );
}

#[test]
fn the_close_timeout_after_the_peer_closed() {
    capture();
    let mut h = Harness::new();
    let t = h.open();
    h.feed(t, &close_frame(1001, "going"));
    h.take_tx(t);
    h.advance(sockettask::DEFAULT_CLOSE_TIMEOUT);
    assert_eq!(lines()[3..], ["INFO socketTaskId 1 closed by a timeout: code 1001 reason \"going\""]);
}
