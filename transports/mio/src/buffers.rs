//! Buffers sized to their use: the storage of every task slot, grown when the core asks for
//! room and shrunk back when what it holds is small again, under the user's
//! [`BufferPolicy`](crate::BufferPolicy).
//!
//! The core decides what is needed ([`sockettask::BufferUse`],
//! [`send_buffer_len_for`](sockettask::Client::send_buffer_len_for), the length a refused
//! handshake request names) and moves what a task holds into new buffers
//! ([`replace_buffers`](sockettask::Client::replace_buffers)); this module only allocates.

use std::time::Duration;

use rand::rngs::StdRng;
use sockettask::{Buffers, DATA_RESERVE, Handle, Instant, RX_OVERHEAD, TX_OVERHEAD, inflate_overhead};

use crate::error::SetupError;
use crate::logging::log_debug;
use crate::options::Options;

/// The core as this transport instantiates it: heap buffers, ChaCha12 mask RNG, 5 tasks.
pub(crate) type Core = sockettask::Client<Box<[u8]>, StdRng>;

/// The lengths of one task slot's buffers, in bytes: see [`crate::Driver::buffer_lens`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BufferLens {
    /// The receive buffer: the response header block, then messages are assembled in it.
    pub rx: usize,
    /// The send buffer: the handshake request, then frames waiting for the socket.
    pub tx: usize,
}

impl BufferLens {
    /// Both together.
    pub const fn total(self) -> usize {
        self.rx.saturating_add(self.tx)
    }
}

/// When each buffer of one slot last held more than its initial length (or was grown).
#[derive(Clone, Copy, Debug)]
struct Needed {
    rx: Instant,
    tx: Instant,
}

/// Sizes every slot's buffers between their initial lengths and the limits.
#[derive(Debug)]
pub(crate) struct Sizer {
    /// The lengths buffers start at and shrink back to.
    start: BufferLens,
    /// The lengths they may grow to: the bounds the limits set.
    max: BufferLens,
    shrink_above: usize,
    shrink_after: Duration,
    /// Per slot.
    needed: Vec<Needed>,
    /// Some slot may have a buffer longer than `shrink_above` (the only ones `tend` has
    /// work for): set by every growth, cleared by a `tend` that found none.
    tall: bool,
}

impl Sizer {
    /// The sizing `options` ask for, for `slots` task slots.
    pub(crate) fn new(options: &Options, slots: usize) -> Result<Sizer, SetupError> {
        let policy = options.buffers;
        policy.check()?;
        let max = max_lens(options)?;
        let start = BufferLens { rx: policy.initial.min(max.rx), tx: policy.initial.min(max.tx) };
        let needed = vec![Needed { rx: Instant::ZERO, tx: Instant::ZERO }; slots];
        let tall = start.rx > policy.shrink_above || start.tx > policy.shrink_above;
        let shrink_above = policy.shrink_above;
        Ok(Sizer { start, max, shrink_above, shrink_after: policy.shrink_after, needed, tall })
    }

    /// The initial buffers of every slot, growable to the bounds.
    pub(crate) fn storage(&self) -> impl Iterator<Item = Buffers<Box<[u8]>>> + '_ {
        self.needed.iter().map(|_| zeroed(self.start).growable(self.max.rx, self.max.tx))
    }

    /// Grows the receive buffer of `task` when the task waits for a larger one
    /// ([`sockettask::BufferUse::rx_wanted`]); whether it did.
    pub(crate) fn grow_rx(&mut self, core: &mut Core, task: Handle, now: Instant) -> bool {
        let slot = task.slot();
        let (Some(wanted), Some(lens)) = (core.buffer_use(slot).rx_wanted, lens(core, slot)) else {
            return false;
        };
        if wanted <= lens.rx {
            return false;
        }
        self.stamp(slot, now, true, false);
        self.tall = true;
        resize(core, slot, BufferLens { rx: wanted, ..lens })
    }

    /// Grows the send buffer of `task` so that a payload of `len` bytes, refused with
    /// `BufferFull`, can be queued beside what is: to what it needs, at least double, at most
    /// the bound. `false` when it is at the bound already, or the payload would not fit even
    /// there (then it must wait for the queue to drain).
    pub(crate) fn grow_tx(&mut self, core: &mut Core, task: Handle, len: usize, now: Instant) -> bool {
        let slot = task.slot();
        let needed = core.send_buffer_len_for(task, len);
        let Some(lens) = lens(core, slot) else { return false };
        if needed <= lens.tx || needed > self.max.tx {
            return false;
        }
        self.stamp(slot, now, false, true);
        self.tall = true;
        let tx = needed.max(lens.tx.saturating_mul(2)).min(self.max.tx);
        resize(core, slot, BufferLens { tx, ..lens })
    }

    /// Grows the send buffer of every free slot shorter than `required` bytes, so that a
    /// handshake request of that length fits whichever slot the next task takes (the slots
    /// it does not take shrink back on the next turn); `false` when `required` is over the
    /// bound or no buffer had to grow.
    pub(crate) fn grow_for_request(&mut self, core: &mut Core, required: usize, now: Instant) -> bool {
        if required > self.max.tx {
            return false;
        }
        let mut grew = false;
        for slot in 0..core.capacity() {
            let Some(lens) = lens(core, slot).filter(|l| l.tx < required && !live(core, slot)) else {
                continue;
            };
            self.stamp(slot, now, false, true);
            self.tall = true;
            grew |= resize(core, slot, BufferLens { tx: required, ..lens });
        }
        grew
    }

    /// The bound of the send buffer: the capacity a request too large for it is told of.
    pub(crate) fn max_tx(&self) -> usize {
        self.max.tx
    }

    /// Notes what every slot holds and shrinks the buffers that qualify: a free slot's at
    /// once, a task's once it has held no more than the initial length for `shrink_after`.
    pub(crate) fn tend(&mut self, core: &mut Core, now: Instant) {
        if !self.tall {
            return;
        }
        let mut tall = false;
        for slot in 0..core.capacity() {
            // Buffers no longer than `shrink_above` never shrink, and their stamps are read
            // only once one is longer, which only a growth makes (and it stamps): nothing to
            // note or do for them (the common case, tended on every turn).
            let Some(lens) = lens(core, slot) else { continue };
            if lens.rx <= self.shrink_above && lens.tx <= self.shrink_above {
                continue;
            }
            self.note_use(core, slot, now);
            let target = self.shrunk(core, slot, lens, now);
            let kept = if target != lens && !resize(core, slot, target) {
                // Refused (the buffers hold more than the initial length after all): try
                // again after another `shrink_after`.
                self.stamp(slot, now, true, true);
                lens
            } else {
                target
            };
            tall |= kept.rx > self.shrink_above || kept.tx > self.shrink_above;
        }
        self.tall = tall;
    }

    /// Records that the buffers of `slot` hold more than their initial lengths now.
    pub(crate) fn note_use(&mut self, core: &Core, slot: usize, now: Instant) {
        let usage = core.buffer_use(slot);
        let rx = usage.rx > self.start.rx || usage.rx_wanted.is_some();
        self.stamp(slot, now, rx, usage.tx > self.start.tx);
    }

    /// When [`Sizer::tend`] may next shrink a task's buffer, if one is longer than
    /// `shrink_above` (free slots shrink on every turn, they need no timer).
    pub(crate) fn next_shrink(&self, core: &Core) -> Option<Instant> {
        if !self.tall {
            return None;
        }
        let pending = |slot: usize, needed: &Needed| {
            let lens = lens(core, slot)?;
            let rx = (lens.rx > self.shrink_above).then_some(needed.rx);
            let tx = (lens.tx > self.shrink_above).then_some(needed.tx);
            if (rx.is_none() && tx.is_none()) || !live(core, slot) {
                return None;
            }
            let since = match (rx, tx) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b)?,
            };
            Some(since + self.shrink_after)
        };
        self.needed.iter().enumerate().filter_map(|(slot, needed)| pending(slot, needed)).min()
    }

    /// The lengths `slot`'s buffers should have now: each one longer than `shrink_above`
    /// back at its initial length when what it holds fits there and has for `shrink_after`.
    fn shrunk(&self, core: &Core, slot: usize, lens: BufferLens, now: Instant) -> BufferLens {
        let Some(needed) = self.needed.get(slot) else { return lens };
        let usage = core.buffer_use(slot);
        let free = !live(core, slot);
        let idle = |since: Instant| free || now >= since + self.shrink_after;
        let shrink_rx = lens.rx > self.shrink_above
            && usage.rx <= self.start.rx
            && usage.rx_wanted.is_none()
            && idle(needed.rx);
        let shrink_tx = lens.tx > self.shrink_above && usage.tx <= self.start.tx && idle(needed.tx);
        BufferLens {
            rx: if shrink_rx { self.start.rx } else { lens.rx },
            tx: if shrink_tx { self.start.tx } else { lens.tx },
        }
    }

    fn stamp(&mut self, slot: usize, now: Instant, rx: bool, tx: bool) {
        if let Some(needed) = self.needed.get_mut(slot) {
            if rx {
                needed.rx = now;
            }
            if tx {
                needed.tx = now;
            }
        }
    }
}

/// Compressed bytes a receive buffer at its bound holds ahead of the inflater.
const INFLATE_READ_AHEAD: usize = 64 << 10;

/// The lengths each task's buffers may grow to: a message of `max_message_size` bytes fits
/// either, and the send buffer holds `max_buffered_amount` bytes of frames. Refused when a
/// buffer of that length could not be allocated at all.
fn max_lens(options: &Options) -> Result<BufferLens, SetupError> {
    let max_message = options.config.limits.max_message_size;
    // Room for permessage-deflate whatever the server accepts: the largest window (15 bits)
    // and compressed input read ahead of the inflater, so it is not fed in 160-byte reads.
    let inflate = inflate_overhead(15, false) + INFLATE_READ_AHEAD;
    let rx = max_message.checked_add(RX_OVERHEAD + inflate);
    // A compressed message goes out only when shorter than the message (else the message
    // does, see `Driver::send`): the message's room is enough.
    let tx = max_message
        .checked_add(TX_OVERHEAD)
        .zip(options.max_buffered_amount.checked_add(DATA_RESERVE))
        .map(|(message, queue)| message.max(queue));
    let allocatable = |len: usize| len <= isize::MAX.unsigned_abs();
    match (rx, tx) {
        (Some(rx), Some(tx)) if allocatable(rx) && allocatable(tx) => Ok(BufferLens { rx, tx }),
        _ => Err(SetupError::BuffersTooLarge {
            max_message_size: max_message,
            max_buffered_amount: options.max_buffered_amount,
        }),
    }
}

/// The lengths of `slot`'s buffers; `None` for a slot that does not exist.
pub(crate) fn lens(core: &Core, slot: usize) -> Option<BufferLens> {
    core.buffers(slot).map(|b| BufferLens { rx: b.rx.len(), tx: b.tx.len() })
}

/// Whether a task holds `slot`.
fn live(core: &Core, slot: usize) -> bool {
    core.handles().any(|h| h.slot() == slot)
}

/// Zeroed buffers of `lens` bytes (fresh pages from the allocator, untouched until used).
fn zeroed(lens: BufferLens) -> Buffers<Box<[u8]>> {
    Buffers::new(vec![0; lens.rx].into_boxed_slice(), vec![0; lens.tx].into_boxed_slice())
}

/// Replaces `slot`'s buffers with new ones of `to` bytes, moving what the task holds (the
/// core allows no less than that); whether it did.
fn resize(core: &mut Core, slot: usize, to: BufferLens) -> bool {
    // Receive/send lengths; `from` is only read by the log.
    let from = lens(core, slot).unwrap_or_default();
    let done = core.replace_buffers(slot, zeroed(to)).is_ok();
    if done {
        log_debug!(
            "{} receive/send buffers {}/{} -> {}/{} bytes",
            Owner::of(core, slot),
            from.rx,
            from.tx,
            to.rx,
            to.tx
        );
    } else {
        log_debug!(
            "{} receive/send buffers hold more than {}/{} bytes: kept",
            Owner::of(core, slot),
            to.rx,
            to.tx
        );
    }
    done
}

/// A slot as the log names it: by its task's `socketTaskId`, or as free.
struct Owner {
    task: Option<u64>,
    slot: usize,
}

impl Owner {
    fn of(core: &Core, slot: usize) -> Owner {
        Owner { task: core.handles().find(|h| h.slot() == slot).map(Handle::socket_task_id), slot }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.task {
            Some(id) => write!(f, "socketTaskId {id} (slot {})", self.slot),
            None => write!(f, "free slot {}", self.slot),
        }
    }
}

#[cfg(test)]
mod tests {
    use sockettask::{Config, Limits};

    use super::*;

    fn with(max_message_size: usize, max_buffered_amount: usize) -> Options {
        let limits = Limits { max_message_size, ..Limits::default() };
        Options { config: Config { limits, ..Config::default() }, max_buffered_amount, ..Options::default() }
    }

    fn lens(rx: usize, tx: usize) -> BufferLens {
        BufferLens { rx, tx }
    }

    /// The receive bound holds the message, a control frame and a header, the largest
    /// permessage-deflate window with its one byte past the limit, and 64 KiB read ahead.
    const INFLATE: usize = (32 << 10) + 1 + (64 << 10);

    #[test]
    fn default_buffers_may_hold_one_mib_each_way() {
        assert_eq!(
            max_lens(&Options::default()).unwrap(),
            lens((1 << 20) + 160 + INFLATE, (1 << 20) + 14 + 262)
        );
    }

    #[test]
    fn the_larger_of_message_and_queue_bounds_the_send_buffer() {
        assert_eq!(max_lens(&with(1000, 64 << 10)).unwrap(), lens(1160 + INFLATE, (64 << 10) + 262));
        assert_eq!(
            max_lens(&with(64 << 10, 1000)).unwrap(),
            lens((64 << 10) + 160 + INFLATE, (64 << 10) + 276)
        );
    }

    #[test]
    fn unallocatable_buffers_are_refused() {
        for options in [with(usize::MAX, 0), with(0, usize::MAX), with(usize::MAX / 2, 0)] {
            assert!(matches!(max_lens(&options), Err(SetupError::BuffersTooLarge { .. })));
        }
    }

    #[test]
    fn buffers_start_at_the_initial_length_or_the_bound_when_shorter() {
        let sizer = Sizer::new(&Options::default(), 5).unwrap();
        assert_eq!(sizer.start, lens(4096, 4096));
        let small = Sizer::new(&with(1000, 1000), 5).unwrap();
        assert_eq!(small.start, lens(4096, 1276));
        let options = Options { buffers: crate::BufferPolicy::AT_LIMITS, ..Options::default() };
        assert_eq!(Sizer::new(&options, 5).unwrap().start, max_lens(&options).unwrap());
    }
}
