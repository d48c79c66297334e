//! What a transport client is built with: the core's [`Config`] (its limits bound the
//! buffers), the outgoing queue, how the buffers are sized ([`BufferPolicy`]), TCP and TLS
//! options.

use std::time::Duration;

use sockettask::{Config, MIN_BUFFER_LEN};

use crate::compress::Compression;
use crate::error::SetupError;
use crate::tls::Tls;

/// Default outgoing limit ([`Options::max_buffered_amount`]): 1 MiB.
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 1 << 20;

/// Options of a [`crate::Client`] or [`crate::Driver`].
///
/// The largest message, sent or received, is one setting:
/// [`config.limits.max_message_size`](sockettask::Limits::max_message_size) (1 MiB by
/// default). It bounds each task's buffers, with [`Options::max_buffered_amount`]: the receive
/// buffer may grow to `max_message_size +` [`RX_OVERHEAD`](sockettask::RX_OVERHEAD) bytes
/// plus what permessage-deflate may need (the largest window, 32 KiB + 1, and 64 KiB of
/// compressed input read ahead; see
/// [`inflate_overhead`](sockettask::inflate_overhead)), the send buffer to enough for one
/// message of `max_message_size` bytes (`max_message_size +`
/// [`TX_OVERHEAD`](sockettask::TX_OVERHEAD); a message goes out compressed only when that
/// is shorter) or for
/// `max_buffered_amount` bytes of queued frames (`+`
/// [`DATA_RESERVE`](sockettask::DATA_RESERVE)), whichever is larger.
///
/// The buffers do not start at those bounds: [`Options::buffers`] starts them small (4 KiB
/// each by default), grows them when a message, a header block, a send or a handshake request
/// needs more, and shrinks them back once what they hold is small again. Memory follows use:
/// an idle task, or one that only ever sees small messages, holds 8 KiB of buffers, and a free
/// task slot holds its initial buffers; the limits only bound the growth.
///
/// ```
/// use std::time::Duration;
/// use sockettask_mio::{BufferPolicy, Config, Limits, Options};
///
/// let options = Options {
///     config: Config {
///         connect_timeout: Duration::from_secs(10),
///         limits: Limits { max_message_size: 4 << 20, ..Limits::default() },
///         ..Config::default()
///     },
///     // Start at 16 KiB; keep buffers up to 256 KiB, shrink larger ones back.
///     buffers: BufferPolicy { initial: 16 << 10, shrink_above: 256 << 10, ..BufferPolicy::default() },
///     tcp_no_delay: true,
///     ..Options::default()
/// };
/// assert_eq!(options.max_buffered_amount, 1 << 20);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// The core's policy and limits: timeouts, `ws://` switch, domain list, and the size
    /// limits, among them the largest message both ways (which bounds the buffers).
    pub config: Config,
    /// The outgoing queue: how many bytes of frames `send` may queue ahead of the socket,
    /// at least one message of `config.limits.max_message_size`. A `send` that does not fit
    /// beside what is queued is refused with `SendError::BufferFull` (retry once
    /// `buffered_amount()` drops); a message over the message limit with
    /// `SendError::MessageTooLarge`. Nothing is dropped silently.
    pub max_buffered_amount: usize,
    /// How the buffers of each task slot are sized between their initial length and the
    /// bounds the limits set: see [`BufferPolicy`].
    pub buffers: BufferPolicy,
    /// Sets `TCP_NODELAY` on every socket (no Nagle delay for small frames).
    pub tcp_no_delay: bool,
    /// Trusted roots for `wss://`: `webpki-roots` by default; see [`Tls`] for a private CA
    /// (DER or PEM) or the operating system's store.
    pub tls: Tls,
    /// How messages are compressed once a server accepts the `permessage-deflate` offer
    /// ([`ConnectOptions::per_message_deflate`](sockettask::ConnectOptions)).
    pub compression: Compression,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            buffers: BufferPolicy::default(),
            tcp_no_delay: true,
            tls: Tls::default(),
            compression: Compression::default(),
        }
    }
}

/// How each task slot's buffers are sized: they start at [`BufferPolicy::initial`] bytes,
/// grow on demand up to the bounds the limits set (see [`Options`]), and shrink back to
/// `initial` once what they hold fits there again.
///
/// A buffer grows when the core asks for room: a message or a response header block larger
/// than the receive buffer (to what the core asks for: the rest of the frame, at least
/// double), a `send`, `ping` or handshake request that does not fit the send buffer (to what
/// it needs, at least double). Growing and shrinking copy what the buffer holds into a new
/// allocation; a steady flow of messages of one size allocates nothing once the buffers have
/// grown to it.
///
/// A buffer longer than [`BufferPolicy::shrink_above`] is shrunk back to `initial` once it
/// has held no more than `initial` bytes for [`BufferPolicy::shrink_after`] (a free slot's at
/// once), so a burst of large messages does not reallocate per message, and a task that saw
/// one large message gives the memory back.
///
/// Giving memory back to the allocator is not always giving it back to the system: glibc's
/// malloc raises its mmap threshold after a large free, so the next buffers of 1 MiB come
/// from the heap and stay resident after they are freed (`benches/README.md` measured 42 to
/// 450 KiB per task back at idle). A program that cares sets the threshold once, e.g.
/// `MALLOC_MMAP_THRESHOLD_=131072` in the environment (16.8 KiB per task back at idle).
///
/// ```
/// use std::time::Duration;
/// use sockettask_mio::{BufferPolicy, Options};
///
/// // The default: 4 KiB each way, shrunk back one second after a large message.
/// let policy = BufferPolicy::default();
/// assert_eq!((policy.initial, policy.shrink_above), (4096, 4096));
/// assert_eq!(policy.shrink_after, Duration::from_secs(1));
///
/// // Grow on demand, never shrink: a task keeps the largest buffers it needed.
/// let keep = BufferPolicy { shrink_above: usize::MAX, ..BufferPolicy::default() };
///
/// // Buffers at the limits from the start, never resized (5 slots × 2 MiB at the defaults).
/// let fixed = Options { buffers: BufferPolicy::AT_LIMITS, ..Options::default() };
/// # let _ = (keep, fixed);
/// ```
///
/// [`crate::Driver::new`] refuses a policy that makes no sense: an `initial` shorter than
/// [`MIN_BUFFER_LEN`] ([`SetupError::InitialBufferTooSmall`]) or a `shrink_above` shorter
/// than `initial` ([`SetupError::ShrinkBelowInitial`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferPolicy {
    /// The length each buffer starts at and shrinks back to, in bytes (4 KiB by default); at
    /// least [`MIN_BUFFER_LEN`]. A length over the bound of a buffer starts it at the bound:
    /// `usize::MAX` allocates every buffer at its limit up front.
    pub initial: usize,
    /// Buffers up to this length are kept as they are; a longer one is shrunk back to
    /// `initial`. At least `initial`; `initial` by default (every grown buffer shrinks),
    /// `usize::MAX` never shrinks.
    pub shrink_above: usize,
    /// How long a grown buffer must have held no more than `initial` bytes before it shrinks
    /// (1 s by default): the hysteresis that spares a busy task a reallocation per message.
    /// `Duration::ZERO` shrinks as soon as what it holds fits.
    pub shrink_after: Duration,
}

impl BufferPolicy {
    /// The default [`BufferPolicy::initial`]: 4 KiB.
    pub const DEFAULT_INITIAL: usize = 4 << 10;
    /// The default [`BufferPolicy::shrink_after`]: one second.
    pub const DEFAULT_SHRINK_AFTER: Duration = Duration::from_secs(1);
    /// Every buffer at its limit from the start, never resized: the most memory, and no
    /// allocation after [`crate::Driver::new`].
    pub const AT_LIMITS: BufferPolicy =
        BufferPolicy { initial: usize::MAX, shrink_above: usize::MAX, shrink_after: Duration::ZERO };

    /// Refuses a policy that makes no sense (see [`BufferPolicy`]).
    pub(crate) fn check(&self) -> Result<(), SetupError> {
        if self.initial < MIN_BUFFER_LEN {
            return Err(SetupError::InitialBufferTooSmall { initial: self.initial, min: MIN_BUFFER_LEN });
        }
        if self.shrink_above < self.initial {
            return Err(SetupError::ShrinkBelowInitial {
                shrink_above: self.shrink_above,
                initial: self.initial,
            });
        }
        Ok(())
    }
}

impl Default for BufferPolicy {
    fn default() -> Self {
        BufferPolicy {
            initial: Self::DEFAULT_INITIAL,
            shrink_above: Self::DEFAULT_INITIAL,
            shrink_after: Self::DEFAULT_SHRINK_AFTER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_that_makes_no_sense_is_refused() {
        let small = BufferPolicy { initial: MIN_BUFFER_LEN - 1, ..BufferPolicy::default() };
        assert!(matches!(small.check(), Err(SetupError::InitialBufferTooSmall { initial: 511, min: 512 })));
        let below = BufferPolicy { initial: 8192, shrink_above: 4096, ..BufferPolicy::default() };
        assert!(matches!(
            below.check(),
            Err(SetupError::ShrinkBelowInitial { shrink_above: 4096, initial: 8192 })
        ));
        let fine = [
            BufferPolicy::default(),
            BufferPolicy::AT_LIMITS,
            BufferPolicy { initial: 512, ..BufferPolicy::default() },
        ];
        for policy in fine {
            assert!(policy.check().is_ok(), "{policy:?}");
        }
    }
}
