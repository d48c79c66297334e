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
//! Each task slot's buffers start small and grow on demand up to the limits, then shrink
//! back ([`BufferPolicy`], in [`Options::buffers`]): memory follows use, not the limits.
//!
//! # When bytes are written and read
//!
//! A command — [`SocketTask::send`], [`SocketTask::ping`], [`SocketTask::close`] (and the
//! same on [`Driver`] and through [`Client`]) — queues its frame in the core and writes it to
//! the socket at once when the socket is up and writable: one `write` (one TLS record for
//! `wss://`), no further call needed; `buffered_amount` is then 0 again. Nothing overtakes
//! anything: the frame goes behind whatever is queued, in one stream. What the socket does
//! not take (it is full: `WouldBlock`) stays queued, counted in `buffered_amount`, and goes
//! out in [`Driver::poll_event`] once a writable event came. A write that fails changes
//! nothing in the command's outcome (`Ok` means queued, SPEC S14): the task fails in the
//! next [`Driver::poll_event`] with the events any transport failure has — onError, then
//! onClose 1006 — the same as when the write happens there.
//!
//! A large binary message whose bytes the caller no longer needs can skip the send buffer:
//! [`Driver::send_owned`] (and [`SocketTask::send_owned`]) takes the `Vec`, the core masks
//! it in place, and it is written from there, in the same order as everything else.
//!
//! Reading happens in [`Driver::poll_event`] after a readable event. On Linux, Android,
//! the BSDs, macOS and iOS (epoll and kqueue) a read that returns less than the room offered
//! has emptied the socket, and the next read waits for the next readable event instead of
//! being made to see `WouldBlock` (as tokio does); elsewhere reading goes on until
//! `WouldBlock`. A ping-pong round trip costs 3 system calls on Linux: the `write` in
//! `send`, one `epoll_wait`, one `read`.
//!
//! With the `log` feature (off by default; nothing at all when off), the transport logs
//! through the `log` facade what only it knows — name resolution, each TCP connect and its
//! failure, TLS and I/O failures, buffer growth and shrink (sizes only) — and turns on the
//! core's own log of each task's open, close and error. Never payload bytes.
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
//!
//! # Layering
//!
//! Each file uses only the files below it in this list, never one above:
//!
//! - `client.rs`: [`Client`], its own `mio::Poll` and the listeners (the `on_*` methods of
//!   [`SocketTask`]); uses `driver`, `options`, `error`, `task`.
//! - `driver.rs`: [`Driver`], the core and the clock (the commands of [`SocketTask`]); uses
//!   `connection`, `buffers`, `dns`, `options`, `error`, `task`.
//! - `connection.rs`: one task's stream (resolve, connect, TLS, bytes to and from the core);
//!   uses `buffers`, `dns`, `tls`, `logging`.
//! - `buffers.rs`: the core's storage, grown and shrunk ([`BufferLens`]); uses `options`,
//!   `error`, `logging`.
//! - `options.rs`: [`Options`] and [`BufferPolicy`]; uses `tls`, `error`.
//! - Leaves, using nothing of this crate: `tls.rs` (roots, rustls), `dns.rs` (the lookup
//!   thread), `error.rs`, `task.rs` (the [`SocketTask`] type alone), `logging.rs` (the log
//!   shim).
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod logging;

mod buffers;
mod client;
mod compress;
mod connection;
mod dns;
mod driver;
mod error;
mod options;
mod task;
mod tls;

pub use buffers::BufferLens;
pub use client::{Client, RunEnd};
pub use compress::Compression;
pub use driver::Driver;
pub use error::{PollError, SetupError, Unsent};
pub use options::{BufferPolicy, DEFAULT_MAX_BUFFERED_AMOUNT, Options};
pub use task::SocketTask;
pub use tls::{RootsError, Tls};

pub use mio;
pub use rustls;
pub use sockettask;
// Every core type this crate's API hands out or takes, so a program needs no other import.
pub use sockettask::{
    Close, CloseCode, CloseError, Config, ConfigError, ConnectError, ConnectOptions,
    DEFAULT_MAX_MESSAGE_SIZE, DeflateOfferError, ErrMsg, Event, Excerpt, ExtensionError, FailureEvents,
    ForbiddenHeaders, HandshakeError, HeaderIter, Headers, Limits, Message, Negotiated, Open,
    PerMessageDeflate, ProtocolCheck, ProtocolError, ReadyState, Schemes, SendError, TaskError, TlsError,
    TransportError, UrlError,
};
