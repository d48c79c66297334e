//! What a transport client is built with: the core's [`Config`], buffer sizes, TCP and TLS
//! options.

use sockettask::{Config, DATA_RESERVE, RX_OVERHEAD};

use crate::tls::Tls;

/// Default largest incoming message: 1 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;
/// Default outgoing limit ([`Options::max_buffered_amount`]): 1 MiB.
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 1 << 20;

/// Options of a [`crate::Client`] or [`crate::Driver`].
///
/// Every task slot gets its buffers up front: `max_message_size + RX_OVERHEAD` bytes to
/// receive and `max_buffered_amount + DATA_RESERVE` to send, five slots in all. Pages never
/// written are never touched, so a large limit costs address space rather than memory.
///
/// ```
/// use std::time::Duration;
/// use sockettask_mio::{Config, Options};
///
/// let options = Options {
///     config: Config { connect_timeout: Duration::from_secs(10), ..Config::default() },
///     max_message_size: 4 << 20,
///     tcp_no_delay: true,
///     ..Options::default()
/// };
/// assert_eq!(options.max_buffered_amount, 1 << 20);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// The core's policy and limits: timeouts, `ws://` switch, domain list, frame limits.
    pub config: Config,
    /// Largest message a task receives; a larger one fails the task with 1009 (S20).
    pub max_message_size: usize,
    /// The outgoing limit: a `send` whose frame (payload plus up to 14 header bytes) would
    /// take `buffered_amount()` past it is refused with `SendError::BufferFull` (retry later)
    /// or `SendError::MessageTooLarge` (never fits). Nothing is dropped silently.
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
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            tcp_no_delay: true,
            tls: Tls::default(),
        }
    }
}

impl Options {
    /// Receive buffer bytes per task.
    pub(crate) fn rx_len(&self) -> usize {
        self.max_message_size.saturating_add(RX_OVERHEAD)
    }

    /// Send buffer bytes per task.
    pub(crate) fn tx_len(&self) -> usize {
        self.max_buffered_amount.saturating_add(DATA_RESERVE)
    }
}
