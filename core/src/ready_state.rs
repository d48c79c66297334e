//! The `readyState` a task exposes (S9).

/// A task's `readyState` (S9): `CONNECTING(0) → OPEN(1) → CLOSING(2) → CLOSED(3)`, and
/// `CONNECTING → CLOSED`.
///
/// ```
/// use sockettask::ReadyState;
///
/// assert_eq!(ReadyState::Closing as u8, 2);
/// assert_eq!(ReadyState::Open.to_string(), "OPEN");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReadyState {
    /// The opening handshake is under way.
    Connecting = 0,
    /// The handshake succeeded; messages flow both ways.
    Open = 1,
    /// A close frame was sent or received; the close handshake is under way.
    Closing = 2,
    /// The connection is closed or could not be opened.
    Closed = 3,
}

impl core::fmt::Display for ReadyState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ReadyState::Connecting => "CONNECTING",
            ReadyState::Open => "OPEN",
            ReadyState::Closing => "CLOSING",
            ReadyState::Closed => "CLOSED",
        })
    }
}
