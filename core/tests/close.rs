//! CLOSING and CLOSED: the close handshake from either side (S15, S16, S19), its timeout,
//! the stream ending or failing (S13), and the event invariants (S11).

mod support;

use std::time::Duration;

use sockettask::{
    CloseCode, CloseError, Config, FailureEvents, Message, ReadyState, SendError, TaskError, TlsError,
    TransportError,
};
use support::*;

const CLOSE_TIMEOUT: Duration = sockettask::DEFAULT_CLOSE_TIMEOUT;

// ---- initiated by the client -----------------------------------------------------------------

#[test]
fn client_close_then_server_close_then_eof() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, Some(CloseCode(4000)), "bye now").unwrap();
    assert_eq!(h.state(t), ReadyState::Closing);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].opcode, frames[0].fin), (OP_CLOSE, true));
    assert_eq!(frames[0].close(), Some((4000, "bye now".to_owned())));
    assert!(h.events(t).is_empty(), "closeSocket:ok comes before onClose");
    assert_eq!(h.client.poll_timeout(), Some(h.now + CLOSE_TIMEOUT));
    // Messages the server sent before it saw the close still arrive.
    assert_eq!(h.feed(t, &text("late")), [Ev::text("late")]);
    // CLOSING: sending is refused, closing again is a no-op.
    assert_eq!(h.client.send(t, Message::Text("x")), Err(SendError::NotOpen(ReadyState::Closing)));
    assert_eq!(h.client.close(h.now, t, None, ""), Ok(()));
    assert!(h.take_tx(t).is_empty(), "no second close frame");
    // The server answers; the client waits for the stream to end (S19).
    assert_eq!(h.feed(t, &close_frame(4001, "server bye")), []);
    assert_eq!(h.state(t), ReadyState::Closing);
    assert!(h.take_tx(t).is_empty(), "the client's close was already sent");
    assert_eq!(h.eof(t), [Ev::close(4001, "server bye")]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.poll_timeout(), None);
    assert_eq!(h.client.close(h.now, t, None, ""), Err(CloseError::NotConnected));
    assert_eq!(h.log(t), [Ev::Open(None), Ev::text("late"), Ev::close(4001, "server bye")]);
}

#[test]
fn close_defaults_to_1000_and_an_empty_reason() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    assert_eq!(h.frames(t)[0].close(), Some((1000, String::new())));
}

#[test]
fn close_with_a_123_byte_reason() {
    let mut h = Harness::new();
    let t = h.open();
    let reason = "é".repeat(61) + "x";
    assert_eq!(reason.len(), 123);
    h.client.close(h.now, t, Some(CloseCode(4999)), &reason).unwrap();
    assert_eq!(h.frames(t)[0].close(), Some((4999, reason)));
}

#[test]
fn invalid_close_arguments_send_nothing() {
    let mut h = Harness::new();
    let t = h.open();
    for code in [999u16, 1001, 1002, 1005, 1006, 1015, 2000, 2999, 5000] {
        let err = h.client.close(h.now, t, Some(CloseCode(code)), "").unwrap_err();
        assert_eq!(err, CloseError::InvalidCode(CloseCode(code)));
        assert_eq!(
            err.err_msg().to_string(),
            "closeSocket:fail The code must be either 1000, or between 3000 and 4999"
        );
    }
    let long = "x".repeat(124);
    let err = h.client.close(h.now, t, None, &long).unwrap_err();
    assert_eq!(err, CloseError::ReasonTooLong { len: 124 });
    assert_eq!(err.err_msg().to_string(), "closeSocket:fail reason must not exceed 123 UTF-8 bytes");
    let err = h.client.close(h.now, t, None, &"é".repeat(62)).unwrap_err();
    assert_eq!(err, CloseError::ReasonTooLong { len: 124 }, "bytes, not characters");
    assert_eq!(h.client.buffered_amount(t), 0);
    assert!(h.take_tx(t).is_empty());
    assert_eq!(h.state(t), ReadyState::Open);
    assert_eq!(h.client.poll_timeout(), None);
    assert!(h.events(t).is_empty());
}

#[test]
fn close_while_connecting_aborts_with_1006() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    h.client.close(h.now, t, Some(CloseCode(3000)), "never mind").unwrap();
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.events(t), [Ev::abnormal()]);
    assert!(h.take_tx(t).is_empty(), "the unsent request is dropped, no close frame");
    assert_eq!(h.client.poll_timeout(), None, "no connect timer left");
    assert_eq!(h.feed(t, &response_101("whatever", &[])), []);
    let err = h.client.close(h.now, t, None, "").unwrap_err();
    assert_eq!(err, CloseError::NotConnected);
    assert_eq!(err.err_msg().to_string(), "closeSocket:fail WebSocket is not connected");
}

#[test]
fn client_close_timeout_when_the_server_is_silent() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    assert!(h.advance(CLOSE_TIMEOUT - Duration::from_millis(1)).is_empty());
    assert_eq!(h.advance(Duration::from_millis(1)), [(t, Ev::abnormal())]);
    assert_eq!(h.state(t), ReadyState::Closed);
}

#[test]
fn configured_close_timeout() {
    let config = Config { close_timeout: Duration::from_millis(250), ..Config::default() };
    let mut h = Harness::with_config(config);
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::from_millis(250)));
    assert_eq!(h.advance(Duration::from_millis(250)), [(t, Ev::abnormal())]);
}

#[test]
fn server_close_but_no_eof_ends_at_the_close_timeout_with_its_code() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.feed(t, &close_frame(1000, "ok")), []);
    // The timer started at close(); it is not restarted by the server's close.
    assert_eq!(h.advance(CLOSE_TIMEOUT - Duration::from_secs(1)), [(t, Ev::close(1000, "ok"))]);
}

#[test]
fn eof_without_the_servers_close_is_abnormal() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    assert_eq!(h.eof(t), [Ev::abnormal()]);
}

// ---- initiated by the server -----------------------------------------------------------------

#[test]
fn server_close_is_echoed() {
    let mut h = Harness::new();
    let t = h.open();
    h.advance(Duration::from_secs(10));
    assert_eq!(h.feed(t, &close_frame(1001, "going away")), []);
    assert_eq!(h.state(t), ReadyState::Closing);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].close(), Some((1001, String::new())), "the code is echoed");
    assert_eq!(h.client.poll_timeout(), Some(h.now + CLOSE_TIMEOUT));
    assert_eq!(h.feed(t, &text("ignored")), [], "nothing is read after the peer's close");
    // Room to read on until the end of the stream, which closes the task; what is read is dropped.
    assert!(!h.client.input_buffer(t).is_empty());
    h.client.handle_read(h.now, t, 10);
    assert_eq!(h.client.buffer_use(t.slot()).rx, 0);
    assert_eq!(h.client.send(t, Message::Text("x")), Err(SendError::NotOpen(ReadyState::Closing)));
    assert_eq!(h.client.close(h.now, t, None, ""), Ok(()), "no-op while CLOSING");
    assert!(h.take_tx(t).is_empty());
    assert_eq!(h.eof(t), [Ev::close(1001, "going away")]);
}

#[test]
fn server_empty_close_reports_1005() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &frame(OP_CLOSE, true, &[])), []);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].opcode, OP_CLOSE);
    assert!(frames[0].payload.is_empty(), "an empty close is answered with an empty close");
    assert_eq!(h.eof(t), [Ev::close(1005, "")]);
}

#[test]
fn server_close_without_eof_times_out_with_its_code() {
    let mut h = Harness::new();
    let t = h.open();
    h.feed(t, &close_frame(3333, "custom"));
    h.take_tx(t);
    assert!(h.advance(CLOSE_TIMEOUT - Duration::from_millis(1)).is_empty());
    assert_eq!(h.advance(Duration::from_millis(1)), [(t, Ev::close(3333, "custom"))]);
}

/// The server's close arrives behind a message in the same input: it is parsed only once
/// the message is polled, and the close timer must still run from the current time.
#[test]
fn server_close_parsed_after_a_polled_message() {
    let mut h = Harness::new();
    let t = h.open();
    h.advance(Duration::from_secs(100));
    let mut wire = text("last words");
    wire.extend(close_frame(1000, "done"));
    assert_eq!(h.feed(t, &wire), [Ev::text("last words")]);
    assert_eq!(h.state(t), ReadyState::Closing);
    assert_eq!(h.frames(t)[0].close(), Some((1000, String::new())));
    assert_eq!(h.client.poll_timeout(), Some(h.now + CLOSE_TIMEOUT));
    assert!(h.advance(Duration::from_secs(1)).is_empty(), "still waiting for the stream to end");
    assert_eq!(h.eof(t), [Ev::close(1000, "done")]);
}

#[test]
fn ping_after_the_servers_close_is_not_answered() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = close_frame(1000, "");
    wire.extend(ping(b"late"));
    h.feed(t, &wire);
    let frames = h.frames(t);
    assert_eq!(frames.iter().map(|f| f.opcode).collect::<Vec<_>>(), [OP_CLOSE]);
}

// ---- the stream ends or fails ----------------------------------------------------------------

#[test]
fn eof_while_open_is_abnormal() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.eof(t), [Ev::abnormal()]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.send(t, Message::Text("x")), Err(SendError::NotOpen(ReadyState::Closed)));
}

#[test]
fn eof_is_applied_after_the_bytes_before_it() {
    let mut h = Harness::new();
    let t = h.open();
    let mut wire = text("a");
    wire.extend(text("b"));
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    h.client.handle_eof(h.now, t);
    assert_eq!(h.events(t), [Ev::text("a"), Ev::text("b"), Ev::abnormal()]);
}

#[test]
fn eof_mid_message_is_abnormal() {
    let mut h = Harness::new();
    let t = h.open();
    let wire = text("half a message");
    assert_eq!(h.feed(t, &wire[..6]), []);
    assert_eq!(h.eof(t), [Ev::abnormal()]);
}

#[test]
fn transport_error_after_open() {
    for error in [TransportError::Reset, TransportError::Io, TransportError::Tls(TlsError::UnknownIssuer)] {
        let mut h = Harness::new();
        let t = h.open();
        assert_eq!(h.transport_error(t, error), [Ev::Error(TaskError::Transport(error)), Ev::abnormal()]);
        assert_eq!(h.state(t), ReadyState::Closed);
        assert_eq!(h.eof(t), [], "nothing after close");
    }
    // While closing, too.
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    let events = h.transport_error(t, TransportError::Reset);
    assert_eq!(events, [Ev::Error(TaskError::Transport(TransportError::Reset)), Ev::abnormal()]);
}

#[test]
fn failure_events_option_does_not_change_close_after_open() {
    let config = Config { failure_events: FailureEvents::ErrorThenClose, ..Config::default() };
    let mut h = Harness::with_config(config);
    let t = h.open();
    assert_eq!(h.eof(t), [Ev::abnormal()]);
}

// ---- protocol failure while closing ----------------------------------------------------------

#[test]
fn protocol_error_while_closing() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.close(h.now, t, None, "").unwrap();
    h.take_tx(t);
    let error = sockettask::ProtocolError::MaskedFrame;
    assert_eq!(
        h.feed(t, &[0x81, 0x80, 0, 0, 0, 0]),
        [Ev::Error(TaskError::Protocol(error)), Ev::close(1002, error.reason())]
    );
    assert!(h.take_tx(t).is_empty(), "one close frame only");
}

#[test]
fn protocol_error_close_waits_for_the_close_frame_to_be_written() {
    let mut h = Harness::new();
    let t = h.open();
    h.client.send(t, Message::Binary(&[7; 100])).unwrap();
    let error = sockettask::ProtocolError::ReservedBits;
    assert_eq!(h.feed(t, &[0xC1, 0x00]), [Ev::Error(TaskError::Protocol(error))]);
    let mut out = [0u8; 50];
    h.client.poll_transmit(h.now, t, &mut out);
    assert!(h.events(t).is_empty(), "the close frame is not written yet");
    let rest = h.take_tx(t);
    let frames = decode_client_frames(&[&out[..], &rest].concat());
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].close(), Some((1002, error.reason().to_string())));
    assert_eq!(h.events(t), [Ev::Close(1002, error.reason().to_string())]);
}

#[test]
fn protocol_error_close_times_out_if_never_written() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.feed(t, &[0x83, 0x00]).len(), 1);
    let reason = sockettask::ProtocolError::ReservedOpcode(3).reason().to_string();
    assert_eq!(h.advance(CLOSE_TIMEOUT), [(t, Ev::Close(1002, reason))]);
}
