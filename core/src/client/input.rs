//! The client's input: bytes from a task's stream (handed over, or read into the receive
//! buffer in place), the stream's end, and time passing.

use rand_core::Rng;

use super::{Client, Handle, Slot, live};
use crate::error::TransportError;
use crate::socket::{Env, Socket, StreamEnd, fast_paths, lend, relend};
use crate::time::{Deadline, Instant};

impl<S, R, const N: usize> Client<S, R, N>
where
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: Rng,
{
    /// Bytes received from the task's stream. Returns how many were taken: fewer than given
    /// when the receive buffer is full until events are polled; keep the rest and offer it
    /// again after [`Client::poll_event`]. Bytes for a finished task are dropped (all taken).
    pub fn handle_input(&mut self, now: Instant, handle: Handle, data: &[u8]) -> usize {
        self.on_task(now, handle, |socket, env, rx| socket.input(env, rx, data)).unwrap_or(data.len())
    }

    /// The free part of the task's receive buffer, to read into in place; follow with
    /// [`Client::handle_read`]. Parses only when the buffer has no room and no event waits
    /// (parsing may make room), as an input call may (S11).
    ///
    /// Empty while the task cannot take input: until the events are polled (an event holds
    /// the buffer, or it is full of bytes not parsed yet), until a larger buffer comes when
    /// [`BufferUse::rx_wanted`](crate::BufferUse::rx_wanted) asks for one, and for good once the task is CLOSED or its
    /// stream ended. After the peer's close (or while failing) the task only waits for the
    /// end of the stream: there is room, and what is read into it is dropped, so a driver
    /// reads on until EOF without deciding anything itself.
    pub fn input_buffer(&mut self, handle: Handle) -> &mut [u8] {
        // The common case: no event on loan, and room as it is (no byte to move, nothing to
        // parse). Found with the slot borrowed briefly, so that the rest goes out of line and
        // the common call keeps no state across a call. Not on bare metal, where flash is
        // short: the general path finds the same room.
        let room = match live(&mut self.slots, handle) {
            Some((buffers, _, socket, _)) if fast_paths() && self.lent.is_none() => {
                socket.room_as_is(buffers.rx.as_mut().len())
            }
            _ => None,
        };
        let Some(range) = room else { return self.make_input_buffer(handle) };
        match self.slots.get_mut(handle.slot()) {
            Some(slot) => slot.buffers.rx.as_mut().get_mut(range).unwrap_or_default(),
            None => &mut [],
        }
    }

    /// [`Client::input_buffer`] past its common case (all of it on bare metal): ends the
    /// loan, makes room, parses.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    #[cfg_attr(target_os = "none", inline(always))]
    fn make_input_buffer(&mut self, handle: Handle) -> &mut [u8] {
        self.release_lent();
        // One look-up of the slot, whose receive buffer the range is taken from (and handed
        // out of) once: the rest of the client lent to the task for the parse below.
        let Client { slots, rng, config, now, due, .. } = self;
        let Some((buffers, id, socket, mut inflater)) = live(slots, handle) else { return &mut [] };
        let rx = buffers.rx.as_mut();
        let mut parsed = false;
        loop {
            let range = socket.input_range(rx);
            if !range.is_empty() {
                return rx.get_mut(range).unwrap_or_default();
            }
            // With no room and no event waiting, parsing may still make room: with an
            // inflater the room ends at its read budget, and bytes read in behind an event
            // (parsing stops there, S11) fill that budget unparsed until the event is polled;
            // or an inflater that stopped for output room goes on in a replaced buffer. Give
            // it the chance, once, so that an empty buffer always means an event to poll, a
            // request for a larger buffer, or a task that reads no more
            // (`t_input_buffer_room.rs`).
            if parsed || socket.has_event() {
                return &mut [];
            }
            let env = Env {
                tx: buffers.tx.as_mut(),
                rng: &mut *rng,
                config,
                now: *now,
                id: id.get(),
                due: &mut *due,
                inflater: relend(&mut inflater),
            };
            parse_for_room(socket, env, rx);
            parsed = true;
        }
    }

    /// `n` bytes were read into [`Client::input_buffer`].
    // Inline on hosted targets, as `input_buffer` and `poll_event` are: the common case is
    // short, and a call costs the message more than its code.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn handle_read(&mut self, now: Instant, handle: Handle, n: usize) {
        self.tick(now);
        if fast_paths() && self.lent.is_some() {
            return self.handle_read_lent(handle, n);
        }
        self.release_lent();
        // The common case (a whole message in one frame) without the rest of the task's
        // context; anything else is parsed with it.
        let Some((buffers, _, socket, _)) = live(&mut self.slots, handle) else { return };
        if !socket.input_written_alone(buffers.rx.as_mut(), n) {
            self.parse_next_event(handle.slot());
        }
    }

    /// [`Client::handle_read`] while an event is on loan: ends it first. Out of line, so
    /// that the common call keeps no state across a call.
    #[cold]
    #[inline(never)]
    fn handle_read_lent(&mut self, handle: Handle, n: usize) {
        self.release_lent_slot();
        self.handle_read(self.now, handle, n);
    }

    /// The task's stream ended (the peer closed it). Applied after the bytes already given.
    pub fn handle_eof(&mut self, now: Instant, handle: Handle) {
        self.end_stream(now, handle, StreamEnd::Eof);
    }

    /// The task's stream failed (DNS, connect, TLS, reset, I/O).
    pub fn handle_transport_error(&mut self, now: Instant, handle: Handle, error: TransportError) {
        self.end_stream(now, handle, StreamEnd::Error(error));
    }

    fn end_stream(&mut self, now: Instant, handle: Handle, end: StreamEnd) {
        let _ = self.on_task(now, handle, |socket, env, rx| socket.stream_end(env, rx, end));
    }

    /// Applies every timer due at `now` (connect and close timeouts). Cheap when none can be
    /// due: the client keeps the earliest instant one can be, and looks at no task before it.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        self.release_lent();
        if !self.due.is_due(now) {
            // Nothing can be due: every timer is at or after `due` (see the field).
            debug_assert!(
                (0..self.slots.len())
                    .all(|i| self.socket(i).is_none_or(|socket| !socket.next_due().is_due(now))),
                "a timer is due before the client's bound"
            );
            return;
        }
        self.scan_timers(now);
    }

    /// [`Client::handle_timeout`] when a timer may be due: every slot, then the exact bound.
    /// Out of line, so the call that skips stays small.
    #[inline(never)]
    fn scan_timers(&mut self, now: Instant) {
        let mut next = Deadline::NEVER;
        let Client { slots, rng, config, due, .. } = self;
        for Slot { buffers, task, inflater } in slots.iter_mut() {
            let Some((id, socket)) = task else { continue };
            let tx = buffers.tx.as_mut();
            socket.timeout(&mut Env {
                tx,
                rng: &mut *rng,
                config,
                now,
                id: id.get(),
                due: &mut *due,
                inflater: lend(inflater),
            });
            next = next.min(socket.next_due());
        }
        *due = next;
    }
}

/// [`Client::input_buffer`] when the task has no room and no event waits: the general parse
/// alone (its common case, a whole message in one frame, gives what it does). Out of line,
/// so the call that finds room stays small (not on bare metal, where inline it is smaller).
#[cfg_attr(not(target_os = "none"), inline(never))]
fn parse_for_room<R: Rng>(socket: &mut Socket, mut env: Env<'_, R>, rx: &mut [u8]) {
    socket.pump_all(&mut env, rx);
}
