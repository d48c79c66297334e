//! `connectSocket` over [mio] and [rustls]: the mini-program SocketTask API against real
//! `wss://` servers, driven by the sans-IO [`sockettask`] core.
//!
//! The transport is thin: it owns the sockets, the TLS sessions, the clock and the buffers,
//! and turns readiness into the core's `handle_*` calls. Every protocol decision — the
//! handshake, frames, close codes, timeouts, limits — is the core's.
//!
//! Two ways to use it:
//! - [`Client`] runs its own loop and calls listeners: [`Client::connect_socket`], add
//!   `on_open` / `on_message` / `on_error` / `on_close` to the [`SocketTask`], then
//!   [`Client::run`] (until every task is closed), [`Client::run_for`] /
//!   [`Client::run_until`] (the same, or until a deadline) or [`Client::poll`] (one turn).
//!   [`Client::with_state`] gives the client an app state that every listener reaches
//!   through the client it is given ([`Client::state_mut`]).
//! - [`Driver`] plugs the sockets into a `mio::Poll` the caller already runs, under tokens
//!   the caller chooses; the caller forwards readiness and polls events.
//!
//! TLS uses rustls 0.23 with the *ring* provider set explicitly, SNI, and certificate and
//! host-name verification always on; the roots are `webpki-roots` unless [`Tls`] names
//! others (a private CA in DER or PEM, or, with the `native-roots` feature, the operating
//! system's store). DNS runs on a helper thread per lookup; IP literals skip it.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sockettask_mio::{Client, ConnectOptions, Message, Options};
//!
//! let mut client = Client::new(Options::default())?;
//! let task = client.connect_socket(ConnectOptions::new("wss://echo.example/").protocols(&["chat"]))?;
//! task.on_open(&mut client, |client, task, _open| {
//!     let _ = task.send(client, Message::Text("hello"));
//! });
//! task.on_message(&mut client, |client, task, message| {
//!     println!("{message:?}");
//!     let _ = task.close(client, None, "bye");
//! });
//! task.on_close(&mut client, |_, _, close| println!("closed: {} {}", close.code, close.reason));
//! client.run()?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod client;
mod connection;
mod dns;
mod driver;
mod error;
mod options;
mod task;
mod tls;

pub use client::{Client, RunEnd};
pub use driver::Driver;
pub use error::{PollError, SetupError};
pub use options::{DEFAULT_MAX_BUFFERED_AMOUNT, Options};
pub use task::SocketTask;
pub use tls::{RootsError, Tls};

pub use mio;
pub use rustls;
pub use sockettask;
// Every core type this crate's API hands out or takes, so a program needs no other import.
pub use sockettask::{
    Close, CloseCode, CloseError, Config, ConfigError, ConnectError, ConnectOptions,
    DEFAULT_MAX_MESSAGE_SIZE, ErrMsg, Event, Excerpt, FailureEvents, ForbiddenHeaders, HandshakeError,
    HeaderIter, Headers, Limits, Message, Open, ProtocolCheck, ProtocolError, ReadyState, Schemes, SendError,
    TaskError, TlsError, TransportError, UrlError,
};
