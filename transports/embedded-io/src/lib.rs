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
//! Commands (`send`, `ping`, `close`) only queue (`send_in_place`, for a payload larger
//! than the send buffer, writes its frame before it returns). `next_event(handle)` first
//! returns queued events of any task; otherwise it applies due timers, or writes what the
//! task has queued and reads once from its stream. `Ok(None)` means that turn made no event: call again.
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
//! # On a host, blocking
//! Over std's `TcpStream` (through `embedded_io_adapters::std::FromStd`, as in the example
//! above), this driver is sockettask's client with the fewest system calls: `send` then
//! [`Driver::flush`] writes the frame at once, and `next_event` waits in one blocking read, 2
//! calls per round trip, as a blocking raw TCP client makes. `sockettask-mio`'s driver, which
//! waits in the caller's `mio::Poll`, makes 3 (`epoll_wait`, then the read). Its loopback
//! ping-pong is in the workspace's `benches/README.md`. One thread serves its tasks in turn:
//! `next_event(task)` reads `task`'s stream, but hands out the next event of any task, in the
//! core's order, so look at the handle that comes with it.
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
//! # permessage-deflate
//! With the `deflate` feature (it turns on `sockettask/deflate`), a task may offer
//! permessage-deflate (RFC 7692) with
//! [`ConnectOptions::per_message_deflate`](sockettask::ConnectOptions::per_message_deflate).
//! When the server accepts, the core inflates each compressed message in place in the task's
//! receive buffer as its frames arrive, without an allocator; `next_event` hands it out
//! inflated. Messages go out uncompressed (RSV1 clear; RFC 7692 lets a sender choose per
//! message), so no compressor sits on the device. This crate adds no code for it: the stream,
//! the reads and the writes are the same.
//!
//! The LZ77 window is storage the caller brings, inside the receive buffer:
//! - Size the receive buffer `max_message + RX_OVERHEAD + inflate_overhead(bits,
//!   no_context_takeover)` ([`RX_OVERHEAD`](sockettask::RX_OVERHEAD) and
//!   `sockettask::inflate_overhead`, both usable in `const`): `bits` is the
//!   `server_max_window_bits` the server accepted, the window 2^`bits` bytes kept between
//!   messages (none with `server_no_context_takeover`), and one byte more proves a message too
//!   large. A shorter buffer cuts the message limit to fit.
//! - Offer `server_max_window_bits: Some(9)` or `Some(10)`: a server that accepts must compress
//!   within a 512 B or 1 KiB window, and the buffer holds no more. `None` lets the server take
//!   up to 15, a 32 KiB window.
//! - The message limit counts inflated bytes: a message that inflates past it fails the task
//!   with 1009 as soon as the output passes the limit, so a small compressed frame cannot
//!   become a decompression bomb.
//! - RAM beyond the buffers: the inflate state (miniz_oxide's `DecompressorOxide`, ≈10.5 KB)
//!   lives in every task slot of the [`Client`](sockettask::Client), `N` of them, whether the
//!   task negotiates the extension or not. See the [footprint](#footprint) for flash and stack.
//!
//! A server that accepts the offer and sends "Hello" twice, compressed with context takeover
//! (RFC 7692 §7.2.3.2), over an in-memory stream:
//!
//! ```
//! # #[cfg(not(feature = "deflate"))] fn main() {}
//! # #[cfg(feature = "deflate")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sockettask::{
//!     Buffers, Client, Config, ConnectOptions, Event, Instant, Limits, Message, PerMessageDeflate,
//!     RX_OVERHEAD, Schemes, inflate_overhead,
//! };
//! use sockettask_embedded_io::Driver;
//! # /// The server's side, in memory: it answers the upgrade request with a 101 that accepts
//! # /// the offer, then sends its frames; the stream ends when they are all read.
//! # struct Server {
//! #     to_client: std::collections::VecDeque<u8>,
//! #     from_client: Vec<u8>,
//! #     frames: &'static [u8],
//! # }
//! # impl Server {
//! #     fn new(frames: &'static [u8]) -> Self {
//! #         Server { to_client: Default::default(), from_client: Vec::new(), frames }
//! #     }
//! #     /// What the client wrote after its upgrade request.
//! #     fn written_frames(&self) -> &[u8] {
//! #         let end = self.from_client.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
//! #         &self.from_client[end + 4..]
//! #     }
//! # }
//! # impl embedded_io::ErrorType for Server { type Error = embedded_io::ErrorKind; }
//! # impl embedded_io::Read for Server {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.to_client.len());
//! #         buf.iter_mut().zip(self.to_client.drain(..n)).for_each(|(b, x)| *b = x);
//! #         Ok(n)
//! #     }
//! # }
//! # impl embedded_io::Write for Server {
//! #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
//! #         let answered = self.from_client.windows(4).any(|w| w == b"\r\n\r\n");
//! #         self.from_client.extend_from_slice(buf);
//! #         let request = String::from_utf8_lossy(&self.from_client).into_owned();
//! #         if !answered && request.ends_with("\r\n\r\n") {
//! #             let offer = "\r\nSec-WebSocket-Extensions: permessage-deflate; \
//! #                 server_max_window_bits=10; client_max_window_bits\r\n";
//! #             assert!(request.contains(offer), "{request}");
//! #             let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
//! #             let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
//! #             let response = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//! #                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\
//! #                 Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n");
//! #             self.to_client.extend(response.as_bytes());
//! #             self.to_client.extend(self.frames);
//! #         }
//! #         Ok(buf.len())
//! #     }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//!
//! // Messages of up to 1 KiB, inflated, and a 1 KiB window kept between them.
//! const MAX_MESSAGE: usize = 1024;
//! const RX_LEN: usize = MAX_MESSAGE + RX_OVERHEAD + inflate_overhead(10, false);
//! assert_eq!(RX_LEN, 1024 + 160 + (1024 + 1));
//!
//! let limits = Limits { max_message_size: MAX_MESSAGE, ..Limits::default() };
//! let config = Config { schemes: Schemes::AllowInsecure, limits, ..Config::default() };
//! let storage = [Buffers::new([0u8; RX_LEN], [0u8; RX_LEN])];
//! let client: Client<_, _, 1> = Client::new(config, rand::rng(), storage)?;
//! let mut driver = Driver::new(client, || Instant::ZERO);
//!
//! // The server answers `Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10`,
//! // then sends "Hello" compressed (RSV1 set: 0xc1), "Hello" again as one back-reference into
//! // the first, and its close (1000).
//! let stream = Server::new(&[
//!     0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00,
//!     0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00,
//!     0x88, 0x02, 0x03, 0xe8,
//! ]);
//! let offer = PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() };
//! let options = ConnectOptions::new("ws://device.local/ws").per_message_deflate(offer);
//! let task = driver.connect_socket(stream, &options)?;
//!
//! loop {
//!     match driver.next_event(task)? {
//!         Some((_, Event::Open(open))) => {
//!             let accepted = open.per_message_deflate.expect("the server took the offer");
//!             assert_eq!(accepted.server_max_window_bits, 10);
//!         }
//!         Some((task, Event::Message(message))) => {
//!             assert_eq!(message, Message::Text("Hello"));
//!             driver.send(task, Message::Text("Hello"))?; // goes out uncompressed
//!         }
//!         Some((_, Event::Close(close))) => {
//!             assert_eq!(close.code.0, 1000);
//!             break;
//!         }
//!         Some((_, Event::Error(error))) => return Err(error.into()),
//!         None => {}
//!     }
//! }
//! // Each echo: FIN + text with RSV1 clear (0x81), masked, 5 bytes (0x85), mask, payload.
//! let server = driver.take_stream(task).expect("CLOSED");
//! let frames = server.written_frames();
//! assert_eq!(frames[..2], [0x81, 0x85]);
//! assert_eq!(frames[11..13], [0x81, 0x85]);
//! # Ok(())
//! # }
//! ```
//!
//! # Logging
//! With the `defmt` feature, the core logs each task's connect (scheme, host and port), open
//! (with the subprotocol), close (code, reason, who started it) and every error, and this
//! crate a stream that fails or accepts no byte of a write, through `defmt` at debug and info
//! level: never payload bytes. `defmt` keeps those levels only when `DEFMT_LOG` asks for them
//! (`DEFMT_LOG=debug`); the program then links a global logger (`defmt-rtt`, …).
//!
//! # Footprint
//! The client program of `size/` for thumbv7em-none-eabihf (Cortex-M4F): connect to a `wss` URL
//! (the stream stands in for TLS) offering one subprotocol with an `Origin` header, send one
//! text, receive one message, close; one task, 1 KiB receive and 1 KiB send buffer, the default
//! configuration (strict response checks, fail-fast UTF-8, the default limits). The URL,
//! subprotocol, header and message go through `core::hint::black_box`, as a device reads them
//! from its configuration, so LTO cannot evaluate the URL and header checks at compile time.
//! Release build on the stable toolchain: `opt-level = "s"`, fat LTO, one codegen unit,
//! `panic = "abort"`, without the `defmt` feature (off, logging leaves no code).
//!
//! Flash is `.text` + `.rodata` + `.ARM.exidx` + `.data`; RAM is `.bss` (`.data` is 0 in all of
//! them) and the stack, a worst-case walk of the direct calls from `_start` over `llvm-objdump
//! -d`. Measured by `size/measure.sh` on 2026-12-03, on the tree these docs come with, all rows
//! from the same run. The goal is 20 KiB (20 480 B) for `sockettask`, met (144 B under it); CI
//! runs the script and fails when `sockettask` grows past 20 480 B, or when
//! `sockettask_deflate` needs more than 4 096 B of stack.
//!
//! | program | flash | `.bss` | stack |
//! |---|---|---|---|
//! | `sockettask`: this transport and the core | 20 336 B | 2 960 B (2 KiB buffers + 912 B driver) | ≤ 2 144 B |
//! | `sockettask_err_msg`: the same, writing each failure's `errMsg` with [`ErrMsg::text`](sockettask::ErrMsg::text) (no `core::fmt`) | 24 440 B | 2 960 B | ≤ 2 168 B |
//! | `sockettask_deflate`: the same with `deflate`, offering a 1 KiB window | 32 708 B | 14 520 B (3 073 B buffers + 11 447 B driver, most of it the inflate state) | ≤ 2 416 B |
//! | `core_only`: the core alone, driven by hand | 20 148 B | 2 048 B (2 KiB buffers; the client lives on the stack) | ≤ 3 016 B |
//! | `embedded_websocket`: embedded-websocket 0.9.5, same program, hidden the same | 11 998 B | 3 072 B (3 × 1 KiB buffers) | ≤ 2 108 B |
//!
//! `sockettask_deflate` offers `server_max_window_bits: Some(10)`; its receive buffer grows by
//! `inflate_overhead(10, false)` = 1 025 B so the message limit stays the same. Inflate adds
//! miniz_oxide's inflate and the in-place window handling to flash and, per task slot, 10.5 KB
//! of RAM for its state, which belongs to the task slot: it is built there, in place, the first
//! time a compressed message arrives, and started again in place for each new stream, never
//! on the stack.
//!
//! Both link a SHA-1 (the sha1 crate's portable code, about 2.3 KB; 0.11 here, 0.10 there)
//! and httparse (about 1.7 KB). The rest of the difference is what embedded-websocket leaves out: URL and
//! IP-literal checks, response header rules beyond the accept key, extension negotiation,
//! timeouts, size limits, fail-fast UTF-8, the close handshake rules and the event queue.
//! `errMsg` costs the words of every message (about 2 KB of `.rodata`) and their selection;
//! through `core::fmt` it cost about 1.4 KB more.
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
