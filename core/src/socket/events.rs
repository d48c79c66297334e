//! The events a task holds for the caller: a first-in first-out queue of at most three, in
//! place (at most an open or a message, then an error and a close: see [`Socket`]'s
//! `events`). The front is always the first slot, so the common steps (is it empty, push a
//! message, pop it) are a compare and a store each; popping moves the events behind the
//! front up, which only happens when more than one waits (an error and a close).
//!
//! [`Socket`]: super::Socket

use super::Pending;
use crate::receive::MessageKind;

/// How many events a task holds at most.
const CAPACITY: usize = 3;

/// The queue: `items[..len]`, front first. Slots past `len` hold stale events nobody reads.
#[derive(Clone, Copy, Debug)]
pub(super) struct Events {
    items: [Pending; CAPACITY],
    len: u8,
}

impl Default for Events {
    fn default() -> Self {
        Events { items: [Pending::Message(MessageKind::Binary); CAPACITY], len: 0 }
    }
}

impl Events {
    /// Whether no event waits.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `event` last; a fourth is dropped (never happens: see the module docs).
    #[inline]
    pub(super) fn push_back(&mut self, event: Pending) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = event;
            self.len += 1;
        }
    }

    /// The first event, if any. Hinted inline on hosted targets
    /// only (on bare metal, without the hint, it is smaller).
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(super) fn front(&self) -> Option<&Pending> {
        if self.len == 0 { None } else { self.items.first() }
    }

    /// Takes the first event, if any. Hinted inline on hosted targets
    /// only (on bare metal, without the hint, it is smaller).
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(super) fn pop_front(&mut self) -> Option<Pending> {
        let first = *self.front()?;
        if self.len > 1 {
            self.move_up();
        }
        self.len -= 1;
        Some(first)
    }

    /// Drops the first event, which the caller knows waits: [`Events::pop_front`] with the
    /// move written out, no call (for a path that keeps no state across one).
    #[inline(always)]
    pub(super) fn drop_front(&mut self) {
        debug_assert!(self.len > 0, "drop_front of an empty queue");
        if self.len > 1 {
            let [_, second, third] = self.items;
            self.items = [second, third, third];
        }
        self.len = self.len.saturating_sub(1);
    }

    /// Moves the events behind the front up one slot. Out of line: only an error and a
    /// close ever wait behind another event.
    #[cold]
    #[inline(never)]
    fn move_up(&mut self) {
        let [_, second, third] = self.items;
        self.items = [second, third, third];
    }

    /// Whether a waiting event borrows the receive buffer: only the front can (an open or a
    /// message is queued only into an empty queue: parsing stops while an event waits).
    #[inline]
    pub(super) fn front_borrows(&self) -> bool {
        let borrows = self.front().is_some_and(Pending::borrows);
        debug_assert_eq!(borrows, self.any_borrows(), "an event behind the front borrows the buffer");
        borrows
    }

    /// Whether any waiting event borrows the receive buffer (what
    /// [`Events::front_borrows`] stands for).
    #[cfg_attr(not(any(test, debug_assertions)), allow(dead_code))]
    pub(super) fn any_borrows(&self) -> bool {
        self.items.iter().take(usize::from(self.len)).any(Pending::borrows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close_code::CloseCode;
    use crate::error::TaskError;

    /// A model FIFO (a plain array with a length) against the queue, over every sequence of
    /// up to 8 pushes and pops that never holds more than three.
    #[test]
    fn the_queue_is_a_fifo_of_three() {
        let pick = |k: u8| match k % 3 {
            0 => Pending::Message(MessageKind::Text),
            1 => Pending::Error(TaskError::Timeout),
            _ => Pending::Close(CloseCode(1000 + u16::from(k))),
        };
        for ops in 0u16..(1 << 8) {
            let mut queue = Events::default();
            let mut model: [Option<Pending>; 3] = [None; 3];
            let mut model_len = 0usize;
            for step in 0..8u8 {
                if ops >> step & 1 == 1 && model_len < 3 {
                    queue.push_back(pick(step));
                    model[model_len] = Some(pick(step));
                    model_len += 1;
                } else {
                    let popped = queue.pop_front();
                    let expected = if model_len == 0 {
                        None
                    } else {
                        let first = model[0];
                        model.rotate_left(1);
                        model[2] = None;
                        model_len -= 1;
                        first
                    };
                    assert_eq!(popped, expected);
                }
                assert_eq!(queue.is_empty(), model_len == 0);
                assert_eq!(queue.any_borrows(), model[..model_len].iter().flatten().any(Pending::borrows));
            }
        }
    }
}
