//! What the blocking and the async driver share: the core, the table of streams parallel to
//! its slots, the clock, and every translation of a stream result into a `handle_*` call.
//! The drivers add only the read and write calls themselves (blocking or `.await`).

use sockettask::{Client, CloseCode, ConnectOptions, Handle, Instant, Message, ReadyState};

use crate::Clock;
use crate::error::{Error, Failure, Refused, classify};

/// Which bytes a write took them from.
#[derive(Clone, Copy)]
pub(crate) enum Written {
    /// The core's queued bytes ([`Session::write_target`]).
    Queued,
    /// The caller's payload of `send_in_place` ([`Session::in_place_write`]).
    InPlace,
}

/// The core, the streams and the clock.
pub(crate) struct Session<T, S, R, C, const N: usize> {
    pub(crate) client: Client<S, R, N>,
    /// Slot `i` holds the stream of the task whose handle has slot `i`.
    streams: [Option<(Handle, T)>; N],
    pub(crate) clock: C,
}

impl<T, S, R, C, const N: usize> Session<T, S, R, C, N>
where
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: rand_core::Rng,
    C: Clock,
{
    pub(crate) fn new(client: Client<S, R, N>, clock: C) -> Self {
        Session { client, streams: core::array::from_fn(|_| None), clock }
    }

    pub(crate) fn connect_socket(
        &mut self,
        stream: T,
        options: &ConnectOptions<'_>,
    ) -> Result<Handle, Refused<T>> {
        let now = self.clock.now();
        match self.client.connect_socket(now, options) {
            Ok(handle) => {
                // The core's slots are the N buffers it was given: a handle's slot is below N.
                debug_assert!(handle.slot() < N, "slot {} of {N}", handle.slot());
                if let Some(entry) = self.streams.get_mut(handle.slot().min(N.saturating_sub(1))) {
                    *entry = Some((handle, stream));
                }
                Ok(handle)
            }
            Err(error) => Err(Refused { error, stream }),
        }
    }

    pub(crate) fn send(&mut self, handle: Handle, message: Message<'_>) -> Result<(), sockettask::SendError> {
        self.client.send(handle, message)
    }

    /// `send_in_place` of the core, or `send_text_in_place` when `text`.
    pub(crate) fn send_in_place(
        &mut self,
        handle: Handle,
        payload: &mut [u8],
        text: bool,
    ) -> Result<(), sockettask::SendError> {
        match text {
            true => self.client.send_text_in_place(handle, payload),
            false => self.client.send_in_place(handle, payload),
        }
    }

    pub(crate) fn ping(&mut self, handle: Handle, payload: &[u8]) -> Result<(), sockettask::SendError> {
        self.client.ping(handle, payload)
    }

    pub(crate) fn close(
        &mut self,
        handle: Handle,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), sockettask::CloseError> {
        let now = self.clock.now();
        self.client.close(now, handle, code, reason)
    }

    pub(crate) fn take_stream(&mut self, handle: Handle) -> Option<T> {
        if self.client.ready_state(handle) != ReadyState::Closed {
            return None;
        }
        let entry = self.streams.get_mut(handle.slot())?;
        match entry {
            Some((owner, _)) if owner.socket_task_id() == handle.socket_task_id() => {
                entry.take().map(|(_, stream)| stream)
            }
            _ => None,
        }
    }

    /// Applies due timers; true when any was due (the caller returns to poll events).
    pub(crate) fn fire_timers(&mut self) -> bool {
        let now = self.clock.now();
        let due = self.client.poll_timeout().is_some_and(|t| t <= now);
        // Due or not: the core also arms timers from this time when it resumes parsing.
        self.client.handle_timeout(now);
        due
    }

    /// [`Error::Closed`] when the task is CLOSED. (A task that is not CLOSED owns its stream:
    /// see [`held`].)
    pub(crate) fn live<E>(&self, handle: Handle) -> Result<(), Error<E>> {
        match self.client.ready_state(handle) {
            ReadyState::Closed => Err(Error::Closed),
            _ => Ok(()),
        }
    }

    /// The stream and the bytes waiting for it (empty when all is written).
    pub(crate) fn write_target<E>(&mut self, handle: Handle) -> Result<(&mut T, &[u8]), Error<E>> {
        let data = self.client.transmit_data(handle);
        Ok((owned(&mut self.streams, handle)?, data))
    }

    /// The next write of a `send_in_place`: the stream and what goes to it, what was queued
    /// before the payload and its head first, then the part of `payload` the core names due;
    /// `None` once it names none (all of it written, or the task ended).
    #[allow(clippy::type_complexity)]
    pub(crate) fn in_place_write<'a, E>(
        &'a mut self,
        handle: Handle,
        payload: &'a [u8],
    ) -> Result<Option<(&'a mut T, &'a [u8], Written)>, Error<E>> {
        let queued = self.client.transmit_data(handle);
        let next = if !queued.is_empty() {
            (queued, Written::Queued)
        } else {
            match self.client.in_place_due(handle) {
                Some(due) => (payload.get(due).unwrap_or_default(), Written::InPlace),
                None => return Ok(None),
            }
        };
        Ok(Some((owned(&mut self.streams, handle)?, next.0, next.1)))
    }

    /// What one read needs, when one can come to something: the stream, the room to read
    /// into (the core's `input_buffer`), the clock, and the core's next timer (which a read
    /// may wait for at most). `None` when the turn must end before its read: the task is
    /// CLOSED (nothing is left to read for), the core has events to hand out first (a read
    /// could block while they wait; handing them out also resumes parsing of bytes the core
    /// already holds), or it has no room to read into. After the peer's close, or while
    /// failing, the core still gives room, and drops what lands there: reading on until EOF
    /// is the core's call.
    ///
    /// The events are asked for before the room: that parses every task's bytes as far as
    /// they go (so the room is what is left after them, and no event can come of the bytes
    /// already held while the read blocks), and arms what timers the parse arms before the
    /// next one is read.
    #[allow(clippy::type_complexity)]
    pub(crate) fn read_target<E>(
        &mut self,
        handle: Handle,
    ) -> Result<Option<(&mut T, &mut [u8], &C, Option<Instant>)>, Error<E>> {
        if self.client.ready_state(handle) == ReadyState::Closed || self.client.has_event() {
            return Ok(None);
        }
        let deadline = self.client.poll_timeout();
        let buf = self.client.input_buffer(handle);
        if buf.is_empty() {
            return Ok(None);
        }
        Ok(Some((held(&mut self.streams, handle)?, buf, &self.clock, deadline)))
    }

    /// A write of [`Session::write_target`]'s bytes (`Written::Queued`) or of
    /// [`Session::in_place_write`]'s part (`Written::InPlace`) returned: record the bytes
    /// written, or end the task's stream (`Ok(0)` from a non-empty write is a failure too).
    pub(crate) fn wrote<E: embedded_io::Error>(
        &mut self,
        handle: Handle,
        from: Written,
        result: Result<usize, E>,
    ) -> Result<(), Error<E>> {
        let now = self.clock.now();
        match result {
            Ok(0) => {
                #[cfg(feature = "defmt")]
                defmt::debug!("socketTaskId {} stream accepted no byte of a write", handle.socket_task_id());
                self.broken(handle, now, sockettask::TransportError::Io);
                Err(Error::WriteZero)
            }
            Ok(n) => {
                match from {
                    Written::Queued => self.client.advance_transmit(now, handle, n),
                    Written::InPlace => self.client.advance_in_place(now, handle, n),
                }
                Ok(())
            }
            Err(e) => self.failed(handle, now, e, false),
        }
    }

    /// A flush returned.
    pub(crate) fn flushed<E: embedded_io::Error>(
        &mut self,
        handle: Handle,
        result: Result<(), E>,
    ) -> Result<(), Error<E>> {
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let now = self.clock.now();
                self.failed(handle, now, e, false)
            }
        }
    }

    /// A read into [`Session::read_target`]'s room returned.
    pub(crate) fn read<E: embedded_io::Error>(
        &mut self,
        handle: Handle,
        result: Result<usize, E>,
    ) -> Result<(), Error<E>> {
        let now = self.clock.now();
        match result {
            Ok(0) => self.client.handle_eof(now, handle),
            Ok(n) => self.client.handle_read(now, handle, n),
            Err(e) => return self.failed(handle, now, e, true),
        }
        Ok(())
    }

    /// A stream call failed: a read timeout is a tick; anything else ends the task's stream.
    fn failed<E: embedded_io::Error>(
        &mut self,
        handle: Handle,
        now: Instant,
        error: E,
        reading: bool,
    ) -> Result<(), Error<E>> {
        match classify(error.kind(), reading) {
            Failure::Retry | Failure::Tick => Ok(()),
            Failure::Broken(kind) => {
                #[cfg(feature = "defmt")]
                defmt::debug!(
                    "socketTaskId {} stream {} failed: {}",
                    handle.socket_task_id(),
                    if reading { "read" } else { "write or flush" },
                    error.kind()
                );
                self.broken(handle, now, kind);
                Err(Error::Io(error))
            }
        }
    }

    fn broken(&mut self, handle: Handle, now: Instant, kind: sockettask::TransportError) {
        self.client.handle_transport_error(now, handle, kind);
    }
}

/// The stream of `handle`'s entry while that task still owns it; [`Error::Closed`] otherwise.
/// A function of the streams alone, so the session's core may stay borrowed beside it.
fn owned<T, E>(streams: &mut [Option<(Handle, T)>], handle: Handle) -> Result<&mut T, Error<E>> {
    match streams.get_mut(handle.slot()) {
        Some(Some((owner, stream))) if *owner == handle => Ok(stream),
        _ => Err(Error::Closed),
    }
}

/// [`owned`] without the comparison, for a handle known to own its entry: one whose task was
/// not CLOSED, or owned its entry, earlier in the same call. Only `connect_socket` replaces an
/// entry, with a task that got a slot the core had freed, so an entry stays its task's
/// until the caller connects again.
fn held<T, E>(streams: &mut [Option<(Handle, T)>], handle: Handle) -> Result<&mut T, Error<E>> {
    match streams.get_mut(handle.slot()) {
        Some(Some((_, stream))) => Ok(stream),
        _ => Err(Error::Closed),
    }
}

/// Whether a failed call is worth repeating at once (`Interrupted`).
pub(crate) fn retry<T, E: embedded_io::Error>(result: &Result<T, E>) -> bool {
    matches!(result, Err(e) if classify(e.kind(), true) == Failure::Retry)
}

#[cfg(test)]
mod tests {
    use embedded_io::{ErrorKind, ErrorType, Read, Write};
    use sockettask::{Buffers, Client, Config, ConnectOptions, Handle, Instant};

    use crate::{Driver, Error};

    /// A stream whose reads and writes all fail: a task over it fails at its first write.
    /// The number tells two of them apart.
    #[derive(Debug, PartialEq)]
    struct Broken(u8);

    impl ErrorType for Broken {
        type Error = ErrorKind;
    }

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> Result<usize, ErrorKind> {
            Err(ErrorKind::BrokenPipe)
        }
    }

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> Result<usize, ErrorKind> {
            Err(ErrorKind::BrokenPipe)
        }

        fn flush(&mut self) -> Result<(), ErrorKind> {
            Ok(())
        }
    }

    fn clock() -> Instant {
        Instant::ZERO
    }

    type OneSlot = Driver<Broken, [u8; 1024], rand::rngs::ThreadRng, fn() -> Instant, 1>;

    /// Polls `task` until the driver reports it CLOSED (its failure's events handed out).
    fn run_to_closed(d: &mut OneSlot, task: Handle) {
        for _ in 0..16 {
            if let Err(Error::Closed) = d.next_event(task) {
                return;
            }
        }
        panic!("task {task:?} not CLOSED after 16 calls");
    }

    /// Handles name tasks, not slots (S1: ids are never reused): once a new task holds the
    /// slot, the handle of the task before it reaches neither the new task's stream nor its
    /// own old one, and the new task's stream comes back to its own handle only.
    #[test]
    fn a_stale_handle_never_reaches_the_stream_of_the_next_task() {
        let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
        let client = Client::new(Config::default(), rand::rng(), storage).expect("client");
        let mut d: OneSlot = Driver::new(client, clock as fn() -> Instant);
        let options = ConnectOptions::new("wss://example.com/");

        let first = d.connect_socket(Broken(1), &options).expect("first");
        run_to_closed(&mut d, first);
        let second = d.connect_socket(Broken(2), &options).expect("second");
        assert_eq!(second.slot(), first.slot(), "one slot: the second task takes it over");
        assert_ne!(second, first);

        assert!(matches!(d.flush(first), Err(Error::Closed)));
        assert!(matches!(d.next_event(first), Err(Error::Closed)));
        assert_eq!(d.take_stream(first), None, "the slot's stream is the second task's");
        assert_eq!(d.take_stream(second), None, "the second task is not CLOSED yet");

        run_to_closed(&mut d, second);
        assert_eq!(d.take_stream(first), None);
        assert_eq!(d.take_stream(second), Some(Broken(2)));
        assert_eq!(d.take_stream(second), None, "taken once");
    }
}
