//! sockettask core (work in progress).
#![no_std]
// Network input must never panic: no unwrap, expect, panic or unchecked indexing outside tests.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod close_code;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod ready_state;
pub mod time;
pub mod url;
pub mod utf8;

pub use close_code::CloseCode;
pub use error::*;
pub use ready_state::ReadyState;
pub use time::Instant;
pub use url::Url;

/// Longest comma-separated subprotocol list kept to verify the server's choice.
pub const MAX_PROTOCOLS_BYTES: usize = 256;
