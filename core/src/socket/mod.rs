//! One task's lifecycle (S9–S19): its phase, and every transition between phases, in one
//! place: [`Socket::on`], a flat `match (phase, input)`.
//!
//! ```text
//! Connecting ──101 valid──▶ Open ──close()──────────▶ Closing{peer: None} ──peer close──▶ Closing{peer}
//!     │                      │ ──peer close (reply)─▶ Closing{peer}        ──EOF / timeout──▶ Closed
//!     │                      └──protocol error──────▶ Failing ──close frame flushed / EOF / timeout──▶ Closed
//!     └──bad response / timeout / EOF / transport error / close()──▶ Closed
//! ```
//!
//! **State follows event order** (S11). Parsing turns buffered bytes into inputs of the
//! table only while no event waits ([`Socket::pump`]), and only input calls and event polling
//! pump; commands and queries never do. So while the caller handles event k, the task is in
//! the state of event k: a close frame or a protocol error buffered behind a message takes
//! effect when the next event is polled, and a `send` made while handling the message goes
//! out before the close frame. A timer that expires while events wait is held back the same
//! way ([`Socket::timeout`]): it takes effect once they are polled.
//!
//! The receive buffer is never part of [`Env`]: transitions only queue frames and events,
//! and the output side ([`output`]) hands out text validated from the very bytes it hands out.
//!
//! The log lines of a task's life ([`crate::log`]) are written by the arms of the table and
//! the helpers they call, so each one reports a transition that happened.

#[cfg(test)]
extern crate std;

use core::ops::Range;

use heapless::String;
use rand_core::Rng;

use crate::MAX_PROTOCOLS_BYTES;

mod events;
mod input;
mod output;
mod room;
#[cfg(test)]
mod tests;
use crate::close_code::CloseCode;
use crate::config::{Config, FailureEvents};
use crate::error::{CloseError, HandshakeError, ProtocolError, SendError, TaskError};
use crate::event::Message;
use crate::frame::close::{MAX_REASON_LEN, parse_close};
use crate::frame::mask::apply_mask;
use crate::frame::{Head, OpCode, max_payload_len};
use crate::handshake::Accept;
use crate::handshake::extension::{Negotiated, PerMessageDeflate};
use crate::log::{Cause, debug, info, log_closing};
use crate::ready_state::ReadyState;
pub(crate) use crate::receive::Inflater;
pub(crate) use crate::receive::StreamEnd;
use crate::receive::{Control, FrameLimits, MessageKind, Output, RX_OVERHEAD, Receive};
use crate::time::{Deadline, Instant};
use crate::transmit::{CONTROL_PAYLOAD_MAX, QueueError, Reserve, Transmit, max_data_payload};
use events::Events;

/// Whether the calls every message makes take their common cases (a whole message in one
/// frame parsed in one step, [`Socket::pump_message`]; room found and a message handed out
/// without a call, in `Client`): on hosted targets, where they save instructions. On bare
/// metal, where flash is short, the general path alone serves.
#[cfg(not(test))]
#[inline(always)]
pub(crate) const fn fast_paths() -> bool {
    cfg!(not(any(target_os = "none", sockettask_general_paths)))
}

/// [`fast_paths`] in the unit tests: on, unless a test runs a task as bare metal would
/// ([`general`]), to hold both against each other (`client`'s
/// `the_fast_paths_agree_with_the_general_ones`).
#[cfg(test)]
pub(crate) fn fast_paths() -> bool {
    FAST.with(core::cell::Cell::get)
}

#[cfg(test)]
std::thread_local! {
    // Off from the start under `--cfg sockettask_general_paths`: the whole suite then runs
    // as on bare metal.
    static FAST: core::cell::Cell<bool> =
        const { core::cell::Cell::new(!cfg!(any(target_os = "none", sockettask_general_paths))) };
}

/// Runs `f` without the common cases, as on bare metal ([`fast_paths`] is `false` in it),
/// then restores the switch, even when `f` panics (a proptest case that fails, then shrinks,
/// on the same thread).
#[cfg(test)]
pub(crate) fn general<T>(f: impl FnOnce() -> T) -> T {
    /// Puts the switch back as it was on drop.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            FAST.with(|fast| fast.set(self.0));
        }
    }
    let _restore = Restore(FAST.with(|fast| fast.replace(false)));
    f()
}

/// The reason reported with 1006.
const ABNORMAL_REASON: &str = "abnormal closure";

/// A close reason, at most 123 bytes.
pub(crate) type Reason = String<MAX_REASON_LEN>;

/// What a transition works with besides the task: the send buffer, the RNG, the config and
/// the time, and the task's `socketTaskId` for the logs. Never the receive buffer (see the
/// module docs).
pub(crate) struct Env<'e, R> {
    pub(crate) tx: &'e mut [u8],
    pub(crate) rng: &'e mut R,
    pub(crate) config: &'e Config,
    pub(crate) now: Instant,
    /// The `socketTaskId`: only the log lines read it.
    pub(crate) id: u64,
    /// The client's bound on every task's timers (`Client::handle_timeout` skips the
    /// tasks while the time is before it): a timer armed here lowers it ([`Env::arm`]).
    pub(crate) due: &'e mut Deadline,
    /// The inflater's state (permessage-deflate; nothing without): the slot's, beside the
    /// task, so that a task stays small to build and move (see `Inflater`).
    pub(crate) inflater: InflaterMut<'e>,
}

/// The inflater's state as a transition gets it ([`Env::inflater`]): the slot's, or nothing
/// at all without permessage-deflate.
#[cfg(feature = "deflate")]
pub(crate) type InflaterMut<'e> = &'e mut Inflater;
/// The inflater's state as a transition gets it ([`Env::inflater`]): the slot's, or nothing
/// at all without permessage-deflate.
#[cfg(not(feature = "deflate"))]
pub(crate) type InflaterMut<'e> = core::marker::PhantomData<&'e mut Inflater>;

/// [`InflaterMut`] lent again, for one more transition.
#[inline(always)]
pub(crate) fn relend<'a>(inflater: &'a mut InflaterMut<'_>) -> InflaterMut<'a> {
    #[cfg(feature = "deflate")]
    return inflater;
    #[cfg(not(feature = "deflate"))]
    {
        let _ = inflater;
        core::marker::PhantomData
    }
}

/// A slot's inflater state, lent to a transition.
#[inline(always)]
pub(crate) fn lend(inflater: &mut Inflater) -> InflaterMut<'_> {
    #[cfg(feature = "deflate")]
    return inflater;
    #[cfg(not(feature = "deflate"))]
    {
        let _ = inflater;
        core::marker::PhantomData
    }
}

impl<R> Env<'_, R> {
    /// Arms `timer` of `timers` at `at`, and keeps the client's bound at or before it.
    fn arm(&mut self, timers: &mut [Deadline; 2], timer: Timer, at: Instant) {
        let at = Deadline::at(at);
        set_timer(timers, timer, at);
        *self.due = (*self.due).min(at);
    }
}

impl<R: Rng> Env<'_, R> {
    /// The send buffer, and a source of mask keys (RFC 6455 §5.3: "a fresh masking key"
    /// per frame) to draw from only once a frame is accepted.
    fn tx_and_mask(&mut self) -> (&mut [u8], impl FnOnce() -> [u8; 4]) {
        let rng = &mut *self.rng;
        (&mut *self.tx, move || rng.next_u32().to_ne_bytes())
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

/// Where the task is in its life; each variant holds what only that phase needs.
#[derive(Clone, Debug)]
enum Phase {
    /// Waiting for the handshake response.
    Connecting {
        accept: Accept,
        scanned: usize,
        /// The `permessage-deflate` offer sent, if any.
        deflate: Option<PerMessageDeflate>,
    },
    Open,
    /// A close frame went out; waiting for the peer's close (`Some(code)` once here, its
    /// reason in [`Socket::close_reason`]) and the end of the stream.
    Closing {
        peer: Option<CloseCode>,
    },
    /// The client failed the connection: its close frame is being flushed.
    Failing {
        code: CloseCode,
        reason: &'static str,
    },
    Closed,
}

/// What moves a task: the inputs of [`Socket::on`].
#[derive(Debug)]
enum Input<'a> {
    /// The handshake response is complete and valid: `block` is its header block, from the
    /// start of the receive buffer; `protocol` the chosen subprotocol's place in it.
    Opened {
        block: &'a [u8],
        protocol: Option<(u32, u32)>,
        deflate: Option<Negotiated>,
        /// Where the header lines end in `block` (see [`Headers::from_lines`]).
        ///
        /// [`Headers::from_lines`]: crate::handshake::Headers::from_lines
        lines: u32,
    },
    /// The handshake response is complete and invalid, or too large.
    Refused(HandshakeError),
    /// A whole message, held in the receive buffer ([`Receive::held_message`]).
    Message(MessageKind),
    Ping(&'a [u8]),
    Pong,
    /// The peer's close frame; `code` is `None` when it had no body.
    PeerClose {
        code: Option<CloseCode>,
        reason: &'a str,
    },
    /// The peer broke the protocol.
    Violation(ProtocolError),
    /// The stream ended, after every byte before it was parsed.
    End(StreamEnd),
    /// The caller's `close()`, already checked.
    Close {
        code: CloseCode,
        reason: &'a str,
    },
    ConnectTimeout,
    CloseTimeout,
    /// Every queued byte went out.
    Flushed,
}

/// An event waiting to be polled. Open and Message borrow the bytes the receive buffer
/// holds for them (the header block before the first frame: `lines` of it;
/// [`Receive::held_message`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    /// The chosen protocol's place in the header block (start, end), if any.
    Open {
        protocol: Option<(u32, u32)>,
        /// Where the header lines end in the block (`Input::Opened`'s `lines`).
        lines: u32,
    },
    Message(MessageKind),
    Error(TaskError),
    /// `onClose`; its reason waits in [`Socket::close_reason`] (one close per task).
    Close(CloseCode),
}

impl Pending {
    /// Whether the event borrows the receive buffer.
    fn borrows(&self) -> bool {
        matches!(self, Pending::Open { .. } | Pending::Message(..))
    }
}

/// What a new task needs besides its buffers and the protocols it offers (written into it
/// in place: [`Socket::offer_protocols`]).
pub(crate) struct Handshake {
    pub(crate) accept: Accept,
    /// When the connect timer (S6) fires: the connect timeout from the task's start.
    pub(crate) connect_by: Instant,
    pub(crate) deflate: Option<PerMessageDeflate>,
}

/// One task.
#[derive(Clone, Debug)]
pub(crate) struct Socket {
    phase: Phase,
    /// The protocols the request offered, as sent (`"a, b"`), for CONNECTING's check of the
    /// server's choice ([`Socket::offer_protocols`]). Not in [`Phase::Connecting`]: written
    /// in place, a new task's phase is small to build.
    offered: String<MAX_PROTOCOLS_BYTES>,
    rx: Receive,
    tx: Transmit,
    /// At most an open or a message, then an error and a close: parsing stops while an event
    /// waits, and error and close come once each.
    events: Events,
    timers: [Deadline; 2],
    /// Timers that expired while events waited to be polled, by [`Timer`]: they take effect
    /// once those events are handed out, like bytes buffered behind them (S11).
    expired: [bool; 2],
    /// The reason of the task's one `onClose`, kept outside the event queue so queue entries
    /// stay small.
    close_reason: Reason,
    limits: FrameLimits,
    /// `limits.whole_bound()`, for the common case ([`Receive::whole_message_frame`]).
    whole_bound: usize,
    header_limit: usize,
    /// The largest payload `send` takes: the message limit, bounded by the send buffer.
    max_send: usize,
    /// The `permessage-deflate` parameters the server accepted, once OPEN.
    deflate: Option<Negotiated>,
    /// The length the receive buffer may grow to (see [`crate::Buffers::growable`]).
    rx_max: usize,
    /// Whether input may take the common case ([`Socket::common_case`]): what that asks,
    /// cached, so the calls every message makes test one flag. Kept current where anything
    /// it depends on changes: after every transition ([`Socket::on`]), when a timer expires
    /// ([`Socket::timeout`]) and when the stream ends ([`Socket::stream_end`]).
    common: bool,
}

impl Socket {
    /// A task in CONNECTING whose request the send buffer already holds (its first `queued`
    /// bytes), over buffers that may reach `(rx_max, tx_max)` bytes, offering no protocol
    /// yet ([`Socket::offer_protocols`]).
    ///
    /// Inline (its one caller puts the task in its slot): the task is built where it goes,
    /// not built and then moved. Were it moved, it is small: the inflater's state (10.5 KB
    /// with permessage-deflate) is the slot's, not the task's ([`Env::inflater`]).
    #[inline(always)]
    pub(crate) fn new(
        handshake: Handshake,
        queued: usize,
        config: &Config,
        (rx_max, tx_max): (usize, usize),
    ) -> Self {
        let limits = &config.limits;
        // The message limit, the same both ways, bounded by what each buffer can hold.
        let max_message = limits.max_message_size.min(rx_max.saturating_sub(RX_OVERHEAD));
        let max_send = limits.max_message_size.min(max_data_payload(tx_max));
        let mut timers = [Deadline::NEVER; 2];
        set_timer(&mut timers, Timer::Connect, Deadline::at(handshake.connect_by));
        let frame_limits = FrameLimits {
            max_frame: limits.max_frame_size,
            max_message,
            max_fragments: limits.max_fragments,
        };
        Socket {
            phase: Phase::Connecting { accept: handshake.accept, scanned: 0, deflate: handshake.deflate },
            offered: String::new(),
            rx: Receive::default(),
            tx: Transmit::holding(queued),
            events: Events::default(),
            timers,
            expired: [false; 2],
            close_reason: Reason::new(),
            limits: frame_limits,
            // Only the common case reads it ([`fast_paths`]).
            whole_bound: if fast_paths() { frame_limits.whole_bound() } else { 0 },
            header_limit: limits.max_header_block.min(rx_max),
            max_send,
            deflate: None,
            rx_max,
            common: false,
        }
    }

    /// Keeps the protocols the request offered, as sent (`"a, b"`), to check the server's
    /// choice against. Written in place, once, right after [`Socket::new`]; at most
    /// [`MAX_PROTOCOLS_BYTES`] in all (the caller checked: [`joined_len`]).
    pub(crate) fn offer_protocols(&mut self, protocols: &[&str]) {
        let offered = &mut self.offered;
        for (i, p) in protocols.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            // Fits (the caller checked); `push_str`, not `write!`: no `core::fmt` (flash).
            let fits = offered.push_str(sep).and_then(|()| offered.push_str(p)).is_ok();
            debug_assert!(fits, "offered protocols longer than checked");
        }
    }

    /// Whether the input calls may take their common case: OPEN (or CLOSING before the
    /// peer's close: data still arrives), no timer expired behind waiting events, the stream
    /// not ended, no inflater (permessage-deflate). What the `common` field caches.
    fn common_case(&self) -> bool {
        matches!(self.phase, Phase::Open | Phase::Closing { peer: None })
            && self.expired == [false; 2]
            && !self.rx.ended()
            && !self.rx.inflating()
    }

    /// Brings the cached [`Socket::common_case`] up to date (nothing to cache on bare metal,
    /// which takes the general path alone: [`fast_paths()`]).
    fn refresh_common(&mut self) {
        if fast_paths() {
            self.common = self.common_case();
        }
    }

    /// The cached [`Socket::common_case`], checked against it in debug builds; `false` on
    /// bare metal ([`fast_paths`]).
    #[inline]
    fn common(&self) -> bool {
        if !fast_paths() {
            return false;
        }
        debug_assert_eq!(self.common, self.common_case(), "the cached common case is stale");
        self.common
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
        matches!(self.phase, Phase::Closed) && self.events.is_empty() && !self.rx.is_held()
    }

    /// Bytes queued for the wire (a payload sent in place counts until it is written).
    pub(crate) fn buffered_amount(&self) -> usize {
        self.tx.pending()
    }

    /// The earliest armed timer.
    pub(crate) fn poll_timeout(&self) -> Deadline {
        let [connect, close] = self.timers;
        connect.min(close)
    }

    /// The earliest instant at which [`Socket::timeout`] has something to do: a timer that
    /// already expired behind waiting events counts as due at [`Instant::ZERO`].
    #[inline]
    pub(crate) fn next_due(&self) -> Deadline {
        if self.expired != [false; 2] { Deadline::NOW } else { self.poll_timeout() }
    }

    // ---- the transition table ------------------------------------------------------------

    /// Every transition of the task. Pairs not listed change nothing: `close()` while CLOSING
    /// (S16: ok, no-op), a pong, a ping after a close frame went out, a timer or a flush
    /// that no longer matters. Every transition ends by bringing the cached common case
    /// ([`Socket::common_case`]) up to date.
    fn on<R: Rng>(&mut self, env: &mut Env<'_, R>, input: Input<'_>) {
        use {Cause as C, Input as I, Phase as P};
        match (&self.phase, input) {
            (P::Connecting { .. }, I::Opened { block, protocol, deflate, lines }) => {
                self.opened(env, block, protocol, deflate, lines)
            }
            (P::Connecting { .. }, I::Refused(e)) => self.fail_before_open(env, TaskError::Handshake(e)),
            (P::Connecting { .. }, I::End(end)) => self.fail_before_open(env, end.error_before_open()),
            (P::Connecting { .. }, I::ConnectTimeout) => self.fail_before_open(env, TaskError::Timeout),
            // S16: close() while CONNECTING aborts.
            (P::Connecting { .. }, I::Close { .. }) => self.abnormal(env, C::Client),
            (P::Open | P::Closing { peer: None }, I::Message(kind)) => self.push(Pending::Message(kind)),
            // RFC 6455 §5.5.2: an endpoint MUST send a Pong frame in response, with the same
            // Application data, unless it already received a Close frame.
            (P::Open, I::Ping(payload)) => {
                let (tx, mask) = env.tx_and_mask();
                self.tx.push_pong(tx, mask, payload);
            }
            (P::Open, I::Close { code, reason }) => {
                log_closing(env.id, C::Client, code, reason);
                self.start_closing(env, Some((code, reason)));
                self.phase = P::Closing { peer: None };
            }
            // S19, RFC 6455 §5.5.1: the endpoint MUST send a Close frame in response,
            // typically echoing the status code it received; then the server ends TCP.
            (P::Open | P::Closing { peer: None }, I::PeerClose { code, reason }) => {
                let mut by = C::Client;
                if let P::Open = self.phase {
                    self.start_closing(env, code.map(|c| (c, "")));
                    by = C::Peer;
                }
                self.peer_closed(env, by, code, reason);
            }
            // S13, S17–S20: fail the connection with the error's close code.
            (P::Open | P::Closing { .. }, I::Violation(e)) => {
                self.error(env, TaskError::Protocol(e));
                if let P::Open = self.phase {
                    log_closing(env.id, C::Failure, e.close_code(), e.reason());
                    self.start_closing(env, Some((e.close_code(), e.reason())));
                }
                self.failing(env, e);
            }
            (P::Open | P::Closing { peer: None }, I::End(end)) => {
                if let StreamEnd::Error(e) = end {
                    self.error(env, TaskError::Transport(e));
                }
                self.abnormal(env, Cause::of_end(end));
            }
            (P::Closing { peer: None }, I::CloseTimeout) => self.abnormal(env, C::Timeout),
            (&P::Closing { peer: Some(code) }, I::End(end)) => {
                self.finish_with_peer_reason(env, code, Cause::of_end(end))
            }
            (&P::Closing { peer: Some(code) }, I::CloseTimeout) => {
                self.finish_with_peer_reason(env, code, C::Timeout)
            }
            (&P::Failing { code, reason }, I::End(_) | I::CloseTimeout | I::Flushed) => {
                self.finish(env, code, reason, C::Failure)
            }
            _ => {}
        }
        self.refresh_common();
    }

    // ---- what the transitions do -----------------------------------------------------------

    /// OPEN: the header block stays in the receive buffer for `onOpen`, frames follow it.
    fn opened<R>(
        &mut self,
        env: &Env<'_, R>,
        block: &[u8],
        protocol: Option<(u32, u32)>,
        deflate: Option<Negotiated>,
        lines: u32,
    ) {
        info!(
            "socketTaskId {} open, protocol \"{}\"",
            env.id,
            protocol_in(block, protocol).unwrap_or_default()
        );
        set_timer(&mut self.timers, Timer::Connect, Deadline::NEVER);
        self.rx.start_frames(block.len());
        self.deflate = deflate;
        #[cfg(feature = "deflate")]
        if let Some(d) = deflate {
            self.rx.enable_inflate(d.server_max_window_bits, d.server_no_context_takeover);
            self.rx.set_max_len(self.rx_max);
        }
        self.push(Pending::Open { protocol, lines });
        self.phase = Phase::Open;
    }

    /// Queues our close frame (the last frame), starts the close timer, and stops reading
    /// unless it was our own `close()` (a peer may still send until it answers).
    fn start_closing<R: Rng>(&mut self, env: &mut Env<'_, R>, close: Option<(CloseCode, &str)>) {
        let (tx, mask) = env.tx_and_mask();
        self.tx.push_close(tx, mask, close);
        let at = env.now + env.config.close_timeout;
        env.arm(&mut self.timers, Timer::Close, at);
    }

    /// The peer's close is here: keep its code and reason for `onClose`, read no more. `by`
    /// started the close: the peer, or the client's `close()` that this answers.
    #[cfg_attr(target_os = "none", inline(always))]
    fn peer_closed<R>(&mut self, env: &Env<'_, R>, by: Cause, code: Option<CloseCode>, reason: &str) {
        let code = code.unwrap_or(CloseCode::NO_STATUS);
        if by == Cause::Peer {
            log_closing(env.id, by, code, reason);
        } else {
            debug!(
                "socketTaskId {} the peer answered the close: code {} reason \"{}\"",
                env.id, code, reason
            );
        }
        self.keep_reason(reason);
        self.phase = Phase::Closing { peer: Some(code) };
        self.rx.discard();
    }

    /// FAILING until the close frame is out (at once when it already is).
    fn failing<R>(&mut self, env: &Env<'_, R>, e: ProtocolError) {
        self.rx.discard();
        if self.tx.pending() == 0 {
            self.finish(env, e.close_code(), e.reason(), Cause::Failure);
        } else {
            self.phase = Phase::Failing { code: e.close_code(), reason: e.reason() };
        }
    }

    /// S12: a failure before OPEN: `onError` only (or then `onClose { 1006 }`), CLOSED.
    fn fail_before_open<R>(&mut self, env: &Env<'_, R>, error: TaskError) {
        self.error(env, error);
        match env.config.failure_events {
            FailureEvents::ErrorOnly => {
                info!("socketTaskId {} closed by {}, without onClose", env.id, Cause::of_failure(error));
                self.enter_closed();
            }
            FailureEvents::ErrorThenClose => self.abnormal(env, Cause::of_failure(error)),
        }
    }

    /// `onError`. One copy on bare metal, where flash is short.
    #[cfg_attr(target_os = "none", inline(never))]
    fn error<R>(&mut self, env: &Env<'_, R>, error: TaskError) {
        info!("socketTaskId {} error: {}", env.id, error);
        self.push(Pending::Error(error));
    }

    /// CLOSED, with `onClose { code, reason }` as the last event; `by` ended the task. One
    /// copy on bare metal, where flash is short.
    #[cfg_attr(target_os = "none", inline(never))]
    fn finish<R>(&mut self, env: &Env<'_, R>, code: CloseCode, reason: &str, by: Cause) {
        self.keep_reason(reason);
        self.finish_with_peer_reason(env, code, by);
    }

    /// Keeps `reason` for `onClose` (empty when longer than a close frame holds), written in
    /// place. One copy on bare metal, where flash is short.
    #[cfg_attr(target_os = "none", inline(never))]
    fn keep_reason(&mut self, reason: &str) {
        self.close_reason.clear();
        // Too long: it stays empty.
        let _ = self.close_reason.push_str(reason);
    }

    /// CLOSED, with `onClose { 1006, "abnormal closure" }` (S13): the link dropped.
    fn abnormal<R>(&mut self, env: &Env<'_, R>, by: Cause) {
        self.finish(env, CloseCode::ABNORMAL, ABNORMAL_REASON, by);
    }

    /// CLOSED, with `onClose { code }` and the reason already kept. One copy on bare metal,
    /// where flash is short (the table and [`Socket::finish`] call it).
    #[cfg_attr(target_os = "none", inline(never))]
    fn finish_with_peer_reason<R>(&mut self, env: &Env<'_, R>, code: CloseCode, by: Cause) {
        info!(
            "socketTaskId {} closed by {}: code {} reason \"{}\"",
            env.id,
            by,
            code,
            self.close_reason.as_str()
        );
        self.enter_closed();
        self.push(Pending::Close(code));
    }

    /// CLOSED: no timer, nothing to send or read. One copy on bare metal, where flash is
    /// short.
    #[cfg_attr(target_os = "none", inline(never))]
    fn enter_closed(&mut self) {
        self.phase = Phase::Closed;
        self.timers = [Deadline::NEVER; 2];
        self.expired = [false; 2];
        self.tx.clear();
        self.rx.discard();
    }

    /// Queues an event. One copy out of line on bare metal, where flash is short: every
    /// transition that queues one calls it (the common case's message is queued in place:
    /// [`Socket::pump_message`]).
    #[cfg_attr(target_os = "none", inline(never))]
    fn push(&mut self, event: Pending) {
        // Fits by construction (see `events`).
        self.events.push_back(event);
    }

    // ---- commands ----------------------------------------------------------------------

    /// S14: queues a text or binary message as one frame, of at most `max_send` bytes.
    pub(crate) fn send<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        message: Message<'_>,
    ) -> Result<(), SendError> {
        let head = Head::whole(opcode_of(message));
        self.queue_data(env, head, message.as_bytes(), message.len(), self.max_send)
    }

    /// RFC 7692 §7.2.1: queues `message`, compressed by the caller into `compressed` (raw
    /// DEFLATE, the 4-byte tail removed), as one frame with RSV1 set. The message limit
    /// applies to the message; the send buffer holds the compressed payload.
    pub(crate) fn send_compressed<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        message: Message<'_>,
        compressed: &[u8],
    ) -> Result<(), SendError> {
        if matches!(self.phase, Phase::Open) && self.deflate.is_none() {
            return Err(SendError::NotCompressing);
        }
        let head = Head { opcode: opcode_of(message), fin: true, rsv1: true };
        self.queue_data(env, head, compressed, message.len(), self.max_send)
    }

    /// Queues the head of a binary message whose payload the caller gives up: masked here,
    /// in place, and written by the caller once [`Transmit::in_place_due`] says so. Bounded
    /// by the message limit alone: the payload never enters the send buffer.
    pub(crate) fn send_in_place<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        payload: &mut [u8],
        text: bool,
    ) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Open) {
            return Err(SendError::NotOpen(self.ready_state()));
        }
        let (required, limit) = (payload.len(), env.config.limits.max_message_size);
        if required > limit {
            return Err(SendError::MessageTooLarge { required, limit });
        }
        // A text message is UTF-8 (RFC 6455 §5.6): checked before the bytes are masked.
        if text && let Err(e) = simdutf8::compat::from_utf8(payload) {
            return Err(SendError::InvalidUtf8 { valid_up_to: e.valid_up_to() });
        }
        let head = Head::whole(if text { OpCode::Text } else { OpCode::Binary });
        let (tx, mask) = env.tx_and_mask();
        // Not now while an earlier payload sent in place is due, or the head finds no room:
        // retry once `buffered_amount` drops. Nothing changed, the payload and the RNG
        // included.
        let mask = self
            .tx
            .push_in_place(tx, head, mask, required)
            .map_err(|_| SendError::BufferFull { required, available: 0 })?;
        apply_mask(payload, mask);
        Ok(())
    }

    /// What the caller writes now of the payload it sent in place, if any is due.
    pub(crate) fn in_place_due(&self) -> Option<Range<usize>> {
        self.tx.in_place_due()
    }

    /// The caller wrote `n` bytes of the payload it sent in place.
    pub(crate) fn in_place_written<R: Rng>(&mut self, env: &mut Env<'_, R>, n: usize) {
        self.tx.in_place_written(n);
        self.after_write(env);
    }

    /// Queues a ping: at most 125 bytes of payload (RFC 6455 §5.5), which always fit beside
    /// the reserve of a send buffer of [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN) bytes.
    pub(crate) fn ping<R: Rng>(&mut self, env: &mut Env<'_, R>, payload: &[u8]) -> Result<(), SendError> {
        self.queue_data(env, Head::whole(OpCode::Ping), payload, payload.len(), CONTROL_PAYLOAD_MAX)
    }

    /// Queues one data frame (or a ping) whose message of `size` bytes may hold at most
    /// `limit` bytes; every figure of a refusal counts payload bytes (the message's for the
    /// limit, the frame's for the buffer).
    fn queue_data<R: Rng>(
        &mut self,
        env: &mut Env<'_, R>,
        head: Head,
        payload: &[u8],
        size: usize,
        limit: usize,
    ) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Open) {
            return Err(SendError::NotOpen(self.ready_state()));
        }
        if size > limit {
            return Err(SendError::MessageTooLarge { required: size, limit });
        }
        let required = payload.len();
        let (tx, mask) = env.tx_and_mask();
        self.tx.push_frame(tx, head, mask, payload, Reserve::Data).map_err(|e| match e {
            QueueError::Full { available, .. } => {
                SendError::BufferFull { required, available: max_payload_len(available) }
            }
            // Within the limit but over the current buffer's data share: a buffer that may
            // still grow to the limit (`Buffers::growable`); not now, rather than never.
            QueueError::TooLarge { limit, .. } => SendError::BufferFull {
                required,
                available: max_payload_len(limit.saturating_sub(self.tx.queued())),
            },
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
        if matches!(self.phase, Phase::Closed) {
            return Err(CloseError::NotConnected);
        }
        self.on(env, Input::Close { code, reason });
        Ok(())
    }
}

/// The length of `protocols` joined as [`Socket::offer_protocols`] keeps them (`"a, b"`),
/// saturating: it only ever meets a limit.
#[cfg_attr(not(target_os = "none"), inline)]
pub(crate) fn joined_len(protocols: &[&str]) -> usize {
    protocols.iter().fold(0usize, |sum, p| sum.saturating_add(p.len() + 2)).saturating_sub(2)
}

/// The opcode of a data message.
fn opcode_of(message: Message<'_>) -> OpCode {
    match message {
        Message::Text(_) => OpCode::Text,
        Message::Binary(_) => OpCode::Binary,
    }
}

/// The input a parsed frame makes.
#[inline]
fn frame_input(output: Output, rx: &[u8]) -> Input<'_> {
    match output {
        Output::Message(kind) => Input::Message(kind),
        Output::Control(kind, range) => {
            let payload = rx.get(range).unwrap_or_default();
            match kind {
                Control::Ping => Input::Ping(payload),
                Control::Pong => Input::Pong,
                Control::Close => match parse_close(payload) {
                    Ok(close) => {
                        Input::PeerClose { code: close.map(|c| c.0), reason: close.map_or("", |c| c.1) }
                    }
                    Err(e) => Input::Violation(e),
                },
            }
        }
    }
}

impl StreamEnd {
    /// What a stream that ends before the handshake completed reports.
    fn error_before_open(self) -> TaskError {
        match self {
            StreamEnd::Eof => TaskError::Handshake(HandshakeError::Eof),
            StreamEnd::Error(e) => TaskError::Transport(e),
        }
    }
}

/// The chosen subprotocol, from its place in the header block at the start of `rx`.
#[cfg_attr(not(target_os = "none"), inline)]
fn protocol_in(rx: &[u8], protocol: Option<(u32, u32)>) -> Option<&str> {
    let (start, end) = protocol?;
    core::str::from_utf8(rx.get(start as usize..end as usize)?).ok()
}

/// A range inside the header block, (start, end) in the event queue's width.
fn narrow(range: Range<usize>) -> Option<(u32, u32)> {
    Some((u32::try_from(range.start).ok()?, u32::try_from(range.end).ok()?))
}

/// Arms (a deadline) or stops ([`Deadline::NEVER`]) `timer`.
fn set_timer(timers: &mut [Deadline; 2], timer: Timer, at: Deadline) {
    if let Some(slot) = timers.get_mut(timer as usize) {
        *slot = at;
    }
}
