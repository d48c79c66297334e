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
/// nothing when either range is outside `buf`. Bare-metal targets ([`move_by_bytes`]) link no
/// `memmove` for it (1.5 KB of flash on a Cortex-M); hosted targets have the C library's
/// `memmove` anyway, the faster of the two.
pub(crate) fn move_within(buf: &mut [u8], from: core::ops::Range<usize>, to: usize) {
    #[cfg(target_os = "none")]
    move_by_bytes(buf, from, to);
    #[cfg(not(target_os = "none"))]
    if from.start != to
        && from.start <= from.end
        && from.end <= buf.len()
        && to.saturating_add(from.end - from.start) <= buf.len()
    {
        buf.copy_within(from, to);
    }
}

/// [`move_within`] a byte at a time: front to back when moving down, back to front when
/// moving up, so each byte is read before the move overwrites it. The smallest code that
/// needs no `memmove` (bare metal: the buffers are small there, and a move is rare: the
/// buffers compact only when a read needs the room). Nothing happens when either range is
/// outside `buf`.
#[cfg_attr(not(any(test, target_os = "none")), allow(dead_code))]
fn move_by_bytes(buf: &mut [u8], from: core::ops::Range<usize>, to: usize) {
    let (start, end) = (from.start, from.end);
    let Some(len) = end.checked_sub(start) else { return };
    if end > buf.len() || to.saturating_add(len) > buf.len() {
        return;
    }
    let mut copy = |i: usize| {
        if let Some(&byte) = buf.get(start + i)
            && let Some(slot) = buf.get_mut(to + i)
        {
            *slot = byte;
        }
    };
    if to < start {
        (0..len).for_each(&mut copy);
    } else if to > start {
        (0..len).rev().for_each(&mut copy);
    }
}

#[cfg(test)]
mod move_tests {
    extern crate std;

    use super::{move_by_bytes, move_within};
    use proptest::prelude::*;
    use std::vec::Vec;

    proptest! {
        /// `move_by_bytes` and `move_within` leave the buffer as `copy_within` does, for every
        /// overlap and distance, either way.
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
            move_by_bytes(&mut got, start..end, to);
            prop_assert_eq!(&got, &want);
            let mut got = buf.clone();
            move_within(&mut got, start..end, to);
            prop_assert_eq!(got, want);
        }
    }
}
