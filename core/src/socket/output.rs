//! The output side of a task: the bytes waiting for the wire, the events waiting for the
//! caller, and the end of an event's loan of the receive buffer. Every phase transition stays
//! in the parent module's table; these only report, and feed it inputs.

use rand_core::Rng;

use super::{Env, Input, Pending, Phase, Socket, protocol_in};
use crate::error::ProtocolError;
use crate::event::{Close, Event, Message, Open};
use crate::handshake::Headers;
use crate::receive::MessageKind;

impl Socket {
    /// The bytes waiting for the wire.
    pub(crate) fn transmit_data<'b>(&self, tx: &'b [u8]) -> &'b [u8] {
        self.tx.data(tx)
    }

    /// The driver wrote `n` bytes of [`Socket::transmit_data`], in two steps, the second
    /// only when needed: the bytes are taken here; `true` when a waiting pong or FAILING
    /// asks for [`Socket::after_transmitted`] (which needs the send buffer and the RNG).
    #[inline]
    pub(crate) fn take_transmitted(&mut self, n: usize) -> bool {
        self.tx.advance(n) || matches!(self.phase, Phase::Failing { .. })
    }

    /// What follows written bytes besides taking them: the waiting pong, the end of FAILING.
    pub(crate) fn after_transmitted<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        let (tx, mask) = env.tx_and_mask();
        self.tx.queue_waiting_pong(tx, mask);
        self.after_write(env);
    }

    /// Every byte went out: FAILING ends. Only FAILING waits for the flush (the table's one
    /// `Flushed` arm): the other phases skip the table.
    #[inline]
    pub(super) fn after_write<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        if self.tx.pending() == 0 && matches!(self.phase, Phase::Failing { .. }) {
            self.on(env, Input::Flushed);
        }
    }

    /// Whether an event waits.
    pub(crate) fn has_event(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next event, borrowing `rx` (the receive buffer) until [`Socket::release`] (a
    /// message's loan ends as it is handed out, as with [`Socket::pop_message`]).
    ///
    /// A text message is validated here, from the very bytes handed out, so no storage type
    /// can make `Message::Text` hold anything but UTF-8. Invalid text (its last bytes are
    /// checked only here) fails the connection with 1007 instead: the task reports that
    /// `Error`, in the message's place.
    pub(crate) fn pop_event<'b, R: Rng>(
        &'b mut self,
        env: &mut Env<'_, R>,
        rx: &'b [u8],
    ) -> Option<Event<'b>> {
        loop {
            return Some(match self.events.pop_front()? {
                Pending::Open { protocol, lines } => {
                    let protocol = protocol_in(rx, protocol);
                    // The lines end where the check found them (`judge`): no search for the
                    // block's end again, only for the end of its status line. A storage that
                    // shows other bytes than were checked gets other headers, never a panic
                    // (`HeaderIter` takes any bytes).
                    let header = Headers::from_lines(rx.get(..lines as usize).unwrap_or_default());
                    Event::Open(Open { header, protocol, per_message_deflate: self.deflate })
                }
                Pending::Message(kind) => {
                    let bytes = held_in(rx, self.rx.held_message());
                    // Its loan ends as it is handed out, as in `Socket::pop_message` (no byte
                    // moves before the next call on the client).
                    self.rx.release_message();
                    match kind {
                        MessageKind::Binary => Event::Message(Message::Binary(bytes)),
                        MessageKind::Text => match crate::utf8::text(bytes) {
                            Some(text) => Event::Message(Message::Text(text)),
                            None => {
                                // RFC 6455 §8.1: an endpoint that finds a byte stream is not
                                // valid UTF-8 MUST _Fail the WebSocket Connection_.
                                self.on(env, Input::Violation(ProtocolError::InvalidUtf8));
                                continue;
                            }
                        },
                    }
                }
                Pending::Error(e) => Event::Error(e),
                Pending::Close(code) => Event::Close(Close { code, reason: &self.close_reason }),
            });
        }
    }

    /// The next event when it is a message that can be handed out as it is (binary, or valid
    /// text), borrowing `rx` like [`Socket::pop_event`]; `None`, taking nothing, otherwise.
    /// The common case without the rest of `pop_event`.
    ///
    /// Unlike other events, a message ends its loan of the receive buffer here, as it is
    /// handed out, not at the next call ([`Socket::release`]): releasing moves no byte, it
    /// only marks the message's bytes as free to reuse, and the next call that could reuse
    /// them (read into the buffer, compact it, parse) takes the client by `&mut`, which the
    /// message's borrow of the client excludes until the caller is done with it.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    pub(crate) fn pop_message<'b>(&mut self, rx: &'b [u8]) -> Option<Message<'b>> {
        let Some(Pending::Message(kind)) = self.events.front() else { return None };
        let bytes = held_in(rx, self.rx.held_message());
        let message = match kind {
            MessageKind::Binary => Message::Binary(bytes),
            MessageKind::Text => Message::Text(crate::utf8::text(bytes)?),
        };
        self.events.pop_front();
        // No event behind a message borrows the buffer (parsing stops while one waits: what
        // can follow it is an error and a close), so its bytes are free now.
        debug_assert!(!self.events.any_borrows(), "an event behind a message borrows the buffer");
        self.rx.release_message();
        Some(message)
    }

    /// Whether the next event is a binary message of a task without an inflater (which keeps
    /// a window when a loan ends): [`Socket::pop_held`] hands it out.
    #[inline]
    pub(crate) fn binary_waits(&self) -> bool {
        matches!(self.events.front(), Some(Pending::Message(MessageKind::Binary))) && !self.rx.inflating()
    }

    /// Whether the next event is a text message of a task without an inflater (which keeps
    /// a window when a loan ends): [`Socket::pop_held`] hands its bytes out.
    #[inline]
    pub(crate) fn text_waits(&self) -> bool {
        matches!(self.events.front(), Some(Pending::Message(MessageKind::Text))) && !self.rx.inflating()
    }

    /// The bytes of the message that waits ([`Socket::binary_waits`],
    /// [`Socket::text_waits`]: a task without an inflater), borrowing `rx`, its loan ended
    /// as it is handed out ([`Socket::pop_message`] without the rest; a text is checked by
    /// the caller, after, as [`Socket::pop_event`] does).
    #[inline(always)]
    pub(crate) fn pop_held<'b>(&mut self, rx: &'b [u8]) -> &'b [u8] {
        debug_assert!(self.binary_waits() || self.text_waits(), "pop_held without a message");
        let bytes = held_in(rx, self.rx.held_message());
        self.events.drop_front();
        debug_assert!(!self.events.any_borrows(), "an event behind a message borrows the buffer");
        self.rx.release_frames();
        bytes
    }

    /// After [`Socket::pop_held`] of a text message that is not UTF-8: as
    /// [`Socket::pop_event`] does, fails the task, and hands out the next event.
    pub(crate) fn invalid_text<'b, R: Rng>(
        &'b mut self,
        env: &mut Env<'_, R>,
        rx: &'b [u8],
    ) -> Option<Event<'b>> {
        self.on(env, Input::Violation(ProtocolError::InvalidUtf8));
        self.pop_event(env, rx)
    }

    /// The event handed out last is done with: unless a waiting event still borrows the
    /// receive buffer, its bytes may be reused. Parses nothing (S11). Hinted inline on hosted targets
    /// only (on bare metal, without the hint, it is smaller).
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn release(&mut self) {
        if !self.events.front_borrows() {
            self.rx.release();
        }
    }
}

/// The bytes of a held message that the receive buffer does not hold: none (never so: a
/// storage that shows the parser one length and the hand-out another). Cold, so that the
/// message's bytes are found with one test and a branch.
#[cold]
fn no_bytes<'b>() -> &'b [u8] {
    &[]
}

/// The bytes of `rx` at `range` (a held message: `start <= end`), or none.
#[inline(always)]
fn held_in(rx: &[u8], range: core::ops::Range<usize>) -> &[u8] {
    rx.get(..range.end).and_then(|held| held.get(range.start..)).unwrap_or_else(no_bytes)
}
