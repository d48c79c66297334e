//! S11, "state follows event order", through the embedded-io drivers against a raw scripted
//! server on loopback: a message that arrives in the same read as the peer's close frame or a
//! protocol error is delivered while the task is OPEN, and the echo sent right after
//! `next_event` handed the message out goes on the wire before the client's close frame.
//!
//! The server is plain TCP (no WebSocket library writes its frames): it answers the upgrade,
//! writes a script's frames in one `write_all`, reads the client's masked frames up to its
//! close frame, and ends the stream. Every script runs through the blocking driver (with
//! `next_event`, and with `try_next_event` over a `ReadReady` stream) and, with the `async`
//! feature, the async driver. Every loop and every read is bounded.

mod common;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use common::{Ev, PATIENCE, Polled, Server, clock, config, serve_tcp};
use embedded_io_adapters::std::FromStd;
use rand::rngs::ThreadRng;
use sockettask::{
    Buffers, Client, ConnectOptions, Event, Handle, Instant, Message, ProtocolError, ReadyState, TaskError,
};
use sockettask_embedded_io::{Driver, Error};
use tungstenite::handshake::derive_accept_key;

const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;

/// One script: what the server writes after the 101, and what the client must do about it.
struct Script {
    name: &'static str,
    /// Unmasked server frames, written in one `write_all`.
    wire: Vec<u8>,
    /// The text messages the client echoes, in order.
    echoes: &'static [&'static str],
    /// The code of the client's close frame, after the echoes.
    close: u16,
    /// The events after `Open`.
    events: Vec<Ev>,
}

/// An unmasked server frame with a payload under 126 bytes; `first` is FIN, RSV and opcode.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let len = u8::try_from(payload.len()).ok().filter(|&n| n < 126).expect("short payload");
    [&[first, len][..], payload].concat()
}

fn text(s: &str) -> Vec<u8> {
    frame(0x80 | OP_TEXT, s.as_bytes())
}

fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    frame(0x80 | OP_CLOSE, &[&code.to_be_bytes()[..], reason.as_bytes()].concat())
}

/// The error event and the close event of a connection the client failed with `error`.
fn failed(error: ProtocolError, code: u16) -> Vec<Ev> {
    vec![Ev::Error(TaskError::Protocol(error)), Ev::Close(code, error.reason().to_owned())]
}

/// A message, then `bad` in the same read: the echo, then the client's close with `code`.
fn message_then(name: &'static str, bad: &[u8], error: ProtocolError, code: u16) -> Script {
    let events = [vec![Ev::Text("last words".into())], failed(error, code)].concat();
    Script {
        name,
        wire: [text("last words"), bad.to_vec()].concat(),
        echoes: &["last words"],
        close: code,
        events,
    }
}

fn scripts() -> Vec<Script> {
    vec![
        Script {
            name: "text then close frame",
            wire: [text("last words"), close_frame(1000, "bye")].concat(),
            echoes: &["last words"],
            close: 1000,
            events: vec![Ev::Text("last words".into()), Ev::Close(1000, "bye".into())],
        },
        message_then("text then RSV1", &[0xC1, 0x00], ProtocolError::ReservedBits, 1002),
        message_then("text then reserved opcode", &[0x83, 0x00], ProtocolError::ReservedOpcode(3), 1002),
        message_then(
            "text then continuation of nothing",
            &[0x80, 0x01, b'x'],
            ProtocolError::UnexpectedContinuation,
            1002,
        ),
        message_then("text then invalid UTF-8", &[0x81, 0x02, 0xFF, 0xFE], ProtocolError::InvalidUtf8, 1007),
        Script {
            name: "fragmented text then RSV1",
            wire: [frame(OP_TEXT, b"frag"), frame(0x00, b"men"), frame(0x80, b"ted"), vec![0xC1, 0x00]]
                .concat(),
            echoes: &["fragmented"],
            close: 1002,
            events: [vec![Ev::Text("fragmented".into())], failed(ProtocolError::ReservedBits, 1002)].concat(),
        },
    ]
}

// ---- the server --------------------------------------------------------------------------

/// The client's frames as the server read them (opcode, unmasked payload), and how reading
/// ended when it ended before a close frame.
type Frames = (Vec<(u8, Vec<u8>)>, Option<String>);

/// Reads the HTTP upgrade request and answers 101 with the accept key of its
/// `Sec-WebSocket-Key` (RFC 6455 §4.2.2).
fn accept_upgrade(tcp: &mut TcpStream) -> io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let key = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key")))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    tcp.write_all(response.as_bytes())
}

/// Reads one client frame (masked, as RFC 6455 §5.3 has it) and returns its opcode and
/// unmasked payload.
fn read_frame(tcp: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head)?;
    if head[1] & 0x80 == 0 {
        return Err(io::Error::other("an unmasked client frame"));
    }
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            tcp.read_exact(&mut b)?;
            usize::from(u16::from_be_bytes(b))
        }
        127 => return Err(io::Error::other("a client frame over 64 KiB")),
        n => usize::from(n),
    };
    let mut mask = [0u8; 4];
    tcp.read_exact(&mut mask)?;
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload)?;
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Ok((head[0] & 0x0f, payload))
}

/// The server's side of one script, on an accepted stream with a read timeout.
fn play(mut tcp: TcpStream, wire: &[u8]) -> Frames {
    let mut frames = Vec::new();
    if let Err(e) = accept_upgrade(&mut tcp).and_then(|()| tcp.write_all(wire)) {
        return (frames, Some(e.to_string()));
    }
    loop {
        match read_frame(&mut tcp) {
            Ok(frame) => {
                let close = frame.0 == OP_CLOSE;
                frames.push(frame);
                if close {
                    // Dropping the stream ends TCP: the server's half of RFC 6455 §7.1.1.
                    return (frames, None);
                }
            }
            Err(e) => return (frames, Some(e.to_string())),
        }
    }
}

// ---- what a run gives, and the checks ----------------------------------------------------

/// What one script did to one driver.
#[derive(Debug, Default)]
struct Outcome {
    events: Vec<Ev>,
    /// For each message: the task's `readyState` while handling it, and the echo's result.
    handled: Vec<(ReadyState, Result<(), String>)>,
    /// Stream failures the driver returned.
    stream_errors: Vec<String>,
    /// Set when the task did not end within [`PATIENCE`].
    hung: bool,
}

impl Outcome {
    /// Records `event`; returns the text to echo when it is a text message.
    fn record(&mut self, event: Event<'_>) -> Option<String> {
        let ev = Ev::from(event);
        let echo = match &ev {
            Ev::Text(text) => Some(text.clone()),
            _ => None,
        };
        self.events.push(ev);
        echo
    }
}

/// Every way `outcome` and the server's `frames` differ from `script`, in words.
fn mismatches(script: &Script, outcome: &Outcome, frames: &Frames) -> Vec<String> {
    let mut wrong = Vec::new();
    if outcome.hung {
        wrong.push(format!("the task did not end within {PATIENCE:?}"));
    }
    if !outcome.stream_errors.is_empty() {
        wrong.push(format!("stream errors {:?}", outcome.stream_errors));
    }
    let events = [vec![Ev::Open], script.events.clone()].concat();
    if outcome.events != events {
        wrong.push(format!("events {:?}, want {events:?}", outcome.events));
    }
    let handled = vec![(ReadyState::Open, Ok(())); script.echoes.len()];
    if outcome.handled != handled {
        wrong.push(format!("(readyState, echo) while handling {:?}, want {handled:?}", outcome.handled));
    }
    let (got, ended) = frames;
    let echoes: Vec<(u8, Vec<u8>)> = script.echoes.iter().map(|e| (OP_TEXT, e.as_bytes().to_vec())).collect();
    let close = got
        .last()
        .filter(|f| f.0 == OP_CLOSE)
        .map(|f| f.1.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])));
    if got.len() != echoes.len() + 1
        || got[..got.len() - 1] != echoes[..]
        || close != Some(Some(script.close))
    {
        let shown: Vec<(u8, String)> =
            got.iter().map(|(op, p)| (*op, String::from_utf8_lossy(p).into())).collect();
        wrong.push(format!(
            "client frames {shown:?} (reading ended by {ended:?}), want echoes {:?} then close {}",
            script.echoes, script.close
        ));
    }
    wrong
}

/// Runs every script through `drive` and fails with every mismatch of every script.
fn each_script(driver: &str, drive: impl Fn(&Server) -> Outcome) {
    let mut failures = Vec::new();
    let started = std::time::Instant::now();
    for script in scripts() {
        let (tx, rx) = mpsc::channel();
        let wire = script.wire.clone();
        let server = serve_tcp(move |tcp| {
            let _ = tx.send(play(tcp, &wire));
        });
        let outcome = drive(&server);
        // The server's reads time out after PATIENCE: the join is bounded.
        server.join();
        let frames = rx.try_recv().unwrap_or_else(|_| (Vec::new(), Some("the server sent nothing".into())));
        for wrong in mismatches(&script, &outcome, &frames) {
            failures.push(format!("{driver}, {}: {wrong}", script.name));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(started.elapsed() < 2 * PATIENCE, "took {:?}", started.elapsed());
}

// ---- the blocking driver -----------------------------------------------------------------

type TestDriver<T> = Driver<T, [u8; 2048], ThreadRng, fn() -> Instant, 1>;

fn driver<T: embedded_io::Read + embedded_io::Write>() -> TestDriver<T> {
    let storage = [Buffers::new([0; 2048], [0; 2048])];
    Driver::new(Client::new(config(), rand::rng(), storage).expect("client"), clock as fn() -> Instant)
}

/// What the loop does with the result of one `next_event` call; `false` once the task is over.
fn after_call<T: embedded_io::Read<Error = io::Error> + embedded_io::Write>(
    d: &mut TestDriver<T>,
    task: Handle,
    outcome: &mut Outcome,
    echo: Result<Option<String>, Error<io::Error>>,
) -> bool {
    match echo {
        Ok(Some(text)) => {
            let state = d.client().ready_state(task);
            let sent = d.send(task, Message::Text(&text)).map_err(|e| e.to_string());
            outcome.handled.push((state, sent));
        }
        Ok(None) => {}
        Err(Error::Closed) => return false,
        Err(e) => outcome.stream_errors.push(e.to_string()),
    }
    true
}

/// The blocking `next_event`: echoes each message right after it was handed out.
fn through_blocking(server: &Server) -> Outcome {
    let mut d = driver();
    let task =
        d.connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new(&server.url())).expect("connect");
    let mut outcome = Outcome::default();
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        let echo = d.next_event(task).map(|e| e.and_then(|(_, event)| outcome.record(event)));
        if !after_call(&mut d, task, &mut outcome, echo) {
            return outcome;
        }
    }
    outcome.hung = true;
    outcome
}

/// `try_next_event` over a `ReadReady` stream, as a superloop polls: reads only what is there.
fn through_try_next_event(server: &Server) -> Outcome {
    let mut d = driver();
    let task = d.connect_socket(Polled(server.tcp()), &ConnectOptions::new(&server.url())).expect("connect");
    let mut outcome = Outcome::default();
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        let echo = d.try_next_event(task).map(|e| e.and_then(|(_, event)| outcome.record(event)));
        if matches!(echo, Ok(None)) {
            std::thread::sleep(Duration::from_millis(1));
        }
        if !after_call(&mut d, task, &mut outcome, echo) {
            return outcome;
        }
    }
    outcome.hung = true;
    outcome
}

#[test]
fn blocking_driver_echoes_before_its_close_frame() {
    each_script("Driver::next_event", through_blocking);
}

#[test]
fn blocking_driver_polled_with_try_next_event_echoes_before_its_close_frame() {
    each_script("Driver::try_next_event", through_try_next_event);
}

// ---- the async driver --------------------------------------------------------------------

#[cfg(feature = "async")]
mod asynch {
    use std::future::{Future, poll_fn};
    use std::io;
    use std::net::TcpStream;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use rand::rngs::ThreadRng;
    use sockettask::{Buffers, Client, ConnectOptions, Instant, Message};
    use sockettask_embedded_io::{AsyncDriver, Clock, Error, Timer};

    use super::common::{PATIENCE, Server, clock, config};
    use super::{Outcome, each_script};

    /// Polls `future` until it completes or the deadline passes (`None`): a superloop's executor.
    fn block_on<F: Future>(future: F, deadline: std::time::Instant) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        while std::time::Instant::now() < deadline {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Some(output);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        None
    }

    /// Pending once, so the executor comes back.
    async fn yield_now() {
        let mut yielded = false;
        poll_fn(|_| if std::mem::replace(&mut yielded, true) { Poll::Ready(()) } else { Poll::Pending })
            .await;
    }

    /// A non-blocking `TcpStream` as an async stream; `read` is cancel-safe (one syscall).
    struct AsyncTcp(TcpStream);

    impl embedded_io_async::ErrorType for AsyncTcp {
        type Error = io::Error;
    }

    impl embedded_io_async::Read for AsyncTcp {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
            loop {
                match io::Read::read(&mut self.0, buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_now().await,
                    result => return result,
                }
            }
        }
    }

    impl embedded_io_async::Write for AsyncTcp {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
            loop {
                match io::Write::write(&mut self.0, buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_now().await,
                    result => return result,
                }
            }
        }

        async fn flush(&mut self) -> Result<(), io::Error> {
            io::Write::flush(&mut self.0)
        }
    }

    /// The test clock, waiting by being polled.
    struct PollTimer;

    impl Clock for PollTimer {
        fn now(&self) -> Instant {
            clock()
        }
    }

    impl Timer for PollTimer {
        async fn sleep_until(&self, deadline: Instant) {
            poll_fn(|_| if clock() >= deadline { Poll::Ready(()) } else { Poll::Pending }).await;
        }
    }

    /// The async `next_event`: echoes each message right after it was handed out.
    fn through_async(server: &Server) -> Outcome {
        let tcp = server.tcp();
        tcp.set_nonblocking(true).expect("non-blocking");
        let storage = [Buffers::new([0; 2048], [0; 2048])];
        let client = Client::<_, ThreadRng, 1>::new(config(), rand::rng(), storage).expect("client");
        let mut d = AsyncDriver::new(client, PollTimer);
        let task = d.connect_socket(AsyncTcp(tcp), &ConnectOptions::new(&server.url())).expect("connect");
        let mut outcome = Outcome::default();
        let run = async {
            loop {
                let echo = d.next_event(task).await.map(|e| e.and_then(|(_, event)| outcome.record(event)));
                match echo {
                    Ok(Some(text)) => {
                        let state = d.client().ready_state(task);
                        let sent = d.send(task, Message::Text(&text)).map_err(|e| e.to_string());
                        outcome.handled.push((state, sent));
                    }
                    Ok(None) => {}
                    Err(Error::Closed) => return,
                    Err(e) => outcome.stream_errors.push(e.to_string()),
                }
            }
        };
        let ended = block_on(run, std::time::Instant::now() + PATIENCE);
        outcome.hung = ended.is_none();
        outcome
    }

    #[test]
    fn async_driver_echoes_before_its_close_frame() {
        each_script("AsyncDriver", through_async);
    }
}
