//! sockettask core (docs land with the first complete commit).
#![no_std]
// Network input must never panic: no unwrap, expect, panic or unchecked indexing outside tests.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod close_code;
pub mod config;
pub mod error;
pub mod event;
pub mod frame;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod handshake;
pub mod ready_state;
pub mod time;
pub mod url;
pub mod utf8;

mod client;
mod receive;
mod socket;
mod transmit;

pub use client::{Buffers, Client, DEFAULT_MAX_TASKS, Handle};
pub use close_code::CloseCode;
pub use config::{Config, ConnectOptions, FailureEvents, Limits, Schemes};
pub use error::*;
pub use event::{Close, Event, Message, Open};
pub use handshake::{ForbiddenHeaders, ProtocolCheck};
pub use ready_state::ReadyState;
pub use receive::RX_OVERHEAD;
pub use time::Instant;
pub use transmit::{CONTROL_FRAME_MAX, DATA_RESERVE};
pub use url::Url;

/// Longest comma-separated subprotocol list kept to verify the server's choice.
pub const MAX_PROTOCOLS_BYTES: usize = 256;
