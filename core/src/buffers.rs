//! The caller's storage of one task slot ([`Buffers`]), and what a task holds in it
//! ([`BufferUse`]), for a transport that sizes the buffers to what they carry and resizes them
//! between calls ([`Client::replace_buffers`](crate::Client::replace_buffers)).

/// The receive and send buffers of one task slot, sized by the caller.
///
/// `S` is anything that derefs to bytes: `[u8; N]`, `&'static mut [u8]`, or with an
/// allocator `Vec<u8>` / `Box<[u8]>`. Each must hold at least
/// [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN) bytes.
///
/// The receive buffer bounds the largest message received (`rx.len() -`
/// [`RX_OVERHEAD`](crate::RX_OVERHEAD)) and the response header block; the send buffer bounds
/// [`Client::buffered_amount`](crate::Client::buffered_amount) and the largest message sent
/// (a payload of `tx.len() -` [`TX_OVERHEAD`](crate::TX_OVERHEAD) bytes always fits an empty
/// buffer). Both stop at [`Limits::max_message_size`](crate::Limits::max_message_size), the
/// one message limit.
///
/// With [`Buffers::growable`] the bounds come from the lengths the caller is prepared to grow
/// the buffers to instead: the buffers start small, and the caller replaces them with larger
/// ones when [`BufferUse::rx_wanted`] or a [`SendError::BufferFull`](crate::SendError) asks for
/// room, and with smaller ones once what they hold shrinks.
///
/// ```
/// use sockettask::{Buffers, RX_OVERHEAD, TX_OVERHEAD};
///
/// // Fixed storage: the lengths are the limits.
/// let fixed = Buffers::new([0u8; 4096], [0u8; 4096]);
/// assert_eq!(fixed.max_lens(), (4096, 4096));
/// // Storage that may grow to hold a 1 MiB message either way.
/// let max = 1 << 20;
/// let growable =
///     Buffers::new(vec![0u8; 4096], vec![0u8; 4096]).growable(max + RX_OVERHEAD, max + TX_OVERHEAD);
/// assert_eq!(growable.max_lens(), (max + RX_OVERHEAD, max + TX_OVERHEAD));
/// ```
#[derive(Clone, Debug)]
pub struct Buffers<S> {
    /// Receive buffer: handshake response, then messages are assembled in place here.
    pub rx: S,
    /// Send buffer: the handshake request, then encoded frames waiting for the wire.
    pub tx: S,
    /// The lengths the caller may grow the buffers to; `None`: their own lengths.
    grow_to: Option<(usize, usize)>,
}

impl<S> Buffers<S> {
    /// Pairs a receive and a send buffer, of fixed length.
    pub const fn new(rx: S, tx: S) -> Self {
        Buffers { rx, tx, grow_to: None }
    }

    /// Declares that the caller may replace these buffers, between calls, with ones of up to
    /// `max_rx` and `max_tx` bytes: a task started in this slot takes its limits from these
    /// lengths (or from the buffers' own, when larger).
    ///
    /// Only for a driver that does replace them: a task whose message outgrows the receive
    /// buffer waits for a larger one ([`BufferUse::rx_wanted`]). `sockettask-mio` grows and
    /// shrinks its buffers this way; `sockettask-embedded-io` never replaces buffers, so give
    /// it fixed ones ([`Buffers::new`] alone).
    #[must_use]
    pub const fn growable(mut self, max_rx: usize, max_tx: usize) -> Self {
        self.grow_to = Some((max_rx, max_tx));
        self
    }
}

impl<S: AsRef<[u8]>> Buffers<S> {
    /// The lengths the buffers may reach, `(rx, tx)`: what bounds a task's limits.
    pub fn max_lens(&self) -> (usize, usize) {
        let (rx, tx) = (self.rx.as_ref().len(), self.tx.as_ref().len());
        match self.grow_to {
            Some((max_rx, max_tx)) => (rx.max(max_rx), tx.max(max_tx)),
            None => (rx, tx),
        }
    }

    /// Keeps the growth bounds of `self` on `other` (the replacement of these buffers).
    pub(crate) fn same_bounds<T>(&self, other: Buffers<T>) -> Buffers<T> {
        Buffers { grow_to: self.grow_to, ..other }
    }
}

/// What the task of one slot holds in its buffers now: see
/// [`Client::buffer_use`](crate::Client::buffer_use).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferUse {
    /// Receive-buffer bytes in use (the response headers or a message an event holds, a
    /// message under assembly, bytes not parsed yet): a replacement holds at least these.
    pub rx: usize,
    /// Send-buffer bytes queued: a replacement holds at least these.
    pub tx: usize,
    /// `Some(len)`: the task takes no more input until its receive buffer is `len` bytes long
    /// (a message or a header block larger than the buffer is under way, within the limits
    /// of [`Buffers::growable`]). `None`: it needs no more room.
    pub rx_wanted: Option<usize>,
}

/// Copies the bytes of `from` to start at `to` within `buf`, the way `copy_within` does;
/// nothing when either range is outside `buf`. Bare-metal targets ([`move_by_pieces`]) link no
/// `memmove` for it (1.5 KB of flash on a Cortex-M); hosted targets have the C library's
/// `memmove` anyway, the faster of the two for a long move by a few bytes.
pub(crate) fn move_within(buf: &mut [u8], from: core::ops::Range<usize>, to: usize) {
    #[cfg(target_os = "none")]
    move_by_pieces(buf, from, to);
    #[cfg(not(target_os = "none"))]
    if from.start != to
        && from.start <= from.end
        && from.end <= buf.len()
        && to.saturating_add(from.end - from.start) <= buf.len()
    {
        buf.copy_within(from, to);
    }
}

/// [`move_within`] with `memcpy` alone: the bytes go in pieces that never overlap (each piece
/// at most the distance moved, front to back when moving down and back to front when moving
/// up), so `memmove` is not linked (1.5 KB of flash on a Cortex-M). When the distance is short, the
/// pieces go through a small stack buffer instead, so a long move by a few bytes (a fragment
/// moved over the headers before it) is not a long run of tiny copies. Nothing happens when
/// either range is outside `buf`.
#[cfg_attr(not(any(test, target_os = "none")), allow(dead_code))]
fn move_by_pieces(buf: &mut [u8], from: core::ops::Range<usize>, to: usize) {
    /// The piece size through the stack buffer.
    const STEP: usize = 64;
    let (start, end) = (from.start, from.end);
    let Some(len) = end.checked_sub(start) else { return };
    if start == to || len == 0 || end > buf.len() || to.saturating_add(len) > buf.len() {
        return;
    }
    let mut tmp = [0u8; STEP];
    if to < start {
        // Down: each piece is read before any byte at or above it is written.
        let distance = start - to;
        let mut at = to;
        let stop = to + len;
        while at < stop {
            if distance >= STEP {
                let piece = distance.min(stop - at);
                let (front, back) = buf.split_at_mut(at + distance);
                if let (Some(dst), Some(src)) = (front.get_mut(at..at + piece), back.get(..piece)) {
                    dst.copy_from_slice(src);
                }
                at += piece;
            } else {
                let piece = STEP.min(stop - at);
                copy_via(buf, &mut tmp, at + distance, at, piece);
                at += piece;
            }
        }
    } else {
        // Up: back to front, each piece read before any byte below it is written.
        let distance = to - start;
        let mut left = end;
        while left > start {
            if distance >= STEP {
                let piece = distance.min(left - start);
                let (front, back) = buf.split_at_mut(left);
                let at = distance - piece;
                if let (Some(dst), Some(src)) = (back.get_mut(at..at + piece), front.get(left - piece..left))
                {
                    dst.copy_from_slice(src);
                }
                left -= piece;
            } else {
                let piece = STEP.min(left - start);
                copy_via(buf, &mut tmp, left - piece, left - piece + distance, piece);
                left -= piece;
            }
        }
    }
}

/// Copies `len` (at most `tmp.len()`) bytes from `src` to `dst` within `buf` through `tmp`.
fn copy_via(buf: &mut [u8], tmp: &mut [u8], src: usize, dst: usize, len: usize) {
    if let (Some(t), Some(s)) = (tmp.get_mut(..len), buf.get(src..src + len)) {
        t.copy_from_slice(s);
        // Opaque to the optimizer: it would otherwise see the two copies through `tmp` as one
        // copy from `src` to `dst` that may overlap, and link `memmove` for it.
        let tmp = core::hint::black_box(tmp);
        if let (Some(d), Some(t)) = (buf.get_mut(dst..dst + len), tmp.get(..len)) {
            d.copy_from_slice(t);
        }
    }
}

#[cfg(test)]
mod move_tests {
    extern crate std;

    use super::{move_by_pieces, move_within};
    use proptest::prelude::*;
    use std::vec::Vec;

    proptest! {
        /// `move_by_pieces` and `move_within` leave the buffer as `copy_within` does, for every overlap and
        /// distance (short distances go through the stack buffer, long ones do not).
        #[test]
        fn move_within_is_copy_within(
            len in 0usize..400,
            a in 0usize..400,
            b in 0usize..400,
            c in 0usize..400,
        ) {
            let buf: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let (start, end) = (a.min(len), a.min(len).max(b.min(len)));
            let to = c.min(len);
            let mut want = buf.clone();
            if to + (end - start) <= len {
                want.copy_within(start..end, to);
            }
            let mut got = buf.clone();
            move_by_pieces(&mut got, start..end, to);
            prop_assert_eq!(&got, &want);
            let mut got = buf.clone();
            move_within(&mut got, start..end, to);
            prop_assert_eq!(got, want);
        }
    }
}
