//! The fuzz harnesses: the logic of the `fuzz/` targets as plain functions over bytes.
//!
//! Compiled only with `--cfg fuzzing` (which `cargo fuzz` sets), so it is never part of the
//! library. Each function drives a [`Client`] the way a transport does and asserts the
//! invariants its target checks; a panic here is a finding. Nothing allocates: buffers are
//! fixed arrays and event sequences are compared as running digests.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![allow(missing_docs, clippy::missing_panics_doc, clippy::cast_possible_truncation)]

use core::convert::Infallible;
use core::fmt::Write as _;
use core::time::Duration;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use crate::frame::{Decoded, OpCode, decode_header};
use crate::{
    Buffers, Client, CloseCode, CloseError, Config, ConnectError, ConnectOptions, Event, FailureEvents,
    Handle, Instant, Limits, Message, ProtocolCheck, ReadyState, Schemes, SendError, TaskError,
    TransportError,
};

/// The URL every single-task harness connects to.
const URL: &str = "wss://example.com/chat";
/// Stands for the right `Sec-WebSocket-Accept` value in `handshake_response` inputs.
pub const ACCEPT_PLACEHOLDER: &[u8] = b"{A}";
/// Task ids the multi-task harness tracks (it stops connecting after that many).
const MAX_IDS: usize = 64;

// ---- tools --------------------------------------------------------------------------------

/// A deterministic xorshift64* RNG, so that every run of an input draws the same keys.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub const fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }
}

impl rand_core::TryRng for XorShift {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        Ok(self.0.wrapping_mul(0x2545_F491_4F6C_DD1D))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let word = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

/// The fuzz input, read front to back; reads past the end give zeros and empty slices.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// FNV-1a, to digest events without keeping them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fnv(u64);

impl Fnv {
    const fn new() -> Self {
        Fnv(0xCBF2_9CE4_8422_2325)
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
}

impl core::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// A fixed byte buffer filled from the front.
struct Wire<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Wire<N> {
    const fn new() -> Self {
        Wire { buf: [0; N], len: 0 }
    }
    /// Appends as much of `bytes` as fits.
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(N - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    /// An unmasked server frame with first byte `b0`, the length in its minimal form.
    fn frame(&mut self, b0: u8, payload: &[u8]) {
        let len = payload.len();
        match len {
            0..=125 => self.push(&[b0, len as u8]),
            126..=0xFFFF => self.push(&[b0, 126, (len >> 8) as u8, len as u8]),
            _ => {
                self.push(&[b0, 127]);
                self.push(&(len as u64).to_be_bytes());
            }
        }
        self.push(payload);
    }
}

/// The accept value for the key in `request`, computed independently of the core.
fn accept_for(request: &[u8]) -> [u8; 28] {
    let key = request_key(request);
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    let mut out = [0; 28];
    base64::engine::general_purpose::STANDARD.encode_slice(sha.finalize(), &mut out).unwrap();
    out
}

/// The value of the request's `Sec-WebSocket-Key` header, as sent (base64).
fn request_key(request: &[u8]) -> &[u8] {
    request
        .split(|&b| b == b'\n')
        .find_map(|line| {
            let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
            name.eq_ignore_ascii_case(b"sec-websocket-key").then(|| trim(&value[1..]))
        })
        .expect("the request carries Sec-WebSocket-Key")
}

fn trim(bytes: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r');
    let start = bytes.iter().position(|b| !ws(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ws(b)).map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// A valid 101 response for `accept`, with `extra` header lines.
fn response(accept: &[u8; 28], extra: &[u8]) -> Wire<512> {
    let mut wire = Wire::new();
    wire.push(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    wire.push(b"Sec-WebSocket-Accept: ");
    wire.push(accept);
    wire.push(b"\r\n");
    wire.push(extra);
    wire.push(b"\r\n");
    wire
}

/// The longest valid UTF-8 prefix.
fn utf8_prefix(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes)
        .unwrap_or_else(|e| core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
}

// ---- S11 per task -------------------------------------------------------------------------

/// What one task reported so far, checked against S11 and S13 as events arrive.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    opened: bool,
    closed: bool,
    error: Option<TaskError>,
}

impl Track {
    fn see(&mut self, event: &Event<'_>) {
        assert!(!self.closed, "S11: an event after close: {event:?}");
        match event {
            Event::Open(_) => {
                assert!(!self.opened && self.error.is_none(), "S11: a second open, or open after an error");
                self.opened = true;
            }
            Event::Message(_) => assert!(self.opened, "S11: a message before open"),
            Event::Error(e) => {
                assert!(self.error.is_none(), "S11: a second error {e:?} after {:?}", self.error);
                self.error = Some(*e);
            }
            Event::Close(close) => {
                self.closed = true;
                self.check_close_code(close.code);
            }
        }
    }

    /// S13: a protocol error's close code, else the peer's (valid) code, 1005 or 1006.
    fn check_close_code(&self, code: CloseCode) {
        match self.error {
            Some(TaskError::Protocol(e)) => {
                assert_eq!(code, e.close_code(), "S13: {e:?} closes with its code")
            }
            _ if !self.opened => assert_eq!(code, CloseCode::ABNORMAL, "a task never open closes with 1006"),
            _ => assert!(
                code.is_valid_on_wire() || code == CloseCode::NO_STATUS || code == CloseCode::ABNORMAL,
                "S13: close code {code:?}"
            ),
        }
    }
}

/// The events of a run as a count and a running digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    count: usize,
    digest: Fnv,
}

impl Record {
    fn add(&mut self, event: &Event<'_>) {
        let mut d = Fnv::new();
        match event {
            Event::Open(open) => {
                d.bytes(b"open");
                for (name, value) in open.header.iter() {
                    d.bytes(name.as_bytes());
                    d.bytes(value);
                }
            }
            Event::Message(m) => {
                d.bytes(if matches!(m, Message::Text(_)) { b"text" } else { b"binary" });
                d.bytes(m.as_bytes());
            }
            Event::Error(e) => write!(d, "error {e:?}").unwrap(),
            Event::Close(c) => write!(d, "close {:?} {}", c.code, c.reason).unwrap(),
        }
        self.count += 1;
        self.digest.bytes(&d.0.to_le_bytes());
    }
}

// ---- the driver ---------------------------------------------------------------------------

type Fuzzed<'b, const N: usize> = Client<&'b mut [u8], XorShift, N>;

/// A client with the harness's bookkeeping: per-task tracks and the digest of all events.
struct Driver<'b, const N: usize> {
    client: Fuzzed<'b, N>,
    now: Instant,
    tracks: [Track; MAX_IDS],
    record: Record,
}

impl<'b, const N: usize> Driver<'b, N> {
    fn new(config: Config, storage: impl IntoIterator<Item = Buffers<&'b mut [u8]>>) -> Self {
        let client = Client::new(config, XorShift::new(0x5EED), storage).unwrap();
        let record = Record { count: 0, digest: Fnv::new() };
        Driver { client, now: Instant::from_millis(1_000), tracks: [Track::default(); MAX_IDS], record }
    }

    fn track(&mut self, handle: Handle) -> &mut Track {
        &mut self.tracks[handle.socket_task_id() as usize % MAX_IDS]
    }

    /// Polls every waiting event; returns how many there were.
    fn poll_events(&mut self) -> usize {
        let mut polled = 0;
        while let Some((handle, event)) = self.client.poll_event() {
            self.tracks[handle.socket_task_id() as usize % MAX_IDS].see(&event);
            self.record.add(&event);
            polled += 1;
            let (message, close) = (matches!(event, Event::Message(_)), matches!(event, Event::Close(_)));
            let state = self.client.ready_state(handle);
            if close {
                assert_eq!(state, ReadyState::Closed, "closed after onClose");
            }
            if message {
                // S11: a message is delivered in the state it arrived in, whatever is
                // buffered behind it: OPEN, or CLOSING after the client's own close().
                assert!(
                    matches!(state, ReadyState::Open | ReadyState::Closing),
                    "S11: a message in {state:?}"
                );
            }
        }
        polled
    }

    /// Writes out everything every task queued and polls every event, until nothing is left;
    /// returns how many events there were.
    fn settle(&mut self) -> usize {
        let mut polled = 0;
        loop {
            let handles: heapless::Vec<Handle, N> = self.client.handles().collect();
            for &h in &handles {
                let n = self.client.transmit_data(h).len();
                self.client.advance_transmit(self.now, h, n);
                // A payload sent in place goes out once the bytes before it did; the bytes
                // queued after it on the next turn.
                if let Some(due) = self.client.in_place_due(h) {
                    self.client.advance_in_place(self.now, h, due.len());
                }
            }
            let flushed = handles
                .iter()
                .all(|&h| self.client.transmit_data(h).is_empty() && self.client.in_place_due(h).is_none());
            match self.poll_events() {
                0 if flushed => return polled,
                n => polled += n,
            }
        }
    }

    /// Offers `bytes` to `handle` in chunks of the sizes `plan` gives (all at once when
    /// empty), the way a transport does: what is not taken is offered again after polling.
    fn deliver(&mut self, h: Handle, bytes: &[u8], plan: &[u8], flush: bool) {
        let mut chunks = plan.iter().cycle().map(|&b| usize::from(b) + 1);
        let mut pos = 0;
        while pos < bytes.len() {
            let size = if plan.is_empty() { bytes.len() } else { chunks.next().unwrap_or(1) };
            let end = (pos + size).min(bytes.len());
            while pos < end {
                let n = self.client.handle_input(self.now, h, &bytes[pos..end]);
                assert!(n <= end - pos, "consumed {n} of {} bytes", end - pos);
                pos += n;
                let polled = if flush { self.settle() } else { self.poll_events() };
                assert!(n > 0 || polled > 0 || pos == end, "input stalled: nothing taken, no event");
            }
        }
    }

    /// Connects to [`URL`] and answers with a valid 101; the task is OPEN and its Open polled.
    fn open(&mut self) -> (Handle, [u8; 28]) {
        let h = self.client.connect_socket(self.now, &ConnectOptions::new(URL)).unwrap();
        let accept = accept_for(self.client.transmit_data(h));
        self.settle();
        self.deliver(h, response(&accept, b"").bytes(), &[], true);
        assert!(self.track(h).opened && self.client.ready_state(h) == ReadyState::Open);
        (h, accept)
    }

    /// After every command: the table holds at most `N` tasks, no timer is in the past.
    fn check(&self) {
        assert!(self.client.handles().count() <= N.min(5));
        if let Some(t) = self.client.poll_timeout() {
            assert!(t >= self.now, "poll_timeout {t:?} is before now {:?}", self.now);
        }
    }
}

mod frame_decode;
mod handshake_response;
#[cfg(feature = "deflate")]
mod inflate;
mod round_trip;
mod socket_task;

pub use self::frame_decode::frame_decode;
pub use self::handshake_response::handshake_response;
#[cfg(feature = "deflate")]
pub use self::inflate::inflate;
pub use self::round_trip::round_trip;
pub use self::socket_task::socket_task;
