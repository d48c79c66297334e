//! permessage-deflate on the send side (RFC 7692 §7.2.1): the core inflates what it receives
//! but never compresses (it has no allocator); this transport compresses a task's messages
//! with zlib-rs (through flate2) when the server accepted the offer, following what it
//! accepted: `client_max_window_bits` and `client_no_context_takeover`.
//!
//! zlib-rs rather than miniz_oxide's compressor: miniz_oxide cannot keep its matches within
//! a window smaller than 32 KiB, so it could not honour `client_max_window_bits` below 15.

use flate2::{Compress, Compression as Level, FlushCompress};
use sockettask::{Handle, Negotiated};

/// The bytes every sync-flushed message ends with, which RFC 7692 §7.2.1 has the sender
/// remove.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// How messages are compressed once a server accepts `permessage-deflate`
/// ([`ConnectOptions::per_message_deflate`](sockettask::ConnectOptions) offers it; received
/// messages are inflated whatever this says).
///
/// ```
/// use sockettask_mio::{Compression, Options};
///
/// // The default: zlib level 1 (fast), messages of 64 bytes or more.
/// assert_eq!(Compression::default(), Compression { level: 1, min_size: 64 });
/// // Smaller output for more CPU; never compress (receive compressed messages only).
/// let small = Options { compression: Compression { level: 9, ..Compression::default() }, ..Options::default() };
/// let never = Compression { min_size: usize::MAX, ..Compression::default() };
/// # let _ = (small, never);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Compression {
    /// zlib's level, 0 (store) to 9 (smallest); values above 9 count as 9.
    pub level: u32,
    /// Messages shorter than this go out uncompressed (RFC 7692 §6 lets each message choose):
    /// below some tens of bytes compression saves nothing and costs a call.
    pub min_size: usize,
}

impl Default for Compression {
    fn default() -> Self {
        Compression { level: 1, min_size: 64 }
    }
}

/// The compressor of one task: created at the first message it compresses (zlib's state is
/// a few hundred KiB), kept for context takeover.
struct Stream {
    task: Handle,
    negotiated: Negotiated,
    zlib: Option<Compress>,
}

/// Every task's compressor, and one output buffer they share.
pub(crate) struct Compressors {
    settings: Compression,
    slots: Vec<Option<Stream>>,
    out: Vec<u8>,
}

impl core::fmt::Debug for Compressors {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let active = self.slots.iter().flatten().count();
        f.debug_struct("Compressors").field("settings", &self.settings).field("active", &active).finish()
    }
}

impl Compressors {
    pub(crate) fn new(settings: Compression, slots: usize) -> Compressors {
        Compressors { settings, slots: (0..slots).map(|_| None).collect(), out: Vec::new() }
    }

    /// The server accepted `negotiated` for `task` (its open event).
    pub(crate) fn opened(&mut self, task: Handle, negotiated: Negotiated) {
        if let Some(slot) = self.slots.get_mut(task.slot()) {
            *slot = Some(Stream { task, negotiated, zlib: None });
        }
    }

    /// Whether a message of `len` bytes for `task` is to be compressed.
    pub(crate) fn wants(&self, task: Handle, len: usize) -> bool {
        len >= self.settings.min_size && self.stream(task).is_some()
    }

    /// Compresses `data` as `task`'s next message: raw DEFLATE, sync-flushed, the tail
    /// removed. Once called the message must be sent: with context takeover the server's
    /// inflater must see every message the compressor saw. Empty when `task` compresses
    /// nothing. The buffer is the compressors' own: hand it back with
    /// [`Compressors::recycle`], so a steady flow of messages allocates nothing.
    pub(crate) fn compress(&mut self, task: Handle, data: &[u8]) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        self.compress_into(task, data, &mut out);
        out
    }

    /// Drops `task`'s compression history: after a message it compressed did not go out
    /// compressed, the next may not refer to it.
    pub(crate) fn forget(&mut self, task: Handle) {
        let stream = self.slots.get_mut(task.slot()).and_then(Option::as_mut).filter(|s| s.task == task);
        if let Some(zlib) = stream.and_then(|s| s.zlib.as_mut()) {
            zlib.reset();
        }
    }

    /// Takes back the buffer [`Compressors::compress`] handed out.
    pub(crate) fn recycle(&mut self, out: Vec<u8>) {
        self.out = out;
    }

    fn compress_into(&mut self, task: Handle, data: &[u8], out: &mut Vec<u8>) {
        let level = Level::new(self.settings.level.min(9));
        let Some(stream) =
            self.slots.get_mut(task.slot()).and_then(Option::as_mut).filter(|s| s.task == task)
        else {
            return;
        };
        // zlib has no 256-byte window; 9 keeps every match within 256 bytes all the same
        // (its matches reach at most 2^bits - 262 back).
        let bits = stream.negotiated.client_max_window_bits.clamp(9, 15);
        let zlib = stream.zlib.get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        if stream.negotiated.client_no_context_takeover {
            zlib.reset();
        }
        out.reserve(bound(data.len()));
        let mut input = data;
        for _ in 0..=data.len() / 1024 + 8 {
            let before = zlib.total_in();
            if zlib.compress_vec(input, out, FlushCompress::Sync).is_err() {
                break;
            }
            let taken = usize::try_from(zlib.total_in() - before).unwrap_or(input.len());
            input = input.get(taken..).unwrap_or_default();
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // zlib flushes nothing when nothing is new (an empty message): RFC 7692 §7.2.3.6
            // sends the single byte 0x00 then, which inflates to nothing.
            out.push(0x00);
        }
    }

    /// `task`'s stream, if its server accepted the extension.
    fn stream(&self, task: Handle) -> Option<&Stream> {
        self.slots.get(task.slot())?.as_ref().filter(|s| s.task == task)
    }
}

/// The output buffer reserved for `len` bytes: zlib's fast level codes incompressible bytes
/// with fixed Huffman codes, up to 9 bits a byte, plus block headers and the flush.
fn bound(len: usize) -> usize {
    len.saturating_add(len / 8).saturating_add(64)
}
