//! Buffer storage is any safe `AsRef<[u8]> + AsMut<[u8]>` type, and safe code may implement
//! those however it likes. Whatever it does, the client must stay sound: `Message::Text` is
//! always UTF-8, and nothing panics. Run under Miri by the test command.
//!
//! Every storage type here is safe code written to break an assumption: `as_ref` showing
//! other bytes than `as_mut` wrote, a shorter slice, or bytes that change between calls.

mod support;

use std::cell::Cell;

use sockettask::{
    Buffers, Client, Config, ConnectOptions, Event, Instant, Message, ProtocolError, TaskError,
};
use support::{TestRng, URL, accept_for, frame, parse_request, response_101, text};

/// `as_mut` is the real buffer; `as_ref` shows a same-sized buffer of `0xFF` bytes.
struct TwoFaced {
    written: Vec<u8>,
    shown: Vec<u8>,
}

impl TwoFaced {
    fn new(len: usize) -> Self {
        TwoFaced { written: vec![0; len], shown: vec![0xFF; len] }
    }
}

impl AsRef<[u8]> for TwoFaced {
    fn as_ref(&self) -> &[u8] {
        &self.shown
    }
}

impl AsMut<[u8]> for TwoFaced {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.written
    }
}

/// `as_ref` shows the whole buffer to the size checks (`Client::new`, `connect`), then only
/// 8 bytes: every range the client computed now lies past its end.
struct Shrinking(Vec<u8>, Cell<u32>);

impl AsRef<[u8]> for Shrinking {
    fn as_ref(&self) -> &[u8] {
        self.1.set(self.1.get() + 1);
        if self.1.get() <= 2 { &self.0 } else { &self.0[..8] }
    }
}

impl AsMut<[u8]> for Shrinking {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

/// Every other `as_ref` call shows the real bytes, the others invalid UTF-8 bytes.
struct Flipping {
    real: Vec<u8>,
    other: Vec<u8>,
    calls: Cell<u32>,
}

impl AsRef<[u8]> for Flipping {
    fn as_ref(&self) -> &[u8] {
        self.calls.set(self.calls.get() + 1);
        if self.calls.get().is_multiple_of(2) { &self.other } else { &self.real }
    }
}

impl AsMut<[u8]> for Flipping {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.real
    }
}

/// Opens a task over `storage`, then delivers `wire` (server frames); returns every event
/// as text, checking that every text message is UTF-8.
fn run<S: AsRef<[u8]> + AsMut<[u8]>>(storage: Vec<Buffers<S>>, wire: &[u8]) -> Vec<String> {
    let mut client: Client<S, TestRng> = Client::new(Config::default(), TestRng::new(7), storage).unwrap();
    let now = Instant::from_millis(0);
    let t = client.connect_socket(now, &ConnectOptions::new(URL)).unwrap();
    let request = client.transmit_data(t).to_vec();
    client.advance_transmit(now, t, request.len());
    let key = parse_request_or_default(&request);
    let mut log = Vec::new();
    for bytes in [response_101(&key, &[]), wire.to_vec()] {
        let mut rest = &bytes[..];
        for _ in 0..16 {
            let n = client.handle_input(now, t, rest);
            rest = &rest[n..];
            while let Some((_, event)) = client.poll_event() {
                if let Event::Message(Message::Text(text)) = event {
                    assert!(
                        std::str::from_utf8(text.as_bytes()).is_ok(),
                        "Message::Text over {:x?}",
                        text.as_bytes()
                    );
                }
                log.push(format!("{event:?}"));
            }
            if rest.is_empty() {
                break;
            }
        }
    }
    log
}

/// The request's key.
fn parse_request_or_default(request: &[u8]) -> String {
    parse_request(request).key().to_owned()
}

#[test]
fn text_shown_through_a_two_faced_storage_is_never_invalid_utf8() {
    // Only the receive buffer lies, so the scripted server can read the request's key.
    let storage = vec![Buffers::new(Honest::TwoFaced(TwoFaced::new(4096)), Honest::Plain(vec![0; 4096]))];
    let log = run(storage, &[text("hello"), frame(0x1, true, "κόσμε".as_bytes())].concat());
    assert!(log[0].starts_with("Open"), "{log:?}");
    // The bytes shown are not the bytes validated while parsing: the text is refused where
    // it is handed out, as invalid UTF-8 (1007), and the task fails.
    let error = format!("{:?}", Event::Error(TaskError::Protocol(ProtocolError::InvalidUtf8)));
    assert_eq!(log.get(1), Some(&error), "{log:?}");
    assert!(log.iter().all(|e| !e.contains("Text")), "{log:?}");
}

#[test]
fn a_shrinking_storage_never_panics() {
    let storage = vec![Buffers::new(
        Honest::Shrinking(Shrinking(vec![0; 4096], Cell::new(0))),
        Honest::Plain(vec![0; 4096]),
    )];
    let log = run(storage, &[text("hello"), frame(0x2, true, b"binary")].concat());
    assert!(log[0].starts_with("Open"), "{log:?}");
    assert!(log.len() >= 3, "{log:?}");
}

#[test]
fn a_flipping_storage_never_yields_invalid_text() {
    let flipping = Flipping { real: vec![0; 4096], other: vec![0xC0; 4096], calls: Cell::new(0) };
    let storage = vec![Buffers::new(Honest::Flipping(flipping), Honest::Plain(vec![0; 4096]))];
    let wire = [text("a"), text("bb"), text("ccc"), text("dddd")].concat();
    let log = run(storage, &wire);
    assert!(log[0].starts_with("Open"), "{log:?}");
}

/// One storage type for both buffers of a slot: the liar for the receive buffer, an honest
/// `Vec` for the send buffer (so the scripted server can read the request's key).
enum Honest {
    Plain(Vec<u8>),
    TwoFaced(TwoFaced),
    Shrinking(Shrinking),
    Flipping(Flipping),
}

impl AsRef<[u8]> for Honest {
    fn as_ref(&self) -> &[u8] {
        match self {
            Honest::Plain(v) => v,
            Honest::TwoFaced(s) => s.as_ref(),
            Honest::Shrinking(s) => s.as_ref(),
            Honest::Flipping(s) => s.as_ref(),
        }
    }
}

impl AsMut<[u8]> for Honest {
    fn as_mut(&mut self) -> &mut [u8] {
        match self {
            Honest::Plain(v) => v,
            Honest::TwoFaced(s) => s.as_mut(),
            Honest::Shrinking(s) => s.as_mut(),
            Honest::Flipping(s) => s.as_mut(),
        }
    }
}

#[test]
fn accept_for_is_the_rfc_vector() {
    // The scripted server's accept, so the two-faced test's handshake really opens.
    assert_eq!(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
