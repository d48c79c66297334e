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
