//! The scripts of S11, "state follows event order", shared by the `event_order` tests of the
//! transports (included with `#[path = "../../event_order_scripts.rs"] mod scripts;`): what a
//! raw server writes after the 101, what the client must do about it, and the checks of what
//! the client did and what the server read.
//!
//! The including test supplies `Ev`, its copy of an event taken out of the driver (variants
//! `Open`, `Text(String)`, `Error(TaskError)` and `Close(u16, String)` at least, `Clone`,
//! `Debug` and `PartialEq`), in its crate root.

use std::fmt::Debug;

use sockettask::{ProtocolError, ReadyState, TaskError};

use super::Ev;

pub(crate) const OP_TEXT: u8 = 0x1;
pub(crate) const OP_CLOSE: u8 = 0x8;

/// One script: what the server writes after the 101, and what the client must do about it.
pub(crate) struct Script {
    pub(crate) name: &'static str,
    /// Unmasked server frames, written in one `write_all`.
    pub(crate) wire: Vec<u8>,
    /// The text messages the client echoes, in order.
    pub(crate) echoes: &'static [&'static str],
    /// The code of the client's close frame, after the echoes.
    pub(crate) close: u16,
    /// The events after `Open`.
    pub(crate) events: Vec<Ev>,
}

/// An unmasked server frame with a payload under 126 bytes; `first` is FIN, RSV and opcode.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let len = u8::try_from(payload.len()).ok().filter(|&n| n < 126).expect("short payload");
    [&[first, len][..], payload].concat()
}

fn text(s: &str) -> Vec<u8> {
    frame(0x80 | OP_TEXT, s.as_bytes())
}

fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    frame(0x80 | OP_CLOSE, &[&code.to_be_bytes()[..], reason.as_bytes()].concat())
}

/// The error event and the close event of a connection the client failed with `error`.
fn failed(error: ProtocolError, code: u16) -> Vec<Ev> {
    vec![Ev::Error(TaskError::Protocol(error)), Ev::Close(code, error.reason().to_owned())]
}

/// A message, then `bad` in the same read: the echo, then the client's close with `code`.
fn message_then(name: &'static str, bad: &[u8], error: ProtocolError, code: u16) -> Script {
    let events = [vec![Ev::Text("last words".into())], failed(error, code)].concat();
    Script {
        name,
        wire: [text("last words"), bad.to_vec()].concat(),
        echoes: &["last words"],
        close: code,
        events,
    }
}

pub(crate) fn scripts() -> Vec<Script> {
    vec![
        Script {
            name: "text then close frame",
            wire: [text("last words"), close_frame(1000, "bye")].concat(),
            echoes: &["last words"],
            close: 1000,
            events: vec![Ev::Text("last words".into()), Ev::Close(1000, "bye".into())],
        },
        message_then("text then RSV1", &[0xC1, 0x00], ProtocolError::ReservedBits, 1002),
        message_then("text then reserved opcode", &[0x83, 0x00], ProtocolError::ReservedOpcode(3), 1002),
        message_then(
            "text then continuation of nothing",
            &[0x80, 0x01, b'x'],
            ProtocolError::UnexpectedContinuation,
            1002,
        ),
        message_then("text then invalid UTF-8", &[0x81, 0x02, 0xFF, 0xFE], ProtocolError::InvalidUtf8, 1007),
        Script {
            name: "fragmented text then RSV1",
            wire: [frame(OP_TEXT, b"frag"), frame(0x00, b"men"), frame(0x80, b"ted"), vec![0xC1, 0x00]]
                .concat(),
            echoes: &["fragmented"],
            close: 1002,
            events: [vec![Ev::Text("fragmented".into())], failed(ProtocolError::ReservedBits, 1002)].concat(),
        },
    ]
}

/// The client's frames as the server read them (opcode, unmasked payload), and how reading
/// ended when it ended before a close frame.
pub(crate) type Frames = (Vec<(u8, Vec<u8>)>, Option<String>);

/// Every way the client's `events` (from `Open` on), its `handled` messages (the task's
/// `readyState` while handling each, and the echo's result) and the server's `frames` differ
/// from `script`, in words.
pub(crate) fn mismatches<E: Debug + PartialEq>(
    script: &Script,
    events: &[Ev],
    handled: &[(ReadyState, Result<(), E>)],
    frames: &Frames,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let want_events = [vec![Ev::Open], script.events.clone()].concat();
    if events != want_events {
        wrong.push(format!("events {events:?}, want {want_events:?}"));
    }
    let want_handled: Vec<(ReadyState, Result<(), E>)> =
        script.echoes.iter().map(|_| (ReadyState::Open, Ok(()))).collect();
    if handled != want_handled {
        wrong.push(format!("(readyState, echo) while handling {handled:?}, want {want_handled:?}"));
    }
    let (got, ended) = frames;
    let echoes: Vec<(u8, Vec<u8>)> = script.echoes.iter().map(|e| (OP_TEXT, e.as_bytes().to_vec())).collect();
    let close = got
        .last()
        .filter(|f| f.0 == OP_CLOSE)
        .map(|f| f.1.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])));
    if got.len() != echoes.len() + 1
        || got[..got.len() - 1] != echoes[..]
        || close != Some(Some(script.close))
    {
        let shown: Vec<(u8, String)> =
            got.iter().map(|(op, p)| (*op, String::from_utf8_lossy(p).into())).collect();
        wrong.push(format!(
            "client frames {shown:?} (reading ended by {ended:?}), want echoes {:?} then close {}",
            script.echoes, script.close
        ));
    }
    wrong
}
