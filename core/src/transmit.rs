//! The transmit path of one task: a queue of whole encoded frames in the caller's send buffer.
//!
//! Frames are encoded (header + masked payload) straight into the buffer when queued, so the
//! driver writes the bytes out unchanged. Space is split so that control frames can always be
//! queued: data frames may use all but [`DATA_RESERVE`] bytes, pongs all but
//! [`CONTROL_FRAME_MAX`], and the close frame the rest.

use core::ops::Range;

use heapless::Vec;

use crate::buffers::move_within;
use crate::close_code::CloseCode;
use crate::frame::close::encode_close_payload;
use crate::frame::{Head, MAX_HEADER_LEN, OpCode, encode_frame, frame_len, max_payload_len, write_head};

/// The longest control payload (RFC 6455 §5.5).
pub(crate) const CONTROL_PAYLOAD_MAX: usize = 125;
/// The longest control frame a client sends: 2 header + 4 mask + 125 payload bytes.
pub(crate) const CONTROL_FRAME_MAX: usize = 2 + 4 + CONTROL_PAYLOAD_MAX;
/// Send-buffer bytes data frames may not use: room for one pong and one close frame
/// (2 × 131 bytes).
pub const DATA_RESERVE: usize = 2 * CONTROL_FRAME_MAX;
/// The send-buffer bytes kept beyond the largest message: its frame header (at most 14 bytes,
/// mask key included) and [`DATA_RESERVE`]. A send buffer of `max_message_size +
/// TX_OVERHEAD` bytes queues a message of `max_message_size` bytes (the counterpart of
/// [`RX_OVERHEAD`](crate::RX_OVERHEAD)).
pub const TX_OVERHEAD: usize = MAX_HEADER_LEN + DATA_RESERVE;

/// Which share of the send buffer a frame may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reserve {
    /// Text, binary and ping frames: leave room for a pong and a close.
    Data,
    /// Pong frames: leave room for a close.
    Pong,
    /// Close frames: the whole buffer.
    Close,
}

impl Reserve {
    fn bytes(self) -> usize {
        match self {
            Reserve::Data => DATA_RESERVE,
            Reserve::Pong => CONTROL_FRAME_MAX,
            Reserve::Close => 0,
        }
    }
}

/// Why a frame could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// Not now: `available` bytes are free for this kind of frame.
    Full { required: usize, available: usize },
    /// Never: the frame exceeds this kind of frame's share of the buffer.
    TooLarge { required: usize, limit: usize },
}

/// A control payload, at most 125 bytes.
pub(crate) type ControlPayload = Vec<u8, 125>;

/// The largest data payload one frame in a send buffer of `tx_len` bytes can ever carry
/// (queued alone, beside the reserve for a pong and a close).
pub(crate) const fn max_data_payload(tx_len: usize) -> usize {
    max_payload_len(tx_len.saturating_sub(DATA_RESERVE))
}

/// The payload of a frame sent in place: the caller's own bytes, masked where they are, go
/// out right after `tx[..at]` (whose last bytes are the frame's head) and before the bytes
/// queued after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hole {
    /// The send-buffer position the payload goes out at.
    at: usize,
    /// The payload's length.
    len: usize,
    /// How much of it went out.
    written: usize,
}

/// Bookkeeping of the bytes queued in a send buffer: `head..tail` awaits the driver, and a
/// pong that found no room waits for the next write. A payload sent in place ([`Hole`])
/// cuts the queue in two: the bytes after it wait until the caller wrote it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Transmit {
    head: usize,
    tail: usize,
    pong: Option<ControlPayload>,
    hole: Option<Hole>,
}

impl Transmit {
    /// Bytes queued in the send buffer and not yet taken by the driver.
    #[inline]
    pub(crate) fn queued(&self) -> usize {
        self.tail - self.head
    }

    /// Bytes waiting for the wire: those queued, and what the caller has still to write of a
    /// payload sent in place.
    #[inline]
    pub(crate) fn pending(&self) -> usize {
        self.queued() + self.hole.map_or(0, |h| h.len - h.written)
    }

    /// Where the bytes the driver may take now end: at a payload sent in place, or at the
    /// tail.
    #[inline]
    fn end(&self) -> usize {
        match self.hole {
            Some(hole) => hole.at,
            None => self.tail,
        }
    }

    /// The queued bytes the driver may write now (up to a payload sent in place).
    #[inline]
    pub(crate) fn data<'b>(&self, tx: &'b [u8]) -> &'b [u8] {
        tx.get(self.head..self.end()).unwrap_or_default()
    }

    /// Marks `n` queued bytes as written (clamped to [`Transmit::data`]); whether a pong
    /// waits for the room ([`Transmit::queue_waiting_pong`]).
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) -> bool {
        self.head += n.min(self.end() - self.head);
        self.reset_if_empty();
        self.pong.is_some()
    }

    /// Queues a pong that was waiting for room, masked with `mask()`.
    /// Without room it waits on.
    pub(crate) fn queue_waiting_pong(&mut self, tx: &mut [u8], mask: impl FnOnce() -> [u8; 4]) {
        let Some(payload) = &self.pong else { return };
        // The offsets queue it, and the payload stays where it is: taking it out would move
        // 132 bytes (on bare metal, a copy routine linked for this alone).
        let mut queue = Transmit { head: self.head, tail: self.tail, pong: None, hole: self.hole };
        if queue.push_frame(tx, Head::whole(OpCode::Pong), mask, payload, Reserve::Pong).is_ok() {
            self.head = queue.head;
            self.tail = queue.tail;
            self.hole = queue.hole;
            self.pong = None;
        }
    }

    /// Back to the start of the buffer once every queued byte went out: offsets reset, no
    /// byte moves.
    #[inline]
    fn reset_if_empty(&mut self) {
        if self.head == self.tail {
            // A payload still due then goes out right here, after nothing.
            if let Some(hole) = &mut self.hole {
                hole.at = 0;
            }
            self.head = 0;
            self.tail = 0;
        }
    }

    /// Queues the masked head of a data frame whose `len`-byte payload the caller masks in
    /// place with the key returned, and writes itself ([`Transmit::in_place_due`]). One at a
    /// time: `Full` while one is still due. The key is drawn (`mask()`) only once the head
    /// has its room: a refusal draws none.
    pub(crate) fn push_in_place(
        &mut self,
        tx: &mut [u8],
        head: Head,
        mask: impl FnOnce() -> [u8; 4],
        len: usize,
    ) -> Result<[u8; 4], QueueError> {
        if self.hole.is_some() {
            return Err(QueueError::Full { required: frame_len(len), available: 0 });
        }
        let head_len = frame_len(len) - len;
        let space = self.reserve_space(tx, head_len, Reserve::Data)?;
        let mask = mask();
        self.tail += write_head(head, mask, len, space);
        if len > 0 {
            self.hole = Some(Hole { at: self.tail, len, written: 0 });
        }
        Ok(mask)
    }

    /// What the caller writes now of a payload sent in place: the range of it still due,
    /// once every byte queued before it went out.
    pub(crate) fn in_place_due(&self) -> Option<Range<usize>> {
        let hole = self.hole.filter(|h| h.at == self.head)?;
        Some(hole.written..hole.len)
    }

    /// `n` bytes of the payload sent in place went out (clamped to what is due; nothing
    /// unless it is due).
    pub(crate) fn in_place_written(&mut self, n: usize) {
        let head = self.head;
        let Some(hole) = self.hole.as_mut().filter(|h| h.at == head) else { return };
        hole.written += n.min(hole.len - hole.written);
        if hole.written == hole.len {
            self.hole = None;
            self.reset_if_empty();
        }
    }

    /// Drops everything queued.
    pub(crate) fn clear(&mut self) {
        *self = Transmit::default();
    }

    /// Queues a pong answering a ping with `payload`, or keeps it until a write makes room.
    /// RFC 6455 §5.5.3: answering only the most recent ping is allowed, so a pong still
    /// waiting (it answers an older ping) is replaced: sent after this one, it would answer
    /// the pings out of order.
    pub(crate) fn push_pong(&mut self, tx: &mut [u8], mask: impl FnOnce() -> [u8; 4], payload: &[u8]) {
        self.pong = None;
        if self.push_frame(tx, Head::whole(OpCode::Pong), mask, payload, Reserve::Pong).is_err() {
            // Built in place (at most 125 bytes: a longer one is not kept).
            let pong = self.pong.insert(ControlPayload::new());
            if pong.extend_from_slice(payload).is_err() {
                self.pong = None;
            }
        }
    }

    /// Queues the close frame (`None`: without a code). It is the last frame: a pong still
    /// waiting is dropped. The close share of the buffer is always free (see
    /// [`DATA_RESERVE`]).
    pub(crate) fn push_close(
        &mut self,
        tx: &mut [u8],
        mask: impl FnOnce() -> [u8; 4],
        close: Option<(CloseCode, &str)>,
    ) {
        self.pong = None;
        let mut payload = [0; CONTROL_PAYLOAD_MAX];
        let len = encode_close_payload(close, &mut payload);
        let payload = payload.get(..len).unwrap_or_default();
        let _ = self.push_frame(tx, Head::whole(OpCode::Close), mask, payload, Reserve::Close);
    }

    /// A queue of the first `len` bytes of the send buffer, already written there (the
    /// handshake request).
    pub(crate) fn holding(len: usize) -> Self {
        Transmit { tail: len, ..Transmit::default() }
    }

    /// Queues one frame, masked with the key `mask()` draws once the frame has its room: a
    /// refusal draws none, and changes nothing.
    #[inline]
    pub(crate) fn push_frame(
        &mut self,
        tx: &mut [u8],
        head: Head,
        mask: impl FnOnce() -> [u8; 4],
        payload: &[u8],
        reserve: Reserve,
    ) -> Result<(), QueueError> {
        let len = frame_len(payload.len());
        let space = self.reserve_space(tx, len, reserve)?;
        let written = encode_frame(head, mask(), payload, space).unwrap_or(0);
        self.tail += written;
        Ok(())
    }

    /// Moves the queued bytes from `old` to the front of `new`; whether they fit.
    pub(crate) fn relocate(&mut self, old: &[u8], new: &mut [u8]) -> bool {
        let queued = self.queued();
        match (old.get(self.head..self.tail), new.get_mut(..queued)) {
            (Some(src), Some(dst)) => {
                dst.copy_from_slice(src);
                self.shift_down();
                true
            }
            _ => false,
        }
    }

    /// The offsets after the queued bytes moved to the front of the buffer.
    fn shift_down(&mut self) {
        if let Some(hole) = &mut self.hole {
            hole.at -= self.head;
        }
        self.tail -= self.head;
        self.head = 0;
    }

    /// The send-buffer length with which a frame of `frame_len` bytes can be queued now,
    /// beside what is queued and the reserve for a pong and a close.
    pub(crate) fn len_for(&self, frame_len: usize) -> usize {
        self.queued().saturating_add(frame_len).saturating_add(DATA_RESERVE)
    }

    /// Checks the share and returns `len` contiguous free bytes at the tail, moving the
    /// queued bytes to the front of the buffer first when that is what makes room.
    #[inline]
    fn reserve_space<'b>(
        &mut self,
        tx: &'b mut [u8],
        len: usize,
        reserve: Reserve,
    ) -> Result<&'b mut [u8], QueueError> {
        let limit = tx.len().saturating_sub(reserve.bytes());
        if len > limit {
            return Err(QueueError::TooLarge { required: len, limit });
        }
        let available = limit - self.queued().min(limit);
        if len > available {
            return Err(QueueError::Full { required: len, available });
        }
        if self.tail + len > tx.len() {
            self.move_to_front(tx);
        }
        Ok(tx.get_mut(self.tail..self.tail + len).unwrap_or_default())
    }

    /// Moves the queued bytes to the front of the buffer: out of line, as it is rare (the
    /// offsets go back to the front whenever the queue empties).
    #[cold]
    #[inline(never)]
    fn move_to_front(&mut self, tx: &mut [u8]) {
        move_within(tx, self.head..self.tail, 0);
        self.shift_down();
    }
}
