//! What the drivers report: [`Error`] for stream work and commands, [`Refused`] for a
//! `connect_socket` the core turned down, and the one translation of a stream error into the
//! core's [`TransportError`].
//!
//! Both are `'static` when the stream and its error are, `Send` and `Sync` when they are, and
//! implement `core::error::Error` (`std::error::Error` under std), so `?` takes them into
//! `Box<dyn std::error::Error>`. A [`Refused`] also converts into [`Error`] (as
//! [`Error::Connect`]), so one `?` serves `connect_socket` and the calls after it in a function
//! returning `Result<_, Error<E>>`.

use core::fmt;

use embedded_io::ErrorKind;
use sockettask::{CloseError, ConnectError, SendError, TransportError};

/// A driver call failed.
///
/// `E` is the stream's error type. A stream failure ([`Error::Io`], [`Error::WriteZero`]) has
/// already been handed to the core with `handle_transport_error`, so the task's `onError`
/// and `onClose { 1006 }` (SPEC S12/S13) wait to be polled with the next `next_event` calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The stream failed to read, write or flush.
    Io(E),
    /// The stream accepted no byte of a non-empty write.
    WriteZero,
    /// The task is CLOSED (or the handle is not this driver's) and every event was polled:
    /// its stream has nothing left to do.
    Closed,
    /// `send` or `ping` was refused by the core (S14).
    Send(SendError),
    /// `close` was refused by the core (S15, S16).
    Close(CloseError),
    /// `connect_socket` was refused by the core (S3): what `?` makes of a [`Refused`], whose
    /// stream is dropped on the way. Match the `Refused` instead to keep the stream.
    Connect(ConnectError),
}

impl<E> Error<E> {
    /// The `errMsg` of a refused command, when this is one (S3, S14–S16).
    pub fn command_err_msg(&self) -> Option<sockettask::ErrMsg<'_>> {
        match self {
            Error::Send(e) => Some(e.err_msg()),
            Error::Close(e) => Some(e.err_msg()),
            Error::Connect(e) => Some(e.err_msg()),
            Error::Io(_) | Error::WriteZero | Error::Closed => None,
        }
    }
}

impl<E> From<SendError> for Error<E> {
    fn from(e: SendError) -> Self {
        Error::Send(e)
    }
}

impl<E> From<CloseError> for Error<E> {
    fn from(e: CloseError) -> Self {
        Error::Close(e)
    }
}

/// Drops the stream: `?` on a refused `connect_socket` in a function returning `Error<E>`.
impl<T, E> From<Refused<T>> for Error<E> {
    fn from(refused: Refused<T>) -> Self {
        Error::Connect(refused.error)
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "stream error: {e}"),
            Error::WriteZero => f.write_str("stream accepted no bytes of a write"),
            Error::Closed => f.write_str("the task is closed"),
            Error::Send(e) => write!(f, "send refused: {e}"),
            Error::Close(e) => write!(f, "close refused: {e}"),
            Error::Connect(e) => write!(f, "connect refused: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for Error<E> {}

/// `connect_socket` was refused before any I/O (S3); the stream is handed back unused.
///
/// It owns its [`ConnectError`] (which quotes the options it refused by value), so it does not
/// borrow the URL: `?` works whatever the URL's lifetime, in three ways.
/// - Into `Box<dyn std::error::Error>` when the stream is `'static` (and `Send + Sync` for
///   `Box<dyn Error + Send + Sync>`): `Refused` is an error for every stream type, as neither
///   its `Debug` nor its `Display` shows the stream; [`source`](core::error::Error::source) is
///   the `ConnectError`.
/// - Into the drivers' [`Error`], as [`Error::Connect`].
/// - Into [`ConnectError`].
///
/// The last two drop the stream; to keep it, match the `Err` and take [`Refused::stream`].
pub struct Refused<T> {
    /// Why the core refused the task.
    pub error: ConnectError,
    /// The stream that was to carry it.
    pub stream: T,
}

impl<T> fmt::Debug for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<T> fmt::Display for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect refused: {}", self.error.err_msg())
    }
}

impl<T> core::error::Error for Refused<T> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Drops the stream: `?` on a refused `connect_socket` in a function returning `ConnectError`.
impl<T> From<Refused<T>> for ConnectError {
    fn from(refused: Refused<T>) -> Self {
        refused.error
    }
}

/// How a failed read or write is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `Interrupted`: try the same call again.
    Retry,
    /// `TimedOut` on a read: the stream's own read timeout ticked; check the timers.
    Tick,
    /// Anything else: the stream is broken; the task ends with this transport error.
    Broken(TransportError),
}

/// Sorts a stream error by its kind. Only the I/O vocabulary is translated here; what the
/// failure means for the task (S12/S13) is the core's decision.
pub(crate) fn classify(kind: ErrorKind, reading: bool) -> Failure {
    match kind {
        ErrorKind::Interrupted => Failure::Retry,
        ErrorKind::TimedOut if reading => Failure::Tick,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Failure::Broken(TransportError::Reset)
        }
        ErrorKind::ConnectionRefused | ErrorKind::NotConnected | ErrorKind::AddrNotAvailable => {
            Failure::Broken(TransportError::Connect)
        }
        _ => Failure::Broken(TransportError::Io),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::ToString;

    use super::*;

    #[test]
    fn kinds_sort_into_retry_tick_and_broken() {
        assert_eq!(classify(ErrorKind::Interrupted, true), Failure::Retry);
        assert_eq!(classify(ErrorKind::Interrupted, false), Failure::Retry);
        assert_eq!(classify(ErrorKind::TimedOut, true), Failure::Tick);
        assert_eq!(classify(ErrorKind::TimedOut, false), Failure::Broken(TransportError::Io));
        assert_eq!(classify(ErrorKind::ConnectionReset, true), Failure::Broken(TransportError::Reset));
        assert_eq!(classify(ErrorKind::BrokenPipe, false), Failure::Broken(TransportError::Reset));
        assert_eq!(classify(ErrorKind::NotConnected, true), Failure::Broken(TransportError::Connect));
        assert_eq!(classify(ErrorKind::Other, true), Failure::Broken(TransportError::Io));
    }

    #[test]
    fn command_errors_keep_their_err_msg() {
        let e: Error<ErrorKind> = SendError::UnknownHandle.into();
        assert!(e.command_err_msg().is_some());
        assert!(Error::<ErrorKind>::Closed.command_err_msg().is_none());
    }

    #[test]
    fn a_refusal_converts_keeping_its_error() {
        let refused = || Refused { error: ConnectError::TooManyTasks { limit: 1 }, stream: () };
        let e: Error<ErrorKind> = refused().into();
        assert_eq!(e, Error::Connect(ConnectError::TooManyTasks { limit: 1 }));
        assert_eq!(
            e.command_err_msg().map(|m| m.to_string()).as_deref(),
            Some("connectSocket:fail exceed max task count")
        );
        assert_eq!(e.to_string(), "connect refused: all 1 task slots are in use");
        assert_eq!(ConnectError::from(refused()), ConnectError::TooManyTasks { limit: 1 });
        let source = core::error::Error::source(&refused()).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("all 1 task slots are in use"));
    }
}
