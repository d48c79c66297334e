//! The blocking driver over std's `TcpStream` (through embedded-io-adapters) against a real
//! server on loopback: handshake, echo, fragmentation, short I/O, close both ways, reset,
//! timeouts.

mod common;

use std::io;
use std::time::Duration;

use common::{
    Choppy, Ev, PATIENCE, Ticking, clock, config, echo, serve, serve_close_then_trailing_bytes,
    serve_frames_then_silence, serve_silent_after_request, serve_tcp, text_frames, within,
};
use embedded_io_adapters::std::FromStd;
use rand::rngs::ThreadRng;
use sockettask::{
    Buffers, Client, CloseCode, ConnectOptions, Handle, Instant, Message, TaskError, TransportError,
};
use sockettask_embedded_io::{Driver, Error};
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

type Tcp = FromStd<std::net::TcpStream>;
type TestDriver<T> = Driver<T, [u8; 2048], ThreadRng, fn() -> Instant, 2>;

fn driver<T: embedded_io::Read + embedded_io::Write>(config: sockettask::Config) -> TestDriver<T> {
    let storage = [(); 2].map(|()| Buffers::new([0; 2048], [0; 2048]));
    Driver::new(Client::new(config, rand::rng(), storage).expect("client"), clock as fn() -> Instant)
}

/// The next event, calling `next_event` until one comes (bounded by [`PATIENCE`]).
fn next<T>(d: &mut TestDriver<T>, task: Handle) -> Result<Ev, Error<io::Error>>
where
    T: embedded_io::Read<Error = io::Error> + embedded_io::Write,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some((_, event)) = d.next_event(task)? {
            return Ok(event.into());
        }
        assert!(std::time::Instant::now() < deadline, "no event within {PATIENCE:?}");
    }
}

#[test]
fn handshake_echo_ping_and_client_close() {
    let server = serve(echo);
    let mut d = driver(config());
    let task =
        d.connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new(&server.url())).expect("connect");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);

    d.send(task, Message::Text("héllo")).unwrap();
    assert_eq!(next(&mut d, task).unwrap(), Ev::Text("héllo".into()));

    // The server answers the ping with a pong the core swallows; the echo comes next.
    d.ping(task, b"are you there").unwrap();
    let big: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
    d.send(task, Message::Binary(&big)).unwrap();
    assert_eq!(next(&mut d, task).unwrap(), Ev::Binary(big));

    d.close(task, None, "done").unwrap();
    // The server echoes the code and the reason.
    assert_eq!(next(&mut d, task).unwrap(), Ev::Close(1000, "done".into()));
    assert!(matches!(next(&mut d, task), Err(Error::Closed)));
    assert!(d.take_stream(task).is_some());
    server.join();
}

#[test]
fn fragments_and_server_ping_over_one_byte_io_then_server_close() {
    let server = serve(|mut ws| {
        ws.send(tungstenite::Message::Frame(Frame::message("abc", OpCode::Data(Data::Text), false))).unwrap();
        ws.send(tungstenite::Message::Ping("p".into())).unwrap();
        ws.send(tungstenite::Message::Frame(Frame::message("déf", OpCode::Data(Data::Continue), false)))
            .unwrap();
        ws.send(tungstenite::Message::Frame(Frame::message("ghi", OpCode::Data(Data::Continue), true)))
            .unwrap();
        assert_eq!(ws.read().unwrap(), tungstenite::Message::Pong("p".into()), "automatic pong");
        ws.send(tungstenite::Message::Text("pong seen".into())).unwrap();
        let close = CloseFrame { code: 4000.into(), reason: "server bye".into() };
        ws.close(Some(close)).unwrap();
        // Until the client's reply; then dropping the stream ends TCP, as RFC 6455 has it.
        while ws.read().is_ok() {}
    });
    let mut d = driver(config());
    let stream = Choppy::new(FromStd::new(server.tcp()), 1);
    let task = d.connect_socket(stream, &ConnectOptions::new(&server.url())).expect("connect");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);
    assert_eq!(next(&mut d, task).unwrap(), Ev::Text("abcdéfghi".into()));
    assert_eq!(next(&mut d, task).unwrap(), Ev::Text("pong seen".into()));
    assert_eq!(next(&mut d, task).unwrap(), Ev::Close(4000, "server bye".into()));
    assert!(matches!(next(&mut d, task), Err(Error::Closed)));
    server.join();
}

#[test]
fn server_reset_is_a_transport_error_then_1006() {
    let server = serve(|ws| {
        // The client's message stays unread: closing a socket with unread data sends RST.
        std::thread::sleep(Duration::from_millis(300));
        drop(ws);
    });
    let mut d = driver(config());
    let task =
        d.connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new(&server.url())).expect("connect");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);
    d.send(task, Message::Binary(b"unread")).unwrap();
    d.flush(task).unwrap();
    match next(&mut d, task) {
        Err(Error::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected a reset, got {other:?}"),
    }
    assert_eq!(next(&mut d, task).unwrap(), Ev::Error(TaskError::Transport(TransportError::Reset)));
    assert_eq!(next(&mut d, task).unwrap(), Ev::Close(1006, "abnormal closure".into()));
    assert!(matches!(next(&mut d, task), Err(Error::Closed)));
    server.join();
}

/// After the peer's close the core still gives room to read into and drops what lands
/// there, so bytes behind the close frame (here 10 000, five buffers' worth) are read
/// through to EOF, and the task closes with the peer's code, in a bounded number of turns.
#[test]
fn peer_close_then_trailing_bytes_then_eof() {
    let server = serve_close_then_trailing_bytes(4000, "bye", 10_000);
    let (tcp, url) = (server.tcp(), server.url());
    let (events, turns) = within(PATIENCE, "close after trailing bytes", move || {
        let mut d = driver::<Tcp>(config());
        let task = d.connect_socket(FromStd::new(tcp), &ConnectOptions::new(&url)).expect("connect");
        let (mut events, mut turns) = (Vec::new(), 0);
        while turns < 100 {
            turns += 1;
            match d.next_event(task) {
                Ok(Some((_, event))) => events.push(Ev::from(event)),
                Ok(None) => {}
                Err(Error::Closed) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        (events, turns)
    });
    assert_eq!(events, [Ev::Open, Ev::Close(4000, "bye".into())]);
    assert!(turns < 20, "{turns} turns");
    server.join();
}

#[test]
fn connect_timeout_fires_through_the_streams_read_timeout() {
    let server = serve_tcp(|tcp| {
        std::thread::sleep(Duration::from_millis(1_000));
        drop(tcp);
    });
    let tcp = server.tcp();
    tcp.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut d = driver::<Ticking<Tcp>>(config());
    let url = server.url();
    let options = ConnectOptions::new(&url).timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let task = d.connect_socket(Ticking(FromStd::new(tcp)), &options).expect("connect");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Error(TaskError::Timeout));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200) && waited < Duration::from_millis(900), "{waited:?}");
    assert!(matches!(next(&mut d, task), Err(Error::Closed)));
    server.join();
}

#[test]
fn close_timeout_when_the_server_never_answers() {
    let server = serve(|ws| {
        std::thread::sleep(Duration::from_millis(1_500));
        drop(ws);
    });
    let tcp = server.tcp();
    tcp.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut d = driver::<Ticking<Tcp>>(config());
    let task =
        d.connect_socket(Ticking(FromStd::new(tcp)), &ConnectOptions::new(&server.url())).expect("connect");
    assert_eq!(next(&mut d, task).unwrap(), Ev::Open);
    d.close(task, Some(CloseCode(4001)), "").unwrap();
    assert_eq!(next(&mut d, task).unwrap(), Ev::Close(1006, "abnormal closure".into()));
    server.join();
}

#[test]
fn refused_connect_hands_the_stream_back() {
    let server = serve_tcp(drop);
    let mut d = driver::<Tcp>(config());
    let refused = d
        .connect_socket(FromStd::new(server.tcp()), &ConnectOptions::new("http://example.com/"))
        .unwrap_err();
    assert!(refused.to_string().contains("invalid url"), "{refused}");
    drop(refused.stream);
    server.join();
}

#[test]
fn two_tasks_share_the_core_table() {
    let (a, b) = (serve(echo), serve(echo));
    let mut d = driver(config());
    let ta = d.connect_socket(FromStd::new(a.tcp()), &ConnectOptions::new(&a.url())).expect("connect a");
    let tb = d.connect_socket(FromStd::new(b.tcp()), &ConnectOptions::new(&b.url())).expect("connect b");
    assert_eq!(next(&mut d, ta).unwrap(), Ev::Open);
    assert_eq!(next(&mut d, tb).unwrap(), Ev::Open);
    d.send(ta, Message::Text("to a")).unwrap();
    d.send(tb, Message::Text("to b")).unwrap();
    assert_eq!(next(&mut d, tb).unwrap(), Ev::Text("to b".into()));
    assert_eq!(next(&mut d, ta).unwrap(), Ev::Text("to a".into()));
    for task in [ta, tb] {
        d.close(task, None, "").unwrap();
        assert_eq!(next(&mut d, task).unwrap(), Ev::Close(1000, String::new()));
    }
    a.join();
    b.join();
}

#[test]
fn try_next_event_never_blocks_on_a_silent_stream() {
    let server = serve(|mut ws| {
        std::thread::sleep(Duration::from_millis(200));
        echo_one(&mut ws);
        while ws.read().is_ok() {}
    });
    let mut d = driver::<common::Polled>(config());
    let task =
        d.connect_socket(common::Polled(server.tcp()), &ConnectOptions::new(&server.url())).expect("connect");
    let poll = |d: &mut TestDriver<common::Polled>| -> Ev {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some((_, event)) = d.try_next_event(task).unwrap() {
                return event.into();
            }
            assert!(std::time::Instant::now() < deadline, "no event within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    assert_eq!(poll(&mut d), Ev::Open);
    d.send(task, Message::Text("polled")).unwrap();
    // The server waits before it echoes: these calls must come back empty, not block.
    let started = std::time::Instant::now();
    for _ in 0..3 {
        assert!(d.try_next_event(task).unwrap().is_none());
    }
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(poll(&mut d), Ev::Text("polled".into()));
    d.close(task, None, "").unwrap();
    assert_eq!(poll(&mut d), Ev::Close(1000, String::new()));
    server.join();
}

fn echo_one(ws: &mut tungstenite::WebSocket<std::net::TcpStream>) {
    let message = ws.read().unwrap();
    ws.send(message).unwrap();
}

// ---- no read when nothing can come of it -------------------------------------------------
// The streams below have no read timeout and the servers stay silent with TCP up: one read
// too many blocks the driver for good, which the watchdog turns into a failure.

/// How long the silent servers hold their connection; longer than any watchdog.
const SILENCE: Duration = Duration::from_secs(30);

#[test]
fn close_while_connecting_ends_without_a_read() {
    let server = serve_silent_after_request(SILENCE);
    let (tcp, url) = (server.tcp(), server.url());
    tcp.set_read_timeout(None).unwrap();
    let events = within(PATIENCE, "next_event after close()", move || {
        let mut d = driver::<Tcp>(config());
        let task = d.connect_socket(FromStd::new(tcp), &ConnectOptions::new(&url)).expect("connect");
        d.flush(task).unwrap(); // the request is out; the answer never comes
        d.close(task, None, "").unwrap();
        let mut events = Vec::new();
        loop {
            match d.next_event(task) {
                Ok(Some((_, event))) => events.push(Ev::from(event)),
                Ok(None) => {}
                Err(Error::Closed) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(d.take_stream(task).is_some());
        events
    });
    assert_eq!(events, vec![Ev::Close(1006, "abnormal closure".into())]);
}

#[test]
fn events_already_read_come_without_another_read() {
    let server = serve_frames_then_silence(text_frames(5), SILENCE);
    let (tcp, url) = (server.tcp(), server.url());
    tcp.set_read_timeout(None).unwrap();
    let events = within(PATIENCE, "next_event with the messages already read", move || {
        let mut d = driver::<Tcp>(config());
        let task = d.connect_socket(FromStd::new(tcp), &ConnectOptions::new(&url)).expect("connect");
        // The response and the five frames arrive together: one read holds them all, so
        // the five messages come from the core without touching the silent stream again.
        std::thread::sleep(Duration::from_millis(200));
        let mut events = Vec::new();
        while events.len() < 6 {
            if let Some((_, event)) = d.next_event(task).unwrap() {
                events.push(Ev::from(event));
            }
        }
        events
    });
    let mut expected = vec![Ev::Open];
    expected.extend((0..5).map(|i| Ev::Text(format!("m{i}"))));
    assert_eq!(events, expected);
}
