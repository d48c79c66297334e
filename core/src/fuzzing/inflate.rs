//! `inflate`: permessage-deflate's receive path, with arbitrary compressed payloads.

use core::ops::Range;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{DecompressorOxide, decompress};

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{BufferUse, MIN_BUFFER_LEN, PerMessageDeflate, ProtocolError, RX_OVERHEAD, inflate_overhead};

/// The message limits an input picks from: small, so that a bomb costs little.
const LIMITS: [usize; 8] = [0, 1, 7, 125, 300, 1000, 2500, MAX_LIMIT];
const MAX_LIMIT: usize = 4096;
/// The largest window (15 bits).
const MAX_WINDOW: usize = 1 << 15;
/// The largest receive buffer: the documented one for the largest limit and window, plus
/// the most read-ahead an input can ask for.
const MAX_RX: usize = MAX_LIMIT + RX_OVERHEAD + MAX_WINDOW + 1 + MAX_EXTRA;
const MAX_EXTRA: usize = 31 * 32;
const TX_LEN: usize = 1024;
/// The largest payload of one message step (compressed or not).
const MAX_PAYLOAD: usize = 6000;
/// One step's frames: the payload, 8 headers, 7 pings between them.
const MAX_WIRE: usize = 8192;
/// RFC 7692 §7.2.2: the 4 octets a receiver appends to a compressed message's payload.
const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];
const FLAGS: u32 = TINFL_FLAG_HAS_MORE_INPUT | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
const PING: &[u8; 125] = &[b'p'; 125];

/// `inflate`: a task that negotiated permessage-deflate (window bits, context takeover and
/// message limit from the input) receives compressed messages whose payloads are the input's
/// bytes (mostly not DEFLATE data; the seeds are), fragmented, pings between fragments,
/// uncompressed messages between them, in any chunking, through `handle_input` or
/// `input_buffer` + `handle_read`, into a fixed buffer of the documented size (or larger) or
/// a growable one grown on `rx_wanted` and shrunk to what it holds.
///
/// No panic, no stall, S11; a fixed buffer never asks for room and a growable one never for
/// more than `limit + RX_OVERHEAD + inflate_overhead` (the decompression bomb); every message
/// comes out as a one-shot inflate of its payload (a reference over the same window) says:
/// the same bytes, never over the limit, else the error it finds (1009 past the limit, 1002
/// for bad data) or the UTF-8 or fragment error the message also has.
///
/// Input: a session byte (window bits, no context takeover, buffers, offer, fragment limit),
/// a limit byte (limit, read-ahead), 4 chunk-size bytes, then steps: a kind byte, then for a
/// message the cut bytes of its fragments, 2 length bytes and the payload.
pub fn inflate(data: &[u8]) {
    let mut input = Input(data);
    let session = Session::read(&mut input);
    let plan = input.take(4);
    let (mut rx, mut spare_rx) = ([0u8; MAX_RX], [0u8; MAX_RX]);
    let (mut tx, mut spare_tx) = ([0u8; TX_LEN], [0u8; TX_LEN]);
    let buffers = Buffers::new(Slab::new(&mut rx, session.first_rx()), Slab::new(&mut tx, TX_LEN));
    let spare = Buffers::new(Slab::new(&mut spare_rx, 0), Slab::new(&mut spare_tx, TX_LEN));
    let mut rig = Rig::new(session, buffers, spare);
    rig.open();
    while !input.is_empty() && rig.reads() {
        rig.step(&mut input, plan);
    }
    rig.end();
}

// ---- the session ---------------------------------------------------------------------------

/// How the receive buffer is provided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Storage {
    /// One buffer of fixed length.
    Fixed,
    /// Buffers replaced between calls: grown on `rx_wanted`, shrunk on a step.
    Growable,
}

/// What the input's first two bytes pick.
#[derive(Clone, Copy, Debug)]
struct Session {
    window_bits: u8,
    no_context_takeover: bool,
    storage: Storage,
    /// Offer `server_max_window_bits` without a value (the server picks).
    any_window: bool,
    max_fragments: usize,
    limit: usize,
    /// Receive-buffer bytes beyond the documented length.
    extra: usize,
}

impl Session {
    fn read(input: &mut Input<'_>) -> Self {
        let (flags, sizes) = (input.byte(), input.byte());
        let extra = if flags & 0x10 != 0 { usize::from(sizes >> 3) * 32 } else { 0 };
        Session {
            window_bits: 8 + (flags & 7),
            no_context_takeover: flags & 8 != 0,
            storage: if flags & 0x20 != 0 { Storage::Growable } else { Storage::Fixed },
            any_window: flags & 0x40 != 0,
            max_fragments: if flags & 0x80 != 0 { 3 } else { crate::DEFAULT_MAX_FRAGMENTS },
            limit: LIMITS[usize::from(sizes & 7)],
            extra,
        }
    }

    /// `max_message + RX_OVERHEAD + inflate_overhead`, and at least `MIN_BUFFER_LEN`, plus the
    /// extra read-ahead: the largest receive buffer.
    fn max_rx(self) -> usize {
        let documented =
            self.limit + RX_OVERHEAD + inflate_overhead(self.window_bits, self.no_context_takeover);
        documented.max(MIN_BUFFER_LEN) + self.extra
    }

    fn first_rx(self) -> usize {
        match self.storage {
            Storage::Fixed => self.max_rx(),
            Storage::Growable => MIN_BUFFER_LEN,
        }
    }

    fn offer(self) -> PerMessageDeflate {
        PerMessageDeflate {
            server_no_context_takeover: self.no_context_takeover,
            server_max_window_bits: if self.any_window { None } else { Some(self.window_bits) },
            ..PerMessageDeflate::default()
        }
    }

    /// The server's `Sec-WebSocket-Extensions` line, accepting the offer.
    fn answer(self) -> Wire<128> {
        let mut line = Wire::new();
        line.push(b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=");
        line.push(if self.window_bits > 9 { b"1" } else { b"" });
        line.push(&[b'0' + self.window_bits % 10]);
        if self.no_context_takeover {
            line.push(b"; server_no_context_takeover");
        }
        line.push(b"\r\n");
        line
    }
}

/// Receive or send storage: a prefix of a fixed array, so that buffers of any length up to
/// the array's can be handed to the client and taken back without an allocator.
#[derive(Debug)]
struct Slab<'b> {
    bytes: &'b mut [u8],
    len: usize,
}

impl<'b> Slab<'b> {
    fn new(bytes: &'b mut [u8], len: usize) -> Self {
        Slab { bytes, len }
    }
}

impl AsRef<[u8]> for Slab<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl AsMut<[u8]> for Slab<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

// ---- what each message must give ------------------------------------------------------------

/// Errors a message may fail with, as bits.
const TOO_LARGE: u8 = 1;
const INVALID: u8 = 2;
const UTF8: u8 = 4;
const FRAGMENTS: u8 = 8;

fn bit(e: ProtocolError) -> u8 {
    match e {
        ProtocolError::MessageTooLarge => TOO_LARGE,
        ProtocolError::InvalidCompressedData => INVALID,
        ProtocolError::InvalidUtf8 => UTF8,
        ProtocolError::TooManyFragments => FRAGMENTS,
        _ => 0,
    }
}

/// The message a step sent, and what the task must make of it.
#[derive(Clone, Copy, Debug)]
struct Verdict {
    text: bool,
    /// Its length and digest, when no error applies.
    message: (usize, Fnv),
    /// The errors it may fail with; none: it must arrive.
    errors: u8,
}

impl Verdict {
    fn new(text: bool, bytes: &[u8], error: Option<ProtocolError>, fragments: usize, max: usize) -> Self {
        let mut digest = Fnv::new();
        digest.bytes(bytes);
        let mut errors = error.map_or(0, bit);
        // Fail fast: a byte that cannot start or continue UTF-8, or (in a whole message) an
        // incomplete sequence at the end.
        let bad =
            core::str::from_utf8(bytes).err().is_some_and(|e| error.is_none() || e.error_len().is_some());
        if text && bad {
            errors |= UTF8;
        }
        if fragments > max {
            errors |= FRAGMENTS;
        }
        Verdict { text, message: (bytes.len(), digest), errors }
    }

    fn check_message(&self, message: &Message<'_>, limit: usize) {
        let bytes = message.as_bytes();
        assert!(bytes.len() <= limit, "a message of {} bytes past the limit {limit}", bytes.len());
        assert_eq!(self.errors, 0, "{self:?} arrived as a message of {} bytes", bytes.len());
        assert_eq!(matches!(message, Message::Text(_)), self.text, "the message's type");
        let mut digest = Fnv::new();
        digest.bytes(bytes);
        assert_eq!((bytes.len(), digest), self.message, "the message inflates as the reference says");
    }

    fn check_error(&self, error: ProtocolError) {
        assert!(bit(error) & self.errors != 0, "{error:?} for {self:?}");
    }
}

/// The reference: each compressed message inflated in one call over its whole payload, in an
/// output that holds the window and the message, as RFC 7692 §7.2.2 describes it.
struct Reference {
    state: DecompressorOxide,
    out: [u8; MAX_WINDOW + MAX_LIMIT + 1],
    window: Range<usize>,
    window_len: usize,
    reset: bool,
    limit: usize,
}

/// How far a message got into the stream (as the core counts it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Empty,
    Fed,
    Ended,
}

/// What the reference feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Payload,
    Tail,
}

impl Reference {
    fn new(session: Session) -> Self {
        Reference {
            state: DecompressorOxide::new(),
            out: [0; MAX_WINDOW + MAX_LIMIT + 1],
            window: 0..0,
            window_len: 1 << session.window_bits.clamp(9, 15),
            reset: session.no_context_takeover,
            limit: session.limit,
        }
    }

    /// Inflates one message's payload: its bytes (so far, on an error), and the error.
    fn message(&mut self, payload: &[u8]) -> (&[u8], Option<ProtocolError>) {
        if self.reset {
            self.state.init();
            self.window = 0..0;
        }
        let keep = self.window.clone();
        self.out.copy_within(keep.clone(), 0);
        let start = keep.len();
        let mut end = start;
        let mut progress = Progress::Empty;
        let mut result = self.feed(Part::Payload, payload, start, &mut end, &mut progress);
        if result.is_ok() {
            result = self.feed(Part::Tail, &TAIL, start, &mut end, &mut progress);
        }
        if result.is_ok() && progress == Progress::Fed && self.state.block_boundary_state().is_none() {
            result = Err(ProtocolError::InvalidCompressedData);
        }
        // The window: the last bytes of the stream, this message's included.
        self.window = end - end.min(self.window_len)..end;
        (&self.out[start..end], result.err())
    }

    /// Feeds `input` as the core does: the output stops one byte past the limit; in the
    /// payload a final block starts a new stream, while the tail goes in only as long as a
    /// stream is under way (after compressed bytes, until a final block ends it).
    fn feed(
        &mut self,
        part: Part,
        mut input: &[u8],
        start: usize,
        end: &mut usize,
        progress: &mut Progress,
    ) -> Result<(), ProtocolError> {
        let out = &mut self.out[..start + self.limit + 1];
        for _ in 0..=input.len() + 4 {
            if input.is_empty() || (part == Part::Tail && *progress != Progress::Fed) {
                return Ok(());
            }
            let (status, consumed, written) = decompress(&mut self.state, input, out, *end, FLAGS);
            input = &input[consumed..];
            *end += written;
            *progress = match status {
                TINFLStatus::Done => Progress::Ended,
                _ if consumed > 0 => Progress::Fed,
                _ => *progress,
            };
            if *end - start > self.limit {
                return Err(ProtocolError::MessageTooLarge);
            }
            match status {
                TINFLStatus::NeedsMoreInput if input.is_empty() => {}
                TINFLStatus::Done => self.state.init(),
                _ => return Err(ProtocolError::InvalidCompressedData),
            }
        }
        panic!("the reference inflater made no progress");
    }
}

// ---- the rig ---------------------------------------------------------------------------------

type Task<'b> = Client<Slab<'b>, XorShift, 1>;

/// One task, the spare buffers it is moved into, and what it must report.
struct Rig<'b> {
    client: Task<'b>,
    handle: Handle,
    session: Session,
    spare: Option<Buffers<Slab<'b>>>,
    now: Instant,
    track: Track,
    reference: Reference,
    /// The message sent and not yet reported.
    pending: Option<Verdict>,
    /// The stream ended: errors other than protocol errors may follow.
    ended: bool,
}

impl<'b> Rig<'b> {
    fn new(session: Session, buffers: Buffers<Slab<'b>>, spare: Buffers<Slab<'b>>) -> Self {
        let buffers = match session.storage {
            Storage::Fixed => buffers,
            Storage::Growable => buffers.growable(session.max_rx(), TX_LEN),
        };
        let limits = Limits {
            max_message_size: session.limit,
            max_fragments: session.max_fragments,
            ..Limits::default()
        };
        let config = Config { limits, ..Config::default() };
        let mut client = Client::new(config, XorShift::new(0x1F1A7E), [buffers]).unwrap();
        let now = Instant::from_millis(1_000);
        let options = ConnectOptions::new(URL).per_message_deflate(session.offer());
        let handle = client.connect_socket(now, &options).unwrap();
        Rig {
            client,
            handle,
            session,
            spare: Some(spare),
            now,
            track: Track::default(),
            reference: Reference::new(session),
            pending: None,
            ended: false,
        }
    }

    /// Answers the offer with a 101 that accepts it: the task is OPEN.
    fn open(&mut self) {
        let accept = accept_for(self.client.transmit_data(self.handle));
        self.pump();
        let response = response(&accept, self.session.answer().bytes());
        self.deliver(response.bytes(), &[], false);
        assert!(self.track.opened && self.client.ready_state(self.handle) == ReadyState::Open);
    }

    /// Whether the task still takes messages (it did not fail).
    fn reads(&self) -> bool {
        self.track.error.is_none() && !self.track.closed
    }

    fn step(&mut self, input: &mut Input<'_>, plan: &[u8]) {
        let kind = input.byte();
        let in_place = kind & 0x80 != 0;
        match kind & 3 {
            0 | 1 => {
                let (wire, verdict) = self.message(kind, input);
                self.pending = Some(verdict);
                self.deliver(wire.bytes(), plan, in_place);
                assert!(self.pending.is_none() || !self.reads(), "a whole message sent, none reported");
            }
            2 => {
                let mut wire = Wire::<130>::new();
                wire.frame(0x89, &PING[..usize::from(input.byte()) % 126]);
                self.deliver(wire.bytes(), plan, in_place);
            }
            _ => self.shrink(input.byte()),
        }
    }

    /// A message step: its frames and its verdict.
    fn message(&mut self, kind: u8, input: &mut Input<'_>) -> (Wire<MAX_WIRE>, Verdict) {
        let (compressed, text) = (kind & 3 == 0, kind & 4 != 0);
        let cuts = input.take(usize::from(kind >> 3 & 7));
        let fragments = cuts.len() + 1;
        let len = usize::from(u16::from_le_bytes([input.byte(), input.byte()])) % (MAX_PAYLOAD + 1);
        let payload = input.take(len);
        let wire = frames(payload, cuts, compressed, text, kind & 0x40 != 0);
        let max = self.session.max_fragments;
        let verdict = if compressed {
            let (bytes, error) = self.reference.message(payload);
            Verdict::new(text, bytes, error, fragments, max)
        } else {
            let error = (payload.len() > self.session.limit).then_some(ProtocolError::MessageTooLarge);
            Verdict::new(text, payload, error, fragments, max)
        };
        (wire, verdict)
    }

    /// Offers `bytes` in chunks of the sizes `plan` gives, the way a transport does: what is
    /// not taken is offered again after polling, a growable buffer grows when the task asks.
    /// Every round takes bytes, reports an event or grows the buffer; a bounded number of them.
    fn deliver(&mut self, bytes: &[u8], plan: &[u8], in_place: bool) {
        let mut chunks = plan.iter().cycle().map(|&b| usize::from(b) * usize::from(b) / 16 + 1);
        let mut pos = 0;
        for _ in 0..4 * bytes.len() + 64 {
            if pos == bytes.len() {
                return self.grow_while_wanted();
            }
            let end = (pos + chunks.next().unwrap_or(bytes.len())).min(bytes.len());
            let n =
                if in_place { self.read_in_place(&bytes[pos..end]) } else { self.input(&bytes[pos..end]) };
            pos += n;
            if self.pump() > 0 || n > 0 {
                continue;
            }
            if let Some(wanted) = self.buffer_use().rx_wanted {
                self.replace(wanted);
                continue;
            }
            // No room, no event, no request for room: only a task that stopped reading may do
            // that, and it drops what arrives.
            let rest = &bytes[pos..];
            assert_eq!(self.input(rest), rest.len(), "stalled: nothing taken, no event, no room asked");
            assert_eq!(self.pump(), 0);
            return;
        }
        panic!("{} of {} bytes delivered after {} rounds", pos, bytes.len(), 4 * bytes.len() + 64);
    }

    /// Every byte is in: a growable buffer grows until the task has room for what it holds
    /// (a compressed message may still be inflating).
    fn grow_while_wanted(&mut self) {
        for _ in 0..64 {
            let Some(wanted) = self.buffer_use().rx_wanted else { return };
            self.replace(wanted);
            self.pump();
        }
        panic!("the task keeps asking for room: {:?}", self.buffer_use());
    }

    fn input(&mut self, bytes: &[u8]) -> usize {
        let n = self.client.handle_input(self.now, self.handle, bytes);
        assert!(n <= bytes.len(), "consumed {n} of {} bytes", bytes.len());
        n
    }

    fn read_in_place(&mut self, bytes: &[u8]) -> usize {
        let space = self.client.input_buffer(self.handle);
        let n = space.len().min(bytes.len());
        space[..n].copy_from_slice(&bytes[..n]);
        if n > 0 {
            self.client.handle_read(self.now, self.handle, n);
        }
        n
    }

    /// Writes out what the task queued (pongs, its close) and polls every event; how many.
    fn pump(&mut self) -> usize {
        let mut polled = 0;
        loop {
            let queued = self.client.transmit_data(self.handle).len();
            self.client.advance_transmit(self.now, self.handle, queued);
            let Some((_, event)) = self.client.poll_event() else { break };
            self.track.see(&event);
            match &event {
                Event::Message(m) => {
                    let verdict = self.pending.take().expect("a message that was not sent");
                    verdict.check_message(m, self.session.limit);
                }
                Event::Error(TaskError::Protocol(e)) => {
                    let verdict = self.pending.take().expect("a protocol error without a message");
                    verdict.check_error(*e);
                }
                Event::Error(e) => assert!(self.ended, "{e:?} before the stream ended"),
                Event::Open(_) | Event::Close(_) => {}
            }
            polled += 1;
            assert!(polled < 64, "events without end");
        }
        self.check_room();
        polled
    }

    fn buffer_use(&self) -> BufferUse {
        self.client.buffer_use(self.handle.slot())
    }

    fn rx_len(&self) -> usize {
        self.client.buffers(self.handle.slot()).map_or(0, |b| b.rx.len)
    }

    /// The decompression bomb: a fixed buffer never asks for room; a growable one asks for
    /// more than it has, and never past its bound, `limit + RX_OVERHEAD + inflate_overhead`.
    fn check_room(&self) {
        let usage = self.buffer_use();
        assert!(usage.rx <= self.rx_len(), "{usage:?} in {} bytes", self.rx_len());
        let Some(wanted) = usage.rx_wanted else { return };
        assert_eq!(self.session.storage, Storage::Growable, "a fixed buffer asks for {wanted} bytes");
        assert!(wanted > self.rx_len() && wanted <= self.session.max_rx(), "asks for {wanted} bytes");
    }

    /// Moves the task into the spare buffers, with a receive buffer of `len` bytes.
    fn replace(&mut self, len: usize) {
        let mut spare = self.spare.take().unwrap();
        spare.rx.len = len;
        match self.client.replace_buffers(self.handle.slot(), spare) {
            Ok(old) => self.spare = Some(old),
            Err(_) => panic!("{len} bytes refused: {:?}", self.buffer_use()),
        }
    }

    /// A growable buffer shrinks to what it holds (at least `MIN_BUFFER_LEN`), plus some.
    fn shrink(&mut self, arg: u8) {
        if self.session.storage == Storage::Fixed {
            return;
        }
        // Release a polled event and take its follow-ups first: they may need room.
        let _ = self.client.handle_input(self.now, self.handle, &[]);
        self.pump();
        let held = self.buffer_use().rx.max(MIN_BUFFER_LEN);
        self.replace((held + usize::from(arg) * 16).min(self.session.max_rx().max(held)));
        self.check_room();
    }

    /// The stream ends: the task closes and frees its slot; every message was reported.
    fn end(&mut self) {
        self.ended = true;
        self.client.handle_eof(self.now, self.handle);
        self.pump();
        assert!(self.track.closed, "the task is not over after EOF: {:?}", self.track);
        assert_eq!(self.client.handles().count(), 0, "a closed task frees its slot");
        assert!(self.pending.is_none() || self.track.error.is_some(), "{:?} never reported", self.pending);
    }
}

/// A message's frames: `payload` cut where `cuts` say (each a fraction of the payload, in
/// 256ths), RSV1 on the first frame when `compressed`, a ping between fragments if `pings`.
fn frames(payload: &[u8], cuts: &[u8], compressed: bool, text: bool, pings: bool) -> Wire<MAX_WIRE> {
    let mut wire = Wire::new();
    let (mut from, last) = (0, cuts.len());
    for (k, at) in
        cuts.iter().map(|&c| payload.len() * usize::from(c) / 256).chain([payload.len()]).enumerate()
    {
        let at = at.max(from);
        let fin = if k == last { 0x80 } else { 0 };
        let first = match (k, compressed, text) {
            (0, true, true) => 0x41,
            (0, true, false) => 0x42,
            (0, false, true) => 0x01,
            (0, false, false) => 0x02,
            _ => 0x00,
        };
        wire.frame(fin | first, &payload[from..at]);
        if pings && k < last {
            wire.frame(0x89, &PING[..k * 17 % 126]);
        }
        from = at;
    }
    wire
}
