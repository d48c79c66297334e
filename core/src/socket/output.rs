//! The output side of a task: the bytes waiting for the wire, the events waiting for the
//! caller, and the end of an event's loan of the receive buffer. Every phase transition stays
//! in the parent module; these only report and resume.

use rand_core::Rng;

use super::{Env, Held, Pending, Phase, Socket};
use crate::event::{Close, Event, Message, Open};
use crate::handshake::Headers;
use crate::receive::MessageKind;

impl Socket {
    /// The bytes waiting for the wire.
    pub(crate) fn transmit_data<'b>(&self, tx: &'b [u8]) -> &'b [u8] {
        self.tx.data(tx)
    }

    /// The driver wrote `n` bytes of [`Socket::transmit_data`].
    pub(crate) fn transmitted<R: Rng>(&mut self, env: &mut Env<'_, R>, n: usize) {
        self.tx.consume(n);
        if let Some(pong) = self.pending_pong.take() {
            self.queue_pong(env, pong);
        }
        if matches!(self.phase, Phase::Failing { .. }) {
            self.finish_if_flushed();
        }
    }

    /// Whether an event waits.
    pub(crate) fn has_event(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next event, borrowing the receive buffer until [`Socket::release`].
    pub(crate) fn pop_event<'b>(&'b mut self, rx: &'b [u8]) -> Option<Event<'b>> {
        let pending = self.events.pop_front()?;
        self.lent = matches!(pending, Pending::Open | Pending::Message);
        Some(match pending {
            Pending::Open => {
                let (end, protocol) = match &self.held {
                    Held::Headers { end, protocol } => (*end, protocol.clone()),
                    _ => (0, None),
                };
                let protocol = protocol.and_then(|r| rx.get(r)).and_then(|p| core::str::from_utf8(p).ok());
                Event::Open(Open { headers: Headers::new(rx.get(..end).unwrap_or_default()), protocol })
            }
            Pending::Message => {
                let (kind, range) = match &self.held {
                    Held::Message(kind, range) => (*kind, range.clone()),
                    _ => (MessageKind::Binary, 0..0),
                };
                let bytes = rx.get(range).unwrap_or_default();
                Event::Message(match kind {
                    MessageKind::Text => {
                        // SAFETY: `range` is the message `Receive::finish_message` validated with
                        // `Utf8Validator::finish` before queueing this event, and no byte in it was
                        // written since: while `Held::Message` holds it parsing stops (no payload
                        // moves), compaction is refused (`Compact::Forbidden`) and new input lands
                        // only at `filled`, past the range. Debug builds re-validate (tests, fuzzing).
                        #[allow(unsafe_code)]
                        let text = unsafe { crate::utf8::assume_validated(bytes) };
                        Message::Text(text)
                    }
                    MessageKind::Binary => Message::Binary(bytes),
                })
            }
            Pending::Error(e) => Event::Error(e),
            Pending::Close(code) => Event::Close(Close { code, reason: &self.close_reason }),
        })
    }

    /// Ends the loan of the last polled event and resumes parsing.
    pub(crate) fn release<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        if core::mem::take(&mut self.lent) {
            self.held = Held::Nothing;
            self.rx.release();
        }
        if matches!(self.phase, Phase::Closed) {
            if self.held == Held::Nothing {
                self.rx.discard();
            }
        } else {
            self.pump(env);
        }
    }
}
