//! A hostile server: a raw TCP listener on 127.0.0.1 that answers one client with a script
//! of bytes, delays, EOF or a reset, then records everything the client sends back.
//!
//! ```no_run
//! use sockettask_tests::hostile::{Script, UPGRADE};
//! use sockettask_tests::wire::frame;
//!
//! // A valid 101 response, then a text frame "Hi" and a close frame in the same write.
//! let script = Script::new().respond(UPGRADE).send(&frame(0x1, b"Hi")).send(&[0x88, 0x00]);
//! let server = script.serve();
//! // ... connect a client to ws://127.0.0.1:{server.port()}/ ...
//! let seen = server.finish();
//! assert_eq!(seen.frames()[0].close_code(), None);
//! ```
//!
//! Once the script has played, the server reads what the client sends; when that includes
//! a close frame it ends its side of TCP (as a server should, RFC 6455 §7.1.1), and it stops
//! at the client's EOF or after [`RECORD_LIMIT`].

use std::cell::RefCell;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::SockRef;
use sockettask_mio::{Client, ConnectOptions, Options, ReadyState};
use tungstenite::handshake::derive_accept_key;

use crate::record::{Log, Rec, run_one, run_to_end};
use crate::wire::{ClientFrame, parse_frame, parse_frames};

/// A valid `101` response; `{accept}` stands for the right `Sec-WebSocket-Accept` value.
pub const UPGRADE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n";

/// Longest the server waits for the client to connect or to send its request.
pub const ACCEPT_LIMIT: Duration = Duration::from_secs(10);
/// Longest the server records the client's bytes once its script has played.
pub const RECORD_LIMIT: Duration = Duration::from_secs(10);

/// One step of a script.
#[derive(Clone, Debug)]
enum Step {
    /// Bytes written in one piece, `{accept}` replaced.
    Respond(Vec<u8>),
    /// Raw bytes written in one piece.
    Send(Vec<u8>),
    /// Bytes written one at a time, each after the delay, `{accept}` replaced.
    Dribble(Vec<u8>, Duration),
    /// A pause.
    Sleep(Duration),
    /// FIN: the server's side of TCP ends; it still reads.
    Eof,
    /// RST: `SO_LINGER` 0, then close.
    Reset,
}

/// What the server plays after reading the client's request.
#[derive(Clone, Debug, Default)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// An empty script: the server reads the request and then only records.
    pub fn new() -> Script {
        Script::default()
    }

    /// Writes `bytes` in one piece, with `{accept}` replaced by the right accept value.
    pub fn respond(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Respond(bytes.as_ref().to_vec()))
    }

    /// Writes `bytes` in one piece.
    pub fn send(self, bytes: &[u8]) -> Script {
        self.step(Step::Send(bytes.to_vec()))
    }

    /// Writes `bytes` (`{accept}` replaced) one byte at a time, `every` apart.
    pub fn dribble(self, bytes: impl AsRef<[u8]>, every: Duration) -> Script {
        self.step(Step::Dribble(bytes.as_ref().to_vec(), every))
    }

    /// Waits `d`.
    pub fn sleep(self, d: Duration) -> Script {
        self.step(Step::Sleep(d))
    }

    /// Ends the server's side of TCP (FIN) and goes on reading.
    pub fn eof(self) -> Script {
        self.step(Step::Eof)
    }

    /// Resets the connection (RST) and stops.
    pub fn reset(self) -> Script {
        self.step(Step::Reset)
    }

    fn step(mut self, step: Step) -> Script {
        self.steps.push(step);
        self
    }

    /// Binds 127.0.0.1:0 and serves one connection with this script on its own thread.
    pub fn serve(self) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let thread = thread::spawn(move || play(&listener, &self.steps));
        Server { port, thread }
    }
}

/// A running hostile server.
#[derive(Debug)]
pub struct Server {
    port: u16,
    thread: JoinHandle<Seen>,
}

impl Server {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for the server to finish (bounded by [`ACCEPT_LIMIT`] and [`RECORD_LIMIT`]) and
    /// returns what it saw.
    pub fn finish(self) -> Seen {
        self.thread.join().expect("hostile server thread panicked")
    }
}

/// What the server saw of the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// The request head, up to and including `\r\n\r\n`.
    pub request: String,
    /// Every byte the client sent after its request.
    pub sent: Vec<u8>,
}

impl Seen {
    /// The frames the client sent after its request.
    pub fn frames(&self) -> Vec<ClientFrame> {
        parse_frames(&self.sent)
    }

    /// The close frames the client sent (there must be at most one).
    pub fn close_frames(&self) -> Vec<ClientFrame> {
        self.frames().into_iter().filter(|f| f.opcode == 0x8).collect()
    }

    /// The code of the one close frame the client sent: `Some(None)` for a close frame
    /// without a code, `None` when it sent no close frame. Panics on two close frames.
    pub fn close_code(&self) -> Option<Option<u16>> {
        let closes = self.close_frames();
        assert!(closes.len() <= 1, "the client sent {} close frames", closes.len());
        closes.first().map(ClientFrame::close_code)
    }
}

/// Runs one client task against `script` and returns its events and what the server saw.
/// `connect` gives the protocols, headers and timeout (its URL is replaced by the server's,
/// path `/`); the task must end within 10 s.
pub fn run(script: Script, options: Options, connect: ConnectOptions<'_>) -> (Vec<Rec>, Seen) {
    let server = script.serve();
    let url = server.url("/");
    let events = run_one(options, ConnectOptions { url: &url, ..connect }, Duration::from_secs(10));
    (events, server.finish())
}

/// The headers an `onOpen` listener saw, in order, each value as bytes.
pub type OpenHeaders = Vec<(String, Vec<u8>)>;

/// [`run`], also recording the headers of the task's `onOpen` event (empty when it never
/// opened).
pub fn run_with_headers(
    script: Script,
    options: Options,
    connect: ConnectOptions<'_>,
) -> (Vec<Rec>, OpenHeaders, Seen) {
    let server = script.serve();
    let url = server.url("/");
    let mut client = Client::new(options).expect("client");
    let task = client.connect_socket(ConnectOptions { url: &url, ..connect }).expect("connectSocket");
    let log = Log::attach(&mut client, task);
    let headers = Rc::new(RefCell::new(OpenHeaders::new()));
    let seen = Rc::clone(&headers);
    task.on_open(&mut client, move |_, _, open| {
        let all = open.header.iter().map(|(name, value)| (name.to_owned(), value.to_vec()));
        seen.borrow_mut().extend(all);
    });
    run_to_end(&mut client, Duration::from_secs(10));
    assert_eq!(task.ready_state(&client), ReadyState::Closed);
    let headers = headers.borrow().clone();
    (log.events(), headers, server.finish())
}

fn play(listener: &TcpListener, steps: &[Step]) -> Seen {
    let mut seen = Seen::default();
    let Some(mut stream) = accept(listener) else { return seen };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(ACCEPT_LIMIT));
    seen.request = read_head(&mut stream);
    let accept = derive_accept_key(header(&seen.request, "sec-websocket-key").unwrap_or_default().as_bytes());
    for step in steps {
        let played = match step {
            Step::Respond(bytes) => stream.write_all(&with_accept(bytes, &accept)),
            Step::Send(bytes) => stream.write_all(bytes),
            Step::Dribble(bytes, every) => dribble(&mut stream, &with_accept(bytes, &accept), *every),
            Step::Sleep(d) => {
                thread::sleep(*d);
                Ok(())
            }
            Step::Eof => stream.shutdown(std::net::Shutdown::Write),
            Step::Reset => {
                let _ = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                return seen;
            }
        };
        if played.is_err() {
            break;
        }
    }
    seen.sent = record(&mut stream);
    seen
}

/// `bytes` with every `{accept}` replaced by `accept`.
fn with_accept(bytes: &[u8], accept: &str) -> Vec<u8> {
    const PLACEHOLDER: &[u8] = b"{accept}";
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.starts_with(PLACEHOLDER) {
            out.extend_from_slice(accept.as_bytes());
            rest = &rest[PLACEHOLDER.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// Accepts one connection within [`ACCEPT_LIMIT`].
fn accept(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + ACCEPT_LIMIT;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                return Some(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => return None,
        }
    }
    None
}

/// Reads byte by byte up to the end of an HTTP head (or EOF, error, 64 KiB).
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 << 10 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The value of the first header called `name` in an HTTP head.
pub fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn dribble(stream: &mut TcpStream, bytes: &[u8], every: Duration) -> std::io::Result<()> {
    for byte in bytes {
        thread::sleep(every);
        stream.write_all(std::slice::from_ref(byte))?;
    }
    Ok(())
}

/// Reads until the client's EOF, an error or [`RECORD_LIMIT`]; ends the server's side once
/// a whole close frame has arrived.
fn record(stream: &mut TcpStream) -> Vec<u8> {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let deadline = Instant::now() + RECORD_LIMIT;
    let (mut sent, mut buf, mut ended) = (Vec::new(), [0u8; 4096], false);
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sent.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        if !ended && has_close(&sent) {
            ended = true;
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
    }
    sent
}

fn has_close(mut bytes: &[u8]) -> bool {
    while let Some((frame, len)) = parse_frame(bytes) {
        if frame.opcode == 0x8 {
            return true;
        }
        bytes = &bytes[len..];
    }
    false
}
