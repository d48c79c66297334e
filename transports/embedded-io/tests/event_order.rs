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
#[path = "../../event_order_scripts.rs"]
mod scripts;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use common::{Ev, PATIENCE, Polled, Server, clock, config, serve_tcp};
use embedded_io_adapters::std::FromStd;
use rand::rngs::ThreadRng;
use scripts::{Frames, OP_CLOSE, Script, scripts};
use sockettask::{Buffers, Client, ConnectOptions, Event, Handle, Instant, Message, ReadyState};
use sockettask_embedded_io::{Driver, Error};
use tungstenite::handshake::derive_accept_key;

// ---- the server --------------------------------------------------------------------------

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

    /// What a driver loop does with the result of one call for an event, after [`record`]:
    /// a message is answered with `echo`, which gives the task's `readyState` before the echo
    /// and the echo's result. `false` once the task is over.
    ///
    /// [`record`]: Outcome::record
    fn after_call(
        &mut self,
        result: Result<Option<String>, Error<io::Error>>,
        echo: impl FnOnce(&str) -> (ReadyState, Result<(), String>),
    ) -> bool {
        match result {
            Ok(Some(text)) => self.handled.push(echo(&text)),
            Ok(None) => {}
            Err(Error::Closed) => return false,
            Err(e) => self.stream_errors.push(e.to_string()),
        }
        true
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
    wrong.extend(scripts::mismatches(script, &outcome.events, &outcome.handled, frames));
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

/// The task's `readyState`, then the result of echoing `text`.
fn echo_text<T: embedded_io::Read + embedded_io::Write>(
    d: &mut TestDriver<T>,
    task: Handle,
    text: &str,
) -> (ReadyState, Result<(), String>) {
    (d.client().ready_state(task), d.send(task, Message::Text(text)).map_err(|e| e.to_string()))
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
        if !outcome.after_call(echo, |text| echo_text(&mut d, task, text)) {
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
        if !outcome.after_call(echo, |text| echo_text(&mut d, task, text)) {
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
    use rand::rngs::ThreadRng;
    use sockettask::{Buffers, Client, ConnectOptions, Message};
    use sockettask_embedded_io::AsyncDriver;

    use super::common::asynch::{AsyncTcp, PollTimer, block_on_until};
    use super::common::{PATIENCE, Server, config};
    use super::{Outcome, each_script};

    /// The async `next_event`: echoes each message right after it was handed out.
    fn through_async(server: &Server) -> Outcome {
        let storage = [Buffers::new([0; 2048], [0; 2048])];
        let client = Client::<_, ThreadRng, 1>::new(config(), rand::rng(), storage).expect("client");
        let mut d = AsyncDriver::new(client, PollTimer);
        let task = d
            .connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url()))
            .expect("connect");
        let mut outcome = Outcome::default();
        let run = async {
            loop {
                let echo = d.next_event(task).await.map(|e| e.and_then(|(_, event)| outcome.record(event)));
                let state_and_echo = |text: &str| {
                    (
                        d.client().ready_state(task),
                        d.send(task, Message::Text(text)).map_err(|e| e.to_string()),
                    )
                };
                if !outcome.after_call(echo, state_and_echo) {
                    return;
                }
            }
        };
        let ended = block_on_until(run, std::time::Instant::now() + PATIENCE);
        outcome.hung = ended.is_none();
        outcome
    }

    #[test]
    fn async_driver_echoes_before_its_close_frame() {
        each_script("AsyncDriver", through_async);
    }
}
