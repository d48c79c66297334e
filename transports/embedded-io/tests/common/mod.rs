//! What the loopback tests share: a real RFC 6455 server (tungstenite) on a std thread, the
//! clock, the client's config, and events copied out of the driver so tests read as scripts;
//! an in-memory scripted server ([`peer`]); with the `async` feature, the async tests' runtime
//! ([`asynch`]).
#![allow(dead_code, unreachable_pub)]

#[cfg(feature = "async")]
pub mod asynch;
pub mod peer;

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use sockettask::{Config, Event, Instant, Message, Schemes, TaskError};
use tungstenite::WebSocket;

/// How long any test waits for one thing before it gives up.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// A one-connection server running `script` on the accepted WebSocket.
pub struct Server {
    pub port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/test", self.port)
    }

    pub fn tcp(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the loopback server");
        stream.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        stream
    }

    /// Waits for the script to finish and passes on its panic.
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            thread.join().expect("server script");
        }
    }
}

/// Starts a server: TCP accept, then the WebSocket handshake, then `script`.
pub fn serve(script: impl FnOnce(WebSocket<TcpStream>) + Send + 'static) -> Server {
    serve_tcp(move |tcp| script(tungstenite::accept(tcp).expect("server handshake")))
}

/// Starts a server that runs `script` on the accepted TCP stream, before any handshake.
pub fn serve_tcp(script: impl FnOnce(TcpStream) + Send + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    let thread = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        script(tcp);
    });
    Server { port, thread: Some(thread) }
}

/// An echo script: text and binary messages come back; ends when the client closes.
pub fn echo(mut ws: WebSocket<TcpStream>) {
    while let Ok(message) = ws.read() {
        if message.is_text() || message.is_binary() {
            ws.send(message).expect("echo");
        }
    }
}

/// The client's clock: microseconds since the first call in this process.
pub fn clock() -> Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    Instant::from_micros(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX))
}

/// `ws://` allowed, a short close timeout.
pub fn config() -> Config {
    Config { schemes: Schemes::AllowInsecure, close_timeout: Duration::from_millis(500), ..Config::default() }
}

/// An event copied out of the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16, String),
}

impl From<Event<'_>> for Ev {
    fn from(event: Event<'_>) -> Self {
        match event {
            Event::Open(_) => Ev::Open,
            Event::Message(Message::Text(t)) => Ev::Text(t.to_owned()),
            Event::Message(Message::Binary(b)) => Ev::Binary(b.to_vec()),
            Event::Error(e) => Ev::Error(e),
            Event::Close(c) => Ev::Close(c.code.0, c.reason.to_owned()),
        }
    }
}

/// A stream that hands over at most `chunk` bytes per read or write and fails every other
/// call with `Interrupted`: short reads, short writes and retries on every byte.
pub struct Choppy<T> {
    pub inner: T,
    pub chunk: usize,
    interrupt: bool,
}

impl<T> Choppy<T> {
    pub fn new(inner: T, chunk: usize) -> Self {
        Choppy { inner, chunk, interrupt: false }
    }

    fn interrupted(&mut self) -> bool {
        self.interrupt = !self.interrupt;
        self.interrupt
    }
}

impl<T> embedded_io::ErrorType for Choppy<T> {
    type Error = io::Error;
}

impl<T: embedded_io::Read<Error = io::Error>> embedded_io::Read for Choppy<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        if self.interrupted() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.chunk);
        self.inner.read(&mut buf[..n])
    }
}

impl<T: embedded_io::Write<Error = io::Error>> embedded_io::Write for Choppy<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        if self.interrupted() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.chunk);
        self.inner.write(&buf[..n])
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        self.inner.flush()
    }
}

/// std on Unix reports a passed read timeout as `WouldBlock`, which embedded-io maps to
/// `Other`; embedded stacks report `TimedOut`. This wrapper makes std do the same.
pub struct Ticking<T>(pub T);

impl<T> embedded_io::ErrorType for Ticking<T> {
    type Error = io::Error;
}

impl<T: embedded_io::Read<Error = io::Error>> embedded_io::Read for Ticking<T> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        self.0.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock => io::ErrorKind::TimedOut.into(),
            _ => e,
        })
    }
}

impl<T: embedded_io::Write<Error = io::Error>> embedded_io::Write for Ticking<T> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        self.0.flush()
    }
}

/// A std `TcpStream` that also says whether a read would block (`ReadReady`).
pub struct Polled(pub std::net::TcpStream);

impl embedded_io::ErrorType for Polled {
    type Error = io::Error;
}

impl embedded_io::Read for Polled {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        io::Read::read(&mut self.0, buf)
    }
}

impl embedded_io::Write for Polled {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        io::Write::write(&mut self.0, buf)
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        io::Write::flush(&mut self.0)
    }
}

impl embedded_io::ReadReady for Polled {
    fn read_ready(&mut self) -> Result<bool, io::Error> {
        self.0.set_nonblocking(true)?;
        let peeked = self.0.peek(&mut [0]);
        self.0.set_nonblocking(false)?;
        match peeked {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Runs `f` on its own thread and returns its result, or fails when it takes longer than
/// `limit`: a driver loop that blocks for good fails the test instead of stalling the suite
/// (the thread is left behind; the test process ends it).
pub fn within<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {limit:?}"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked (see above)"),
    }
}

/// A server that reads the upgrade request and then says nothing for `silence`, with TCP up.
pub fn serve_silent_after_request(silence: Duration) -> Server {
    serve_tcp(move |mut tcp| {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && io::Read::read(&mut tcp, &mut byte).is_ok_and(|n| n == 1) {
            head.push(byte[0]);
        }
        std::thread::sleep(silence);
    })
}

/// A server that answers the upgrade, then writes `frames` in one write and says nothing
/// for `silence` (TCP stays up, nothing more is read).
pub fn serve_frames_then_silence(frames: Vec<u8>, silence: Duration) -> Server {
    serve(move |mut ws| {
        io::Write::write_all(ws.get_mut(), &frames).expect("frames");
        std::thread::sleep(silence);
    })
}

/// A server that answers the upgrade, then writes its close frame (`code`, `reason`) with
/// `trailing` bytes behind it in the same write (0xAB: a reserved opcode, were they parsed),
/// reads the client's close (tungstenite answers it: more bytes to drop) and ends TCP.
pub fn serve_close_then_trailing_bytes(code: u16, reason: &'static str, trailing: usize) -> Server {
    serve(move |mut ws| {
        let mut wire = vec![0x88, u8::try_from(2 + reason.len()).expect("a short reason")];
        wire.extend_from_slice(&code.to_be_bytes());
        wire.extend_from_slice(reason.as_bytes());
        wire.resize(wire.len() + trailing, 0xAB);
        io::Write::write_all(ws.get_mut(), &wire).expect("close and trailing bytes");
        while ws.read().is_ok() {}
    })
}

/// `count` unmasked text frames `"m0"`, `"m1"`, … back to back.
pub fn text_frames(count: usize) -> Vec<u8> {
    (0..count)
        .flat_map(|i| {
            let text = format!("m{i}");
            [&[0x81, text.len() as u8][..], text.as_bytes()].concat()
        })
        .collect()
}
