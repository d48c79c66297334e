//! What the drivers report: [`Error`] for stream work and commands, [`Refused`] for a
//! `connect` the core turned down, and the one translation of a stream error into the core's
//! [`TransportError`].

use core::fmt;

use embedded_io::ErrorKind;
use sockettask::{CloseError, ConnectError, SendError, TransportError};

/// A driver call failed.
///
/// `E` is the stream's error type. A stream failure ([`Error::Io`], [`Error::WriteZero`]) has
/// already been handed to the core with `handle_transport_error`, so the task's `onError`
/// and `onClose { 1006 }` (SPEC S12/S13) wait to be polled with the next `next_event` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl<E> Error<E> {
    /// The `errMsg` of a refused command, when this is one (S14–S16).
    pub fn command_err_msg(&self) -> Option<sockettask::ErrMsg<'_>> {
        match self {
            Error::Send(e) => Some(e.err_msg()),
            Error::Close(e) => Some(e.err_msg()),
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

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "stream error: {e}"),
            Error::WriteZero => f.write_str("stream accepted no bytes of a write"),
            Error::Closed => f.write_str("the task is closed"),
            Error::Send(e) => write!(f, "send refused: {e}"),
            Error::Close(e) => write!(f, "close refused: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for Error<E> {}

/// `connect` was refused before any I/O (S3); the stream is handed back unused.
pub struct Refused<'a, T> {
    /// Why the core refused the task.
    pub error: ConnectError<'a>,
    /// The stream that was to carry it.
    pub stream: T,
}

impl<T> fmt::Debug for Refused<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<T> fmt::Display for Refused<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect refused: {}", self.error.err_msg())
    }
}

impl<T> core::error::Error for Refused<'_, T> {}

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
}
