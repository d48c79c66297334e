//! S11, "state follows event order", through both mio drivers against a raw scripted server
//! on loopback: a message that arrives in the same read as the peer's close frame or a
//! protocol error is delivered while the task is OPEN, and the echo sent while handling it
//! goes out on the wire before the client's close frame.
//!
//! The server is plain TCP (no WebSocket library writes its frames): it answers the upgrade,
//! writes a script's frames in one `write_all`, reads the client's masked frames up to its
//! close frame, and ends the stream. Every script runs through the listener [`Client`] (the
//! echo from inside `on_message`) and the [`Driver`] in a caller-owned `Poll` (the echo right
//! after `poll_event` hands out the message). Every loop and every read is bounded.

#[path = "../../event_order_scripts.rs"]
mod scripts;
mod support;

use std::cell::RefCell;
use std::io::Write;
use std::net::TcpListener;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use scripts::{Frames, OP_CLOSE, Script, scripts};
use sockettask_mio::{
    Client, Config, ConnectOptions, Driver, Event, Message, Options, ReadyState, Schemes, SendError,
    TaskError,
};

/// The longest any one script may take, end to end.
const PATIENCE: Duration = Duration::from_secs(5);
/// The longest one turn of a client loop waits.
const TURN: Duration = Duration::from_millis(20);

/// An event copied out of the client, as the scripts name it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16, String),
}

impl Ev {
    fn of(event: &Event<'_>) -> Ev {
        match event {
            Event::Open(_) => Ev::Open,
            Event::Message(Message::Text(text)) => Ev::Text((*text).to_owned()),
            Event::Message(Message::Binary(bytes)) => Ev::Binary(bytes.to_vec()),
            Event::Error(error) => Ev::Error(*error),
            Event::Close(close) => Ev::Close(close.code.0, close.reason.to_owned()),
        }
    }
}

// ---- the server --------------------------------------------------------------------------

/// A one-connection raw server for `wire`; its thread sends the client's frames on the channel.
fn scripted_server(wire: Vec<u8>) -> (u16, mpsc::Receiver<Frames>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((mut tcp, _)) = listener.accept() else { return };
        tcp.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        let mut frames = Vec::new();
        let ended = support::accept_upgrade(&mut tcp).and_then(|()| tcp.write_all(&wire)).err();
        let ended = ended.or_else(|| {
            loop {
                match support::read_frame(&mut tcp) {
                    Ok(frame) => {
                        let close = frame.0 == OP_CLOSE;
                        frames.push(frame);
                        if close {
                            break None;
                        }
                    }
                    Err(e) => break Some(e),
                }
            }
        });
        // The client's close frame is in: ending TCP here is the server's half of RFC 6455 §7.1.1.
        drop(tcp);
        let _ = tx.send((frames, ended.map(|e| e.to_string())));
    });
    (port, rx)
}

// ---- what a run gives, and the checks ----------------------------------------------------

/// What one script did to one driver.
#[derive(Debug, Default)]
struct Outcome {
    events: Vec<Ev>,
    /// For each message: the task's `readyState` while handling it, and the echo's result.
    handled: Vec<(ReadyState, Result<(), SendError>)>,
    /// Set when the client loop did not end within [`PATIENCE`].
    hung: bool,
}

fn options() -> Options {
    let config = Config {
        schemes: Schemes::AllowInsecure,
        close_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    Options { config, ..Options::default() }
}

/// Every way `outcome` and the server's `frames` differ from `script`, in words.
fn mismatches(script: &Script, outcome: &Outcome, frames: &Frames) -> Vec<String> {
    let mut wrong = Vec::new();
    if outcome.hung {
        wrong.push(format!("the client loop did not end within {PATIENCE:?}"));
    }
    wrong.extend(scripts::mismatches(script, &outcome.events, &outcome.handled, frames));
    wrong
}

/// Runs every script through `drive` and fails with every mismatch of every script.
fn each_script(driver: &str, drive: impl Fn(u16) -> Outcome) {
    let mut failures = Vec::new();
    let started = Instant::now();
    for script in scripts() {
        let (port, server) = scripted_server(script.wire.clone());
        let outcome = drive(port);
        let frames = server
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| (Vec::new(), Some("the server did not finish".into())));
        for wrong in mismatches(&script, &outcome, &frames) {
            failures.push(format!("{driver}, {}: {wrong}", script.name));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(started.elapsed() < 2 * PATIENCE, "took {:?}", started.elapsed());
}

// ---- the drivers -------------------------------------------------------------------------

/// The listener `Client`: records every event, echoes each message from inside `on_message`.
fn through_client(port: u16) -> Outcome {
    let mut client = Client::new(options()).expect("client");
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).expect("connect");
    let outcome = Rc::new(RefCell::new(Outcome::default()));
    let log = Rc::clone(&outcome);
    task.on_open(&mut client, move |_, _, _| log.borrow_mut().events.push(Ev::Open));
    let log = Rc::clone(&outcome);
    task.on_message(&mut client, move |client, task, message| {
        let state = task.ready_state(client);
        let echo = task.send(client, message);
        let mut log = log.borrow_mut();
        log.events.push(Ev::of(&Event::Message(message)));
        log.handled.push((state, echo));
    });
    let log = Rc::clone(&outcome);
    task.on_error(&mut client, move |_, _, error| log.borrow_mut().events.push(Ev::Error(*error)));
    let log = Rc::clone(&outcome);
    task.on_close(&mut client, move |_, _, close| {
        log.borrow_mut().events.push(Ev::Close(close.code.0, close.reason.to_owned()))
    });
    let deadline = Instant::now() + PATIENCE;
    while !client.driver().is_idle() && Instant::now() < deadline {
        client.poll(Some(TURN)).expect("poll");
    }
    outcome.borrow_mut().hung = !client.driver().is_idle();
    outcome.take()
}

/// The `Driver` in a caller-owned `Poll`: echoes each message right after `poll_event`
/// returned it, before polling the next event.
fn through_driver(port: u16) -> Outcome {
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(16);
    let mut driver = Driver::new(options()).expect("driver");
    let url = format!("ws://127.0.0.1:{port}/");
    let task = driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(7)).expect("connect");
    let mut outcome = Outcome::default();
    let deadline = Instant::now() + PATIENCE;
    while !driver.is_idle() && Instant::now() < deadline {
        let wait = driver.poll_timeout().map_or(TURN, |t| t.min(TURN));
        poll.poll(&mut events, Some(wait)).expect("poll");
        for event in events.iter() {
            driver.handle_readiness(event);
        }
        while let Some((from, event)) = driver.poll_event(poll.registry()) {
            assert_eq!(from, task);
            let rec = Ev::of(&event);
            if let Ev::Text(text) = &rec {
                let state = driver.ready_state(task);
                outcome.handled.push((state, driver.send(task, Message::Text(text))));
            }
            outcome.events.push(rec);
        }
    }
    outcome.hung = !driver.is_idle();
    outcome
}

#[test]
fn listener_client_echoes_before_its_close_frame() {
    each_script("Client", through_client);
}

#[test]
fn driver_in_a_caller_owned_poll_echoes_before_its_close_frame() {
    each_script("Driver", through_driver);
}
