//! One task's lifecycle (S9–S19): its phase, and every transition between phases, in one
//! place.
//!
//! ```text
//! Connecting ──101 valid──▶ Open ──close()──────────▶ Closing{peer: None} ──peer close──▶ Closing{peer}
//!     │                      │ ──peer close (reply)─▶ Closing{peer}        ──EOF / timeout──▶ Closed
//!     │                      └──protocol error──────▶ Failing ──close frame flushed / timeout──▶ Closed
//!     └──bad response / timeout / EOF / transport error / close()──▶ Closed
//! ```
//!
//! The output side (bytes for the wire, events out, the end of an event's loan) is in
//! [`output`]. The socket owns no buffer: every call gets the task's receive and send buffers, the RNG
//! and the config through [`Env`].

use core::ops::Range;
use core::time::Duration;

use heapless::{Deque, String, Vec};
use rand_core::Rng;

use crate::MAX_PROTOCOLS_BYTES;

mod output;
use crate::close_code::CloseCode;
use crate::config::{Config, FailureEvents};
use crate::error::{CloseError, HandshakeError, ProtocolError, SendError, TaskError, TransportError};
use crate::event::Message;
use crate::frame::OpCode;
use crate::frame::close::{MAX_REASON_LEN, encode_close_payload, parse_close};
use crate::handshake::Accept;
use crate::handshake::response::{find_end, validate};
use crate::ready_state::ReadyState;
use crate::receive::{Compact, FrameLimits, MessageKind, Output, RX_OVERHEAD, Receive};
use crate::time::Instant;
use crate::transmit::{QueueError, Reserve, Transmit};

/// The reason reported with 1006.
const ABNORMAL_REASON: &str = "abnormal closure";

/// A close reason, at most 123 bytes.
pub(crate) type Reason = String<MAX_REASON_LEN>;

/// What one call on a task works with.
pub(crate) struct Env<'e, R> {
    pub(crate) rx: &'e mut [u8],
    pub(crate) tx: &'e mut [u8],
    pub(crate) rng: &'e mut R,
    pub(crate) config: &'e Config,
    pub(crate) now: Instant,
}

impl<R: Rng> Env<'_, R> {
    fn mask(&mut self) -> [u8; 4] {
        self.rng.next_u32().to_ne_bytes()
    }
}

/// The task's timers, indexing [`Socket::timers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// S6: TCP + TLS + upgrade.
    Connect = 0,
    /// From `close()` (or the peer's close, or a failure) until CLOSED.
    Close = 1,
}

/// When `timer` is due, if it is armed.
fn timer(timers: &[Option<Instant>; 2], timer: Timer) -> Option<Instant> {
    timers.get(timer as usize).copied().flatten()
}

/// Arms (`Some`) or stops (`None`) `timer`.
fn set_timer(timers: &mut [Option<Instant>; 2], timer: Timer, at: Option<Instant>) {
    if let Some(slot) = timers.get_mut(timer as usize) {
        *slot = at;
    }
}

/// The close the peer sent.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PeerClose {
    code: CloseCode,
    reason: Reason,
}

/// Where the task is in its life; each variant holds what only that phase needs.
#[derive(Clone, Debug)]
enum Phase {
    /// Waiting for the handshake response.
    Connecting {
        accept: Accept,
        offered: String<MAX_PROTOCOLS_BYTES>,
        scanned: usize,
    },
    Open,
    /// A close frame went out; waiting for the peer's close (if not yet here) and the end of
    /// the stream.
    Closing {
        peer: Option<PeerClose>,
    },
    /// The client failed the connection: its close frame is being flushed.
    Failing {
        code: CloseCode,
        reason: &'static str,
    },
    Closed,
}

/// How the byte stream ended, applied once every buffered byte is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamEnd {
    Eof,
    Error(TransportError),
}

/// An event waiting to be polled. Open and Message borrow the receive buffer (see `held`).
#[derive(Clone, Debug)]
enum Pending {
    Open,
    Message,
    Error(TaskError),
    /// `onClose`; its reason waits in [`Socket::close_reason`] (one close per task).
    Close(CloseCode),
}

/// Receive-buffer bytes an undelivered or just-delivered event borrows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Held {
    Nothing,
    Headers { end: usize, protocol: Option<Range<usize>> },
    Message(MessageKind, Range<usize>),
}

/// What a new task needs besides its buffers.
pub(crate) struct Handshake {
    pub(crate) accept: Accept,
    pub(crate) offered: String<MAX_PROTOCOLS_BYTES>,
    pub(crate) timeout: Duration,
}

/// One task.
#[derive(Clone, Debug)]
pub(crate) struct Socket {
    phase: Phase,
    rx: Receive,
    tx: Transmit,
    events: Deque<Pending, 4>,
    timers: [Option<Instant>; 2],
    held: Held,
    /// Set by `pop_event` when it handed out `held`'s bytes; cleared by `release`, which then
    /// frees them. Only ever true while `held` is set, so `held == Nothing` alone says the
    /// buffer is free to parse into and move.
    lent: bool,
    end: Option<StreamEnd>,
    errored: bool,
    pending_pong: Option<Vec<u8, 125>>,
    /// The reason of the task's one `onClose`, kept outside the event queue so queue entries
    /// stay small.
    close_reason: Reason,
    limits: FrameLimits,
    header_limit: usize,
}

impl Socket {
    /// A task in CONNECTING whose request `tx` already holds (`queued` bytes).
    pub(crate) fn new(
        handshake: Handshake,
        queued: Transmit,
        now: Instant,
        config: &Config,
        rx_len: usize,
    ) -> Self {
        let limits = &config.limits;
        let max_message = limits.max_message_size.min(rx_len.saturating_sub(RX_OVERHEAD));
        let mut timers = [None; 2];
        set_timer(&mut timers, Timer::Connect, Some(now + handshake.timeout));
        Socket {
            phase: Phase::Connecting { accept: handshake.accept, offered: handshake.offered, scanned: 0 },
            rx: Receive::default(),
            tx: queued,
            events: Deque::new(),
            timers,
            held: Held::Nothing,
            lent: false,
            end: None,
            errored: false,
            pending_pong: None,
            close_reason: Reason::new(),
            limits: FrameLimits {
                max_frame: u64::try_from(limits.max_frame_size).unwrap_or(u64::MAX),
                max_message,
                max_fragments: limits.max_fragments,
            },
            header_limit: limits.max_header_block.min(rx_len),
        }
    }

    /// The `readyState` (S9).
    pub(crate) fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Connecting { .. } => ReadyState::Connecting,
            Phase::Open => ReadyState::Open,
            Phase::Closing { .. } | Phase::Failing { .. } => ReadyState::Closing,
            Phase::Closed => ReadyState::Closed,
        }
    }

    /// Whether the slot can be reused: CLOSED, every event polled and released.
    pub(crate) fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Closed) && self.events.is_empty() && self.held == Held::Nothing
    }

    /// Bytes queued for the wire.
    pub(crate) fn buffered_amount(&self) -> usize {
        self.tx.queued()
    }

    /// The earliest armed timer.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }

    // ---- input ------------------------------------------------------------------------

    /// Whether the task reads more input now (it does not while an event borrows the buffer
    /// or after it stopped listening).
    fn accepts_input(&self) -> bool {
        self.held == Held::Nothing && self.accepts_bytes()
    }

    fn accepts_bytes(&self) -> bool {
        match &self.phase {
            Phase::Connecting { .. } | Phase::Open => self.end.is_none(),
            Phase::Closing { peer } => peer.is_none() && self.end.is_none(),
            Phase::Failing { .. } | Phase::Closed => false,
        }
    }

    /// Takes as much of `data` as the receive buffer holds and parses it.
    pub(crate) fn input<R: Rng>(&mut self, env: &mut Env<'_, R>, data: &[u8]) -> usize {
        if !self.accepts_bytes() {
            return data.len();
        }
        let mut consumed = 0;
        while let Some(rest) = data.get(consumed..).filter(|r| !r.is_empty()) {
            let n = self.rx.push(env.rx, rest, self.compact());
            consumed += n;
            self.pump(env);
            if n == 0 || !self.accepts_bytes() {
                break;
            }
        }
        if !self.accepts_bytes() { data.len() } else { consumed }
    }

    /// The free part of the receive buffer, for a driver that reads in place.
    pub(crate) fn input_space<'b>(&mut self, rx: &'b mut [u8]) -> &'b mut [u8] {
        if !self.accepts_input() {
            return &mut [];
        }
        self.rx.space(rx, self.compact())
    }

    /// Parses `n` bytes the driver wrote into [`Socket::input_space`].
    pub(crate) fn input_written<R: Rng>(&mut self, env: &mut Env<'_, R>, n: usize) {
        if self.accepts_input() {
            self.rx.commit(env.rx.len(), n);
            self.pump(env);
        }
    }

    fn compact(&self) -> Compact {
        if self.held == Held::Nothing { Compact::Allowed } else { Compact::Forbidden }
    }

    /// The stream ended (EOF) or failed; applied once buffered bytes are parsed.
    pub(crate) fn stream_end<R: Rng>(&mut self, env: &mut Env<'_, R>, end: StreamEnd) {
        if self.end.is_none() && !matches!(self.phase, Phase::Closed) {
            self.end = Some(end);
            self.pump(env);
        }
    }

    /// Parses buffered bytes until an event borrows the buffer or more bytes are needed;
    /// then applies a stream end.
    fn pump<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        while self.held == Held::Nothing {
            let progressed = match self.phase {
                Phase::Connecting { .. } => self.pump_handshake(env),
                Phase::Open | Phase::Closing { peer: None } => self.pump_frames(env),
                Phase::Closing { peer: Some(_) } | Phase::Failing { .. } | Phase::Closed => {
                    self.rx.discard();
                    false
                }
            };
            if !progressed {
                break;
            }
        }
        if self.held == Held::Nothing
            && let Some(end) = self.end.take()
        {
            self.apply_stream_end(env, end);
        }
    }

    fn pump_handshake<R: Rng>(&mut self, env: &mut Env<'_, R>) -> bool {
        let Phase::Connecting { accept, offered, scanned } = &mut self.phase else { return false };
        let filled = self.rx.filled();
        let buf = env.rx.get(..filled).unwrap_or_default();
        let limit = self.header_limit;
        let result = match find_end(buf, *scanned) {
            None if filled >= limit => Err(HandshakeError::HeaderBlockTooLarge { limit }),
            None => {
                *scanned = filled;
                return false;
            }
            Some(end) if end > limit => Err(HandshakeError::HeaderBlockTooLarge { limit }),
            Some(end) => {
                let block = buf.get(..end).unwrap_or_default();
                validate(block, accept, offered, env.config.protocol_check).map(|p| (end, p))
            }
        };
        match result {
            Ok((end, protocol)) => self.open(end, protocol),
            Err(e) => self.fail_before_open(env, TaskError::Handshake(e)),
        }
        true
    }

    fn open(&mut self, end: usize, protocol: Option<Range<usize>>) {
        self.phase = Phase::Open;
        set_timer(&mut self.timers, Timer::Connect, None);
        self.rx.start_frames(end);
        self.held = Held::Headers { end, protocol };
        self.push(Pending::Open);
    }

    fn pump_frames<R: Rng>(&mut self, env: &mut Env<'_, R>) -> bool {
        match self.rx.advance(env.rx, &self.limits) {
            Err(e) => {
                self.fail(env, e);
                true
            }
            Ok(None) => false,
            Ok(Some(out)) => {
                self.on_output(env, out);
                true
            }
        }
    }

    fn on_output<R: Rng>(&mut self, env: &mut Env<'_, R>, out: Output) {
        match out {
            Output::Message(kind, range) => {
                self.held = Held::Message(kind, range);
                self.push(Pending::Message);
            }
            Output::Ping(range) => {
                // RFC 6455 §5.5.2: an endpoint MUST send a Pong frame in response, with the
                // same Application data, unless it already received a Close frame.
                if matches!(self.phase, Phase::Open) {
                    let mut payload = Vec::<u8, 125>::new();
                    let _ = payload.extend_from_slice(env.rx.get(range).unwrap_or_default());
                    self.queue_pong(env, payload);
                }
            }
            Output::Pong => {}
            Output::Close(range) => match parse_close(env.rx.get(range).unwrap_or_default()) {
                Ok(close) => {
                    let peer = PeerClose {
                        code: close.map_or(CloseCode::NO_STATUS, |c| c.0),
                        reason: close.and_then(|c| Reason::try_from(c.1).ok()).unwrap_or_default(),
                    };
                    self.on_peer_close(env, peer, close.is_some());
                }
                Err(e) => self.fail(env, e),
            },
        }
    }

    /// S19: reply to a close echoing its code, then wait for the server to end the stream.
    fn on_peer_close<R: Rng>(&mut self, env: &mut Env<'_, R>, peer: PeerClose, had_code: bool) {
        match &mut self.phase {
            Phase::Open => {
                self.pending_pong = None;
                // RFC 6455 §5.5.1: the endpoint MUST send a Close frame in response,
                // typically echoing the status code it received.
                let echo = had_code.then_some((peer.code, ""));
                self.queue_close(env, echo);
                self.arm_close(env);
                self.phase = Phase::Closing { peer: Some(peer) };
            }
            Phase::Closing { peer: slot @ None } => *slot = Some(peer),
            _ => {}
        }
        self.rx.discard();
    }

    fn apply_stream_end<R: Rng>(&mut self, env: &mut Env<'_, R>, end: StreamEnd) {
        let error = match end {
            StreamEnd::Eof => None,
            StreamEnd::Error(e) => Some(TaskError::Transport(e)),
        };
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Connecting { .. } => {
                let e = error.unwrap_or(TaskError::Handshake(HandshakeError::Eof));
                self.fail_before_open(env, e);
            }
            Phase::Closing { peer: Some(peer) } => self.finish(peer.code, &peer.reason),
            Phase::Failing { code, reason } => self.finish(code, reason),
            Phase::Open | Phase::Closing { peer: None } => {
                if let Some(e) = error {
                    self.push_error(e);
                }
                self.finish(CloseCode::ABNORMAL, ABNORMAL_REASON);
            }
            Phase::Closed => {}
        }
    }

    // ---- failure and the end -----------------------------------------------------------

    /// S12: a failure before OPEN: `onError` only (or then `onClose { 1006 }`), CLOSED.
    fn fail_before_open<R: Rng>(&mut self, env: &Env<'_, R>, error: TaskError) {
        self.push_error(error);
        match env.config.failure_events {
            FailureEvents::ErrorOnly => self.enter_closed(),
            FailureEvents::ErrorThenClose => self.finish(CloseCode::ABNORMAL, ABNORMAL_REASON),
        }
    }

    /// S13, S17–S20: the server broke the protocol; fail the connection with its code.
    fn fail<R: Rng>(&mut self, env: &mut Env<'_, R>, error: ProtocolError) {
        self.push_error(TaskError::Protocol(error));
        self.rx.discard();
        let code = error.close_code();
        let reason = error.reason();
        match self.phase {
            Phase::Open => {
                self.pending_pong = None;
                self.queue_close(env, Some((code, reason)));
                self.arm_close(env);
                self.phase = Phase::Failing { code, reason };
            }
            Phase::Closing { .. } => {
                self.phase = Phase::Failing { code, reason };
                self.finish_if_flushed();
            }
            _ => {}
        }
    }

    fn finish_if_flushed(&mut self) {
        if self.tx.queued() == 0
            && let Phase::Failing { code, reason } = self.phase
        {
            self.finish(code, reason);
        }
    }

    /// CLOSED, with `onClose { code, reason }` as the last event.
    fn finish(&mut self, code: CloseCode, reason: &str) {
        self.enter_closed();
        self.close_reason = Reason::try_from(reason).unwrap_or_default();
        self.push(Pending::Close(code));
    }

    fn enter_closed(&mut self) {
        self.phase = Phase::Closed;
        self.timers = [None; 2];
        self.tx.clear();
        self.pending_pong = None;
        if self.held == Held::Nothing {
            self.rx.discard();
        }
    }

    fn push_error(&mut self, error: TaskError) {
        if !self.errored {
            self.errored = true;
            self.push(Pending::Error(error));
        }
    }

    fn push(&mut self, event: Pending) {
        // At most one Open, Message, Error and Close wait at once: 4 fits by construction.
        let _ = self.events.push_back(event);
    }

    // ---- timers ------------------------------------------------------------------------

    fn arm_close<R>(&mut self, env: &Env<'_, R>) {
        set_timer(&mut self.timers, Timer::Close, Some(env.now + env.config.close_timeout));
    }

    /// Applies every timer due at `env.now`.
    pub(crate) fn timeout<R: Rng>(&mut self, env: &mut Env<'_, R>) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= env.now);
        if due(timer(&self.timers, Timer::Connect)) {
            set_timer(&mut self.timers, Timer::Connect, None);
            if matches!(self.phase, Phase::Connecting { .. }) {
                self.fail_before_open(env, TaskError::Timeout);
            }
        }
        if due(timer(&self.timers, Timer::Close)) {
            set_timer(&mut self.timers, Timer::Close, None);
            match core::mem::replace(&mut self.phase, Phase::Closed) {
                Phase::Closing { peer: Some(peer) } => self.finish(peer.code, &peer.reason),
                Phase::Failing { code, reason } => self.finish(code, reason),
                Phase::Closing { peer: None } => self.finish(CloseCode::ABNORMAL, ABNORMAL_REASON),
                other => self.phase = other,
            }
        }
    }

    // ---- commands ----------------------------------------------------------------------

    /// S14: queues a text or binary message as one frame.
    pub(crate) fn send<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        message: Message<'_>,
    ) -> Result<(), SendError> {
        let opcode = match message {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
        };
        self.queue_data(env, opcode, message.as_bytes())
    }

    /// Queues a ping (at most 125 bytes of payload).
    pub(crate) fn ping<R: Rng>(&mut self, env: &mut Env<'_, R>, payload: &[u8]) -> Result<(), SendError> {
        if payload.len() > 125 {
            return Err(SendError::MessageTooLarge { required: payload.len(), limit: 125 });
        }
        self.queue_data(env, OpCode::Ping, payload)
    }

    fn queue_data<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        opcode: OpCode,
        payload: &[u8],
    ) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Open) {
            return Err(SendError::NotOpen(self.ready_state()));
        }
        let mask = env.mask();
        self.tx.push_frame(env.tx, (opcode, true), mask, payload, Reserve::Data).map_err(|e| match e {
            QueueError::Full { required, available } => SendError::BufferFull { required, available },
            QueueError::TooLarge { required, limit } => SendError::MessageTooLarge { required, limit },
        })
    }

    /// S15, S16: starts the close handshake (or aborts a connect).
    pub(crate) fn close<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), CloseError> {
        let code = code.unwrap_or(CloseCode::NORMAL);
        if !code.is_allowed_for_close() {
            return Err(CloseError::InvalidCode(code));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(CloseError::ReasonTooLong { len: reason.len() });
        }
        match self.phase {
            Phase::Connecting { .. } => self.finish(CloseCode::ABNORMAL, ABNORMAL_REASON),
            Phase::Open => {
                self.pending_pong = None;
                self.queue_close(env, Some((code, reason)));
                self.arm_close(env);
                self.phase = Phase::Closing { peer: None };
            }
            Phase::Closing { .. } | Phase::Failing { .. } => {}
            Phase::Closed => return Err(CloseError::NotConnected),
        }
        Ok(())
    }

    fn queue_close<R: Rng>(&mut self, env: &mut Env<'_, R>, close: Option<(CloseCode, &str)>) {
        let mut payload = [0; 125];
        let len = encode_close_payload(close, &mut payload);
        let mask = env.mask();
        let payload = payload.get(..len).unwrap_or_default();
        // The close share of the buffer is always free (see transmit::DATA_RESERVE).
        let _ = self.tx.push_frame(env.tx, (OpCode::Close, true), mask, payload, Reserve::Close);
    }

    fn queue_pong<R: Rng>(&mut self, env: &mut Env<'_, R>, payload: Vec<u8, 125>) {
        let mask = env.mask();
        match self.tx.push_frame(env.tx, (OpCode::Pong, true), mask, &payload, Reserve::Pong) {
            // A pong still waiting for room answers an older ping: sent after this one, it
            // would answer the pings out of order. Drop it; §5.5.3 allows answering only the
            // most recent ping.
            Ok(()) => self.pending_pong = None,
            // RFC 6455 §5.5.3: answering only the most recent ping is allowed.
            Err(_) => self.pending_pong = Some(payload),
        }
    }
}
