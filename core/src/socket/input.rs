//! The input side of a task: bytes (copied in, or read in place), the end of the stream and
//! the time, turned into inputs of the transition table ([`Socket::on`]) by [`Socket::pump`],
//! and only while no event waits (S11).

use rand_core::Rng;

use super::{Env, Input, Pending, Phase, Socket, StreamEnd, fast_paths, frame_input, narrow};
use crate::error::HandshakeError;
use crate::handshake::response::{Accepted, Fields, Rejection, find_end, judge, parse_whole, validate_in};
use crate::time::Deadline;

impl Socket {
    /// Whether the task takes bytes: not after the peer's close, a failure, or the end.
    #[inline]
    pub(super) fn reads(&self) -> bool {
        match self.phase {
            Phase::Connecting { .. } | Phase::Open | Phase::Closing { peer: None } => !self.rx.ended(),
            Phase::Closing { peer: Some(_) } | Phase::Failing { .. } | Phase::Closed => false,
        }
    }

    /// Takes as much of `data` as the receive buffer holds and parses it. Bytes the task no
    /// longer reads are all taken, and dropped.
    pub(crate) fn input<R: Rng>(&mut self, env: &mut Env<'_, R>, rx: &mut [u8], data: &[u8]) -> usize {
        let mut consumed = 0;
        // Two pushes in a row that take nothing end it: parsing between them may have made
        // room (an inflater that stopped for output room goes on once the buffer is
        // compacted), so one that takes nothing gets one more chance.
        let mut empty_pushes = 0;
        while self.reads() {
            let n = self.rx.push(rx, data.get(consumed..).unwrap_or_default());
            consumed += n;
            empty_pushes = if n == 0 { empty_pushes + 1 } else { 0 };
            self.pump(env, rx);
            if empty_pushes == 2 || consumed == data.len() || (n == 0 && !self.events.is_empty()) {
                return consumed;
            }
        }
        data.len()
    }

    /// Where the free part of the receive buffer is, for a driver that reads in place. While
    /// the task only waits for the stream's end (after the peer's close, or failing) it is
    /// free space whose bytes are dropped: the driver reads on, to see the end, without
    /// judging when.
    #[inline]
    pub(crate) fn input_range(&mut self, rx: &mut [u8]) -> core::ops::Range<usize> {
        // It reads (`Socket::reads`), or drops what it is given while it waits for the end:
        // in every phase but CLOSED, until the end of the stream. The common case is one of
        // those, without an inflater.
        if !self.common() && (self.rx.ended() || matches!(self.phase, Phase::Closed)) {
            return 0..0;
        }
        // Built with permessage-deflate, the common case skips the inflater's checks;
        // without it, `space_range` has none.
        #[cfg(feature = "deflate")]
        if self.common() {
            return self.rx.frame_space_range(rx);
        }
        self.rx.space_range(rx)
    }

    /// [`Socket::input_range`] when it moves no byte: the common case with room, and no
    /// parsed byte to reclaim (or an event holding the buffer: none may move). `None`: ask
    /// `input_range`. Needs the buffer's length only.
    #[inline]
    pub(crate) fn room_as_is(&self, rx_len: usize) -> Option<core::ops::Range<usize>> {
        if self.common() { self.rx.room_as_is(rx_len) } else { None }
    }

    /// The stream ended (EOF) or failed; takes effect once the bytes before it are parsed.
    pub(crate) fn stream_end<R: Rng>(&mut self, env: &mut Env<'_, R>, rx: &mut [u8], end: StreamEnd) {
        if !matches!(self.phase, Phase::Closed) {
            self.rx.end_stream(end);
            self.refresh_common();
            self.pump(env, rx);
        }
    }

    /// Applies every timer due at `env.now`; while events wait to be polled, only once they
    /// are (S11: the state of a waiting event is the state it was queued in).
    pub(crate) fn timeout<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        // Each timer with its flag, both indexed by [`Timer`].
        for (timer, expired) in self.timers.iter_mut().zip(&mut self.expired) {
            if timer.is_due(env.now) {
                *timer = Deadline::NEVER;
                *expired = true;
            }
        }
        // The two are never armed at once; were both expired, the other would come from the
        // next pump.
        if self.events.is_empty()
            && let Some(input) = self.take_expired()
        {
            self.on(env, input);
        }
        self.refresh_common();
    }

    /// The input of a timer that expired and has not taken effect yet.
    fn take_expired(&mut self) -> Option<Input<'static>> {
        match &mut self.expired {
            [connect @ true, _] => {
                *connect = false;
                Some(Input::ConnectTimeout)
            }
            [_, close @ true] => {
                *close = false;
                Some(Input::CloseTimeout)
            }
            [false, false] => None,
        }
    }

    /// Parses buffered bytes into inputs of the table until an event waits or more bytes are
    /// needed. Only new input and event polling call it (S11: state follows event order).
    pub(crate) fn pump<R: Rng>(&mut self, env: &mut Env<'_, R>, rx: &mut [u8]) {
        if !self.pump_message(rx) {
            self.pump_all(env, rx);
        }
    }

    /// Whether [`Socket::pump`] would find nothing to do, in the common case: no event
    /// waits, no timer waits to take effect, the stream has not ended, and every buffered
    /// byte is parsed, between messages. Polling a task whose peer sent nothing new (every
    /// call that asks whether any task has an event asks each) then costs a few loads, not
    /// a parse (`Client::next_event_ready` asks before it calls out of line to parse). Not on
    /// bare metal ([`fast_paths`]), where flash is short: the parse finds nothing too.
    #[inline]
    pub(crate) fn nothing_to_parse(&self) -> bool {
        fast_paths() && self.events.is_empty() && self.common() && self.rx.all_parsed()
    }

    /// [`Socket::pump`]'s common case: a whole message in one frame, in the common case
    /// ([`Socket::common_case`]: OPEN or CLOSING before the peer's close, no timer waiting
    /// to take effect, no inflater) and no event waiting: the table's transition for it is
    /// to queue the message. Whether it was that.
    ///
    /// Inline (in [`Socket::input_written_alone`], every message's path). Not on bare metal
    /// ([`fast_paths`]), where flash is short: `pump_all` parses the same message.
    #[inline]
    fn pump_message(&mut self, rx: &mut [u8]) -> bool {
        if fast_paths()
            && self.events.is_empty()
            && self.common()
            && let Some(kind) = self.rx.whole_message_frame(rx, self.whole_bound)
        {
            // Fits: no event waits.
            self.events.push_back(Pending::Message(kind));
            return true;
        }
        false
    }

    /// Takes `n` bytes the driver wrote into [`Socket::input_range`] (drops them when the
    /// task reads no more), and parses them when they make [`Socket::pump`]'s common case,
    /// without the task's context; `false` when they need `pump`.
    #[inline]
    pub(crate) fn input_written_alone(&mut self, rx: &mut [u8], n: usize) -> bool {
        // The common case reads (`Socket::reads`): one flag for both tests, and for
        // `pump_message`'s (outside the common case it takes nothing).
        if !self.common() {
            if self.reads() {
                self.rx.commit(rx.len(), n);
                return false;
            }
            return true;
        }
        self.rx.commit(rx.len(), n);
        self.pump_message(rx)
    }

    /// [`Socket::pump`] past its common case, out of line.
    #[inline(never)]
    pub(crate) fn pump_all<R: Rng>(&mut self, env: &mut Env<'_, R>, rx: &mut [u8]) {
        while self.events.is_empty() {
            let Some(input) = self.parse(env, rx) else { return };
            self.on(env, input);
        }
    }

    /// The next input the buffered bytes (or the stream's end) make, if any.
    fn parse<'r, R>(&mut self, env: &mut Env<'_, R>, rx: &'r mut [u8]) -> Option<Input<'r>> {
        // A timer that expired behind the events just handed out comes before the bytes.
        if let Some(input) = self.take_expired() {
            return Some(input);
        }
        match &self.phase {
            Phase::Connecting { .. } => self.parse_response(env, rx),
            Phase::Open | Phase::Closing { peer: None } => {
                match self.rx.advance(rx, inflater(env), &self.limits) {
                    Err(e) => Some(Input::Violation(e)),
                    Ok(None) => self.rx.take_end().map(Input::End),
                    Ok(Some(output)) => Some(frame_input(output, rx)),
                }
            }
            Phase::Closing { peer: Some(_) } | Phase::Failing { .. } | Phase::Closed => {
                self.rx.discard();
                self.rx.take_end().map(Input::End)
            }
        }
    }

    /// [`Socket::parse`] in CONNECTING: the handshake response, once its header block is
    /// all there. Out of line: once per task, and its checks are long.
    ///
    /// A response that arrives whole, the common case, ends where httparse's parse of it
    /// ends it ([`parse_whole`]): no search of its own. That parse is tried on the first
    /// bytes only (nothing was scanned yet): past them, the end is searched for from where
    /// the last search got ([`find_end`]), so a server that sends a byte at a time costs no
    /// more than a look at each; the block is parsed once it is all there. Bare metal
    /// ([`fast_paths`]) always searches first: one way to the block is less flash.
    #[inline(never)]
    fn parse_response<'r, R>(&mut self, env: &Env<'_, R>, rx: &'r mut [u8]) -> Option<Input<'r>> {
        let Phase::Connecting { accept, scanned, deflate } = &mut self.phase else { return None };
        let filled = self.rx.filled();
        let limit = self.header_limit;
        let buffered = rx.get(..filled).unwrap_or_default();
        let mut fields = Fields::new();
        let whole = if fast_paths() && *scanned == 0 { parse_whole(buffered, &mut fields) } else { None };
        let end = match whole.map(|parsed| parsed.end).or_else(|| find_end(buffered, *scanned)) {
            Some(end) if end <= limit => end,
            None if filled < limit => {
                *scanned = filled;
                return self.rx.take_end().map(Input::End);
            }
            _ => return Some(Input::Refused(HandshakeError::HeaderBlockTooLarge { limit })),
        };
        let block = rx.get_mut(..end).unwrap_or_default();
        let check = env.config.protocol_check;
        let (offered, deflate) = (&self.offered, deflate.as_ref());
        let result = match whole {
            Some(parsed) => judge(block, &fields, parsed, accept, offered, check, deflate),
            None => validate_in(block, &mut fields, accept, offered, check, deflate),
        };
        Some(match result {
            // The block is bounded by `max_header_block`: a protocol past 4 GiB into it
            // cannot be.
            Ok(Accepted { protocol, negotiated: deflate, lines }) => Input::Opened {
                block,
                protocol: protocol.and_then(narrow),
                deflate,
                lines: u32::try_from(lines).unwrap_or(0),
            },
            Err(Rejection::Handshake(e)) => Input::Refused(e),
            Err(Rejection::Extension(e)) => Input::Refused(HandshakeError::Extension(e)),
        })
    }
}

/// The inflater's state a parse hands to `Receive::advance`: the slot's, or an empty one
/// without permessage-deflate.
#[inline(always)]
fn inflater<'a, R>(env: &'a mut Env<'_, R>) -> &'a mut super::Inflater {
    #[cfg(feature = "deflate")]
    return env.inflater;
    #[cfg(not(feature = "deflate"))]
    {
        let _ = env;
        &mut []
    }
}
