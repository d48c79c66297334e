//! The logging shim (STYLE rule 10): [`info!`] and [`debug!`] go to the `log` facade under the
//! `log` feature, to `defmt` under the `defmt` feature (to both when both are on), and to
//! nothing otherwise: then their arguments are type-checked but never evaluated, and no code
//! is left.
//!
//! What is logged, every line starting with the task's `socketTaskId`:
//!
//! | level | when | what |
//! |---|---|---|
//! | info | `connect_socket` | scheme, host and port, never the path or query (below) |
//! | info | OPEN | the subprotocol the server chose (`""`: none) |
//! | info | a close starts | who started it ([`Cause`]), the code and reason sent or received |
//! | debug | the peer answers the client's close | its code and reason |
//! | info | every `onError` | the error, by its `Display` (`log`) or `Format` (`defmt`) |
//! | info | CLOSED | what ended the task ([`Cause`]), the code and reason of `onClose` |
//!
//! Never payload bytes: no message, no ping or pong payload, no header value but the chosen
//! subprotocol. The URL's path and query are left out because they often carry credentials
//! (`?token=…`, signed URLs, session ids) and logs outlive the session and leave the device;
//! the scheme, host and port say where a task went, which is what a connection log is for.
//!
//! The format strings are written once for both back ends: `{}` only, every argument both
//! `Display` and `defmt::Format`.

/// Logs at info level through whichever back end is on; see the [module docs](self).
macro_rules! info {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::info!($fmt $(, $arg)*);
        #[cfg(feature = "defmt")]
        ::defmt::info!($fmt $(, $arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        if false {
            $(let _ = &$arg;)*
        }
    }};
}

/// Logs at debug level through whichever back end is on; see the [module docs](self).
macro_rules! debug {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::debug!($fmt $(, $arg)*);
        #[cfg(feature = "defmt")]
        ::defmt::debug!($fmt $(, $arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        if false {
            $(let _ = &$arg;)*
        }
    }};
}

pub(crate) use {debug, info};

use crate::close_code::CloseCode;
use crate::error::{HandshakeError, TaskError};
use crate::receive::StreamEnd;
use crate::url::Scheme;

/// Who started a close, or what ended a task: the words of the close lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The client's `close()`.
    Client,
    /// The peer: its close frame, or the end of its stream.
    Peer,
    /// A failure: a refused handshake, a protocol error, a transport error.
    Failure,
    /// The connect or the close timeout.
    Timeout,
}

#[cfg(feature = "log")]
impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Cause::Client => "close()",
            Cause::Peer => "the peer",
            Cause::Failure => "a failure",
            Cause::Timeout => "a timeout",
        })
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Cause {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Cause::Client => defmt::write!(f, "close()"),
            Cause::Peer => defmt::write!(f, "the peer"),
            Cause::Failure => defmt::write!(f, "a failure"),
            Cause::Timeout => defmt::write!(f, "a timeout"),
        }
    }
}

impl Cause {
    /// Who ended a stream: the peer (EOF) or a failure of the transport.
    pub(crate) fn of_end(end: StreamEnd) -> Cause {
        match end {
            StreamEnd::Eof => Cause::Peer,
            StreamEnd::Error(_) => Cause::Failure,
        }
    }

    /// What ended a task that failed before OPEN: the peer ending the stream, the connect
    /// timeout, or a failure.
    pub(crate) fn of_failure(error: TaskError) -> Cause {
        match error {
            TaskError::Handshake(HandshakeError::Eof) => Cause::Peer,
            TaskError::Timeout => Cause::Timeout,
            TaskError::Handshake(_) | TaskError::Protocol(_) | TaskError::Transport(_) => Cause::Failure,
        }
    }
}

/// The line that says who started the close of task `id`, with the code and reason sent or
/// received.
pub(crate) fn log_closing(id: u64, by: Cause, code: CloseCode, reason: &str) {
    info!("socketTaskId {} closing, started by {}: code {} reason \"{}\"", id, by, code, reason);
}

/// A URL's scheme as written in logs.
pub(crate) fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Ws => "ws",
        Scheme::Wss => "wss",
    }
}
