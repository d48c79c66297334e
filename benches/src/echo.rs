//! The loopback echo clients, one per contender, all against [`crate::server::echo_server`]:
//! `sockets` connections, binary messages, each echoed whole.
//!
//! - [`Ours`]: the `sockettask-mio` [`Driver`] in a caller-owned `mio::Poll` (the transport's
//!   lowest-overhead mode: messages are read in place from the core's buffer).
//! - [`Blocking`]: the `sockettask-embedded-io` blocking [`sockettask_embedded_io::Driver`]
//!   over std's `TcpStream`s (through `embedded_io_adapters::std::FromStd`): one write per
//!   message and one blocking read per echo, as [`Raw`] does.
//! - [`Tungstenite`]: `tungstenite::client::client` over blocking `std::net::TcpStream`s.
//! - [`Fast`]: fastwebsockets over tokio `TcpStream`s on a current-thread runtime, upgraded by
//!   hand (its own handshake needs hyper), reading through a `FragmentCollector`.
//! - [`Raw`]: blocking `TcpStream`s writing and reading the payload bytes, no WebSocket.
//! - [`RawMio`]: the same bytes over non-blocking sockets in a `mio::Poll`, no WebSocket: the
//!   floor of any client driven by readiness, as [`Ours`] is (a round trip waits in
//!   `epoll_wait` and then reads, one system call more than [`Raw`]'s blocking read).
//! - [`RawWs`]: blocking `TcpStream`s writing a frame masked in advance and reading the echo
//!   by its length, no WebSocket library (diagnosis: the WebSocket server's floor).
//! - [`CoreLoop`]: sockettask's core alone in the leanest loop over blocking `TcpStream`s, no
//!   transport crate (diagnosis: the floor of any driver over the core).
//!
//! Every client sets `TCP_NODELAY`. Blocking clients serve sockets round-robin; with at most
//! [`window`] messages in flight per socket the kernel's loopback buffers never fill up.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;

use sockettask_mio::mio::{self, Events, Interest, Poll, Token};
use sockettask_mio::{Config, ConnectOptions, Driver, Event, Limits, Message, Options, Schemes, SocketTask};

/// Messages in flight per socket when pipelining `size`-byte messages.
pub fn window(size: usize) -> usize {
    if size >= 16 << 10 { 4 } else { 32 }
}

/// One contender's echo client.
pub trait EchoClient {
    /// One message on every socket, then wait for every echo (one in flight per socket).
    fn ping_pong(&mut self, payload: &[u8]);
    /// `messages` echoes in all, spread over the sockets, [`window`] in flight per socket;
    /// returns once every echo is back.
    fn pipelined(&mut self, payload: &[u8], messages: u64);
}

/// Counts of a pipelined run: what to send next and when to stop.
#[derive(Debug)]
struct Pipeline {
    total: u64,
    sent: u64,
    received: u64,
}

impl Pipeline {
    fn new(total: u64) -> Self {
        Pipeline { total, sent: 0, received: 0 }
    }

    /// Whether another message may go out now (counts it as sent).
    fn take(&mut self) -> bool {
        let more = self.sent < self.total;
        self.sent += u64::from(more);
        more
    }

    fn done(&self) -> bool {
        self.received >= self.total
    }
}

/// Runs a blocking round-robin pipeline: `send(i)` and `recv(i)` on socket `i`.
fn round_robin(
    sockets: usize,
    window: usize,
    total: u64,
    mut send: impl FnMut(usize),
    mut recv: impl FnMut(usize),
) {
    let mut run = Pipeline::new(total);
    let mut in_flight = vec![0usize; sockets];
    for _ in 0..window {
        for (i, n) in in_flight.iter_mut().enumerate() {
            if run.take() {
                send(i);
                *n += 1;
            }
        }
    }
    while !run.done() {
        for (i, n) in in_flight.iter_mut().enumerate() {
            if *n > 0 {
                recv(i);
                run.received += 1;
                *n -= 1;
                if run.take() {
                    send(i);
                    *n += 1;
                }
            }
        }
    }
}

// ---- raw TCP ---------------------------------------------------------------------------

/// The raw TCP echo baseline.
#[derive(Debug)]
pub struct Raw {
    streams: Vec<TcpStream>,
    buf: Vec<u8>,
    window: usize,
}

impl Raw {
    /// `sockets` connections to the raw echo, for `size`-byte messages.
    ///
    /// # Panics
    ///
    /// If loopback connections fail (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> Raw {
        let port = crate::server::echo_server().raw;
        let streams = (0..sockets)
            .map(|_| {
                let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                tcp.set_nodelay(true).expect("nodelay");
                tcp
            })
            .collect();
        Raw { streams, buf: vec![0; size], window: window(size) }
    }
}

impl EchoClient for Raw {
    fn ping_pong(&mut self, payload: &[u8]) {
        for tcp in &mut self.streams {
            tcp.write_all(payload).expect("write");
        }
        for tcp in &mut self.streams {
            tcp.read_exact(&mut self.buf[..payload.len()]).expect("read");
        }
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let count = self.streams.len();
        let streams = std::cell::RefCell::new(&mut self.streams);
        let buf = &mut self.buf[..payload.len()];
        round_robin(
            count,
            self.window,
            messages,
            |i| streams.borrow_mut()[i].write_all(payload).expect("write"),
            |i| streams.borrow_mut()[i].read_exact(buf).expect("read"),
        );
    }
}

// ---- raw TCP over mio ------------------------------------------------------------------

/// Raw TCP driven by readiness: the payload bytes over non-blocking sockets registered in a
/// `mio::Poll`, the loop [`Ours`] runs (wait, then read what is ready) with no WebSocket work
/// and no driver. What is left between this and [`Raw`] is the readiness loop's own cost.
#[derive(Debug)]
pub struct RawMio {
    poll: Poll,
    events: Events,
    streams: Vec<mio::net::TcpStream>,
    /// Per socket: a readable event came and the socket is not drained yet.
    readable: Vec<bool>,
    /// Per socket: bytes echoed and not yet counted as a whole message.
    partial: Vec<usize>,
    /// Per socket: whole messages echoed and not yet answered.
    whole: Vec<u64>,
    buf: Vec<u8>,
    window: usize,
}

impl RawMio {
    /// `sockets` connections to the raw echo, for `size`-byte messages.
    ///
    /// # Panics
    ///
    /// If loopback connections or their registration fail (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> RawMio {
        let port = crate::server::echo_server().raw;
        let poll = Poll::new().expect("poll");
        let streams = (0..sockets)
            .map(|i| {
                let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                tcp.set_nodelay(true).expect("nodelay");
                tcp.set_nonblocking(true).expect("non-blocking");
                let mut tcp = mio::net::TcpStream::from_std(tcp);
                let interest = Interest::READABLE | Interest::WRITABLE;
                poll.registry().register(&mut tcp, Token(i), interest).expect("register");
                tcp
            })
            .collect();
        let buf = vec![0; (size * window(size)).max(4096)];
        let (readable, partial, whole) = (vec![false; sockets], vec![0; sockets], vec![0; sockets]);
        let events = Events::with_capacity(64);
        RawMio { poll, events, streams, readable, partial, whole, buf, window: window(size) }
    }

    /// Writes all of `payload` to socket `i`, waiting for room when it is full.
    fn write(&mut self, i: usize, payload: &[u8]) {
        let mut sent = 0;
        while sent < payload.len() {
            match self.streams[i].write(&payload[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.wait(),
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Waits for readiness and notes which sockets became readable (edge-triggered: each is
    /// read until it is drained before its flag clears).
    fn wait(&mut self) {
        self.poll.poll(&mut self.events, None).expect("poll");
        for event in self.events.iter() {
            if event.is_readable() {
                self.readable[event.token().0] = true;
            }
        }
    }

    /// Waits for readiness and reads what every readable socket holds, until it is drained,
    /// counting the whole `size`-byte messages that came back in [`RawMio::whole`]; how many.
    fn turn(&mut self, size: usize) -> u64 {
        self.wait();
        let mut messages = 0;
        for (i, tcp) in self.streams.iter_mut().enumerate() {
            while self.readable[i] {
                match tcp.read(&mut self.buf) {
                    Ok(0) => panic!("the echo server closed"),
                    Ok(n) => {
                        let bytes = self.partial[i] + n;
                        let whole = (bytes / size) as u64;
                        (self.partial[i], self.whole[i]) = (bytes % size, self.whole[i] + whole);
                        messages += whole;
                        // A short read drained the socket (as `Ours` judges it too).
                        self.readable[i] = n == self.buf.len();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.readable[i] = false,
                    Err(e) => panic!("read: {e}"),
                }
            }
        }
        messages
    }
}

impl EchoClient for RawMio {
    fn ping_pong(&mut self, payload: &[u8]) {
        for i in 0..self.streams.len() {
            self.write(i, payload);
        }
        let mut left = self.streams.len() as u64;
        while left > 0 {
            left = left.saturating_sub(self.turn(payload.len()));
        }
        self.whole.fill(0);
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let mut run = Pipeline::new(messages);
        let sockets = self.streams.len();
        for _ in 0..self.window {
            for i in 0..sockets {
                if run.take() {
                    self.write(i, payload);
                }
            }
        }
        while !run.done() {
            self.turn(payload.len());
            for i in 0..sockets {
                for _ in 0..std::mem::take(&mut self.whole[i]) {
                    run.received += 1;
                    if run.take() {
                        self.write(i, payload);
                    }
                }
            }
        }
    }
}

// ---- WebSocket bytes, no WebSocket library -------------------------------------------------

/// The WebSocket server's floor: blocking sockets that write a frame masked once in advance
/// and read the echoed frame back by its length, no parsing, no library. What is left
/// between this and [`Raw`] is the server's WebSocket work and the frames' 6 + 2 bytes.
#[derive(Debug)]
pub struct RawWs {
    streams: Vec<TcpStream>,
    frame: Vec<u8>,
    buf: Vec<u8>,
}

impl RawWs {
    /// `sockets` connections to the WebSocket echo, upgraded by hand.
    ///
    /// # Panics
    ///
    /// If connecting or the upgrade fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> RawWs {
        let port = crate::server::echo_server().ws;
        let streams = (0..sockets)
            .map(|_| {
                let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                tcp.set_nodelay(true).expect("nodelay");
                let request = crate::wire::request("127.0.0.1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
                tcp.write_all(request.as_bytes()).expect("write");
                let mut response = Vec::new();
                while !response.ends_with(b"\r\n\r\n") {
                    let mut byte = [0u8; 1];
                    tcp.read_exact(&mut byte).expect("read");
                    response.push(byte[0]);
                }
                assert!(response.starts_with(b"HTTP/1.1 101"), "upgrade refused");
                tcp
            })
            .collect();
        RawWs { streams, frame: Vec::new(), buf: vec![0; size + 14] }
    }

    /// The masked client frame of `payload`, built once.
    fn frame(&mut self, payload: &[u8]) -> usize {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        if self.frame.len() < payload.len() {
            self.frame.clear();
            crate::wire::push_header(&mut self.frame, 0x80 | crate::wire::BINARY, payload.len());
            self.frame[1] |= 0x80;
            self.frame.extend_from_slice(&mask);
            let at = self.frame.len();
            self.frame.extend_from_slice(payload);
            crate::xor_in_place(&mut self.frame[at..], mask);
        }
        // The echo: the header without the mask bit and key, then the payload.
        self.frame.len() - 4
    }
}

impl EchoClient for RawWs {
    fn ping_pong(&mut self, payload: &[u8]) {
        let echo = self.frame(payload);
        for tcp in &mut self.streams {
            tcp.write_all(&self.frame).expect("write");
        }
        for tcp in &mut self.streams {
            tcp.read_exact(&mut self.buf[..echo]).expect("read");
        }
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let echo = self.frame(payload);
        let count = self.streams.len();
        let streams = std::cell::RefCell::new(&mut self.streams);
        let (frame, buf) = (&self.frame, &mut self.buf[..echo]);
        round_robin(
            count,
            window(payload.len()),
            messages,
            |i| streams.borrow_mut()[i].write_all(frame).expect("write"),
            |i| streams.borrow_mut()[i].read_exact(buf).expect("read"),
        );
    }
}

// ---- sockettask-embedded-io, blocking ---------------------------------------------------

/// The clock of [`Blocking`]: microseconds since its first call.
fn clock() -> sockettask::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    sockettask::Instant::from_micros(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX))
}

/// A client that reads one socket at a time ([`Blocking`], [`CoreLoop`]): its ping-pong and
/// pipelined runs are sends and waits for echoes on socket `i` in turn.
trait OneAtATime {
    /// How many sockets (tasks) it has.
    fn sockets(&self) -> usize;
    /// Messages in flight per socket when pipelining.
    fn window(&self) -> usize;
    /// Queues `payload` on socket `i` and writes it.
    fn send(&mut self, i: usize, payload: &[u8]);
    /// Waits for socket `i`'s next echo.
    fn echo(&mut self, i: usize);
}

impl<C: OneAtATime> EchoClient for C {
    fn ping_pong(&mut self, payload: &[u8]) {
        for i in 0..self.sockets() {
            self.send(i, payload);
        }
        for i in 0..self.sockets() {
            self.echo(i);
        }
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let (count, window) = (self.sockets(), self.window());
        let this = std::cell::RefCell::new(self);
        round_robin(
            count,
            window,
            messages,
            |i| this.borrow_mut().send(i, payload),
            |i| this.borrow_mut().echo(i),
        );
    }
}

/// The core of [`Blocking`] and [`CoreLoop`]: 5 slots whose buffers each hold a window of
/// `size`-byte messages, and the configuration [`Ours`] gives its driver (the same limits
/// for the same flow).
fn blocking_core(size: usize) -> sockettask::Client<Box<[u8]>, crate::TestRng> {
    let bytes = (window(size) * (size + 14)).max(4096);
    let storage = [(); sockettask::DEFAULT_MAX_TASKS].map(|()| {
        sockettask::Buffers::new(vec![0; bytes].into_boxed_slice(), vec![0; bytes].into_boxed_slice())
    });
    let config = Ours::options(size).config;
    sockettask::Client::new(config, crate::TestRng::new(3), storage).expect("client")
}

/// Waits for socket `i`'s next echo (a binary message) for a client that reads one socket
/// at a time but gets the events of all: one of `early` (echoes that came while another
/// socket was read), or else the next from `next` (`None`: none yet, call again), counting
/// other sockets' echoes in `early`.
fn await_echo(
    early: &mut [u32],
    tasks: &[sockettask::Handle],
    i: usize,
    mut next: impl FnMut() -> Option<sockettask::Handle>,
) {
    if early[i] > 0 {
        early[i] -= 1;
        return;
    }
    loop {
        let Some(from) = next() else { continue };
        if from == tasks[i] {
            return;
        }
        let j = tasks.iter().position(|&t| t == from).expect("one of ours");
        early[j] += 1;
    }
}

/// The task an echo came from, for [`await_echo`]; `None` for no event.
///
/// # Panics
///
/// On any event but a binary message.
fn echo_from(event: Option<(sockettask::Handle, sockettask::Event<'_>)>) -> Option<sockettask::Handle> {
    match event? {
        (from, sockettask::Event::Message(sockettask::Message::Binary(bytes))) => {
            black_box(bytes);
            Some(from)
        }
        (_, other) => panic!("expected a binary message, got {other:?}"),
    }
}

/// The blocking driver of [`Blocking`]: up to 5 tasks over std's `TcpStream`s.
type BlockingDriver = sockettask_embedded_io::Driver<
    embedded_io_adapters::std::FromStd<TcpStream>,
    Box<[u8]>,
    crate::TestRng,
    fn() -> sockettask::Instant,
>;

/// sockettask's blocking driver (`sockettask-embedded-io`) over std's blocking `TcpStream`s:
/// `send` then `flush` writes each message at once; `next_event` reads with one blocking
/// read. The system calls of [`Raw`]: a write per message and a read per echo.
///
/// `next_event(task)` reads `task`'s stream, but returns the next event of any task (the
/// core's order): an echo of another socket, parsed from bytes read before, is counted for
/// that socket in its `early` counts and taken from there when that socket's turn comes.
#[derive(Debug)]
pub struct Blocking {
    driver: BlockingDriver,
    tasks: Vec<sockettask::Handle>,
    /// Per socket: echoes that came while another socket was read, not yet counted.
    early: Vec<u32>,
    window: usize,
}

impl Blocking {
    /// `sockets` tasks (at most 5) to the WebSocket echo, all OPEN, for `size`-byte
    /// messages; each slot's buffers hold a window of messages.
    ///
    /// # Panics
    ///
    /// If connecting or the handshake fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> Blocking {
        let port = crate::server::echo_server().ws;
        let mut driver = BlockingDriver::new(blocking_core(size), clock);
        let url = format!("ws://127.0.0.1:{port}/");
        let tasks: Vec<_> = (0..sockets)
            .map(|_| {
                let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                tcp.set_nodelay(true).expect("nodelay");
                let stream = embedded_io_adapters::std::FromStd::new(tcp);
                driver
                    .connect_socket(stream, &sockettask::ConnectOptions::new(&url))
                    .map_err(|_| "refused")
                    .expect("connect")
            })
            .collect();
        // Each task's Open, in whichever order the core hands them out.
        let mut open = 0;
        while open < sockets {
            let task = tasks[open];
            if let Some((_, event)) = driver.next_event(task).expect("next_event") {
                assert!(matches!(event, sockettask::Event::Open(_)), "expected Open, got {event:?}");
                open += 1;
            }
        }
        Blocking { driver, early: vec![0; sockets], tasks, window: window(size) }
    }
}

impl OneAtATime for Blocking {
    fn sockets(&self) -> usize {
        self.tasks.len()
    }

    fn window(&self) -> usize {
        self.window
    }

    fn send(&mut self, i: usize, payload: &[u8]) {
        let task = self.tasks[i];
        self.driver.send(task, sockettask::Message::Binary(payload)).expect("send");
        self.driver.flush(task).expect("flush");
    }

    /// Reads `i`'s stream (blocking) until the echo comes, through the driver.
    fn echo(&mut self, i: usize) {
        let (driver, task) = (&mut self.driver, self.tasks[i]);
        await_echo(&mut self.early, &self.tasks, i, || {
            echo_from(driver.next_event(task).expect("next_event"))
        });
    }
}

// ---- tungstenite -------------------------------------------------------------------------

/// tungstenite over blocking sockets.
#[derive(Debug)]
pub struct Tungstenite {
    sockets: Vec<tungstenite::WebSocket<TcpStream>>,
    window: usize,
}

impl Tungstenite {
    /// `sockets` connections to the WebSocket echo, for `size`-byte messages.
    ///
    /// # Panics
    ///
    /// If connecting or the handshake fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> Tungstenite {
        let port = crate::server::echo_server().ws;
        let sockets = (0..sockets)
            .map(|_| {
                let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                tcp.set_nodelay(true).expect("nodelay");
                let url = format!("ws://127.0.0.1:{port}/");
                tungstenite::client::client(url, tcp).expect("handshake").0
            })
            .collect();
        Tungstenite { sockets, window: window(size) }
    }

    fn read(ws: &mut tungstenite::WebSocket<TcpStream>) {
        match ws.read().expect("read") {
            tungstenite::Message::Binary(bytes) => {
                black_box(&bytes[..]);
            }
            other => panic!("expected binary, got {other:?}"),
        }
    }
}

impl EchoClient for Tungstenite {
    fn ping_pong(&mut self, payload: &[u8]) {
        let bytes = tungstenite::Bytes::copy_from_slice(payload);
        for ws in &mut self.sockets {
            ws.send(tungstenite::Message::Binary(bytes.clone())).expect("send");
        }
        for ws in &mut self.sockets {
            Self::read(ws);
        }
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let bytes = tungstenite::Bytes::copy_from_slice(payload);
        let count = self.sockets.len();
        let sockets = std::cell::RefCell::new(&mut self.sockets);
        round_robin(
            count,
            self.window,
            messages,
            |i| sockets.borrow_mut()[i].send(tungstenite::Message::Binary(bytes.clone())).expect("send"),
            |i| Self::read(&mut sockets.borrow_mut()[i]),
        );
    }
}

// ---- fastwebsockets ---------------------------------------------------------------------

type FastSocket = fastwebsockets::FragmentCollector<tokio::net::TcpStream>;

/// fastwebsockets over tokio on a current-thread runtime.
pub struct Fast {
    runtime: tokio::runtime::Runtime,
    sockets: Vec<FastSocket>,
    scratch: Vec<u8>,
    window: usize,
}

impl std::fmt::Debug for Fast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fast").field("sockets", &self.sockets.len()).finish_non_exhaustive()
    }
}

impl Fast {
    /// `sockets` connections to the WebSocket echo, for `size`-byte messages.
    ///
    /// # Panics
    ///
    /// If the runtime, connecting or the upgrade fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> Fast {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
        let port = crate::server::echo_server().ws;
        let sockets = runtime.block_on(async {
            let mut all = Vec::new();
            for _ in 0..sockets {
                all.push(Self::upgrade(port).await);
            }
            all
        });
        Fast { runtime, sockets, scratch: vec![0; size], window: window(size) }
    }

    async fn upgrade(port: u16) -> FastSocket {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let request = crate::wire::request("127.0.0.1", "/", "dGhlIHNhbXBsZSBub25jZQ==");
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        while !response.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            tcp.read_exact(&mut byte).await.expect("read");
            response.push(byte[0]);
        }
        assert!(response.starts_with(b"HTTP/1.1 101"), "upgrade refused");
        let ws = fastwebsockets::WebSocket::after_handshake(tcp, fastwebsockets::Role::Client);
        fastwebsockets::FragmentCollector::new(ws)
    }

    async fn send(ws: &mut FastSocket, scratch: &mut [u8]) {
        let frame = fastwebsockets::Frame::binary(fastwebsockets::Payload::BorrowedMut(scratch));
        ws.write_frame(frame).await.expect("write");
    }

    async fn read(ws: &mut FastSocket) {
        let frame = ws.read_frame().await.expect("read");
        assert_eq!(frame.opcode, fastwebsockets::OpCode::Binary);
        black_box(&frame.payload[..]);
    }
}

impl EchoClient for Fast {
    fn ping_pong(&mut self, payload: &[u8]) {
        let Fast { runtime, sockets, scratch, .. } = self;
        scratch[..payload.len()].copy_from_slice(payload);
        let scratch = &mut scratch[..payload.len()];
        runtime.block_on(async {
            for ws in sockets.iter_mut() {
                Self::send(ws, scratch).await;
            }
            for ws in sockets.iter_mut() {
                Self::read(ws).await;
            }
        });
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let Fast { runtime, sockets, scratch, window } = self;
        scratch[..payload.len()].copy_from_slice(payload);
        let scratch = &mut scratch[..payload.len()];
        runtime.block_on(async {
            let mut run = Pipeline::new(messages);
            let mut in_flight = vec![0usize; sockets.len()];
            for _ in 0..*window {
                for (ws, n) in sockets.iter_mut().zip(&mut in_flight) {
                    if run.take() {
                        Self::send(ws, scratch).await;
                        *n += 1;
                    }
                }
            }
            while !run.done() {
                for (ws, n) in sockets.iter_mut().zip(&mut in_flight) {
                    if *n > 0 {
                        Self::read(ws).await;
                        run.received += 1;
                        *n -= 1;
                        if run.take() {
                            Self::send(ws, scratch).await;
                            *n += 1;
                        }
                    }
                }
            }
        });
    }
}

// ---- sockettask-mio -----------------------------------------------------------------------

/// The sockettask-mio [`Driver`] in its own `mio::Poll`.
#[derive(Debug)]
pub struct Ours {
    poll: Poll,
    events: Events,
    driver: Driver,
    tasks: Vec<SocketTask>,
    window: usize,
}

impl Ours {
    /// The driver's options for `size`-byte messages: limits (which bound the buffers) set to
    /// the message and the window, not to the 1 MiB defaults; the buffers start at the
    /// default 4 KiB and grow to what the flow needs.
    pub fn options(size: usize) -> Options {
        let limits = Limits { max_message_size: size.max(64 << 10), ..Limits::default() };
        Options {
            config: Config { schemes: Schemes::AllowInsecure, limits, ..Config::default() },
            max_buffered_amount: window(size) * (size + 14),
            tcp_no_delay: true,
            ..Options::default()
        }
    }

    /// `sockets` tasks to the WebSocket echo, all OPEN, for `size`-byte messages.
    ///
    /// # Panics
    ///
    /// If connecting fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> Ours {
        Self::connect_with(sockets, size, Self::options(size))
    }

    /// As [`Ours::connect`], with the driver built from `options`.
    ///
    /// # Panics
    ///
    /// If the options are refused or connecting fails (benchmark set-up only).
    pub fn connect_with(sockets: usize, size: usize, options: Options) -> Ours {
        let port = crate::server::echo_server().ws;
        let poll = Poll::new().expect("poll");
        let mut driver = Driver::new(options).expect("driver");
        let url = format!("ws://127.0.0.1:{port}/");
        let tasks = (0..sockets)
            .map(|i| {
                driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(i)).expect("connect")
            })
            .collect();
        let mut ours = Ours { poll, events: Events::with_capacity(64), driver, tasks, window: window(size) };
        let mut open = 0;
        while open < sockets {
            ours.turn(|_, event| match event {
                Event::Open(_) => open += 1,
                other => panic!("expected Open, got {other:?}"),
            });
        }
        ours
    }

    /// The bytes of the driver's buffers, every slot's ([`Driver::buffer_bytes`]).
    pub fn buffer_bytes(&self) -> usize {
        self.driver.buffer_bytes()
    }

    /// Turns the loop with nothing to send for `time` (the driver's timers run: its buffers
    /// shrink on one).
    ///
    /// # Panics
    ///
    /// If an event arrives meanwhile (nothing was sent, so nothing should).
    pub fn rest(&mut self, time: std::time::Duration) {
        let end = std::time::Instant::now() + time;
        while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
            let timeout = self.driver.poll_timeout().map_or(left, |t| t.min(left));
            self.poll.poll(&mut self.events, Some(timeout)).expect("poll");
            for event in self.events.iter() {
                self.driver.handle_readiness(event);
            }
            if let Some((_, event)) = self.driver.poll_event(self.poll.registry()) {
                panic!("expected no event while resting, got {event:?}");
            }
        }
    }

    /// One loop turn: wait for readiness, forward it, hand every event to `on_event`.
    fn turn(&mut self, mut on_event: impl FnMut(SocketTask, &Event<'_>)) {
        let timeout = self.driver.poll_timeout();
        self.poll.poll(&mut self.events, timeout).expect("poll");
        for event in self.events.iter() {
            self.driver.handle_readiness(event);
        }
        while let Some((task, event)) = self.driver.poll_event(self.poll.registry()) {
            on_event(task, &event);
        }
    }

    /// Turns until `count` messages came back, calling `on_message` for each (it may send:
    /// the event's borrow has ended by then). The documented loop: wait (no longer than
    /// `poll_timeout`), forward readiness, poll events until `None`. A `send` writes its frame
    /// at once, so nothing is left to do before the first wait.
    fn until(&mut self, count: u64, mut on_message: impl FnMut(&mut Driver, SocketTask)) {
        let mut received = 0;
        while received < count {
            let timeout = self.driver.poll_timeout();
            self.poll.poll(&mut self.events, timeout).expect("poll");
            for event in self.events.iter() {
                self.driver.handle_readiness(event);
            }
            loop {
                let task = match self.driver.poll_event(self.poll.registry()) {
                    None => break,
                    Some((task, Event::Message(Message::Binary(bytes)))) => {
                        black_box(bytes);
                        task
                    }
                    Some((_, other)) => panic!("expected a binary message, got {other:?}"),
                };
                received += 1;
                on_message(&mut self.driver, task);
            }
        }
    }
}

impl EchoClient for Ours {
    fn ping_pong(&mut self, payload: &[u8]) {
        for &task in &self.tasks {
            self.driver.send(task, Message::Binary(payload)).expect("send");
        }
        self.until(self.tasks.len() as u64, |_, _| {});
    }

    fn pipelined(&mut self, payload: &[u8], messages: u64) {
        let mut run = Pipeline::new(messages);
        for _ in 0..self.window {
            for &task in &self.tasks {
                if run.take() {
                    self.driver.send(task, Message::Binary(payload)).expect("send");
                }
            }
        }
        self.until(messages, |driver, task| {
            if run.take() {
                driver.send(task, Message::Binary(payload)).expect("send");
            }
        });
    }
}

// ---- the core alone, blocking ------------------------------------------------------------

/// sockettask's core (`sockettask::Client`) driven by the leanest loop over blocking
/// `TcpStream`s, no transport crate: queue, write what [`sockettask::Client::transmit_data`]
/// holds, read into [`sockettask::Client::input_buffer`], poll. The floor of any driver over
/// the core, as [`Raw`] is of any client (diagnosis: what [`Blocking`] adds).
///
/// It reads the clock twice a round trip (after the write, after the read) and looks at the
/// core's timers only before a read, applying them when due; none is armed in this
/// configuration. It writes only after a send, and never flushes the stream (std's
/// `TcpStream` has nothing to flush). A loop for real use would also bound each read by the
/// next timer and write what the core queues of itself (a pong, a close); the echo server
/// sends neither ping nor close. Same storage, configuration and round-robin as [`Blocking`].
#[derive(Debug)]
pub struct CoreLoop {
    client: sockettask::Client<Box<[u8]>, crate::TestRng>,
    tasks: Vec<sockettask::Handle>,
    streams: Vec<TcpStream>,
    /// Per socket: echoes that came while another socket was read, not yet counted.
    early: Vec<u32>,
    window: usize,
}

impl CoreLoop {
    /// `sockets` tasks (at most 5) to the WebSocket echo, all OPEN, for `size`-byte
    /// messages; each slot's buffers hold a window of messages.
    ///
    /// # Panics
    ///
    /// If connecting or the handshake fails (benchmark set-up only).
    pub fn connect(sockets: usize, size: usize) -> CoreLoop {
        let port = crate::server::echo_server().ws;
        let client = blocking_core(size);
        let url = format!("ws://127.0.0.1:{port}/");
        let mut this = CoreLoop {
            client,
            tasks: Vec::new(),
            streams: Vec::new(),
            early: vec![0; sockets],
            window: window(size),
        };
        for _ in 0..sockets {
            let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            tcp.set_nodelay(true).expect("nodelay");
            let options = sockettask::ConnectOptions::new(&url);
            this.tasks.push(this.client.connect_socket(clock(), &options).expect("connect_socket"));
            this.streams.push(tcp);
        }
        // Each task's Open, in whichever order the core hands them out.
        let mut open = 0;
        while open < sockets {
            let i = open;
            this.flush(i);
            match this.client.poll_event() {
                Some((_, sockettask::Event::Open(_))) => open += 1,
                Some((_, other)) => panic!("expected Open, got {other:?}"),
                None => read(&mut this.client, this.tasks[i], &mut this.streams[i]),
            }
        }
        this
    }

    /// Writes what the core queued for socket `i`.
    fn flush(&mut self, i: usize) {
        let task = self.tasks[i];
        loop {
            let data = self.client.transmit_data(task);
            if data.is_empty() {
                return;
            }
            let n = self.streams[i].write(data).expect("write");
            assert!(n > 0, "the stream took no byte");
            self.client.advance_transmit(clock(), task, n);
        }
    }
}

impl OneAtATime for CoreLoop {
    fn sockets(&self) -> usize {
        self.tasks.len()
    }

    fn window(&self) -> usize {
        self.window
    }

    fn send(&mut self, i: usize, payload: &[u8]) {
        self.client.send(self.tasks[i], sockettask::Message::Binary(payload)).expect("send");
        self.flush(i);
    }

    /// Polls the core, reading `i`'s stream (blocking) while no event waits.
    fn echo(&mut self, i: usize) {
        let CoreLoop { client, tasks, streams, early, .. } = self;
        await_echo(early, tasks, i, || match client.poll_event() {
            None => {
                read(client, tasks[i], &mut streams[i]);
                None
            }
            event => echo_from(event),
        });
    }
}

/// For [`CoreLoop`]: applies the core's due timers, or else reads `task`'s stream once
/// (blocking) into the core.
fn read(
    client: &mut sockettask::Client<Box<[u8]>, crate::TestRng>,
    task: sockettask::Handle,
    stream: &mut TcpStream,
) {
    if let Some(at) = client.poll_timeout() {
        let now = clock();
        if at <= now {
            client.handle_timeout(now);
            return;
        }
    }
    let buf = client.input_buffer(task);
    assert!(!buf.is_empty(), "no room to read into");
    let n = stream.read(buf).expect("read");
    assert!(n > 0, "the echo server closed");
    client.handle_read(clock(), task, n);
}
