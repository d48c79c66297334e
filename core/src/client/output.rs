//! The client's output: bytes for a task's stream, the next timer, and events, handed out
//! one at a time from the slots in turn.

use rand_core::Rng;

use super::{Client, Handle, Slot, SlotIndex, live};
use crate::event::{Event, Message};
use crate::socket::{Env, Socket, fast_paths, lend};
use crate::time::{Deadline, Instant};

impl<S, R, const N: usize> Client<S, R, N>
where
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: Rng,
{
    /// When [`Client::handle_timeout`] must be called next, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let due = self.slots.iter().fold(Deadline::NEVER, |due, slot| match &slot.task {
            Some((_, socket)) => due.min(socket.poll_timeout()),
            None => due,
        });
        due.instant()
    }

    /// Copies bytes for the task's stream into `out`; returns how many (0: nothing to send,
    /// or a payload sent in place is due: [`Client::in_place_due`]).
    pub fn poll_transmit(&mut self, now: Instant, handle: Handle, out: &mut [u8]) -> usize {
        let data = self.transmit_data(handle);
        let n = data.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.advance_transmit(now, handle, n);
        n
    }

    /// The bytes waiting for the task's stream, for a driver that writes in place; follow
    /// with [`Client::advance_transmit`] for what was written. They stop at a payload sent
    /// with [`Client::send_in_place`], which the caller writes itself
    /// ([`Client::in_place_due`]) before the bytes after it are handed out.
    pub fn transmit_data(&self, handle: Handle) -> &[u8] {
        match self.live_task(handle) {
            Some((buffers, socket)) => socket.transmit_data(buffers.tx.as_ref()),
            None => &[],
        }
    }

    /// `n` bytes of [`Client::transmit_data`] were written to the stream.
    ///
    /// Hinted inline on hosted targets: the common case is a few compares and a store, less
    /// than the call it would otherwise cost (the rest, `Socket::after_transmitted`, is a
    /// call of its own). Not on bare metal, where flash is short.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn advance_transmit(&mut self, now: Instant, handle: Handle, n: usize) {
        self.tick(now);
        self.release_lent();
        let Client { slots, rng, config, due, .. } = self;
        let Some((buffers, id, socket, inflater)) = live(slots, handle) else { return };
        // The common case, without the rest of the task's context: bytes taken, no pong
        // waiting for the room, not FAILING.
        if socket.take_transmitted(n) {
            socket.after_transmitted(&mut Env {
                tx: buffers.tx.as_mut(),
                rng,
                config,
                now,
                id: id.get(),
                due,
                inflater,
            });
        }
    }

    /// Whether [`Client::poll_event`] has an event to return. Takes `&mut self` because,
    /// like polling, it ends the loan of the last polled event and parses buffered bytes up
    /// to the next event.
    pub fn has_event(&mut self) -> bool {
        self.release_lent();
        (0..self.slots.len()).any(|i| self.next_event_ready(i))
    }

    /// The next event of any task. Borrowed data (headers, messages) stays valid until the
    /// next call on the client; a CLOSED task's slot is freed once its last event was polled.
    ///
    /// State follows event order (S11): bytes buffered behind the previous event (a close
    /// frame, a protocol error) take effect here, not in the commands made while handling
    /// it. That parsing arms timers from the latest `now` the client was given: a driver that
    /// calls [`Client::handle_timeout`] on every turn (cheap when nothing is due) keeps that
    /// time current.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn poll_event(&mut self) -> Option<(Handle, Event<'_>)> {
        if fast_paths() && self.lent.is_some() {
            return self.poll_event_lent();
        }
        self.release_lent();
        // `poll_from` may name the slot past the last one: the first, then.
        let from = if self.poll_from < self.slots.len() { self.poll_from } else { 0 };
        // The common case first, without the loop: an event waits in the first slot to look
        // at. A message is handed out from there, inline in the caller (a text with one call,
        // its check); any other event out of line. Not on bare metal, where flash is short:
        // the loop finds it too, and one copy of `hand_out` serves.
        if fast_paths()
            && let Some(socket) = self.socket(from)
            && socket.has_event()
        {
            return if socket.text_waits() {
                self.hand_out_text(from)
            } else if socket.binary_waits() {
                self.hand_out_binary(from)
            } else {
                self.hand_out_at(from)
            };
        }
        self.poll_next()
    }

    /// [`Client::poll_event`] past its common case (all of it on bare metal): the next slot
    /// with an event, handed out.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    #[cfg_attr(target_os = "none", inline(always))]
    fn poll_next(&mut self) -> Option<(Handle, Event<'_>)> {
        let index = self.next_event_slot()?;
        // As in `poll_event`: a binary message without a call, any other event out of line.
        if fast_paths() {
            let binary = self.socket(index).is_some_and(Socket::binary_waits);
            return if binary { self.hand_out_binary(index) } else { self.hand_out_at(index) };
        }
        self.hand_out(index)
    }

    /// [`Client::hand_out`], out of line (for [`Client::poll_event`]'s common case).
    #[inline(never)]
    fn hand_out_at(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.hand_out(index)
    }

    /// [`Client::hand_out`] of the binary message that waits in slot `index`
    /// ([`Socket::binary_waits`]): no call, no UTF-8 to check.
    #[inline(always)]
    fn hand_out_binary(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Slot { buffers, task, .. } = self.slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        let message = Message::Binary(socket.pop_held(buffers.rx.as_ref()));
        // A task with a message to hand out is not CLOSED (parsing stops while an event
        // waits; commands and timers do not close a task that reads): nothing to free.
        debug_assert!(!socket.is_finished(), "a finished task handed out a message");
        Some((handle, Event::Message(message)))
    }

    /// [`Client::hand_out`] of the text message that waits in slot `index`
    /// ([`Socket::text_waits`]): its loan ended, validated, handed out; as the general path
    /// does, a text that is not UTF-8 fails the task, and the next event comes instead.
    #[inline(always)]
    fn hand_out_text(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Client { slots, rng, config, now, due, lent, .. } = self;
        let Slot { buffers, task, inflater } = slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        let bytes = socket.pop_held(buffers.rx.as_ref());
        // Not CLOSED (see `hand_out_binary`).
        debug_assert!(!socket.is_finished(), "a finished task handed out a message");
        if let Some(text) = crate::utf8::text(bytes) {
            return Some((handle, Event::Message(Message::Text(text))));
        }
        *lent = Some(index);
        let env = Env {
            tx: buffers.tx.as_mut(),
            rng,
            config,
            now: *now,
            id: id.get(),
            due,
            inflater: lend(inflater),
        };
        invalid_text(socket, env, buffers.rx.as_ref()).map(|event| (handle, event))
    }

    /// [`Client::poll_event`] while an event is on loan: ends it first. Out of line, so
    /// that the common call keeps no state across a call.
    #[cold]
    #[inline(never)]
    fn poll_event_lent(&mut self) -> Option<(Handle, Event<'_>)> {
        self.release_lent_slot();
        self.poll_event()
    }

    /// The first slot from `poll_from` on, wrapping around, with an event ready (round
    /// robin: one busy task cannot starve the others). Out of line: the first slot looked at
    /// has the event, commonly (see [`Client::poll_event`]). Not on bare metal, where inline
    /// it is smaller.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn next_event_slot(&mut self) -> Option<usize> {
        let len = self.slots.len();
        let mut index = self.poll_from;
        for _ in 0..len {
            if index >= len {
                index = 0;
            }
            if self.next_event_ready(index) {
                return Some(index);
            }
            index += 1;
        }
        None
    }

    /// [`Client::poll_event`] of slot `index`, where an event waits. Inline: the common call
    /// knows the slot holds a task.
    #[inline(always)]
    fn hand_out(&mut self, index: usize) -> Option<(Handle, Event<'_>)> {
        self.poll_from = index + 1;
        let slot_index = SlotIndex::try_from(index).ok()?;
        let Slot { buffers, task, inflater } = self.slots.get_mut(index)?;
        let (id, socket) = task.as_mut()?;
        let handle = Handle { id: *id, slot: slot_index };
        // A message ends its loan here already (see `Socket::pop_message`): nothing to
        // release at the next call. Not on bare metal ([`fast_paths`]), where `pop_event`
        // hands out messages too (and ends their loan the same way).
        if fast_paths()
            && let Some(message) = socket.pop_message(buffers.rx.as_ref())
        {
            // A task with a message to hand out is not CLOSED (see `hand_out_binary`).
            debug_assert!(!socket.is_finished(), "a finished task handed out a message");
            return Some((handle, Event::Message(message)));
        }
        self.lent = Some(index);
        let env = Env {
            tx: buffers.tx.as_mut(),
            rng: &mut self.rng,
            config: &self.config,
            now: self.now,
            id: id.get(),
            due: &mut self.due,
            inflater: lend(inflater),
        };
        pop_event(socket, env, buffers.rx.as_ref()).map(|event| (handle, event))
    }

    /// Parses slot `index`'s buffered bytes up to its next event; whether one waits. An
    /// empty slot (commonly most of them), and a task with nothing new to parse, are passed
    /// over without the call that parses.
    fn next_event_ready(&mut self, index: usize) -> bool {
        match self.socket(index) {
            Some(socket) => {
                socket.has_event() || (!socket.nothing_to_parse() && self.parse_next_event(index))
            }
            None => false,
        }
    }

    /// [`Client::next_event_ready`] when no event waits yet: parses. Out of line, so polling
    /// an event that waits stays small.
    #[inline(never)]
    pub(super) fn parse_next_event(&mut self, index: usize) -> bool {
        self.with(index, self.now, |socket, env, rx| {
            socket.pump(env, rx);
            socket.has_event()
        })
        .unwrap_or(false)
    }
}

/// [`Client::poll_event`] of every event but a message ready as it is: out of line, so the
/// common case inlines into the caller small (not on bare metal: all of it is the general
/// path there, and inline it is smaller).
#[cfg_attr(not(target_os = "none"), inline(never))]
fn pop_event<'b, R: Rng>(socket: &'b mut Socket, mut env: Env<'_, R>, rx: &'b [u8]) -> Option<Event<'b>> {
    socket.pop_event(&mut env, rx)
}

/// [`Client::hand_out_text`] of a text message that is not UTF-8: the general path, out of
/// line.
#[cold]
#[inline(never)]
fn invalid_text<'b, R: Rng>(socket: &'b mut Socket, mut env: Env<'_, R>, rx: &'b [u8]) -> Option<Event<'b>> {
    socket.invalid_text(&mut env, rx)
}
