//! The transmit path of one task: a queue of whole encoded frames in the caller's send buffer.
//!
//! Frames are encoded (header + masked payload) straight into the buffer when queued, so the
//! driver writes the bytes out unchanged. Space is split so that control frames can always be
//! queued: data frames may use all but [`DATA_RESERVE`] bytes, pongs all but
//! [`CONTROL_FRAME_MAX`], and the close frame the rest.

use heapless::Vec;

use crate::close_code::CloseCode;
use crate::frame::close::encode_close_payload;
use crate::frame::{Head, MAX_HEADER_LEN, OpCode, encode_frame, frame_len, max_payload_len};

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

/// Bookkeeping of the bytes queued in a send buffer: `head..tail` awaits the driver, and a
/// pong that found no room waits for the next write.
#[derive(Clone, Debug, Default)]
pub(crate) struct Transmit {
    head: usize,
    tail: usize,
    pong: Option<ControlPayload>,
}

impl Transmit {
    /// Bytes queued and not yet taken by the driver.
    pub(crate) fn queued(&self) -> usize {
        self.tail - self.head
    }

    /// The queued bytes.
    pub(crate) fn data<'b>(&self, tx: &'b [u8]) -> &'b [u8] {
        tx.get(self.head..self.tail).unwrap_or_default()
    }

    /// Marks `n` queued bytes as written (clamped to what is queued), then queues a pong
    /// that was waiting for room, masked with `mask()`.
    pub(crate) fn consume(&mut self, tx: &mut [u8], n: usize, mask: impl FnOnce() -> [u8; 4]) {
        self.head += n.min(self.queued());
        if self.head == self.tail {
            self.head = 0;
            self.tail = 0;
        }
        if let Some(pong) = self.pong.take() {
            self.push_pong(tx, mask(), &pong);
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
    pub(crate) fn push_pong(&mut self, tx: &mut [u8], mask: [u8; 4], payload: &[u8]) {
        self.pong = None;
        if self.push_frame(tx, Head::whole(OpCode::Pong), mask, payload, Reserve::Pong).is_err() {
            self.pong = ControlPayload::from_slice(payload).ok();
        }
    }

    /// Queues the close frame (`None`: without a code). It is the last frame: a pong still
    /// waiting is dropped. The close share of the buffer is always free (see
    /// [`DATA_RESERVE`]).
    pub(crate) fn push_close(&mut self, tx: &mut [u8], mask: [u8; 4], close: Option<(CloseCode, &str)>) {
        self.pong = None;
        let mut payload = [0; CONTROL_PAYLOAD_MAX];
        let len = encode_close_payload(close, &mut payload);
        let payload = payload.get(..len).unwrap_or_default();
        let _ = self.push_frame(tx, Head::whole(OpCode::Close), mask, payload, Reserve::Close);
    }

    /// Queues raw bytes written by `write` into at most `len` bytes of space (the handshake
    /// request). `write` returns how many it wrote.
    pub(crate) fn push_with(
        &mut self,
        tx: &mut [u8],
        len: usize,
        write: impl FnOnce(&mut [u8]) -> usize,
    ) -> Result<(), QueueError> {
        let space = self.reserve_space(tx, len, Reserve::Close)?;
        let written = write(space);
        self.tail += written.min(len);
        Ok(())
    }

    /// Queues one masked frame.
    pub(crate) fn push_frame(
        &mut self,
        tx: &mut [u8],
        head: Head,
        mask: [u8; 4],
        payload: &[u8],
        reserve: Reserve,
    ) -> Result<(), QueueError> {
        let len = frame_len(payload.len());
        let space = self.reserve_space(tx, len, reserve)?;
        let written = encode_frame(head, mask, payload, space).unwrap_or(0);
        self.tail += written;
        Ok(())
    }

    /// Moves the queued bytes from `old` to the front of `new`; whether they fit.
    pub(crate) fn relocate(&mut self, old: &[u8], new: &mut [u8]) -> bool {
        let queued = self.queued();
        match (old.get(self.head..self.tail), new.get_mut(..queued)) {
            (Some(src), Some(dst)) => {
                dst.copy_from_slice(src);
                self.head = 0;
                self.tail = queued;
                true
            }
            _ => false,
        }
    }

    /// The send-buffer length with which a frame of `frame_len` bytes can be queued now,
    /// beside what is queued and the reserve for a pong and a close.
    pub(crate) fn len_for(&self, frame_len: usize) -> usize {
        self.queued().saturating_add(frame_len).saturating_add(DATA_RESERVE)
    }

    /// Checks the share and returns `len` contiguous free bytes at the tail, moving the
    /// queued bytes to the front of the buffer first when that is what makes room.
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
            tx.copy_within(self.head..self.tail, 0);
            self.tail -= self.head;
            self.head = 0;
        }
        Ok(tx.get_mut(self.tail..self.tail + len).unwrap_or_default())
    }
}
