//! The async driver over a non-blocking std `TcpStream` on a small polling executor, against
//! the same loopback server: handshake, echo, close both ways, reset, and a connect timeout
//! that fires while a read is pending.
#![cfg(feature = "async")]

mod common;

use std::future::Future;
use std::io;
use std::time::Duration;

use common::asynch::{AsyncTcp, PollTimer, block_on_until};
use common::{
    Ev, PATIENCE, config, echo, serve, serve_close_then_trailing_bytes, serve_frames_then_silence,
    serve_silent_after_request, serve_tcp, text_frames,
};
use rand::rngs::ThreadRng;
use sockettask::{Buffers, Client, ConnectOptions, Handle, Message, TaskError, TransportError};
use sockettask_embedded_io::{AsyncDriver, Error};
use tungstenite::protocol::CloseFrame;

/// Runs `future` to completion, polling every millisecond: the executor of a superloop.
fn block_on<F: Future>(future: F) -> F::Output {
    block_on_until(future, std::time::Instant::now() + 2 * PATIENCE).expect("future did not complete")
}

type TestDriver = AsyncDriver<AsyncTcp, [u8; 2048], ThreadRng, PollTimer, 2>;

fn driver() -> TestDriver {
    let storage = [(); 2].map(|()| Buffers::new([0; 2048], [0; 2048]));
    AsyncDriver::new(Client::new(config(), rand::rng(), storage).expect("client"), PollTimer)
}

async fn next(d: &mut TestDriver, task: Handle) -> Result<Ev, Error<io::Error>> {
    loop {
        if let Some((_, event)) = d.next_event(task).await? {
            return Ok(event.into());
        }
    }
}

#[test]
fn handshake_echo_and_client_close() {
    let server = serve(echo);
    block_on(async {
        let mut d = driver();
        let task = d
            .connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url()))
            .expect("connect");
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Open);
        d.send(task, Message::Text("async héllo")).unwrap();
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Text("async héllo".into()));
        d.ping(task, b"?").unwrap();
        d.send(task, Message::Binary(&[0, 1, 2, 0xff])).unwrap();
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Binary(vec![0, 1, 2, 0xff]));
        d.close(task, None, "done").unwrap();
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Close(1000, "done".into()));
        assert!(matches!(next(&mut d, task).await, Err(Error::Closed)));
        assert!(d.take_stream(task).is_some());
    });
    server.join();
}

#[test]
fn server_close() {
    let server = serve(|mut ws| {
        ws.send(tungstenite::Message::Text("first".into())).unwrap();
        ws.close(Some(CloseFrame { code: 4002.into(), reason: "later".into() })).unwrap();
        while ws.read().is_ok() {}
    });
    block_on(async {
        let mut d = driver();
        let task = d
            .connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url()))
            .expect("connect");
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Open);
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Text("first".into()));
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Close(4002, "later".into()));
        assert!(matches!(next(&mut d, task).await, Err(Error::Closed)));
    });
    server.join();
}

/// Bytes behind the peer's close frame are read through to EOF (the core gives room and
/// drops them); the task closes with the peer's code in a bounded number of turns.
#[test]
fn peer_close_then_trailing_bytes_then_eof() {
    let server = serve_close_then_trailing_bytes(4000, "bye", 10_000);
    let (events, turns) = block_on(async {
        let mut d = driver();
        let task = d
            .connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url()))
            .expect("connect");
        let (mut events, mut turns) = (Vec::new(), 0);
        while turns < 100 {
            turns += 1;
            match d.next_event(task).await {
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
fn server_reset_is_a_transport_error_then_1006() {
    let server = serve(|ws| {
        std::thread::sleep(Duration::from_millis(300));
        drop(ws); // with the client's message unread: RST
    });
    block_on(async {
        let mut d = driver();
        let task = d
            .connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&server.url()))
            .expect("connect");
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Open);
        d.send(task, Message::Binary(b"unread")).unwrap();
        d.flush(task).await.unwrap();
        match next(&mut d, task).await {
            Err(Error::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("expected a reset, got {other:?}"),
        }
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Error(TaskError::Transport(TransportError::Reset)));
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Close(1006, "abnormal closure".into()));
        assert!(matches!(next(&mut d, task).await, Err(Error::Closed)));
    });
    server.join();
}

#[test]
fn connect_timeout_wins_over_a_pending_read() {
    let server = serve_tcp(|tcp| {
        std::thread::sleep(Duration::from_millis(1_000));
        drop(tcp);
    });
    let url = server.url();
    block_on(async {
        let mut d = driver();
        let options = ConnectOptions::new(&url).timeout(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let task = d.connect_socket(AsyncTcp::new(server.tcp()), &options).expect("connect");
        assert_eq!(next(&mut d, task).await.unwrap(), Ev::Error(TaskError::Timeout));
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(200) && waited < Duration::from_millis(900), "{waited:?}");
        assert!(matches!(next(&mut d, task).await, Err(Error::Closed)));
    });
    server.join();
}

// ---- no read when nothing can come of it -------------------------------------------------
// The servers below stay silent with TCP up and the core has no timer armed: a read too many
// stays pending for good, which `block_on`'s deadline turns into a failure.

/// How long the silent servers hold their connection; longer than `block_on`'s deadline.
const SILENCE: Duration = Duration::from_secs(30);

#[test]
fn close_while_connecting_ends_without_a_read() {
    let server = serve_silent_after_request(SILENCE);
    let url = server.url();
    let events = block_on(async {
        let mut d = driver();
        let task =
            d.connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&url)).expect("connect");
        d.flush(task).await.unwrap(); // the request is out; the answer never comes
        d.close(task, None, "").unwrap();
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            // A driver that spins without ever reporting `Closed` fails here.
            assert!(std::time::Instant::now() < deadline, "no Error::Closed within {PATIENCE:?}");
            match d.next_event(task).await {
                Ok(Some((_, event))) => events.push(Ev::from(event)),
                Ok(None) => {}
                Err(Error::Closed) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        events
    });
    assert_eq!(events, vec![Ev::Close(1006, "abnormal closure".into())]);
}

#[test]
fn events_already_read_come_without_another_read() {
    let server = serve_frames_then_silence(text_frames(5), SILENCE);
    let url = server.url();
    let events = block_on(async {
        let mut d = driver();
        let task =
            d.connect_socket(AsyncTcp::new(server.tcp()), &ConnectOptions::new(&url)).expect("connect");
        // The response and the five frames arrive together: one read holds them all.
        std::thread::sleep(Duration::from_millis(200));
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        while events.len() < 6 {
            assert!(std::time::Instant::now() < deadline, "{events:?} within {PATIENCE:?}");
            if let Some((_, event)) = d.next_event(task).await.unwrap() {
                events.push(Ev::from(event));
            }
        }
        events
    });
    let mut expected = vec![Ev::Open];
    expected.extend((0..5).map(|i| Ev::Text(format!("m{i}"))));
    assert_eq!(events, expected);
}
