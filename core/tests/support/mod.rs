//! The in-memory peer the integration tests drive the client against: a scripted WebSocket
//! server (request parser, accept computation, unmasked frame encoder, masked client-frame
//! decoder), a virtual clock, a seeded RNG, and a [`Harness`] that feeds the client, drains
//! its events into owned values and checks the S11 event invariants on every event.
//!
//! Everything here is written from RFC 6455 directly, not from the core's codec, so a bug in
//! the core's codec cannot hide behind the same bug here.

// Each test file uses its own subset of this module, and its items are `pub` for them.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::TryRng;
use sha1::{Digest, Sha1};
use sockettask::{
    Buffers, Client, Config, ConnectError, ConnectOptions, Event, Handle, Instant, Limits, Message,
    ProtocolError, ReadyState, TaskError, TransportError,
};

/// The URL most tests connect to.
pub const URL: &str = "wss://example.com/chat";
/// RFC 6455 §1.3's GUID.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Where the virtual clock starts: far from zero, so a timer computed from a zero `now`
/// shows up as being in the past.
pub const START: Instant = Instant::from_millis(1_000_000);
/// Default per-slot buffer sizes.
pub const RX_LEN: usize = 4096;
/// Default send buffer size.
pub const TX_LEN: usize = 4096;

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

// ---- RNG ---------------------------------------------------------------------------------

/// A seeded SplitMix64: deterministic, and different for every draw.
#[derive(Clone, Debug)]
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }
}

impl TryRng for TestRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

// ---- events ------------------------------------------------------------------------------

/// An event, owned, so tests compare whole sequences with `assert_eq!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// `onOpen`, with the chosen subprotocol.
    Open(Option<String>),
    Text(String),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16, String),
}

impl Ev {
    pub fn text(s: &str) -> Ev {
        Ev::Text(s.to_owned())
    }

    pub fn close(code: u16, reason: &str) -> Ev {
        Ev::Close(code, reason.to_owned())
    }

    /// The abnormal closure S13 reports when the link dropped.
    pub fn abnormal() -> Ev {
        Ev::close(1006, "abnormal closure")
    }

    pub fn from_event(event: &Event<'_>) -> Ev {
        match event {
            Event::Open(open) => Ev::Open(open.protocol.map(str::to_owned)),
            Event::Message(Message::Text(t)) => Ev::Text((*t).to_owned()),
            Event::Message(Message::Binary(b)) => Ev::Binary(b.to_vec()),
            Event::Error(e) => Ev::Error(*e),
            Event::Close(c) => Ev::Close(c.code.0, c.reason.to_owned()),
        }
    }

    fn is_message(&self) -> bool {
        matches!(self, Ev::Text(_) | Ev::Binary(_))
    }
}

// ---- the server side ---------------------------------------------------------------------

/// The accept a server computes for `key` (RFC 6455 §4.2.2), independently of the core.
pub fn accept_for(key: &str) -> String {
    let digest = Sha1::new().chain_update(key.as_bytes()).chain_update(GUID.as_bytes()).finalize();
    let mut out = [0u8; 28];
    let n = STANDARD.encode_slice(digest.as_slice(), &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

/// The client's upgrade request as the server parsed it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub version: u8,
    /// In order, as sent.
    pub headers: Vec<(String, String)>,
    /// The whole request's length in bytes.
    pub len: usize,
}

impl Request {
    /// Every value of `name` (case-insensitive).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    /// The one value of `name`; panics unless it appears exactly once.
    pub fn one(&self, name: &str) -> &str {
        match self.all(name).as_slice() {
            [v] => v,
            other => panic!("expected one {name} header, found {other:?}"),
        }
    }

    pub fn key(&self) -> &str {
        self.one("sec-websocket-key")
    }
}

/// Parses a complete request; panics on anything else.
pub fn parse_request(bytes: &[u8]) -> Request {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut storage);
    let httparse::Status::Complete(len) = req.parse(bytes).expect("request parses") else {
        panic!("incomplete request: {:?}", String::from_utf8_lossy(bytes));
    };
    assert_eq!(len, bytes.len(), "nothing may follow the request before the handshake");
    let headers = req
        .headers
        .iter()
        .map(|h| (h.name.to_owned(), String::from_utf8(h.value.to_vec()).unwrap()))
        .collect();
    Request {
        method: req.method.unwrap().to_owned(),
        path: req.path.unwrap().to_owned(),
        version: req.version.unwrap(),
        headers,
        len,
    }
}

/// A response: the status line, `lines` (without CR LF) and the blank line.
pub fn response(status_line: &str, lines: &[&str]) -> Vec<u8> {
    let mut out = format!("{status_line}\r\n");
    for line in lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The ordinary successful response for `key`, plus `extra` header lines.
pub fn response_101(key: &str, extra: &[&str]) -> Vec<u8> {
    let accept = format!("Sec-WebSocket-Accept: {}", accept_for(key));
    let mut lines = vec!["Upgrade: websocket", "Connection: Upgrade", accept.as_str()];
    lines.extend_from_slice(extra);
    response("HTTP/1.1 101 Switching Protocols", &lines)
}

/// An unmasked server frame with the minimal length encoding.
pub fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// An unmasked server frame with RSV1 set: with permessage-deflate, the first frame of a
/// compressed message (RFC 7692 §6).
pub fn frame_rsv1(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = frame(opcode, fin, payload);
    out[0] |= 0x40;
    out
}

/// The bytes a permessage-deflate sender removes from the end of each message (RFC 7692
/// §7.2.1) and a receiver appends again.
pub const DEFLATE_TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// A permessage-deflate server's compressor (RFC 7692 §7.2.1), from a reference
/// implementation (zlib-rs through flate2), not the core: raw DEFLATE with a
/// `window_bits` window, one sync flush per message, the 00 00 ff ff tail removed. With
/// `no_context_takeover`, every message starts from an empty window.
pub struct Deflater {
    compress: flate2::Compress,
    no_context_takeover: bool,
}

impl Deflater {
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        let level = flate2::Compression::default();
        Deflater {
            compress: flate2::Compress::new_with_window_bits(level, false, window_bits),
            no_context_takeover,
        }
    }

    /// The compressed payload of one message. zlib emits nothing for a sync flush with
    /// nothing new to flush (an empty message on a fresh stream, or after a message): the
    /// payload is then empty, as such a server sends it.
    pub fn message(&mut self, data: &[u8]) -> Vec<u8> {
        if self.no_context_takeover {
            self.compress.reset();
        }
        let mut out = Vec::with_capacity(data.len() + 64);
        let mut input = data;
        loop {
            let before = self.compress.total_in();
            self.compress.compress_vec(input, &mut out, flate2::FlushCompress::Sync).expect("deflate");
            input = &input[(self.compress.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if let Some(stripped) = out.strip_suffix(&DEFLATE_TAIL) {
            out.truncate(stripped.len());
        }
        out
    }
}

pub fn text(s: &str) -> Vec<u8> {
    frame(OP_TEXT, true, s.as_bytes())
}

pub fn binary(b: &[u8]) -> Vec<u8> {
    frame(OP_BINARY, true, b)
}

pub fn ping(p: &[u8]) -> Vec<u8> {
    frame(OP_PING, true, p)
}

pub fn pong(p: &[u8]) -> Vec<u8> {
    frame(OP_PONG, true, p)
}

/// A close frame with a code and reason.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    frame(OP_CLOSE, true, &payload)
}

/// A frame the client sent, unmasked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFrame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: [u8; 4],
    pub payload: Vec<u8>,
}

impl ClientFrame {
    /// A close frame's code and reason (`None` for an empty close).
    pub fn close(&self) -> Option<(u16, String)> {
        assert_eq!(self.opcode, OP_CLOSE, "not a close frame: {self:?}");
        let (code, reason) = self.payload.split_first_chunk::<2>()?;
        Some((u16::from_be_bytes(*code), String::from_utf8(reason.to_vec()).unwrap()))
    }
}

/// Decodes one client frame from the front of `bytes`: `None` while incomplete. Panics on an
/// unmasked frame (RFC 6455 §5.1: "a client MUST mask all frames that it sends").
pub fn decode_client_frame(bytes: &[u8]) -> Option<(ClientFrame, usize)> {
    let [b0, b1, rest @ ..] = bytes else { return None };
    assert!(b1 & 0x80 != 0, "client frame not masked: {bytes:02x?}");
    let (len, rest) = match b1 & 0x7F {
        126 => {
            let (n, rest) = rest.split_first_chunk::<2>()?;
            let n = u16::from_be_bytes(*n);
            assert!(n >= 126, "non-minimal 16-bit length {n}");
            (u64::from(n), rest)
        }
        127 => {
            let (n, rest) = rest.split_first_chunk::<8>()?;
            let n = u64::from_be_bytes(*n);
            assert!(n > 0xFFFF && n >> 63 == 0, "bad 64-bit length {n}");
            (n, rest)
        }
        n => (u64::from(n), rest),
    };
    let (mask, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(len).unwrap();
    let payload = rest.get(..len)?;
    let payload = payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
    let header_len = bytes.len() - rest.len();
    let frame = ClientFrame { fin: b0 & 0x80 != 0, rsv: b0 & 0x70, opcode: b0 & 0x0F, mask: *mask, payload };
    Some((frame, header_len + len))
}

/// Decodes every client frame in `bytes`; panics if bytes are left over.
pub fn decode_client_frames(mut bytes: &[u8]) -> Vec<ClientFrame> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let (frame, n) = decode_client_frame(bytes).unwrap_or_else(|| panic!("partial frame {bytes:02x?}"));
        frames.push(frame);
        bytes = &bytes[n..];
    }
    frames
}

// ---- the harness -------------------------------------------------------------------------

pub type TestClient = Client<Vec<u8>, TestRng>;

/// A client of one slot (8 KiB to receive, 4 KiB to send, the default configuration, its RNG
/// seeded with `seed`) whose task sent its request to [`URL`]: the client, the task, and the
/// request's `Sec-WebSocket-Key`, for a test to answer by hand.
pub fn sent_request(seed: u64) -> (TestClient, Handle, String) {
    let storage = (0..1).map(|_| Buffers::new(vec![0u8; 8192], vec![0u8; 4096]));
    let mut client = Client::new(Config::default(), TestRng::new(seed), storage).expect("client");
    let h = client.connect_socket(START, &ConnectOptions::new(URL)).expect("connect");
    let request = client.transmit_data(h).to_vec();
    client.advance_transmit(START, h, request.len());
    let key = parse_request(&request).key().to_owned();
    (client, h, key)
}

/// The client, its virtual clock, and the log of every task's events.
pub struct Harness {
    pub client: TestClient,
    pub now: Instant,
    log: HashMap<Handle, Vec<Ev>>,
}

impl Harness {
    /// 5 slots of 4 KiB buffers, the default config.
    pub fn new() -> Self {
        Harness::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        Harness::with(config, 5, RX_LEN, TX_LEN)
    }

    pub fn with(config: Config, slots: usize, rx: usize, tx: usize) -> Self {
        Harness::with_storage(config, (0..slots).map(|_| Buffers::new(vec![0u8; rx], vec![0u8; tx])))
    }

    pub fn with_storage(config: Config, storage: impl IntoIterator<Item = Buffers<Vec<u8>>>) -> Self {
        let client = Client::new(config, TestRng::new(0x5EED), storage).expect("buffers are big enough");
        Harness { client, now: START, log: HashMap::new() }
    }

    /// Every event `h` reported so far.
    pub fn log(&self, h: Handle) -> &[Ev] {
        self.log.get(&h).map_or(&[], Vec::as_slice)
    }

    pub fn state(&self, h: Handle) -> ReadyState {
        self.client.ready_state(h)
    }

    pub fn try_connect(&mut self, options: &ConnectOptions<'_>) -> Result<Handle, ConnectError> {
        let result = self.client.connect_socket(self.now, options);
        self.check_timer();
        result
    }

    pub fn connect(&mut self, url: &str) -> Handle {
        self.try_connect(&ConnectOptions::new(url)).expect("connect")
    }

    /// Takes every byte the client queued for `h`'s stream.
    pub fn take_tx(&mut self, h: Handle) -> Vec<u8> {
        let data = self.client.transmit_data(h).to_vec();
        self.client.advance_transmit(self.now, h, data.len());
        self.check_timer();
        data
    }

    /// Takes the queued bytes of `h` as client frames.
    pub fn frames(&mut self, h: Handle) -> Vec<ClientFrame> {
        decode_client_frames(&self.take_tx(h))
    }

    /// Takes the upgrade request of `h`.
    pub fn request(&mut self, h: Handle) -> Request {
        parse_request(&self.take_tx(h))
    }

    /// Feeds all of `bytes` with `handle_input`, polling events whenever the client takes
    /// fewer bytes than offered (the back-pressure contract); returns the events of `h`.
    pub fn feed(&mut self, h: Handle, mut bytes: &[u8]) -> Vec<Ev> {
        let mut events = Vec::new();
        while !bytes.is_empty() {
            let n = self.client.handle_input(self.now, h, bytes);
            assert!(n <= bytes.len());
            bytes = &bytes[n..];
            let polled = self.events(h);
            assert!(n > 0 || !polled.is_empty(), "stalled: no byte taken and no event to poll");
            events.extend(polled);
        }
        events.extend(self.events(h));
        events
    }

    /// One read as a transport makes it: as much of `bytes` as `input_buffer` has room for,
    /// copied in and reported with `handle_read` (nothing reported when there is no room);
    /// how many bytes were taken.
    pub fn read_into(&mut self, h: Handle, bytes: &[u8]) -> usize {
        let space = self.client.input_buffer(h);
        let n = space.len().min(bytes.len());
        space[..n].copy_from_slice(&bytes[..n]);
        if n > 0 {
            self.client.handle_read(self.now, h, n);
        }
        n
    }

    /// Feeds `bytes` through the in-place path: `input_buffer` + `handle_read`.
    pub fn feed_read(&mut self, h: Handle, mut bytes: &[u8]) -> Vec<Ev> {
        let mut events = Vec::new();
        while !bytes.is_empty() {
            let n = self.read_into(h, bytes);
            bytes = &bytes[n..];
            let polled = self.events(h);
            if n == 0 && polled.is_empty() {
                // No space and nothing to poll: only a task that stopped reading may do that,
                // and it drops whatever arrives (a stalled one would take nothing).
                let taken = self.client.handle_input(self.now, h, bytes);
                assert_eq!(taken, bytes.len(), "stalled: no input space and no event to poll");
                assert!(self.events(h).is_empty());
                break;
            }
            events.extend(polled);
        }
        events.extend(self.events(h));
        events
    }

    /// Feeds `bytes` through `input_buffer` + `handle_read` as a transport does, replacing the
    /// receive buffer with a larger one whenever the task asks for room (`rx_wanted`, never
    /// past `max_rx`); returns the events and how many times the buffer grew.
    pub fn feed_growing(&mut self, h: Handle, mut bytes: &[u8], max_rx: usize) -> (Vec<Ev>, usize) {
        let (mut events, mut growths) = (Vec::new(), 0);
        for _ in 0..100_000 {
            if bytes.is_empty() {
                break;
            }
            let n = self.read_into(h, bytes);
            bytes = &bytes[n..];
            let polled = self.events(h);
            if n == 0 && polled.is_empty() {
                let wanted =
                    self.client.buffer_use(h.slot()).rx_wanted.expect("stalled without asking for room");
                let rx = self.client.buffers(h.slot()).expect("slot").rx.len();
                assert!(wanted > rx && wanted <= max_rx, "wanted {wanted} (buffer {rx}, bound {max_rx})");
                let tx = vec![0u8; self.client.buffers(h.slot()).expect("slot").tx.len()];
                self.client
                    .replace_buffers(h.slot(), Buffers::new(vec![0u8; wanted], tx))
                    .expect("a larger buffer holds what is in use");
                growths += 1;
            }
            events.extend(polled);
        }
        assert!(bytes.is_empty(), "input left over");
        events.extend(self.events(h));
        (events, growths)
    }

    /// Feeds `bytes` in the pieces `splits` cuts them into.
    pub fn feed_chunks(&mut self, h: Handle, bytes: &[u8], splits: &[usize]) -> Vec<Ev> {
        let mut events = Vec::new();
        let mut from = 0;
        for &at in splits.iter().chain([bytes.len()].iter()) {
            events.extend(self.feed(h, &bytes[from..at]));
            from = at;
        }
        events
    }

    pub fn eof(&mut self, h: Handle) -> Vec<Ev> {
        self.client.handle_eof(self.now, h);
        self.check_timer();
        self.events(h)
    }

    pub fn transport_error(&mut self, h: Handle, error: TransportError) -> Vec<Ev> {
        self.client.handle_transport_error(self.now, h, error);
        self.check_timer();
        self.events(h)
    }

    /// Moves the clock on by `d` and applies due timers; returns every task's events.
    pub fn advance(&mut self, d: Duration) -> Vec<(Handle, Ev)> {
        self.advance_to(self.now + d)
    }

    /// Moves the clock to `t` and applies due timers, as a driver does.
    pub fn advance_to(&mut self, t: Instant) -> Vec<(Handle, Ev)> {
        assert!(t >= self.now, "the virtual clock only moves forward");
        self.now = t;
        if self.client.poll_timeout().is_some_and(|due| due <= t) {
            self.client.handle_timeout(t);
        }
        let due = self.client.poll_timeout();
        assert!(due.is_none_or(|due| due > t), "poll_timeout {due:?} not after handle_timeout({t:?})");
        self.drain()
    }

    /// Drains the events of `h`; panics on an event of another task.
    pub fn events(&mut self, h: Handle) -> Vec<Ev> {
        self.drain()
            .into_iter()
            .map(|(from, ev)| {
                assert_eq!(from, h, "event {ev:?} of another task");
                ev
            })
            .collect()
    }

    /// Drains every task's events, checking S11 on each.
    pub fn drain(&mut self) -> Vec<(Handle, Ev)> {
        let mut out = Vec::new();
        while let Some((h, event)) = self.client.poll_event() {
            let ev = Ev::from_event(&event);
            self.record(h, &ev);
            out.push((h, ev));
        }
        self.check_timer();
        out
    }

    /// S11: open ≤ 1 and first, error ≤ 1, close ≤ 1 and last, messages only between open
    /// and close; S9/S12: CLOSED once closed, and after an error before open.
    fn record(&mut self, h: Handle, ev: &Ev) {
        let state = self.client.ready_state(h);
        let log = self.log.entry(h).or_default();
        assert!(!log.iter().any(|e| matches!(e, Ev::Close(..))), "{ev:?} after close: {log:?}");
        let opened = log.iter().any(|e| matches!(e, Ev::Open(_)));
        match ev {
            Ev::Open(_) => assert!(log.is_empty(), "open must be first and once: {log:?}"),
            Ev::Text(_) | Ev::Binary(_) => assert!(opened, "message before open"),
            Ev::Error(_) => {
                assert!(!log.iter().any(|e| matches!(e, Ev::Error(_))), "second error: {log:?}");
                if !opened {
                    assert_eq!(state, ReadyState::Closed, "a failure before open leaves the task CLOSED");
                }
            }
            Ev::Close(..) => assert_eq!(state, ReadyState::Closed, "close reported before CLOSED"),
        }
        log.push(ev.clone());
    }

    /// `poll_timeout` never names an instant before the current time (a timer armed from a
    /// wrong `now` would).
    fn check_timer(&self) {
        let due = self.client.poll_timeout();
        assert!(due.is_none_or(|due| due >= self.now), "poll_timeout {due:?} is before now {:?}", self.now);
    }

    // ---- scripted server ---------------------------------------------------------------

    /// Connects `url` and completes the handshake with an ordinary 101; returns the handle.
    pub fn open_url(&mut self, url: &str) -> Handle {
        let h = self.connect(url);
        let request = self.request(h);
        assert_eq!(self.feed(h, &response_101(request.key(), &[])), [Ev::Open(None)]);
        assert_eq!(self.state(h), ReadyState::Open);
        h
    }

    /// Connects [`URL`] and completes the handshake.
    pub fn open(&mut self) -> Handle {
        self.open_url(URL)
    }

    /// Answers `h`'s request with `response` built from its key; returns the events.
    pub fn respond(&mut self, h: Handle, response: impl FnOnce(&str) -> Vec<u8>) -> Vec<Ev> {
        let request = self.request(h);
        let bytes = response(request.key());
        self.feed(h, &bytes)
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// Whether a message is a text or binary event (for invariant checks in tests).
pub fn is_message(ev: &Ev) -> bool {
    ev.is_message()
}

// ---- limits (S20) ----------------------------------------------------------------------------

/// A task OPEN in a harness whose configuration has `limits`.
pub fn open_limited(limits: Limits) -> (Harness, Handle) {
    let mut h = Harness::with_config(Config { limits, ..Config::default() });
    let t = h.open();
    (h, t)
}

/// What a received size limit does (S20): the error at once, then our close frame with 1009
/// and the error's reason, then onClose 1009.
pub fn assert_too_big(h: &mut Harness, t: Handle, wire: &[u8], error: ProtocolError) {
    assert_eq!(h.feed(t, wire), [Ev::Error(TaskError::Protocol(error))]);
    let frames = h.frames(t);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].close(), Some((1009, error.reason().to_string())));
    assert_eq!(h.events(t), [Ev::Close(1009, error.reason().to_string())]);
}
