//! Errors of the transport itself. What the core refuses (`ConnectError`, `SendError`, …)
//! comes from the core unchanged.

use std::fmt;
use std::io;

use sockettask::{ConfigError, SendError};

/// Why a [`crate::Client`] or [`crate::Driver`] could not be built.
#[derive(Debug)]
pub enum SetupError {
    /// The buffer sizes do not suit the core.
    Config(ConfigError),
    /// The message limit or the outgoing queue is too large for a buffer of that length to
    /// be allocated at all (`Limits::max_message_size` of `usize::MAX` means no limit to the
    /// core, but this transport bounds its buffers by it).
    BuffersTooLarge {
        /// `config.limits.max_message_size`.
        max_message_size: usize,
        /// [`crate::Options::max_buffered_amount`].
        max_buffered_amount: usize,
    },
    /// [`BufferPolicy::initial`](crate::BufferPolicy::initial) is shorter than the core's
    /// smallest buffer.
    InitialBufferTooSmall {
        /// The policy's `initial`.
        initial: usize,
        /// [`MIN_BUFFER_LEN`](sockettask::MIN_BUFFER_LEN).
        min: usize,
    },
    /// [`BufferPolicy::shrink_above`](crate::BufferPolicy::shrink_above) is shorter than
    /// `initial`: a buffer of the initial length would be shrunk to itself, again and again.
    ShrinkBelowInitial {
        /// The policy's `shrink_above`.
        shrink_above: usize,
        /// The policy's `initial`.
        initial: usize,
    },
    /// The TLS configuration could not be built.
    Tls(rustls::Error),
    /// The operating system's random number generator failed (seeding the mask RNG).
    Random(rand::rngs::SysError),
    /// Creating the `mio::Poll` failed.
    Io(io::Error),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Config(e) => write!(f, "invalid buffer configuration: {e}"),
            SetupError::BuffersTooLarge { max_message_size, max_buffered_amount } => write!(
                f,
                "buffers for max_message_size {max_message_size} and max_buffered_amount \
                 {max_buffered_amount} cannot be allocated"
            ),
            SetupError::InitialBufferTooSmall { initial, min } => {
                write!(f, "initial buffer length {initial} is below the smallest buffer, {min} bytes")
            }
            SetupError::ShrinkBelowInitial { shrink_above, initial } => {
                write!(f, "shrink_above {shrink_above} is below the initial buffer length {initial}")
            }
            SetupError::Tls(e) => write!(f, "invalid TLS configuration: {e}"),
            SetupError::Random(e) => write!(f, "the system random number generator failed: {e}"),
            SetupError::Io(e) => write!(f, "could not create the poll instance: {e}"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SetupError::Config(e) => Some(e),
            SetupError::BuffersTooLarge { .. }
            | SetupError::InitialBufferTooSmall { .. }
            | SetupError::ShrinkBelowInitial { .. } => None,
            SetupError::Tls(e) => Some(e),
            SetupError::Random(e) => Some(e),
            SetupError::Io(e) => Some(e),
        }
    }
}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        SetupError::Config(e)
    }
}

impl From<rustls::Error> for SetupError {
    fn from(e: rustls::Error) -> Self {
        SetupError::Tls(e)
    }
}

impl From<io::Error> for SetupError {
    fn from(e: io::Error) -> Self {
        SetupError::Io(e)
    }
}

/// Why [`crate::Client::poll`] or one of the `run` calls failed.
#[derive(Debug)]
pub enum PollError {
    /// Called from inside a listener; listeners run inside `poll` already.
    Reentrant,
    /// `mio::Poll::poll` failed.
    Io(io::Error),
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollError::Reentrant => f.write_str("Client::poll or run called from inside a listener"),
            PollError::Io(e) => write!(f, "polling failed: {e}"),
        }
    }
}

impl std::error::Error for PollError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PollError::Reentrant => None,
            PollError::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for PollError {
    fn from(e: io::Error) -> Self {
        PollError::Io(e)
    }
}

/// A [`crate::Driver::send_owned`] the core refused: why, and the payload, handed back
/// untouched (not masked).
///
/// ```
/// use sockettask_mio::{ReadyState, SendError, Unsent};
///
/// let unsent = Unsent { error: SendError::NotOpen(ReadyState::Connecting), payload: vec![1, 2, 3] };
/// assert_eq!(unsent.to_string(), "the task is CONNECTING, not OPEN");
/// assert_eq!(unsent.payload, [1, 2, 3]);
/// ```
#[derive(Debug)]
pub struct Unsent {
    /// Why the core refused it (see [`SendError`]).
    pub error: SendError,
    /// The bytes given, as they were.
    pub payload: Vec<u8>,
}

impl fmt::Display for Unsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Unsent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
