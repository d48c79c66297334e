//! The receive path of one task: bytes in the caller's receive buffer → frames → whole
//! messages, in place.
//!
//! The buffer holds, in order: bytes already released, the message being assembled
//! (`msg.start..msg.end`), then bytes not yet parsed (`cursor..filled`). The payload of a
//! message's first frame stays where it arrived; the payloads of continuation frames are moved
//! down to join it, so a message is always one contiguous slice, validated as it grows and
//! handed out by reference. Control frames are parsed whole from the unparsed bytes.
//!
//! With permessage-deflate (module `inflate`, feature `deflate`) the buffer also keeps the window
//! of the inflated stream, before the message, and a compressed message is inflated into the
//! message's place as its frames arrive.

use core::ops::Range;

use crate::buffers::move_within;
use crate::error::{ProtocolError, TransportError};
use crate::frame::{Decoded, FrameHeader, OpCode, Rsv1, decode_header};
use crate::utf8::Utf8Validator;

#[cfg(feature = "deflate")]
mod inflate;
#[cfg(feature = "deflate")]
pub(crate) use inflate::Inflater;
#[cfg(feature = "deflate")]
pub use inflate::inflate_overhead;

/// The inflater's state (permessage-deflate), kept beside the task: nothing without the
/// `deflate` feature (an empty array: `&mut []` is one for any lifetime).
#[cfg(not(feature = "deflate"))]
pub(crate) type Inflater = [(); 0];

/// The receive-buffer bytes kept beyond the largest message: one whole control frame
/// (2 + 125) and the next frame header (14), rounded up.
pub const RX_OVERHEAD: usize = 160;

/// What a whole message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MessageKind {
    Text,
    Binary,
}

/// The limits the decoder applies, already bounded by the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameLimits {
    pub(crate) max_frame: usize,
    pub(crate) max_message: usize,
    pub(crate) max_fragments: usize,
}

/// [`Receive::whole_message_frame`]'s 64-bit length from the 8 bytes at the start of `rest`,
/// when it is in its minimal form (over 16 bits) with the most significant bit clear (a
/// length with it set could not pass the caller's checks either: no buffer holds that many
/// bytes). Out of line: a message this long costs far more than a call, and the short ones'
/// path stays as short as it was.
#[inline(never)]
fn long_len(rest: &[u8]) -> Option<usize> {
    let (&len, _) = rest.split_first_chunk::<8>()?;
    let len = u64::from_be_bytes(len);
    if len <= 0xFFFF || len >> 63 != 0 {
        return None;
    }
    usize::try_from(len).ok()
}

impl FrameLimits {
    /// The bound [`Receive::whole_message_frame`] takes: a whole message in one frame is
    /// within every limit when its length is below it (0: none is, as with no fragment
    /// allowed). Computed once per task, not per frame.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn whole_bound(&self) -> usize {
        if self.max_fragments == 0 {
            return 0;
        }
        self.max_frame.min(self.max_message).saturating_add(1)
    }
}

/// Whether an event borrows the front of the buffer: the response headers, or a whole
/// message handed out in place. While one does, no buffered byte moves and parsing waits, so
/// the borrowed bytes stay exactly as they were when the event was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pin {
    Free,
    Held,
}

/// What parsing produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// A whole message, at [`Receive::held_message`]; parsing waits until
    /// [`Receive::release`]. A text message's UTF-8 is checked as it arrives only while it is
    /// incomplete (fail fast); the whole message is validated where it is handed out, from
    /// the bytes handed out.
    Message(MessageKind),
    /// A control frame with its payload at `range` (a pong's is ignored by the client).
    Control(Control, Range<usize>),
}

/// What a control frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Control {
    Close,
    Ping,
    Pong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameState {
    Header,
    /// A data frame's payload still to come (at most the frame limit: a `usize`).
    Data {
        remaining: usize,
        fin: bool,
    },
    Control {
        kind: Control,
        len: usize,
    },
}

/// One step of the decoder.
enum Step {
    Blocked,
    Continue,
    Output(Output),
}

#[derive(Clone, Copy, Debug, Default)]
struct Assembly {
    kind: Option<MessageKind>,
    start: usize,
    end: usize,
    fragments: usize,
    utf8: Utf8Validator,
    /// RSV1 was set on its first frame: its payload is inflated into `start..end`.
    #[cfg(feature = "deflate")]
    compressed: bool,
}

impl Assembly {
    /// Whether the message is compressed (permessage-deflate).
    #[cfg(feature = "deflate")]
    const fn compressed(&self) -> bool {
        self.compressed
    }

    /// Whether the message is compressed: never without permessage-deflate.
    #[cfg(not(feature = "deflate"))]
    const fn compressed(&self) -> bool {
        false
    }
}

/// How the byte stream ended. It takes effect once every byte before it is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    Eof,
    Error(TransportError),
}

/// Parser state over one receive buffer: the bytes of the stream so far, and its end.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "deflate"), derive(Copy))]
pub(crate) struct Receive {
    filled: usize,
    cursor: usize,
    frame: FrameState,
    msg: Assembly,
    pin: Pin,
    end: Option<StreamEnd>,
    /// permessage-deflate's inflater, once negotiated ([`Receive::enable_inflate`]).
    #[cfg(feature = "deflate")]
    inflate: Option<inflate::Inflate>,
}

impl Default for Receive {
    /// One copy on bare metal without `deflate`, where flash is short.
    #[cfg_attr(all(target_os = "none", not(feature = "deflate")), inline(never))]
    fn default() -> Self {
        Receive::fresh()
    }
}

impl Receive {
    /// A new stream's state, built in place ([`Socket::new`](crate::socket) builds the task
    /// where it stays).
    #[inline(always)]
    pub(crate) fn fresh() -> Self {
        Receive {
            filled: 0,
            cursor: 0,
            frame: FrameState::Header,
            msg: Assembly::default(),
            pin: Pin::Free,
            end: None,
            #[cfg(feature = "deflate")]
            inflate: None,
        }
    }

    /// Bytes received so far and not yet released. One copy on bare metal.
    #[cfg_attr(target_os = "none", inline(never))]
    pub(crate) fn filled(&self) -> usize {
        self.filled
    }

    /// Copies as much of `data` as fits after the buffered bytes; returns how much.
    pub(crate) fn push(&mut self, rx: &mut [u8], data: &[u8]) -> usize {
        let space = self.space(rx);
        let n = space.len().min(data.len());
        if let (Some(dst), Some(src)) = (space.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.filled += n;
        n
    }

    /// The free tail of the buffer, after reclaiming parsed bytes when that frees a
    /// worthwhile amount and no event borrows the buffer. With permessage-deflate, no more
    /// than the unparsed bytes a compressed message can always inflate beside (the read
    /// budget of `inflate`).
    pub(crate) fn space<'b>(&mut self, rx: &'b mut [u8]) -> &'b mut [u8] {
        let range = self.space_range(rx);
        rx.get_mut(range).unwrap_or_default()
    }

    /// Where [`Receive::space`] is in the buffer.
    #[inline]
    pub(crate) fn space_range(&mut self, rx: &mut [u8]) -> Range<usize> {
        #[cfg(feature = "deflate")]
        if self.inflate.is_some() {
            return self.space_range_inflating(rx);
        }
        // Without an inflater: no window, no compressed message, reads up to the end.
        if self.pin == Pin::Free {
            self.reclaim(rx);
        }
        self.filled..rx.len()
    }

    /// [`Receive::space_range`] without an inflater (the caller knows): no window, no
    /// compressed message. (Without the `deflate` feature `space_range` is this already.)
    #[cfg(feature = "deflate")]
    #[inline]
    pub(crate) fn frame_space_range(&mut self, rx: &mut [u8]) -> Range<usize> {
        debug_assert!(!self.inflating(), "frame_space_range with an inflater");
        if self.pin == Pin::Free {
            // `reclaim` without an inflater: no window before the message.
            self.compact_if_worth(rx, self.msg.start + (self.cursor - self.msg.end));
        }
        self.filled..rx.len()
    }

    /// [`Receive::space_range`] in a buffer of `len` bytes when it moves no byte, without an
    /// inflater (the caller knows): nothing parsed before the unparsed bytes (the cursor at
    /// the start: the common case, between messages), or an event holds the buffer; and there
    /// is room. `None` otherwise, also where `space_range` would move nothing either (a
    /// message under way from the start): it finds the same room.
    #[inline]
    pub(crate) fn room_as_is(&self, len: usize) -> Option<Range<usize>> {
        debug_assert!(!self.inflating(), "room_as_is with an inflater");
        let stays = self.cursor == 0 || self.pin == Pin::Held;
        (stays && self.filled < len).then_some(self.filled..len)
    }

    /// [`Receive::space_range`] with permessage-deflate on: out of the common path.
    #[cfg(feature = "deflate")]
    #[inline(never)]
    fn space_range_inflating(&mut self, rx: &mut [u8]) -> Range<usize> {
        if self.pin == Pin::Free {
            self.reclaim(rx);
        }
        let end = self.read_end(rx.len());
        self.filled..end.max(self.filled)
    }

    /// Makes room for reads: moves what is kept to the front when the free tail is less than
    /// half the buffer, or when what is kept is no more than what moving it frees (a
    /// compressed message under way has its own rule).
    #[inline]
    fn reclaim(&mut self, rx: &mut [u8]) {
        #[cfg(feature = "deflate")]
        if self.msg.compressed {
            self.make_read_room(rx);
            return;
        }
        self.compact_if_worth(rx, self.parsed_bytes());
    }

    /// Compacts (`parsed` bytes go: [`Receive::parsed_bytes`]) when the reads need the room
    /// (less than half the buffer free), or while moving costs no more than it frees: right
    /// after a message, when what is kept is the start of the next one, it moves while it is
    /// short, not once it filled the buffer (a large message arriving in many reads is then
    /// copied once, by the reads).
    #[inline]
    fn compact_if_worth(&mut self, rx: &mut [u8], parsed: usize) {
        let free = rx.len().saturating_sub(self.filled);
        if parsed > 0 && (free < rx.len() / 2 || self.filled - parsed <= parsed) {
            self.compact(rx);
        }
    }

    /// [`Receive::reclaim`] of a compressed message under way: out of the common path.
    #[cfg(feature = "deflate")]
    #[cold]
    #[inline(never)]
    fn make_read_room(&mut self, rx: &mut [u8]) {
        self.make_room(rx, inflate::Room::Read);
    }

    /// Where reads stop: the end of the buffer, or the read budget of permessage-deflate.
    #[cfg(feature = "deflate")]
    #[inline]
    fn read_end(&self, len: usize) -> usize {
        if let Some(inflate) = &self.inflate {
            let budget = inflate.read_budget(len).saturating_sub(self.filled - self.cursor);
            return len.min(self.filled + budget);
        }
        len
    }

    /// Buffered bytes nothing needs any more: those before the message under assembly but
    /// the inflate window, and those between its end and the cursor (the headers of its later
    /// fragments, control frames parsed between fragments or between messages, compressed
    /// bytes inflated).
    #[inline]
    fn parsed_bytes(&self) -> usize {
        self.msg.start - self.window().len() + (self.cursor - self.msg.end)
    }

    /// The inflate window's bytes in the buffer: the end of the inflated stream, kept for the
    /// next compressed message to refer back to (empty without permessage-deflate). It always
    /// ends at or before the message under assembly, and right before a compressed one.
    #[inline]
    fn window(&self) -> Range<usize> {
        #[cfg(feature = "deflate")]
        if let Some(inflate) = &self.inflate {
            return inflate.window.clone();
        }
        0..0
    }

    /// Moves the inflate window to `to` (nothing without permessage-deflate).
    fn set_window(&mut self, to: Range<usize>) {
        #[cfg(feature = "deflate")]
        if let Some(inflate) = &mut self.inflate {
            inflate.window = to;
        }
        #[cfg(not(feature = "deflate"))]
        let _ = to;
    }

    /// Records `n` bytes the driver wrote into [`Receive::space`].
    #[inline]
    pub(crate) fn commit(&mut self, rx_len: usize, n: usize) {
        self.filled = (self.filled + n).min(rx_len);
    }

    /// Starts frame parsing at `at`, just after the handshake response, which stays held
    /// (the open event borrows it) until [`Receive::release`].
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn start_frames(&mut self, at: usize) {
        self.cursor = at.min(self.filled);
        self.msg = Assembly { start: self.cursor, end: self.cursor, ..Assembly::default() };
        self.frame = FrameState::Header;
        self.pin = Pin::Held;
    }

    /// Ends the loan of the held headers or message: they, and everything before the cursor,
    /// are forgotten. Does nothing when nothing is held.
    #[inline]
    pub(crate) fn release(&mut self) {
        if self.pin == Pin::Free {
            return;
        }
        self.pin = Pin::Free;
        // Only a compressed message leaves a window to keep.
        #[cfg(feature = "deflate")]
        if self.msg.compressed() {
            self.keep_window();
        }
        // Nothing left but the inflate window, if any: start again right after it.
        self.free_from(self.window().end);
    }

    /// [`Receive::release`] of a whole message as it is handed out (it holds the buffer).
    /// Without an inflater no window is kept: the bytes before the cursor go, and when
    /// nothing follows them the offsets start again at 0.
    #[inline]
    pub(crate) fn release_message(&mut self) {
        debug_assert!(self.pin == Pin::Held, "a message handed out holds the buffer");
        if self.inflating() {
            self.release();
            return;
        }
        self.release_frames();
    }

    /// [`Receive::release_message`] without an inflater (the caller knows).
    #[inline]
    pub(crate) fn release_frames(&mut self) {
        debug_assert!(
            self.pin == Pin::Held && !self.inflating(),
            "release_frames: nothing held, or inflating"
        );
        self.pin = Pin::Free;
        self.free_from(0);
    }

    /// The end of a loan, after the window (if any) is kept: the next message starts at the
    /// cursor, and when no unparsed byte follows it the offsets start again at `floor` (no
    /// byte moves). One copy on bare metal, where flash is short.
    #[cfg_attr(not(target_os = "none"), inline)]
    #[cfg_attr(target_os = "none", inline(never))]
    fn free_from(&mut self, floor: usize) {
        if self.cursor == self.filled {
            self.cursor = floor;
            self.filled = floor;
        }
        self.msg = Assembly { start: self.cursor, end: self.cursor, ..Assembly::default() };
    }

    /// Stops reading: drops every byte not held by an event (after the task failed, or the
    /// peer's close). The stream's end, if it came, is kept. Out of line: four transitions
    /// call it, none often.
    #[inline(never)]
    pub(crate) fn discard(&mut self) {
        match self.pin {
            Pin::Free => *self = Receive { end: self.end, ..Receive::default() },
            Pin::Held => {
                self.filled = self.cursor;
                self.frame = FrameState::Header;
            }
        }
    }

    /// The whole message an event holds (valid while held after [`Output::Message`]).
    pub(crate) fn held_message(&self) -> Range<usize> {
        self.msg.start..self.msg.end
    }

    /// Whether an event holds the front of the buffer.
    pub(crate) fn is_held(&self) -> bool {
        self.pin == Pin::Held
    }

    /// Records the end of the stream (the first one counts).
    pub(crate) fn end_stream(&mut self, end: StreamEnd) {
        self.end.get_or_insert(end);
    }

    /// Whether the stream ended (whether or not that took effect yet).
    pub(crate) fn ended(&self) -> bool {
        self.end.is_some()
    }

    /// Whether every buffered byte is parsed, between messages (no frame or message under
    /// way): [`Receive::advance`] would need more bytes before it could output anything, and
    /// would change nothing.
    #[inline]
    pub(crate) fn all_parsed(&self) -> bool {
        self.cursor == self.filled && matches!(self.frame, FrameState::Header) && self.msg.kind.is_none()
    }

    /// Whether permessage-deflate's inflater is on (`Receive::enable_inflate`).
    pub(crate) fn inflating(&self) -> bool {
        #[cfg(feature = "deflate")]
        if self.inflate.is_some() {
            return true;
        }
        false
    }

    /// The stream's end, for a parser that can make nothing more of the bytes before it,
    /// unless an event holds the buffer: it takes effect once. One copy on bare metal.
    #[cfg_attr(target_os = "none", inline(never))]
    pub(crate) fn take_end(&mut self) -> Option<StreamEnd> {
        match self.pin {
            Pin::Free => self.end.take(),
            Pin::Held => None,
        }
    }

    /// Parses until an output, or until more bytes are needed or an event holds the buffer.
    ///
    /// S18, fail fast, the same whatever the chunking: while a text message is under way,
    /// nothing but its own next fragment takes effect (a control frame, an error, waiting for
    /// more bytes) before its bytes so far are checked. A message that completes is
    /// validated once, where it is handed out.
    ///
    /// `inflater` is the task's inflater state (see `inflate::Inflater`): read only for a
    /// compressed message.
    pub(crate) fn advance(
        &mut self,
        rx: &mut [u8],
        inflater: &mut Inflater,
        limits: &FrameLimits,
    ) -> Result<Option<Output>, ProtocolError> {
        if self.pin == Pin::Held {
            return Ok(None);
        }
        #[cfg(feature = "deflate")]
        let limits = &self.inflate_limits(rx.len(), limits);
        let result = self.parse(rx, inflater, limits);
        if !matches!(result, Ok(Some(Output::Message(..)))) {
            self.check_partial_text(rx)?;
        }
        result
    }

    /// The common case in one step (the socket tries it before [`Receive::advance`]): the
    /// unparsed bytes start with a whole unfragmented, uncompressed text or binary frame with
    /// a 7-, 16- or 64-bit length, between messages, and no event holds the buffer. It is held
    /// in place, as [`Receive::parse`] would hold it, without its per-frame steps: the checks
    /// are the same (a header that breaks a rule or a limit is left to `parse`, which reports
    /// it), and a complete message is validated where it is handed out. `bound` is the
    /// limits' [`FrameLimits::whole_bound`]. Only without an inflater ([`Receive::inflating`]:
    /// the caller asks), which keeps a window of the messages before.
    #[inline]
    pub(crate) fn whole_message_frame(&mut self, rx: &[u8], bound: usize) -> Option<MessageKind> {
        debug_assert!(!self.inflating(), "the one-step case is for a task without an inflater");
        if self.pin == Pin::Held || !matches!(self.frame, FrameState::Header) || self.msg.kind.is_some() {
            return None;
        }
        let unparsed = rx.get(self.cursor..self.filled)?;
        let (&[b0, b1], rest) = unparsed.split_first_chunk::<2>()?;
        // FIN set, RSV1–3 clear, text or binary (RFC 6455 §5.2); unmasked, and a length in
        // its minimal form.
        let kind = match b0 {
            0x81 => MessageKind::Text,
            0x82 => MessageKind::Binary,
            _ => return None,
        };
        let (len, header) = match b1 {
            0..=125 => (usize::from(b1), 2),
            126 => {
                let (&len, _) = rest.split_first_chunk::<2>()?;
                let len = u16::from_be_bytes(len);
                if len < 126 {
                    return None;
                }
                (usize::from(len), 4)
            }
            // RFC 6455 §5.2: "the most significant bit MUST be 0", and the minimal form: a
            // length that fits 16 bits is not this one (`parse` reports both).
            127 => (long_len(rest)?, 10),
            // Masked (128 and up): `parse` reports it.
            _ => return None,
        };
        if len >= bound || unparsed.len() - header < len {
            return None;
        }
        let start = self.cursor + header;
        // Between messages the rest of the assembly is as `release` (or `discard`, or
        // `start_frames`) left it: only where the message is, and its one fragment, change.
        debug_assert!(
            matches!(self.msg, Assembly { kind: None, fragments: 0, .. })
                && self.msg.utf8 == Utf8Validator::default()
                && !self.msg.compressed(),
            "a message under way between messages"
        );
        self.msg.start = start;
        self.msg.end = start + len;
        self.msg.fragments = 1;
        self.cursor = start + len;
        self.pin = Pin::Held;
        Some(kind)
    }

    fn parse(
        &mut self,
        rx: &mut [u8],
        inflater: &mut Inflater,
        limits: &FrameLimits,
    ) -> Result<Option<Output>, ProtocolError> {
        loop {
            let step = match self.frame {
                FrameState::Header => self.header(rx, limits)?,
                FrameState::Data { remaining, fin } => {
                    self.data(rx, inflater, remaining, fin, limits.max_message)?
                }
                FrameState::Control { kind, len } => self.control(kind, len),
            };
            match step {
                Step::Blocked => return Ok(None),
                Step::Continue => {}
                Step::Output(out) => return Ok(Some(out)),
            }
        }
    }

    fn header(&mut self, rx: &[u8], limits: &FrameLimits) -> Result<Step, ProtocolError> {
        let unparsed = rx.get(self.cursor..self.filled).unwrap_or_default();
        let Decoded::Complete { header, len } = decode_header(unparsed, self.rsv1())? else {
            return Ok(Step::Blocked);
        };
        self.cursor += len;
        self.start_frame(header, limits)?;
        Ok(Step::Continue)
    }

    /// A frame's header, checked against the message under way and the limits. Out of
    /// line on bare metal, where flash is short (in line, it made the parse loop longer).
    #[cfg_attr(target_os = "none", inline(never))]
    fn start_frame(&mut self, header: FrameHeader, limits: &FrameLimits) -> Result<(), ProtocolError> {
        // Within the frame limit, a `usize`: the rest counts in the target's width.
        let Some(len) = usize::try_from(header.payload_len).ok().filter(|&len| len <= limits.max_frame)
        else {
            return Err(ProtocolError::FrameTooLarge);
        };
        let kind = match header.opcode {
            OpCode::Close => return self.start_control(Control::Close, len),
            OpCode::Ping => return self.start_control(Control::Ping, len),
            OpCode::Pong => return self.start_control(Control::Pong, len),
            OpCode::Continuation => None,
            OpCode::Text => Some(MessageKind::Text),
            OpCode::Binary => Some(MessageKind::Binary),
        };
        match (kind, self.msg.kind) {
            // RFC 6455 §5.4: a continuation frame continues an open fragmented message.
            (None, None) => return Err(ProtocolError::UnexpectedContinuation),
            // §5.4: a message's fragments MUST NOT be interleaved with another data message.
            (Some(_), Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (Some(kind), None) => {
                self.msg = Assembly {
                    kind: Some(kind),
                    start: self.cursor,
                    end: self.cursor,
                    ..Assembly::default()
                };
                #[cfg(feature = "deflate")]
                if header.rsv1 {
                    self.start_compressed();
                }
            }
            (None, Some(_)) => {}
        }
        self.msg.fragments += 1;
        if self.msg.fragments > limits.max_fragments {
            return Err(ProtocolError::TooManyFragments);
        }
        // A compressed payload says nothing of the inflated size: that is checked as it grows.
        let so_far = self.msg.end - self.msg.start;
        if !self.msg.compressed() && so_far.checked_add(len).is_none_or(|total| total > limits.max_message) {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.frame = FrameState::Data { remaining: len, fin: header.fin };
        Ok(())
    }

    /// Starts a control frame; never fails (a `Result` so `start_frame` can return it).
    fn start_control(&mut self, kind: Control, len: usize) -> Result<(), ProtocolError> {
        // decode_header already refused control payloads over 125 bytes.
        self.frame = FrameState::Control { kind, len };
        Ok(())
    }

    fn data(
        &mut self,
        rx: &mut [u8],
        inflater: &mut Inflater,
        remaining: usize,
        fin: bool,
        limit: usize,
    ) -> Result<Step, ProtocolError> {
        #[cfg(feature = "deflate")]
        if self.msg.compressed {
            return self.inflate_data(rx, inflater, remaining, fin, limit);
        }
        #[cfg(not(feature = "deflate"))]
        let _ = (limit, inflater);
        let unparsed = self.filled - self.cursor;
        let take = remaining.min(unparsed);
        let remaining = remaining - take;
        if take > 0 {
            if self.cursor != self.msg.end {
                move_within(rx, self.cursor..self.cursor + take, self.msg.end);
            }
            self.msg.end += take;
            self.cursor += take;
        }
        if remaining > 0 {
            self.frame = FrameState::Data { remaining, fin };
            return Ok(Step::Blocked);
        }
        self.frame = FrameState::Header;
        if !fin {
            return Ok(Step::Continue);
        }
        Ok(self.finish_message())
    }

    /// Checks a text message under way up to where it got (only the bytes not checked yet).
    fn check_partial_text(&mut self, rx: &[u8]) -> Result<(), ProtocolError> {
        if self.msg.kind != Some(MessageKind::Text) {
            return Ok(());
        }
        self.msg.utf8.feed(rx.get(self.msg.start..self.msg.end).unwrap_or_default())
    }

    /// What RSV1 means on this connection.
    fn rsv1(&self) -> Rsv1 {
        #[cfg(feature = "deflate")]
        if self.inflate.is_some() {
            return Rsv1::Compressed;
        }
        Rsv1::Reserved
    }

    fn finish_message(&mut self) -> Step {
        let kind = self.msg.kind.take().unwrap_or(MessageKind::Binary);
        self.pin = Pin::Held;
        Step::Output(Output::Message(kind))
    }

    fn control(&mut self, kind: Control, len: usize) -> Step {
        if self.filled - self.cursor < len {
            return Step::Blocked;
        }
        let range = self.cursor..self.cursor + len;
        self.cursor += len;
        self.frame = FrameState::Header;
        Step::Output(Output::Control(kind, range))
    }

    /// Bytes a replacement buffer must hold: everything up to `filled` while an event holds
    /// the front (held bytes keep their place), else the message under assembly and the
    /// unparsed bytes (parsed bytes are dropped on the move).
    pub(crate) fn in_use(&self) -> usize {
        match self.pin {
            Pin::Held => self.filled,
            Pin::Free => self.filled - self.parsed_bytes(),
        }
    }

    /// The buffer length that lets parsing go on when a buffer of `len` bytes is full of
    /// bytes still needed (at most `max`): what is in use and the rest of the current frame,
    /// and at least double the buffer, so a message that arrives in many frames grows it a
    /// logarithmic number of times. `None` when the buffer has room, or an event holds it.
    pub(crate) fn wanted(&self, len: usize, max: usize) -> Option<usize> {
        if self.pin == Pin::Held || self.in_use() < len {
            return None;
        }
        let frame = match self.frame {
            FrameState::Data { remaining, .. } => remaining,
            FrameState::Header | FrameState::Control { .. } => 0,
        };
        let need = self.in_use().saturating_add(frame).saturating_add(RX_OVERHEAD);
        let wanted = need.max(len.saturating_mul(2)).min(max);
        (wanted > len).then_some(wanted)
    }

    /// Moves what is in use from `old` to `new` ([`Receive::in_use`] bytes must fit);
    /// whether it did.
    pub(crate) fn relocate(&mut self, old: &[u8], new: &mut [u8]) -> bool {
        let in_use = self.in_use();
        if in_use > new.len() {
            return false;
        }
        let copy = |from: Range<usize>, to: usize, new: &mut [u8]| {
            let len = from.len();
            if let (Some(src), Some(dst)) = (old.get(from), new.get_mut(to..to + len)) {
                dst.copy_from_slice(src);
            }
        };
        match self.pin {
            Pin::Held => copy(0..self.filled, 0, new),
            Pin::Free => {
                let window = self.window();
                let (kept, msg_len) = (window.len(), self.msg.end - self.msg.start);
                copy(window, 0, new);
                copy(self.msg.start..self.msg.end, kept, new);
                copy(self.cursor..self.filled, kept + msg_len, new);
                self.set_window(0..kept);
                self.msg.start = kept;
                self.msg.end = kept + msg_len;
                self.cursor = kept + msg_len;
                self.filled = in_use;
            }
        }
        true
    }

    /// Moves the message under assembly to the front and the unparsed bytes right after it.
    ///
    /// Both gaps must go: reclaiming only the bytes before the message left the parsed bytes
    /// between the message's end and the cursor in place, so the headers of a message's many
    /// fragments (and the pings between them), or a long run of control frames between
    /// messages, filled the buffer until no byte could be taken and no event was left to
    /// poll: the task stalled for good.
    ///
    /// The inflate window goes first, the message right after it: `gap` free bytes are left
    /// between the message and the unparsed bytes (0 unless a compressed message needs room to
    /// grow into).
    fn compact_with_gap(&mut self, rx: &mut [u8], gap: usize) {
        let window = self.window();
        let kept = window.len();
        let msg_len = self.msg.end - self.msg.start;
        let unparsed = self.filled - self.cursor;
        let at = kept + msg_len + gap;
        // Each region moves down or stays, in order, so none overwrites one still to move;
        // the unparsed bytes may move up, above where the message now ends.
        move_within(rx, window, 0);
        move_within(rx, self.msg.start..self.msg.end, kept);
        move_within(rx, self.cursor..self.filled, at);
        self.set_window(0..kept);
        self.msg.start = kept;
        self.msg.end = kept + msg_len;
        self.cursor = at;
        self.filled = at + unparsed;
    }

    #[cold]
    #[inline(never)]
    fn compact(&mut self, rx: &mut [u8]) {
        self.compact_with_gap(rx, 0);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::format;
    use std::vec::Vec;

    /// A parser over `bytes` (frames right from the start of the buffer), and the buffer.
    fn parser(bytes: &[u8]) -> (Receive, Vec<u8>) {
        let mut rx = std::vec![0u8; bytes.len() + 16];
        let mut recv = Receive::default();
        assert_eq!(recv.push(&mut rx, bytes), bytes.len());
        recv.start_frames(0);
        recv.release();
        (recv, rx)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// The one-step common case agrees with the frame-by-frame parser: when it takes a
        /// frame, `advance` hands out the same message from the same bytes and leaves the same
        /// state; when it does not, it changed nothing.
        #[test]
        fn whole_message_frame_agrees_with_advance(
            b0 in proptest::sample::select(
                &[0x81u8, 0x82, 0x81, 0x82, 0x01, 0x02, 0x80, 0x89, 0xC1, 0x92, 0x83][..]
            ),
            len in proptest::sample::select(&[0usize, 1, 16, 125, 126, 200, 0xFFFF, 0x1_0000][..]),
            form in 0u8..3,
            cut in proptest::sample::select(&[0usize, 0, 0, 1, 2, 7][..]),
            max_frame in proptest::sample::select(&[0usize, 16, 126, 0xFFFF, usize::MAX, usize::MAX][..]),
            max_message in proptest::sample::select(&[0usize, 16, 125, 126, 1 << 20, 1 << 20][..]),
            max_fragments in proptest::sample::select(&[0usize, 1, 2, 1000][..]),
            masked in proptest::sample::select(&[false, false, false, true][..]),
            msb in proptest::sample::select(&[false, false, false, true][..]),
        ) {
            // The length in the form `form` asks for (minimal or not), then the payload. A
            // server's frame is never masked (RFC 6455 §5.1) and a 64-bit length never has its
            // most significant bit set (§5.2): sometimes it is, and `advance` refuses it.
            let mut frame = std::vec![b0];
            let mask_bit = if masked { 0x80 } else { 0 };
            match (form, len) {
                (0, 0..=125) => frame.push(len as u8 | mask_bit),
                (0 | 1, _) if len <= 0xFFFF => {
                    frame.push(126 | mask_bit);
                    frame.extend_from_slice(&(len as u16).to_be_bytes());
                }
                _ => {
                    frame.push(127 | mask_bit);
                    let len = if msb { len as u64 | 1 << 63 } else { len as u64 };
                    frame.extend_from_slice(&len.to_be_bytes());
                }
            }
            if masked {
                frame.extend_from_slice(&[1, 2, 3, 4]);
            }
            frame.extend((0..len).map(|i| i as u8));
            // Sometimes cut short: the frame is not all there yet.
            let bytes = &frame[..frame.len().saturating_sub(cut)];
            let limits = FrameLimits { max_frame, max_message, max_fragments };
            let (mut fast, rx) = parser(bytes);
            let (mut slow, mut rx_slow) = parser(bytes);
            let before = format!("{fast:?}");
            match fast.whole_message_frame(&rx, limits.whole_bound()) {
                Some(kind) => {
                    let slow_output = slow.advance(&mut rx_slow, &mut Inflater::default(), &limits);
                    proptest::prop_assert_eq!(slow_output, Ok(Some(Output::Message(kind))));
                    proptest::prop_assert_eq!(fast.held_message(), slow.held_message());
                    proptest::prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
                }
                None => proptest::prop_assert_eq!(format!("{fast:?}"), before),
            }
        }
    }
}
