//! What a transport client is built with: the core's [`Config`] (its limits size the
//! buffers), the outgoing queue, TCP and TLS options.

use sockettask::{Config, DATA_RESERVE, RX_OVERHEAD, TX_OVERHEAD};

use crate::error::SetupError;
use crate::tls::Tls;

/// Default outgoing limit ([`Options::max_buffered_amount`]): 1 MiB.
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 1 << 20;

/// Options of a [`crate::Client`] or [`crate::Driver`].
///
/// The largest message, sent or received, is one setting:
/// [`config.limits.max_message_size`](sockettask::Limits::max_message_size) (1 MiB by
/// default). Every task slot gets its buffers up front, sized from it: `max_message_size +`
/// [`RX_OVERHEAD`] bytes to receive, and to send enough for one message of
/// `max_message_size` bytes (`max_message_size +` [`TX_OVERHEAD`]) or for
/// `max_buffered_amount` bytes of queued frames (`+` [`DATA_RESERVE`]), whichever is larger;
/// five slots in all. Pages never written are never touched, so a large limit costs address
/// space rather than memory.
///
/// ```
/// use std::time::Duration;
/// use sockettask_mio::{Config, Limits, Options};
///
/// let options = Options {
///     config: Config {
///         connect_timeout: Duration::from_secs(10),
///         limits: Limits { max_message_size: 4 << 20, ..Limits::default() },
///         ..Config::default()
///     },
///     tcp_no_delay: true,
///     ..Options::default()
/// };
/// assert_eq!(options.max_buffered_amount, 1 << 20);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// The core's policy and limits: timeouts, `ws://` switch, domain list, and the size
    /// limits, among them the largest message both ways (which sizes the buffers).
    pub config: Config,
    /// The outgoing queue: how many bytes of frames `send` may queue ahead of the socket,
    /// at least one message of `config.limits.max_message_size`. A `send` that does not fit
    /// beside what is queued is refused with `SendError::BufferFull` (retry once
    /// `buffered_amount()` drops); a message over the message limit with
    /// `SendError::MessageTooLarge`. Nothing is dropped silently.
    pub max_buffered_amount: usize,
    /// Sets `TCP_NODELAY` on every socket (no Nagle delay for small frames).
    pub tcp_no_delay: bool,
    /// Trusted roots for `wss://`: `webpki-roots` by default; see [`Tls`] for a private CA
    /// (DER or PEM) or the operating system's store.
    pub tls: Tls,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            tcp_no_delay: true,
            tls: Tls::default(),
        }
    }
}

impl Options {
    /// The receive and send buffer bytes of one task slot: a message of `max_message_size`
    /// bytes fits either, and the send buffer holds `max_buffered_amount` bytes of frames.
    /// Refused when the buffers of every slot could not be allocated at all.
    pub(crate) fn buffer_lens(&self, slots: usize) -> Result<(usize, usize), SetupError> {
        let max_message = self.config.limits.max_message_size;
        let lens = max_message.checked_add(RX_OVERHEAD).zip(
            max_message
                .checked_add(TX_OVERHEAD)
                .zip(self.max_buffered_amount.checked_add(DATA_RESERVE))
                .map(|(message, queue)| message.max(queue)),
        );
        let total = lens.and_then(|(rx, tx)| rx.checked_add(tx)?.checked_mul(slots));
        match (lens, total) {
            (Some(lens), Some(total)) if total <= isize::MAX.unsigned_abs() => Ok(lens),
            _ => Err(SetupError::BuffersTooLarge {
                max_message_size: max_message,
                max_buffered_amount: self.max_buffered_amount,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use sockettask::Limits;

    use super::*;

    fn with(max_message_size: usize, max_buffered_amount: usize) -> Options {
        let limits = Limits { max_message_size, ..Limits::default() };
        Options { config: Config { limits, ..Config::default() }, max_buffered_amount, ..Options::default() }
    }

    #[test]
    fn default_buffers_hold_one_mib_each_way() {
        assert_eq!(Options::default().buffer_lens(5).unwrap(), ((1 << 20) + 160, (1 << 20) + 14 + 262));
    }

    #[test]
    fn the_larger_of_message_and_queue_sizes_the_send_buffer() {
        assert_eq!(with(1000, 64 << 10).buffer_lens(5).unwrap(), (1160, (64 << 10) + 262));
        assert_eq!(with(64 << 10, 1000).buffer_lens(5).unwrap(), ((64 << 10) + 160, (64 << 10) + 276));
    }

    #[test]
    fn unallocatable_buffers_are_refused() {
        for options in [with(usize::MAX, 0), with(0, usize::MAX), with(usize::MAX / 8, 0)] {
            assert!(matches!(options.buffer_lens(5), Err(SetupError::BuffersTooLarge { .. })));
        }
    }
}
