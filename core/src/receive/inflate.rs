//! permessage-deflate, receive side (RFC 7692 §7.2.2): the message layer's inflate step. A
//! compressed message is inflated as its frames arrive, in place in the receive buffer, by
//! `miniz_oxide`'s allocation-free core: the message handed out, the fail-fast UTF-8 check and
//! the message limit all see the inflated bytes.
//!
//! # Layout
//!
//! While a compressed message is under assembly the buffer holds, in order:
//!
//! ```text
//! | parsed | window | message so far | room | unparsed | free for reads |
//!          ^        ^                ^      ^          ^               ^
//!    window.start msg.start       msg.end cursor    filled          rx.len()
//! ```
//!
//! The window is the end of the inflated stream before this message: its last
//! 2^`server_max_window_bits` bytes (of one message or several), kept with context takeover
//! only. The message is inflated right after it, so that back-references reach into both as
//! into one slice (`TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF`). Compressed bytes are read from
//! `cursor`, and the output grows into the room before them: when it catches up with them
//! they move up ([`Receive::make_room`]), when reads need the room they move down, each time
//! leaving each side half of the free bytes, and the output never more than it can still use.
//! The output may reach `limit + 1` bytes, the byte past the limit that proves the message
//! too large (1009), so a decompression bomb stops there.
//!
//! The window stays in place between messages: an uncompressed message is assembled after
//! it and leaves it alone, and a compaction or a new buffer moves it with the rest.
//!
//! # No deadlock
//!
//! Any buffered byte may sit behind a compressed frame that inflates to the whole limit, and
//! a byte once read cannot be given back. So reads stop when the unparsed bytes reach the
//! read budget: what the buffer holds beside a full window and a message one byte over the
//! limit. With a buffer of `limit +` [`RX_OVERHEAD`] `+` [`inflate_overhead`] bytes (the
//! message limit is cut to fit) the budget is [`RX_OVERHEAD`]: a whole control frame and the
//! next header, so every frame can be parsed and every compressed byte inflated, until the
//! message ends or passes the limit. Larger buffers read ahead by the difference.

use core::borrow::BorrowMut;
use core::fmt;
use core::ops::Range;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{DecompressorOxide, decompress};

use super::{FrameLimits, FrameState, RX_OVERHEAD, Receive, Step, move_within};
use crate::error::ProtocolError;

/// RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of
/// the message." The sender's sync flush ends with these bytes, and it removed them.
const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// More input may always follow (the next frame, the tail); the output slice holds the window
/// and the message so far before the output position.
const FLAGS: u32 = TINFL_FLAG_HAS_MORE_INPUT | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;

/// A compressed payload that is not DEFLATE data, or does not end at a block boundary: a
/// protocol error (1002, as for any payload that breaks the negotiated extension's rules; not
/// 1007, which RFC 6455 §7.4.1 keeps for data "not consistent with the type of the message").
const INVALID_DATA: ProtocolError = ProtocolError::InvalidCompressedData;

/// The receive-buffer bytes permessage-deflate needs beyond `max_message_size +`
/// [`RX_OVERHEAD`], for the server's `server_max_window_bits` and
/// `server_no_context_takeover`: the window kept between messages (2^`window_bits` bytes;
/// none when the server takes no context over) and one byte past the message limit, which
/// proves a message too large.
///
/// 8 counts as 9 (512 bytes): zlib, asked for a 256-byte window, compresses with 512. Values
/// outside 8..=15 count as the nearest of 9 and 15. A receive buffer shorter than
/// `max_message_size + RX_OVERHEAD + inflate_overhead(..)` cuts the message limit to fit.
///
/// ```
/// use sockettask::{RX_OVERHEAD, inflate_overhead};
///
/// // A device that offers `server_max_window_bits=10` and takes 4 KiB messages.
/// let rx_len = 4096 + RX_OVERHEAD + inflate_overhead(10, false);
/// assert_eq!(rx_len, 4096 + 160 + 1024 + 1);
/// // Without context takeover no window is kept.
/// assert_eq!(inflate_overhead(10, true), 1);
/// ```
pub const fn inflate_overhead(window_bits: u8, no_context_takeover: bool) -> usize {
    if no_context_takeover { 1 } else { window_len(window_bits) + 1 }
}

/// The window, in bytes, for `server_max_window_bits`.
const fn window_len(window_bits: u8) -> usize {
    let bits = if window_bits < 9 {
        9
    } else if window_bits > 15 {
        15
    } else {
        window_bits
    };
    1 << bits
}

/// Whether the window carries over from one message to the next (RFC 7692 §7.1.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// Context takeover: later messages may refer back into earlier ones.
    Kept,
    /// `server_no_context_takeover`: every message starts from an empty window.
    Reset,
}

/// How far the message under assembly got into the compressed stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// No compressed byte yet: a message with an empty payload is empty, and adds nothing to
    /// the stream (zlib sends one for a sync flush with nothing new to flush).
    Empty,
    /// Compressed bytes went in: the tail follows them, and must end a block.
    Fed,
    /// A final block (BFINAL) ended and nothing followed it yet: the tail is not needed
    /// (RFC 7692 §7.2.3.4 has the sender add a byte so that it is; a sender may forget).
    Ended,
}

/// Who needs room in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Room {
    /// Reads: the free tail.
    Read,
    /// The inflated output: the room between the message and the unparsed bytes.
    Output,
}

/// One call's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    /// The next `n` buffered bytes of the frame's payload.
    Payload(usize),
    /// What is left of [`TAIL`].
    Tail,
    /// Nothing: the inflater still holds output the last call had no room for, and no input
    /// is left to make it call again (found by the `inflate` fuzz target: the tail's last
    /// call filled the output, and the message failed as unfinished instead of too large).
    Drain,
}

/// The inflater of one connection, once permessage-deflate is negotiated; its state, the
/// large part, is kept apart ([`Inflater`]).
#[derive(Clone)]
pub(super) struct Inflate {
    /// `server_max_window_bits`.
    window_bits: u8,
    context: Context,
    /// Where the window's bytes are in the buffer.
    pub(super) window: Range<usize>,
    progress: Progress,
    /// The bytes of [`TAIL`] fed for the message under assembly.
    tail: usize,
    /// The last call stopped with output still to write (`HasMoreOutput`).
    pending: bool,
    /// The inflater's state must start a new stream before its next call (a new connection,
    /// a message without context takeover, or after a final block).
    fresh: bool,
    /// The stream stood at a block boundary after the last call.
    boundary: bool,
    /// The message limit, cut to fit the window (set by every `advance`).
    limit: Option<usize>,
    /// The length the receive buffer may grow to (0: unknown, see [`Receive::set_max_len`]).
    max_len: usize,
}

/// miniz_oxide's state (about 10.5 KB: the Huffman tables), kept across messages with
/// context takeover. Not in [`Receive`] but beside the task, in its slot, and handed to
/// [`Receive::advance`]: a task is small, so building one (or moving it) never puts 10.5 KB on
/// the stack (small devices), and the state itself is built once per slot, when a message
/// first needs it, then started again in place. On the heap with the `alloc` feature, so a
/// slot pays for it only while its task inflates; in the slot itself without.
#[derive(Clone, Default)]
pub(crate) struct Inflater {
    state: Option<State>,
}

/// Where the inflater's state lives (see [`Inflater`]).
#[cfg(feature = "alloc")]
type State = alloc::boxed::Box<DecompressorOxide>;
#[cfg(not(feature = "alloc"))]
type State = DecompressorOxide;

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater").field("built", &self.state.is_some()).finish_non_exhaustive()
    }
}

impl Inflater {
    /// The state, built the first time, and started again when `fresh` (a new stream).
    fn ready(&mut self, fresh: bool) -> &mut DecompressorOxide {
        let state: &mut DecompressorOxide = self.state.get_or_insert_with(State::default).borrow_mut();
        if fresh {
            state.init();
        }
        state
    }

    /// The slot's task is over: frees the state (with `alloc`; without, it stays for the
    /// slot's next task, started again before any use).
    #[cfg(feature = "alloc")]
    pub(crate) fn release(&mut self) {
        self.state = None;
    }
}

impl fmt::Debug for Inflate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflate")
            .field("window_bits", &self.window_bits)
            .field("context", &self.context)
            .field("window", &self.window)
            .field("progress", &self.progress)
            .field("tail", &self.tail)
            .field("limit", &self.limit)
            .field("max_len", &self.max_len)
            .finish_non_exhaustive()
    }
}

impl Inflate {
    fn new(window_bits: u8, context: Context) -> Self {
        Inflate {
            window_bits,
            context,
            window: 0..0,
            progress: Progress::Empty,
            tail: 0,
            pending: false,
            fresh: true,
            boundary: true,
            limit: None,
            max_len: 0,
        }
    }

    /// [`inflate_overhead`] for this connection.
    const fn overhead(&self) -> usize {
        inflate_overhead(self.window_bits, matches!(self.context, Context::Reset))
    }

    /// The length the buffer may reach: at least what the message limit needs.
    fn bound(&self, rx_len: usize) -> usize {
        let needed = self.limit.unwrap_or(0).saturating_add(RX_OVERHEAD + self.overhead());
        rx_len.max(self.max_len).max(needed)
    }

    /// How many unparsed bytes the buffer may hold (see the [module docs](self#no-deadlock)).
    pub(super) fn read_budget(&self, rx_len: usize) -> usize {
        let Some(limit) = self.limit else {
            return RX_OVERHEAD;
        };
        let used = limit.saturating_add(self.overhead());
        self.bound(rx_len).saturating_sub(used).max(RX_OVERHEAD)
    }
}

impl Receive {
    /// Turns permessage-deflate on, with the server's `server_max_window_bits` (8–15) and
    /// `server_no_context_takeover`: called once, at OPEN, when the server accepted it. From
    /// here on RSV1 marks the first frame of a compressed message, and the message limit
    /// leaves room for the window ([`inflate_overhead`]).
    pub(crate) fn enable_inflate(&mut self, window_bits: u8, no_context_takeover: bool) {
        let context = if no_context_takeover { Context::Reset } else { Context::Kept };
        self.inflate = Some(Inflate::new(window_bits, context));
    }

    /// The length the receive buffer may grow to (`Buffers::max_lens().0`), after
    /// [`Receive::enable_inflate`]. Without it a buffer is assumed to grow no further than
    /// its message limit needs, which fits fixed buffers exactly but cuts a growable buffer's
    /// read-ahead to [`RX_OVERHEAD`] and its message limit by [`inflate_overhead`].
    pub(crate) fn set_max_len(&mut self, max_len: usize) {
        if let Some(inflate) = &mut self.inflate {
            inflate.max_len = max_len;
        }
    }

    /// `limits` with the message limit cut so that the window, the byte past the limit and
    /// [`RX_OVERHEAD`] fit beside a whole message in the largest buffer (every message's
    /// limit: an uncompressed one is assembled beside the window too).
    pub(super) fn inflate_limits(&mut self, rx_len: usize, limits: &FrameLimits) -> FrameLimits {
        let Some(inflate) = &mut self.inflate else {
            return *limits;
        };
        // The socket bounds the limit by the largest buffer already: that buffer is at least
        // this long.
        let largest = rx_len.max(inflate.max_len).max(limits.max_message.saturating_add(RX_OVERHEAD));
        let max_message = limits.max_message.min(largest.saturating_sub(RX_OVERHEAD + inflate.overhead()));
        inflate.limit = Some(max_message);
        FrameLimits { max_message, ..*limits }
    }

    /// A compressed message starts (RFC 7692 §6: RSV1 on its first frame). It is inflated
    /// right after the window; everything between the window and the cursor is parsed.
    pub(super) fn start_compressed(&mut self) {
        let Some(inflate) = &mut self.inflate else {
            return;
        };
        if inflate.context == Context::Reset {
            inflate.fresh = true;
            inflate.window = 0..0;
        }
        inflate.progress = Progress::Empty;
        inflate.tail = 0;
        inflate.pending = false;
        self.msg.compressed = true;
        self.msg.start = inflate.window.end;
        self.msg.end = inflate.window.end;
    }

    /// The payload of a compressed message's frame: inflates what of it is buffered, and after
    /// the message's last frame the tail. Blocked while bytes are missing, or (with a buffer
    /// that may still grow) room.
    pub(super) fn inflate_data(
        &mut self,
        rx: &mut [u8],
        inflater: &mut Inflater,
        remaining: usize,
        fin: bool,
        limit: usize,
    ) -> Result<Step, ProtocolError> {
        let mut remaining = remaining;
        while let Some(input) = self.next_input(remaining, fin) {
            let (consumed, stuck) = self.inflate_some(rx, inflater, input, limit)?;
            remaining -= consumed;
            if stuck {
                break;
            }
        }
        if remaining > 0 || self.next_input(remaining, fin).is_some() {
            self.frame = FrameState::Data { remaining, fin };
            return Ok(Step::Blocked);
        }
        self.frame = FrameState::Header;
        if !fin {
            return Ok(Step::Continue);
        }
        self.end_compressed()?;
        Ok(self.finish_message())
    }

    /// What to inflate next: buffered payload, or the tail once the last frame's payload is
    /// in; `None` when bytes are missing or the message is done.
    fn next_input(&self, remaining: usize, fin: bool) -> Option<Input> {
        if remaining > 0 {
            let buffered = self.filled - self.cursor;
            let n = remaining.min(buffered);
            return (n > 0).then_some(Input::Payload(n));
        }
        let inflate = self.inflate.as_ref()?;
        if !fin || inflate.progress != Progress::Fed {
            return None;
        }
        if inflate.tail < TAIL.len() { Some(Input::Tail) } else { inflate.pending.then_some(Input::Drain) }
    }

    /// One call of the inflater over `input`; the payload bytes it took, and whether it is
    /// stuck for room.
    fn inflate_some(
        &mut self,
        rx: &mut [u8],
        inflater: &mut Inflater,
        input: Input,
        limit: usize,
    ) -> Result<(usize, bool), ProtocolError> {
        let (cursor, start, end) = (self.cursor, self.msg.start, self.msg.end);
        let Some(inflate) = self.inflate.as_mut() else {
            return Err(INVALID_DATA);
        };
        let base = inflate.window.start;
        // The output stops at the unparsed bytes, and one byte past the limit.
        let out_end = cursor.min(start.saturating_add(limit).saturating_add(1));
        let (head, rest) = rx.split_at_mut_checked(cursor).ok_or(INVALID_DATA)?;
        let source = match input {
            Input::Payload(n) => rest.get(..n),
            Input::Tail => TAIL.get(inflate.tail..),
            Input::Drain => Some(&[][..]),
        };
        let (Some(out), Some(source)) = (head.get_mut(base..out_end), source) else {
            return Err(INVALID_DATA);
        };
        let state = inflater.ready(inflate.fresh);
        inflate.fresh = false;
        let (status, consumed, written) = decompress(state, source, out, end - base, FLAGS);
        inflate.boundary = state.block_boundary_state().is_some();
        let whole = consumed == source.len();
        inflate.pending = status == TINFLStatus::HasMoreOutput;
        inflate.progress = match status {
            TINFLStatus::Done => Progress::Ended,
            _ if consumed > 0 => Progress::Fed,
            _ => inflate.progress,
        };
        self.msg.end += written;
        let taken = match input {
            Input::Payload(_) => consumed,
            Input::Tail => {
                inflate.tail += consumed;
                0
            }
            Input::Drain => 0,
        };
        self.cursor += taken;
        if self.msg.end - self.msg.start > limit {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.after_status(rx, status, whole).map(|stuck| (taken, stuck))
    }

    /// What a call's status means: more input, a new stream after a final block, room to
    /// make, or an error. Whether the inflater is stuck for room.
    fn after_status(
        &mut self,
        rx: &mut [u8],
        status: TINFLStatus,
        whole: bool,
    ) -> Result<bool, ProtocolError> {
        match status {
            // With more input announced, the inflater returns this only with all of it taken.
            TINFLStatus::NeedsMoreInput if whole => Ok(false),
            // A block with BFINAL set ended: what follows, if anything, starts a new stream
            // (RFC 7692 §7.2.3.4), with the same window.
            TINFLStatus::Done => {
                if let Some(inflate) = &mut self.inflate {
                    inflate.fresh = true;
                }
                Ok(false)
            }
            // The output reached where the unparsed bytes were (the limit is checked before):
            // on into what the call took of them, else into room made.
            TINFLStatus::HasMoreOutput => {
                if self.msg.end < self.cursor || self.make_room(rx, Room::Output) {
                    return Ok(false);
                }
                // A buffer at its largest that still has no room: only bytes read before the
                // extension was known can do that (they escaped the read budget). Fail rather
                // than wait forever.
                let bound = self.inflate.as_ref().map_or(0, |inflate| inflate.bound(rx.len()));
                if rx.len() >= bound { Err(ProtocolError::MessageTooLarge) } else { Ok(true) }
            }
            _ => Err(INVALID_DATA),
        }
    }

    /// The last frame and the tail are in: the stream must stand at a block boundary, or
    /// the next message would be read as the rest of this one's last block.
    fn end_compressed(&self) -> Result<(), ProtocolError> {
        let Some(inflate) = &self.inflate else {
            return Ok(());
        };
        match inflate.progress {
            Progress::Empty | Progress::Ended => Ok(()),
            Progress::Fed if inflate.boundary => Ok(()),
            Progress::Fed => Err(INVALID_DATA),
        }
    }

    /// The held message, a compressed one ([`Receive::release`] asks), is released: with
    /// context takeover, the window becomes the last bytes of the stream, which ends with
    /// this message.
    pub(super) fn keep_window(&mut self) {
        debug_assert!(self.msg.compressed);
        self.msg.compressed = false;
        let end = self.msg.end;
        let Some(inflate) = &mut self.inflate else {
            return;
        };
        inflate.window = match inflate.context {
            // The window ends where the message starts: the two are one run of the stream.
            Context::Kept => end - (end - inflate.window.start).min(window_len(inflate.window_bits))..end,
            Context::Reset => 0..0,
        };
    }

    /// Moves the window and the message to the front and the unparsed bytes to where `room`
    /// is best served: half the free bytes to each side, and the output no more than it can
    /// still use. Whether that gives `room` more (for reads, at least twice as much).
    pub(super) fn make_room(&mut self, rx: &mut [u8], room: Room) -> bool {
        let Some(inflate) = &self.inflate else {
            return false;
        };
        let limit = inflate.limit.unwrap_or(0);
        let len = rx.len();
        let msg_len = self.msg.end - self.msg.start;
        let unparsed = self.filled - self.cursor;
        let free = len.saturating_sub(inflate.window.len() + msg_len + unparsed);
        let need = limit.saturating_add(1).saturating_sub(msg_len);
        let gap = need.min(match room {
            Room::Output => free.div_ceil(2),
            Room::Read => free / 2,
        });
        // Output room from the free tail, if it has enough: the unparsed bytes move up, and
        // the window and the message stay where they are. Moving them down each time costs a
        // copy of the whole window per message (32 KiB for a 1 KiB message with context
        // takeover): the window moves only once the reads reach the buffer's end.
        if room == Room::Output {
            let shift = (len - self.filled).min(gap);
            if shift > 0 && (shift * 2 >= gap || shift >= 4096) {
                move_within(rx, self.cursor..self.filled, self.cursor + shift);
                self.cursor += shift;
                self.filled += shift;
                return true;
            }
        }
        let gains = match room {
            Room::Output => gap > self.cursor - self.msg.end,
            Room::Read => {
                let budget = inflate.read_budget(len).saturating_sub(unparsed);
                let (now, then) = ((len - self.filled).min(budget), (free - gap).min(budget));
                then > now * 2
            }
        };
        if gains {
            self.compact_with_gap(rx, gap);
        }
        gains
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::receive::{Output, Pin};

    /// A receive buffer and its parser, OPEN with permessage-deflate, driven the way the
    /// socket drives it; the layout is checked after every step.
    struct Rig {
        rx: Vec<u8>,
        recv: Receive,
        inflater: Inflater,
        limits: FrameLimits,
        /// The inflated stream so far (compressed messages only), to check the window against.
        stream: Vec<u8>,
    }

    impl Rig {
        fn new(rx_len: usize, max_message: usize, bits: u8, no_context_takeover: bool) -> Self {
            let mut recv = Receive::default();
            recv.start_frames(0);
            recv.release();
            recv.enable_inflate(bits, no_context_takeover);
            let limits = FrameLimits { max_frame: usize::MAX, max_message, max_fragments: 1000 };
            Rig { rx: std::vec![0; rx_len], recv, inflater: Inflater::default(), limits, stream: Vec::new() }
        }

        /// Reads `wire` in pieces of at most `chunk` bytes through `space` and `commit`; the
        /// messages, or the first error. Panics if the parser stalls.
        fn feed(&mut self, wire: &[u8], chunk: usize) -> Result<Vec<Vec<u8>>, ProtocolError> {
            let mut out = Vec::new();
            let mut pos = 0;
            while pos < wire.len() {
                let space = self.recv.space(&mut self.rx);
                let n = space.len().min(chunk).min(wire.len() - pos);
                space[..n].copy_from_slice(&wire[pos..pos + n]);
                self.recv.commit(self.rx.len(), n);
                pos += n;
                let produced = self.pump(&mut out)?;
                assert!(n > 0 || produced, "stalled at byte {pos}: {:?}", self.recv);
            }
            Ok(out)
        }

        fn pump(&mut self, out: &mut Vec<Vec<u8>>) -> Result<bool, ProtocolError> {
            let mut produced = false;
            loop {
                let step = self.recv.advance(&mut self.rx, &mut self.inflater, &self.limits);
                self.check();
                match step? {
                    None => return Ok(produced),
                    Some(Output::Message(_)) => {
                        let message = self.rx[self.recv.held_message()].to_vec();
                        if self.recv.msg.compressed {
                            self.stream.extend_from_slice(&message);
                        }
                        out.push(message);
                        self.recv.release();
                        self.check_window();
                    }
                    Some(_) => {}
                }
                produced = true;
            }
        }

        /// The layout of the [module docs](super): in order, and the output never past the
        /// limit's extra byte.
        fn check(&self) {
            let r = &self.recv;
            let inflate = r.inflate.as_ref().unwrap();
            let window = &inflate.window;
            assert!(window.len() <= window_len(inflate.window_bits), "{r:?}");
            assert!(r.msg.start <= r.msg.end && r.msg.end <= r.cursor, "{r:?}");
            assert!(r.cursor <= r.filled && r.filled <= self.rx.len(), "{r:?}");
            if r.pin == Pin::Free {
                assert!(window.end <= r.msg.start, "{r:?}");
            }
            if r.msg.compressed && r.pin == Pin::Free {
                assert_eq!(window.end, r.msg.start, "{r:?}");
                assert!(r.msg.end - r.msg.start <= inflate.limit.unwrap() + 1, "{r:?}");
            }
        }

        /// The window holds the end of the inflated stream.
        fn check_window(&self) {
            let inflate = self.recv.inflate.as_ref().unwrap();
            let kept = &self.rx[inflate.window.clone()];
            match inflate.context {
                Context::Kept => {
                    let len = self.stream.len().min(window_len(inflate.window_bits));
                    assert_eq!(kept, &self.stream[self.stream.len() - len..]);
                }
                Context::Reset => assert!(kept.is_empty()),
            }
        }
    }

    /// Raw DEFLATE by the reference compressor, sync-flushed, the tail removed.
    fn deflate(compress: &mut flate2::Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() * 2 + 64);
        compress.compress_vec(data, &mut out, flate2::FlushCompress::Sync).unwrap();
        out.strip_suffix(&TAIL).map_or(out.clone(), <[u8]>::to_vec)
    }

    fn compressor(bits: u8) -> flate2::Compress {
        flate2::Compress::new_with_window_bits(flate2::Compression::default(), false, bits.max(9))
    }

    /// A server frame; RSV1 when `compressed`.
    fn frame(opcode: u8, fin: bool, compressed: bool, payload: &[u8]) -> Vec<u8> {
        let mut wire = std::vec![u8::from(fin) << 7 | u8::from(compressed) << 6 | opcode];
        match payload.len() {
            n @ 0..=125 => wire.push(n as u8),
            n @ 126..=0xFFFF => {
                wire.push(126);
                wire.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                wire.push(127);
                wire.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        wire.extend_from_slice(payload);
        wire
    }

    fn noise(seed: u64, i: u64) -> u8 {
        (seed ^ i).wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes()[7]
    }

    fn text_like(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let words: [&[u8]; 6] = [b"alpha ", b"beta ", b"gamma ", b"{\"id\":", b"42, ", b"\"ok\"} "];
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(words[(state % 6) as usize]);
            out.push(b'0' + (state >> 8) as u8 % 10);
        }
        out.truncate(len);
        out
    }

    // ---- sizes -------------------------------------------------------------------------------

    #[test]
    fn the_overhead_is_the_window_and_one_byte() {
        assert_eq!(inflate_overhead(15, false), 32_769);
        assert_eq!(inflate_overhead(10, false), 1025);
        assert_eq!(inflate_overhead(9, false), 513);
        // zlib has no 256-byte window.
        assert_eq!(inflate_overhead(8, false), 513);
        assert_eq!((inflate_overhead(0, false), inflate_overhead(99, false)), (513, 32_769));
        assert_eq!(inflate_overhead(15, true), 1);
    }

    #[test]
    fn the_limit_leaves_room_for_the_window() {
        let mut recv = Receive::default();
        recv.enable_inflate(10, false);
        let limits = FrameLimits { max_frame: usize::MAX, max_message: 4000, max_fragments: 10 };
        // A fixed buffer: the limit the socket computed (rx - RX_OVERHEAD) is cut by the window.
        let fixed = FrameLimits { max_message: 4000 - RX_OVERHEAD, ..limits };
        assert_eq!(recv.inflate_limits(4000, &fixed).max_message, 4000 - RX_OVERHEAD - 1025);
        // A growable buffer whose bound is unknown: the same cut from the limit.
        assert_eq!(recv.inflate_limits(1024, &limits).max_message, 4000 - 1025);
        // Known, and large enough: the limit stands, and reads may run ahead.
        recv.set_max_len(100_000);
        assert_eq!(recv.inflate_limits(1024, &limits).max_message, 4000);
        assert_eq!(recv.inflate.as_ref().unwrap().read_budget(1024), 100_000 - 4000 - 1025);
    }

    #[test]
    fn the_read_budget_is_rx_overhead_in_the_documented_buffer() {
        for (bits, reset) in [(9, false), (15, false), (12, true)] {
            let overhead = inflate_overhead(bits, reset);
            let rx_len = 3000 + RX_OVERHEAD + overhead;
            let mut rig = Rig::new(rx_len, rx_len - RX_OVERHEAD, bits, reset);
            assert_eq!(rig.feed(&frame(0x9, true, false, b"p"), 100), Ok(Vec::new()));
            assert_eq!(rig.recv.inflate.as_ref().unwrap().limit, Some(3000));
            assert_eq!(rig.recv.space(&mut rig.rx).len(), RX_OVERHEAD);
        }
    }

    // ---- the decompression bomb ----------------------------------------------------------

    /// 8 MiB of one byte: the output stops one byte past the limit, the rest of the buffer
    /// untouched, after a few hundred compressed bytes.
    #[test]
    fn a_bomb_writes_at_most_one_byte_past_the_limit() {
        let payload = deflate(&mut compressor(15), &std::vec![b'A'; 8 << 20]);
        let wire = frame(0x2, true, true, &payload);
        let limit = 20_000;
        let rx_len = limit + RX_OVERHEAD + inflate_overhead(15, false);
        let mut rig = Rig::new(rx_len, limit, 15, false);
        rig.rx.fill(0xEE);
        assert_eq!(rig.feed(&wire, 64), Err(ProtocolError::MessageTooLarge));
        let r = &rig.recv;
        assert_eq!((r.msg.start, r.msg.end), (0, limit + 1));
        assert!(rig.rx[..=limit].iter().all(|&b| b == b'A'));
        // What lies past the output is unparsed input or was never written.
        assert!(r.cursor > limit && r.cursor < 1000 + limit, "{r:?}");
        assert!(rig.rx[r.filled..].iter().all(|&b| b == 0xEE));
    }

    // ---- reads before the extension was known ----------------------------------------------

    /// Bytes read before the extension was known escape the read budget. If they leave a
    /// compressed message no room in a buffer that cannot grow, the task fails with 1009
    /// rather than waiting forever.
    #[test]
    fn a_surplus_read_before_open_fails_instead_of_stalling() {
        let limit = 2000;
        let rx_len = limit + RX_OVERHEAD + inflate_overhead(9, false);
        let mut recv = Receive::default();
        let mut rx = std::vec![0u8; rx_len];
        let mut wire = frame(0x2, true, true, &deflate(&mut compressor(9), &std::vec![b'x'; limit]));
        while wire.len() < rx_len - 130 {
            wire.extend(frame(0xA, true, false, &[0; 120]));
        }
        assert_eq!(recv.push(&mut rx, &wire), wire.len());
        recv.start_frames(0);
        recv.release();
        recv.enable_inflate(9, false);
        let limits = FrameLimits { max_frame: usize::MAX, max_message: limit, max_fragments: 10 };
        assert_eq!(
            recv.advance(&mut rx, &mut Inflater::default(), &limits),
            Err(ProtocolError::MessageTooLarge)
        );
    }

    // ---- any split, any message ------------------------------------------------------------

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Compressed messages (some fragmented, some empty, some incompressible) and
        /// uncompressed ones, pings between fragments, in any chunking, in a buffer of the
        /// documented size or larger: every message as sent, the layout kept at every step,
        /// the window the end of the compressed stream.
        #[test]
        fn any_split_gives_the_messages(
            bits in 8u8..=15,
            reset: bool,
            max in 300usize..4000,
            extra in prop_oneof![Just(0usize), 0usize..5000],
            specs in prop::collection::vec((0usize..=100, 0u8..4, 1usize..4, any::<u64>()), 1..10),
            chunk in 1usize..700,
        ) {
            let rx_len = max + RX_OVERHEAD + inflate_overhead(bits, reset) + extra;
            let mut rig = Rig::new(rx_len, rx_len - RX_OVERHEAD, bits, reset);
            let mut compress = compressor(bits);
            let (mut wire, mut expected) = (Vec::new(), Vec::new());
            for (percent, kind, fragments, seed) in specs {
                let len = (max + extra) * percent / 100;
                let message: Vec<u8> = match kind {
                    0 => (0..len as u64).map(|i| noise(seed, i)).collect(),
                    _ => text_like(seed, len),
                };
                let compressed = kind != 3;
                let payload = if compressed {
                    if reset {
                        compress.reset();
                    }
                    deflate(&mut compress, &message)
                } else {
                    message.clone()
                };
                let cut = |k: usize| payload.len() * k / fragments;
                for k in 0..fragments {
                    let (opcode, rsv1) = if k == 0 { (0x2, compressed) } else { (0x0, false) };
                    wire.extend(frame(opcode, k + 1 == fragments, rsv1, &payload[cut(k)..cut(k + 1)]));
                    if k + 1 < fragments {
                        wire.extend(frame(0x9, true, false, &[1; 125]));
                    }
                }
                expected.push(message);
            }
            prop_assert_eq!(rig.feed(&wire, chunk), Ok(expected));
        }
    }
}
