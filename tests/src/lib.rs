//! The harness of sockettask's interop and hostile-peer suite (`tests/*.rs`).
//!
//! - [`record`]: drives a `sockettask_mio::Client` with bounded loops and records every
//!   event its listeners see, so a test states the exact event sequence.
//! - [`hostile`]: a raw TCP server on 127.0.0.1 that plays scripted bytes (handshake
//!   responses, frames, delays, EOF, reset) and returns what the client sent back.
//! - [`wire`]: parses the client's masked frames, to check the close code it sent.
//! - [`peers`]: real servers we did not write — Python `websockets` and Node `ws` as child
//!   processes (installed by `scripts/peers.sh`), and `tungstenite` in-process.
//! - [`pki`]: a CA and a leaf certificate generated at start-up, for `wss://`.
//! - [`memory`]: the process's peak resident set, for the load tests.
//!
//! Every wait is bounded in count and time; a missing peer is a failure that says how to
//! install it, never a skip.
#![forbid(unsafe_code)]

// The README's three ways in compile (and run, where no network is needed) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub mod hostile;
pub mod memory;
pub mod peers;
pub mod pki;
pub mod record;
pub mod wire;
