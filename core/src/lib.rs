//! # sockettask
//!
//! The mini-program WebSocket API (`connectSocket` → `SocketTask`) as a client core that is
//! `#![no_std]`, needs no allocator and does no I/O (**sans-IO**): bytes in, bytes out, events
//! out, time passed in. It covers the client opening handshake (request building, full
//! response validation, subprotocol verification, request-header rules), the RFC 6455 frame
//! codec, and the SocketTask lifecycle for up to 5 tasks (a const generic) in caller-owned
//! buffers. Drivers for real streams live in `sockettask-mio` (desktop/server, TLS) and
//! `sockettask-embedded-io` (microcontrollers).
//!
//! ## The call order
//!
//! A driver owns the streams, the clock and the buffers, and calls the [`Client`]. Every call
//! that needs the time takes `now` first, as quinn-proto's do:
//!
//! 1. **Commands**: [`Client::connect_socket`] (`connectSocket`: checks the options, queues
//!    the request, returns a [`Handle`]), [`Client::send`], [`Client::close`],
//!    [`Client::ping`].
//! 2. **Bytes out**: for each task, write [`Client::transmit_data`] to its stream and report
//!    what was written with [`Client::advance_transmit`] (or copy with
//!    [`Client::poll_transmit`]).
//! 3. **Bytes in**: [`Client::handle_input`] (returns how much it took; offer the rest again
//!    after polling events), or read straight into [`Client::input_buffer`] and report with
//!    [`Client::handle_read`]. Then [`Client::handle_eof`] when the stream ends, or
//!    [`Client::handle_transport_error`] when it fails.
//! 4. **Events out**: drain [`Client::poll_event`]. Events borrow the client (messages are
//!    handed out in place, not copied) until the next call. Each task reports at most one
//!    `Open`, one `Error` and one `Close`, `Close` last (S11). **State follows event
//!    order**: bytes buffered behind an event (a close frame, a protocol error) take effect
//!    only when the next event is polled, so while you handle a message the task is still
//!    OPEN and a reply you send goes out before the close frame. Commands and queries never
//!    parse ahead; polling and new input do.
//! 5. **Time in**: call [`Client::handle_timeout`] once [`Client::poll_timeout`] is due.
//! 6. A task whose [`Client::ready_state`] is [`ReadyState::Closed`] is over: drop its stream.
//!    Its slot is reused once its last event was polled; its old handle reads as CLOSED.
//!
//! Every call is non-blocking, so the loop fits any event loop: mio, an RTOS task, an async
//! executor, a test with a virtual clock.
//!
//! ## Example
//!
//! One task, with the server's bytes written by hand (RFC 6455 §5.7's "Hello"):
//!
//! ```
//! use core::convert::Infallible;
//! use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant, Message};
//!
//! // Any `rand_core` RNG; this one draws zeros so the key below is known.
//! struct Zeros;
//! impl rand_core::TryRng for Zeros {
//!     type Error = Infallible;
//!     fn try_next_u32(&mut self) -> Result<u32, Infallible> { Ok(0) }
//!     fn try_next_u64(&mut self) -> Result<u64, Infallible> { Ok(0) }
//!     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
//!         dst.fill(0);
//!         Ok(())
//!     }
//! }
//!
//! // One task slot with 1 KiB buffers (up to 5 by default).
//! let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
//! let mut client: Client<[u8; 1024], Zeros> = Client::new(Config::default(), Zeros, storage)?;
//! let now = Instant::from_millis(0);
//!
//! // connectSocket: checked and queued, nothing sent yet.
//! let task = client.connect_socket(now, &ConnectOptions::new("wss://example.com/chat"))?;
//! assert_eq!(task.socket_task_id(), 1);
//!
//! // Bytes out: the handshake request, written to the stream by the driver. Its key is
//! // base64 of the 16 zero bytes the RNG above drew.
//! let request = client.transmit_data(task);
//! let text = core::str::from_utf8(request)?;
//! assert!(text.starts_with("GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
//! assert!(text.contains("\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"));
//! let written = request.len();
//! client.advance_transmit(now, task, written);
//!
//! // Bytes in: the 101 response (its accept is base64(SHA-1(key + GUID)) for that key) and
//! // a first frame, in whatever pieces the stream gives.
//! let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n";
//! client.handle_input(now, task, response);
//! client.handle_input(now, task, &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
//!
//! // Events out.
//! let mut seen = Vec::new();
//! while let Some((handle, event)) = client.poll_event() {
//!     assert_eq!(handle, task);
//!     match event {
//!         Event::Open(open) => seen.push(format!("open, protocol {:?}", open.protocol)),
//!         Event::Message(Message::Text(text)) => seen.push(format!("text {text}")),
//!         Event::Message(Message::Binary(bytes)) => seen.push(format!("{} bytes", bytes.len())),
//!         Event::Error(error) => seen.push(format!("error {}", error.err_msg())),
//!         Event::Close(close) => seen.push(format!("close {} {}", close.code, close.reason)),
//!     }
//! }
//! assert_eq!(seen, ["open, protocol None", "text Hello"]);
//!
//! // Commands: a masked text frame, then the close handshake.
//! client.send(task, Message::Text("hi"))?;
//! client.close(now, task, None, "bye")?;
//! let frames = client.transmit_data(task);
//! assert_eq!(&frames[..2], &[0x81, 0x82]); // FIN + text, masked, 2 bytes
//!
//! // Time in: the server never answers the close; the close timeout ends the task.
//! let deadline = client.poll_timeout().expect("close timer armed");
//! client.handle_timeout(deadline);
//! let Some((_, Event::Close(close))) = client.poll_event() else { panic!("expected close") };
//! assert_eq!(close.code.0, 1006);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Sizing the buffers
//!
//! Each task slot has a receive and a send buffer ([`Buffers`]), and
//! [`Limits::max_message_size`] is the one setting for the largest message, the same in both
//! directions, counted in payload bytes. A receive buffer of `max_message_size +`
//! [`RX_OVERHEAD`] bytes receives such a message whole, and a send buffer of
//! `max_message_size +` [`TX_OVERHEAD`] bytes queues one. Smaller buffers lower the limit:
//! the effective limit is the smaller of the setting and what the buffer can hold, and a
//! larger message fails the task with 1009 when received, and is refused with
//! [`SendError::MessageTooLarge`] (payload figures) when sent.
//!
//! ## Errors
//!
//! Errors are enums split by blame (STYLE rule 8):
//!
//! - The caller misused the API: [`ConnectError`], [`SendError`], [`CloseError`],
//!   [`ConfigError`].
//! - The peer sent garbage or misbehaved: [`HandshakeError`], [`ProtocolError`], each protocol
//!   error carrying its close code.
//! - The transport failed: [`TransportError`], reported by the driver through
//!   [`Client::handle_transport_error`].
//!
//! [`TaskError`] is what an `onError` event carries. Each error implements `Display` (what
//! happened, in words) and offers `err_msg()`, the mini-program `errMsg` text, for code
//! ported from a mini-program. Every error is `'static`, `Send` and `Sync` and implements
//! `core::error::Error`, so `?` takes it into a `Box<dyn std::error::Error>`: a
//! [`ConnectError`] quotes the caller's URL or header by value (an [`Excerpt`] of at most
//! [`EXCERPT_LEN`] bytes) and outlives the options it refused.
//!
//! ## Logging
//!
//! Off by default, and then no code at all. The `log` feature writes through the `log`
//! facade, the `defmt` feature through `defmt` (for microcontrollers): each task's connect
//! (scheme, host and port: never the URL's path or query, which may carry credentials),
//! open (with the subprotocol), close (code, reason, who started it and what ended it) and
//! every `onError`, at info level, each line starting with the task's `socketTaskId`; the
//! peer's answer to the client's close at debug. Never payload bytes, nor a header value but
//! the chosen subprotocol.
//!
//! ## Layers
//!
//! Inside, each layer is its own module: URL → handshake (key, request, response) → frame
//! (header, decode, encode, mask, close) → message reassembly and UTF-8 → the task lifecycle
//! → the [`Client`] table. Only the types above are public; the codec is not, so it can
//! change without breaking callers.
#![no_std]
// Network input must never panic: no unwrap, expect, panic or unchecked indexing outside tests.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(all(feature = "alloc", feature = "deflate"))]
extern crate alloc;

mod buffers;
mod client;
mod close_code;
mod config;
mod error;
mod event;
mod frame;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod handshake;
mod log;
mod ready_state;
mod receive;
mod socket;
mod time;
mod transmit;
mod url;
mod utf8;

pub use buffers::{BufferUse, Buffers};
pub use client::{Client, DEFAULT_MAX_TASKS, Handle};
pub use close_code::CloseCode;
pub use config::{
    Config, ConnectOptions, DEFAULT_CLOSE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_FRAGMENTS,
    DEFAULT_MAX_HEADER_BLOCK, DEFAULT_MAX_MESSAGE_SIZE, FailureEvents, Limits, MIN_BUFFER_LEN, Schemes,
};
pub use error::{
    CLOSE_OK, CONNECT_OK, CloseError, ConfigError, ConnectError, EXCERPT_LEN, ErrMsg, Excerpt,
    HandshakeError, ProtocolError, SEND_OK, SendError, TaskError, TlsError, TransportError, UrlError,
};
pub use error::{ERR_MSG_LEN, ErrMsgText};
pub use event::{Close, Event, Message, Open};
pub use frame::close::MAX_REASON_LEN;
pub use handshake::extension::{
    DeflateOfferError, DeflateParameter, ExtensionError, Negotiated, PerMessageDeflate,
};
pub use handshake::request::ForbiddenHeaders;
pub use handshake::response::{HeaderIter, Headers, MAX_RESPONSE_HEADERS, ProtocolCheck};
pub use ready_state::ReadyState;
pub use receive::RX_OVERHEAD;
#[cfg(feature = "deflate")]
pub use receive::inflate_overhead;
pub use time::Instant;
pub use transmit::{DATA_RESERVE, TX_OVERHEAD};
pub use url::{HostKind, Scheme, Url};

/// Longest comma-separated subprotocol list kept to verify the server's choice.
pub const MAX_PROTOCOLS_BYTES: usize = 256;
