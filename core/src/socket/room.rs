//! What a task holds in its buffers and the room it needs, and moving it to new buffers:
//! for a transport that sizes buffers to their use ([`crate::Buffers::growable`]).

use crate::buffers::BufferUse;
use crate::frame::frame_len;

use super::Socket;

impl Socket {
    /// What the task holds in buffers of `rx_len` receive bytes.
    pub(crate) fn buffer_use(&self, rx_len: usize) -> BufferUse {
        BufferUse {
            rx: self.rx.in_use(),
            tx: self.tx.queued(),
            rx_wanted: if self.reads() { self.rx.wanted(rx_len, self.rx_max) } else { None },
        }
    }

    /// The send-buffer length with which a data payload of `len` bytes would be queued now.
    pub(crate) fn send_buffer_len_for(&self, len: usize) -> usize {
        self.tx.len_for(frame_len(len))
    }

    /// Moves what the task holds from `old` to `new` buffers, `(rx, tx)`; nothing moves and
    /// `false` comes back unless both fit.
    pub(crate) fn relocate(&mut self, old: (&[u8], &[u8]), new: (&mut [u8], &mut [u8])) -> bool {
        let usage = self.buffer_use(old.0.len());
        if usage.rx > new.0.len() || usage.tx > new.1.len() {
            return false;
        }
        self.rx.relocate(old.0, new.0) && self.tx.relocate(old.1, new.1)
    }
}
