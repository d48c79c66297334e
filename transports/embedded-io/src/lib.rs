//! The embedded-io transport of `sockettask`: the mini-program `SocketTask` on a
//! microcontroller, over whatever byte stream the device has.
//!
//! The stream is anything that implements `embedded_io::{Read, Write}` (the [`Driver`]) or,
//! with the `async` feature, `embedded_io_async::{Read, Write}` (the `AsyncDriver`): a TCP
//! socket of the device's network stack, a TLS session from an embedded TLS crate over one, a
//! UART modem. This crate is `#![no_std]`, never allocates, and makes no protocol decision:
//! it moves bytes between the stream and the core's buffers and turns what the stream
//! reports (bytes, end, errors, silence) into the core's `handle_*` calls (STYLE rule 19).
//!
//! # What the caller brings
//! - A [`sockettask::Client`] with its [`Config`](sockettask::Config), a `rand_core` RNG
//!   (WebSocket keys and masks) and one [`Buffers`](sockettask::Buffers) per task slot, sized
//!   by the caller (`[u8; N]` or `&'static mut [u8]`).
//! - A [`Clock`] returning the core's [`Instant`] (any closure `Fn() -> Instant` is one).
//! - One connected stream per task: the driver keeps it in a table parallel to the core's
//!   slots (at most `N`, 5 by default, S3.5) and hands it back with `take_stream` once the
//!   task is CLOSED.
//!
//! # The loop
//! Commands (`send`, `ping`, `close`) only queue. `next_event(handle)` first returns queued
//! events of any task; otherwise it applies due timers, or writes what the task has queued
//! and reads once from its stream. `Ok(None)` means that turn made no event: call again.
//! A call never reads when nothing can come of it: not while the core holds events (bytes
//! already read that parse into more events come first), and never for a CLOSED task, whose
//! calls return [`Error::Closed`] once its last event was polled: the loop's end. After the
//! peer's close the calls read on until the stream ends, into room the core gives and whose
//! bytes it drops.
//!
//! ```
//! use embedded_io_adapters::std::FromStd;
//! use sockettask::{Buffers, Client, CloseCode, Config, ConnectOptions, Event, Instant, Message, Schemes};
//! use sockettask_embedded_io::Driver;
//! # use std::net::{TcpListener, TcpStream};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // A loopback echo server, as any RFC 6455 server would do.
//! # let listener = TcpListener::bind("127.0.0.1:0")?;
//! # let port = listener.local_addr()?.port();
//! # std::thread::spawn(move || {
//! #     let mut ws = tungstenite::accept(listener.accept().unwrap().0).unwrap();
//! #     while let Ok(m) = ws.read() {
//! #         if m.is_text() || m.is_binary() { ws.send(m).unwrap() }
//! #     }
//! # });
//!
//! // Time on the caller's clock; on a device, the timer peripheral or `embassy_time`.
//! let start = std::time::Instant::now();
//! let clock = move || Instant::from_micros(start.elapsed().as_micros() as u64);
//!
//! // One task slot with 1 KiB to receive and 1 KiB to send.
//! let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
//! let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
//! let client: Client<_, _, 1> = Client::new(config, rand::rng(), storage)?;
//! let mut driver = Driver::new(client, clock);
//!
//! // The stream: here std's TcpStream through embedded-io-adapters.
//! let url = format!("ws://127.0.0.1:{port}/chat");
//! let stream = FromStd::new(TcpStream::connect(("127.0.0.1", port))?);
//! let task = driver.connect_socket(stream, &ConnectOptions::new(&url))?;
//!
//! loop {
//!     match driver.next_event(task)? {
//!         Some((task, Event::Open(_))) => driver.send(task, Message::Text("hello"))?,
//!         Some((task, Event::Message(message))) => {
//!             assert_eq!(message, Message::Text("hello"));
//!             driver.close(task, None, "bye")?;
//!         }
//!         Some((_, Event::Close(close))) => {
//!             assert_eq!(close.code, CloseCode::NORMAL);
//!             break;
//!         }
//!         Some((_, Event::Error(error))) => return Err(error.into()),
//!         None => {}
//!     }
//! }
//! let stream = driver.take_stream(task); // the connection is ours again
//! assert!(stream.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! # Timeouts
//! The core's connect timeout (S6) and close timeout fire only when the driver gets to run.
//! - **Blocking**: a read blocks. Give the stream a read timeout that fails the read with
//!   `embedded_io::ErrorKind::TimedOut`: the driver takes that as a tick (never as a failure),
//!   applies due timers on the next call and returns `Ok(None)` meanwhile. Or, when the
//!   stream implements `embedded_io::ReadReady`, call [`Driver::try_next_event`], which reads
//!   only when a read will not block, and poll every task from one superloop.
//! - **Async**: the clock is a `Timer` that can `sleep_until` an [`Instant`]; a read waits at
//!   most until the core's next timer. The read is dropped when the timer wins, so the
//!   stream's `read` must be cancel-safe.
//!
//! `ErrorKind::Interrupted` is retried at once. Every other stream error ends the task: the
//! driver hands it to the core as a [`TransportError`](sockettask::TransportError) (reset,
//! connect or I/O) and returns [`Error::Io`]; the task's `onError` and `onClose { 1006 }`
//! (S12/S13) come from the next `next_event` calls, and then [`Error::Closed`].
//!
//! # On an embedded network stack
//! The driver wants a stream already connected to the URL's host. With embassy-net, a
//! `TcpSocket` is one (its `read` is cancel-safe), for the `AsyncDriver`:
//!
//! ```text
//! let mut socket = embassy_net::tcp::TcpSocket::new(stack, &mut tcp_rx, &mut tcp_tx);
//! socket.connect((server_ip, 443)).await?;
//! let task = driver.connect_socket(socket, &ConnectOptions::new("wss://example.com/ws"))?;
//! ```
//!
//! With smoltcp directly, or a modem's AT socket, wrap the socket handle in a type that
//! implements `embedded_io::{Read, Write}` (and `ReadReady` to poll without blocking).
//!
//! # Under TLS
//! `wss://` needs TLS under the WebSocket, and the stream is whatever implements the traits:
//! an embedded TLS session over the TCP socket is itself a stream. With `embedded-tls`:
//!
//! ```text
//! let mut tls = embedded_tls::TlsConnection::new(socket, &mut record_rx, &mut record_tx);
//! tls.open(TlsContext::new(&TlsConfig::new().with_server_name("example.com"), provider)).await?;
//! let task = driver.connect_socket(tls, &ConnectOptions::new("wss://example.com/ws"))?;
//! ```
//!
//! A TLS alert or record error then arrives as the stream's error and ends the task like any
//! other stream failure.
//!
//! # Logging
//! With the `defmt` feature, the core logs each task's connect (scheme, host and port), open
//! (with the subprotocol), close (code, reason, who started it) and every error, and this
//! crate a stream that fails or accepts no byte of a write, through `defmt` at debug and info
//! level: never payload bytes. `defmt` keeps those levels only when `DEFMT_LOG` asks for them
//! (`DEFMT_LOG=debug`); the program then links a global logger (`defmt-rtt`, …).
//!
//! # Footprint
//! A minimal thumbv7em program with one task (connect over a UART-like stream, send, answer
//! each message, reconnect after the close; 1 KiB receive and 1 KiB send buffer), release
//! build with `opt-level = "s"`, LTO, `panic = "abort"`, measured by `size/measure.sh`
//! (`llvm-size` and a worst-case stack walk over `llvm-objdump -d`), without the `defmt`
//! feature (off, logging leaves no code):
//!
//! | program | flash (`.text` + `.rodata` + `.ARM.exidx`) | `.data` | `.bss` | stack |
//! |---|---|---|---|---|
//! | sockettask + this transport | 29 852 B | 0 | 2 944 B (2 KiB buffers + 896 B driver) | ≤ 912 B |
//! | the sockettask core alone, driven by hand (`core_only`) | 29 190 B | 0 | 2 048 B (2 KiB buffers; the client lives on the stack) | ≤ 2 304 B |
//! | embedded-websocket 0.9.5, same program | 11 654 B | 0 | 3 072 B (3 × 1 KiB buffers) | ≤ 2 032 B |
//!
//! Both link the same SHA-1 (2.9 KB) and httparse (1.5 KB). The rest of the difference is
//! what embedded-websocket leaves out: URL and IP-literal parsing (`core::net`, ~1.5 KB),
//! response header rules beyond the accept key, timeouts, size limits, fail-fast UTF-8, the
//! close handshake rules and the event queue.
//!
//! # Generic over the device's stream
//! ```no_run
//! use embedded_io::{Read, Write};
//! use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant};
//! use sockettask_embedded_io::{Clock, Driver, Error};
//!
//! /// Opens one task on `stream` and reports how many messages arrived before the close.
//! fn run<T: Read + Write>(
//!     stream: T,
//!     rng: impl rand_core::Rng,
//!     clock: impl Clock,
//!     storage: Buffers<&'static mut [u8]>,
//!     url: &str,
//! ) -> Result<usize, Error<T::Error>> {
//!     let Ok(client) = Client::<_, _, 1>::new(Config::default(), rng, [storage]) else {
//!         return Err(Error::Closed);
//!     };
//!     let mut driver = Driver::new(client, clock);
//!     // A refusal becomes `Error::Connect` (the stream is dropped).
//!     let task = driver.connect_socket(stream, &ConnectOptions::new(url))?;
//!     let mut messages = 0;
//!     loop {
//!         match driver.next_event(task) {
//!             Ok(Some((_, Event::Message(_)))) => messages += 1,
//!             Ok(Some((_, Event::Close(_)))) | Err(Error::Closed) => return Ok(messages),
//!             Ok(_) => {}
//!             // The stream failed: the task's onError/onClose follow from the next calls.
//!             Err(Error::Io(_) | Error::WriteZero) => {}
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![no_std]
// Network input must never panic: no unwrap, expect, panic or unchecked indexing outside tests.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(feature = "async")]
mod asynch;
mod blocking;
mod error;
mod session;

#[cfg(feature = "async")]
pub use asynch::{AsyncDriver, Timer};
pub use blocking::Driver;
pub use error::{Error, Refused};
/// The core this crate drives, so a program names one dependency and gets the matching
/// version: `sockettask_embedded_io::sockettask::{Client, Buffers, Config, …}`.
pub use sockettask;
pub use sockettask::Instant;

/// The caller's monotonic clock, in the core's time.
///
/// Any `Fn() -> Instant` closure is a clock:
///
/// ```
/// use sockettask::Instant;
/// use sockettask_embedded_io::Clock;
///
/// let clock = || Instant::from_millis(42);
/// assert_eq!(clock.now(), Instant::from_millis(42));
/// ```
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
}

impl<F: Fn() -> Instant> Clock for F {
    fn now(&self) -> Instant {
        self()
    }
}
