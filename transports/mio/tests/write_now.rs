//! When bytes move: a command writes its frame to a writable socket at once, with no further
//! driver call; frames queued behind a partial write keep their order; a failed write in a
//! command surfaces as the events a failed write in `poll_event` has; and reading after a
//! short read waits for the next readable event without ever losing what comes later, over
//! plain TCP and TLS. The peers are plain servers decoding frames themselves (RFC 6455 §5.2).
//! Every wait is bounded.

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rustls::{ServerConnection, StreamOwned};
use sockettask_mio::{
    Config, ConnectOptions, Driver, Event, Message, Options, Schemes, SocketTask, TaskError, Tls,
    TransportError,
};
use support::{ClientFrame as Frame, Pki, ReadWrite, ReadWriteRef, Validity};

/// How long any one wait in these tests may last.
const LIMIT: Duration = Duration::from_secs(10);

fn plain() -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..Config::default() }, ..Options::default() }
}

/// What the client saw, events copied out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16, String),
}

fn rec(event: &Event<'_>) -> Rec {
    match event {
        Event::Open(_) => Rec::Open,
        Event::Message(Message::Text(t)) => Rec::Text((*t).to_owned()),
        Event::Message(Message::Binary(b)) => Rec::Binary(b.to_vec()),
        Event::Error(e) => Rec::Error(*e),
        Event::Close(c) => Rec::Close(c.code.0, c.reason.to_owned()),
    }
}

/// A driver with one task, in its own `Poll`.
struct Loop {
    poll: Poll,
    events: Events,
    driver: Driver,
    task: SocketTask,
    seen: Vec<Rec>,
}

impl Loop {
    fn connect(options: Options, url: &str) -> Loop {
        let poll = Poll::new().unwrap();
        let mut driver = Driver::new(options).unwrap();
        let task = driver.connect_socket(poll.registry(), ConnectOptions::new(url), Token(1)).unwrap();
        Loop { poll, events: Events::with_capacity(16), driver, task, seen: Vec::new() }
    }

    /// One turn of the documented loop, waiting at most 20 ms.
    fn turn(&mut self) {
        let timeout = self
            .driver
            .poll_timeout()
            .map_or(Duration::from_millis(20), |t| t.min(Duration::from_millis(20)));
        self.poll.poll(&mut self.events, Some(timeout)).unwrap();
        for event in self.events.iter() {
            self.driver.handle_readiness(event);
        }
        while let Some((task, event)) = self.driver.poll_event(self.poll.registry()) {
            assert_eq!(task, self.task);
            self.seen.push(rec(&event));
        }
    }

    /// Turns until `done(seen)`; panics after [`LIMIT`].
    fn until(&mut self, what: &str, mut done: impl FnMut(&[Rec], &Driver) -> bool) {
        let deadline = Instant::now() + LIMIT;
        while !done(&self.seen, &self.driver) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; saw {:?}", self.seen);
            self.turn();
        }
    }

    fn open(&mut self) {
        self.until("open", |seen, _| !seen.is_empty());
        assert_eq!(self.seen[0], Rec::Open);
    }
}

/// A server that answers the upgrade, then reads `count` frames (each read bounded by a
/// timeout) and hands them over.
fn spawn_reader(count: usize, tls: Option<Arc<rustls::ServerConfig>>) -> (u16, mpsc::Receiver<Frame>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let port = support::spawn(move |tcp| {
        tcp.set_read_timeout(Some(LIMIT)).unwrap();
        let tx = tx.lock().unwrap().clone();
        let read = |stream: &mut dyn ReadWrite| {
            support::accept_upgrade(&mut ReadWriteRef(stream)).unwrap();
            for _ in 0..count {
                let Ok(frame) = support::read_client_frame(&mut ReadWriteRef(stream)) else { return };
                if tx.send(frame).is_err() {
                    return;
                }
            }
            // Holds the connection until the client ends it.
            let mut sink = [0u8; 256];
            while ReadWriteRef(stream).read(&mut sink).is_ok_and(|n| n > 0) {}
        };
        match &tls {
            Some(config) => {
                let session = ServerConnection::new(Arc::clone(config)).unwrap();
                read(&mut StreamOwned::new(session, tcp));
            }
            None => read(&mut { tcp }),
        }
    });
    (port, rx)
}

fn tls_setup() -> (Options, Arc<rustls::ServerConfig>) {
    let pki = Pki::new();
    let server = pki.server(&["localhost"], Validity::Current);
    (Options { tls: Tls::roots(pki.roots()), ..Options::default() }, server)
}

/// `send`, `ping` and `close` each put their frame on the wire with no driver call after
/// them: the peer decodes the three frames while the client does nothing.
fn commands_reach_the_peer_with_no_further_call(
    options: Options,
    scheme: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let (port, frames) = spawn_reader(3, tls);
    let mut client = Loop::connect(options, &format!("{scheme}://localhost:{port}/"));
    client.open();
    let task = client.task;

    task.send(&mut client.driver, Message::Text("right away")).unwrap();
    let frame = frames.recv_timeout(LIMIT).expect("the text frame, with no driver call after send");
    assert_eq!(frame, Frame { fin: true, rsv: 0, opcode: 0x1, payload: b"right away".to_vec() });
    assert_eq!(task.buffered_amount(&client.driver), 0);

    task.ping(&mut client.driver, b"p").unwrap();
    let frame = frames.recv_timeout(LIMIT).expect("the ping frame, with no driver call after ping");
    assert_eq!(frame, Frame { fin: true, rsv: 0, opcode: 0x9, payload: b"p".to_vec() });

    task.close(&mut client.driver, None, "bye").unwrap();
    let frame = frames.recv_timeout(LIMIT).expect("the close frame, with no driver call after close");
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"bye");
    assert_eq!(frame, Frame { fin: true, rsv: 0, opcode: 0x8, payload: close });
}

#[test]
fn send_ping_and_close_reach_a_plain_peer_with_no_further_driver_call() {
    commands_reach_the_peer_with_no_further_call(plain(), "ws", None);
}

#[test]
fn send_ping_and_close_reach_a_tls_peer_with_no_further_driver_call() {
    let (options, server) = tls_setup();
    commands_reach_the_peer_with_no_further_call(options, "wss", Some(server));
}

/// Numbered 64 KiB binary messages: the number in the first 4 bytes, the rest a pattern.
fn numbered(n: u32) -> Vec<u8> {
    let mut message = vec![0u8; 64 << 10];
    message[..4].copy_from_slice(&n.to_be_bytes());
    for (i, b) in message.iter_mut().enumerate().skip(4) {
        *b = (i as u32).wrapping_mul(n | 1) as u8;
    }
    message
}

/// The peer stops reading until the socket is full: `send` then queues behind a partial
/// write (buffered_amount > 0), and later sends queue behind that; once the peer reads, every
/// frame arrives whole and in the order sent.
#[test]
fn sends_behind_a_partial_write_keep_their_order() {
    let (go, wait) = mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(Some(wait));
    let (tx, frames) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let port = support::spawn(move |mut tcp| {
        tcp.set_read_timeout(Some(LIMIT)).unwrap();
        support::accept_upgrade(&mut tcp).unwrap();
        let Some(wait) = wait.lock().unwrap().take() else { return };
        let tx = tx.lock().unwrap().clone();
        // Reads nothing until told to.
        if wait.recv_timeout(LIMIT).is_err() {
            return;
        }
        while let Ok(frame) = support::read_client_frame(&mut tcp) {
            if tx.send(frame).is_err() {
                return;
            }
        }
    });
    let options = Options { max_buffered_amount: 16 << 20, ..plain() };
    let mut client = Loop::connect(options, &format!("ws://127.0.0.1:{port}/"));
    client.open();
    let task = client.task;

    // Sends until one is left partly unwritten (loopback buffers hold a few MiB at most).
    let mut sent = 0u32;
    while task.buffered_amount(&client.driver) == 0 {
        assert!(sent < 1000, "the socket never filled up");
        task.send(&mut client.driver, Message::Binary(&numbered(sent))).unwrap();
        sent += 1;
    }
    // Three more behind the partial write, with no turn in between.
    let before = task.buffered_amount(&client.driver);
    for _ in 0..3 {
        task.send(&mut client.driver, Message::Binary(&numbered(sent))).unwrap();
        sent += 1;
    }
    assert_eq!(task.buffered_amount(&client.driver), before + 3 * ((64 << 10) + 14));

    go.send(()).unwrap();
    let mut received = 0u32;
    let deadline = Instant::now() + LIMIT;
    while received < sent {
        assert!(Instant::now() < deadline, "timed out: {received} of {sent} frames");
        client.turn();
        while let Ok(frame) = frames.try_recv() {
            assert_eq!(frame.opcode, 0x2);
            assert!(frame.fin);
            assert_eq!(frame.payload, numbered(received), "frame {received} out of order or damaged");
            received += 1;
        }
    }
    assert_eq!(task.buffered_amount(&client.driver), 0);
    assert_eq!(client.seen, [Rec::Open]);
}

/// The peer resets the connection while the client does nothing; the next `send` writes at
/// once and fails. `send` itself says `Ok` (the frame was queued: SPEC S14), and the failure
/// comes as the events of a link dropped without a close frame: onError (a transport error)
/// then onClose 1006 (SPEC S13), once each, and nothing after.
#[test]
fn a_failed_write_in_send_surfaces_as_error_then_close() {
    let (sent, sent_wait) = mpsc::channel::<()>();
    let (reset, reset_wait) = mpsc::channel::<()>();
    let channels = std::sync::Mutex::new(Some((sent_wait, reset)));
    let port = support::spawn(move |mut tcp| {
        support::accept_upgrade(&mut tcp).unwrap();
        let Some((sent_wait, reset)) = channels.lock().unwrap().take() else { return };
        // Closing with the client's frame unread makes the kernel answer with RST (RFC 2525
        // §2.17), not FIN.
        sent_wait.recv_timeout(LIMIT).unwrap();
        thread::sleep(Duration::from_millis(50));
        drop(tcp);
        let _ = reset.send(());
    });
    let mut client = Loop::connect(plain(), &format!("ws://127.0.0.1:{port}/"));
    client.open();
    let task = client.task;
    task.send(&mut client.driver, Message::Text("left unread")).unwrap();
    sent.send(()).unwrap();
    reset_wait.recv_timeout(LIMIT).unwrap();
    // Time for the RST to reach the client's socket.
    thread::sleep(Duration::from_millis(100));

    task.send(&mut client.driver, Message::Text("into a reset connection")).unwrap();
    // A second send before any turn: still queued, not a second failure.
    task.send(&mut client.driver, Message::Text("and another")).unwrap();
    client.until("close", |seen, _| seen.iter().any(|r| matches!(r, Rec::Close(..))));
    for _ in 0..5 {
        client.turn();
    }
    assert!(client.driver.is_idle());
    assert!(
        matches!(
            client.seen.as_slice(),
            [
                Rec::Open,
                Rec::Error(TaskError::Transport(TransportError::Reset | TransportError::Io)),
                Rec::Close(1006, _)
            ]
        ),
        "{:?}",
        client.seen
    );
}

// ---- reading after a short read --------------------------------------------------------

/// A server that answers the upgrade, then runs `script` on the stream.
fn spawn_script(
    tls: Option<Arc<rustls::ServerConfig>>,
    script: impl Fn(&mut dyn ReadWrite, &TcpStream) + Send + Sync + 'static,
) -> u16 {
    support::spawn(move |tcp| {
        let _ = tcp.set_nodelay(true);
        tcp.set_read_timeout(Some(LIMIT)).unwrap();
        let end = tcp.try_clone().unwrap();
        match &tls {
            Some(config) => {
                let session = ServerConnection::new(Arc::clone(config)).unwrap();
                let mut stream = StreamOwned::new(session, tcp);
                support::accept_upgrade(&mut stream).unwrap();
                script(&mut stream, &end);
            }
            None => {
                let mut stream = tcp;
                support::accept_upgrade(&mut stream).unwrap();
                script(&mut stream, &end);
            }
        }
    })
}

/// Writes `bytes` and pushes them onto the wire (a TLS record each, over TLS).
fn put(stream: &mut dyn ReadWrite, bytes: &[u8]) {
    stream.write_all(bytes).unwrap();
    stream.flush().unwrap();
}

/// Holds the stream until the client ends it (or the time limit).
fn hold(stream: &mut dyn ReadWrite) {
    let mut sink = [0u8; 256];
    while stream.read(&mut sink).is_ok_and(|n| n > 0) {}
}

fn url(scheme: &str, port: u16) -> String {
    format!("{scheme}://localhost:{port}/")
}

/// Runs `check` over plain TCP and over TLS.
fn both(check: impl Fn(Option<Arc<rustls::ServerConfig>>, Options, &str)) {
    check(None, plain(), "ws");
    let (options, server) = tls_setup();
    check(Some(server), options, "wss");
}

/// Each message comes in pieces 30 ms apart, split inside the header and inside the payload:
/// every read but the last is short, and the rest arrives after it.
#[test]
fn data_after_a_short_read_is_delivered() {
    both(|tls, options, scheme| {
        let port = spawn_script(tls, |stream, _| {
            for n in 0..3u8 {
                let frame = support::server_frame(0x2, &[n; 300]);
                for piece in [&frame[..1], &frame[1..3], &frame[3..100], &frame[100..]] {
                    put(stream, piece);
                    thread::sleep(Duration::from_millis(30));
                }
            }
            hold(stream);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        client.until("three messages", |seen, _| seen.len() >= 4);
        assert_eq!(
            client.seen[1..4],
            [Rec::Binary(vec![0; 300]), Rec::Binary(vec![1; 300]), Rec::Binary(vec![2; 300])]
        );
    });
}

/// The last message, the close frame and the end of the stream (TLS close_notify, FIN)
/// leave the server back to back: the client delivers the message, then onClose with the
/// server's code, and ends; it never waits for an event that will not come.
#[test]
fn the_peers_close_arriving_with_the_last_data_ends_the_task() {
    both(|tls, options, scheme| {
        let port = spawn_script(tls, |stream, end| {
            let mut bytes = support::server_frame(0x1, b"last");
            bytes.extend_from_slice(&support::server_frame(0x8, &1000u16.to_be_bytes()));
            put(stream, &bytes);
            support::end_stream(end);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        client.until("the end", |_, driver| driver.is_idle());
        assert_eq!(client.seen, [Rec::Open, Rec::Text("last".into()), Rec::Close(1000, String::new())]);
    });
}

/// A message, then after a pause the end of the stream with no close frame: the FIN comes
/// after the client's short read of the message, and still ends the task (1006, SPEC S13).
#[test]
fn the_end_of_the_stream_after_a_short_read_is_seen() {
    both(|tls, options, scheme| {
        let port = spawn_script(tls, |stream, end| {
            put(stream, &support::server_frame(0x1, b"then nothing"));
            thread::sleep(Duration::from_millis(50));
            support::end_stream(end);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        client.until("the end", |_, driver| driver.is_idle());
        assert_eq!(
            client.seen,
            [Rec::Open, Rec::Text("then nothing".into()), Rec::Close(1006, "abnormal closure".into())]
        );
    });
}

/// Many small records in one burst and one message larger than the client's first receive
/// buffer: rustls holds plaintext beyond what one read hands the core, and all of it is
/// delivered without further bytes on the socket.
#[test]
fn plaintext_rustls_holds_is_delivered_without_more_bytes() {
    both(|tls, options, scheme| {
        let port = spawn_script(tls, |stream, _| {
            for n in 0..40u8 {
                put(stream, &support::server_frame(0x2, &[n; 20]));
            }
            put(stream, &support::server_frame(0x2, &[7u8; 200 << 10]));
            hold(stream);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        client.until("41 messages", |seen, _| seen.len() >= 42);
        for (n, seen) in client.seen[1..41].iter().enumerate() {
            assert_eq!(*seen, Rec::Binary(vec![n as u8; 20]));
        }
        let last = &client.seen[41];
        assert!(
            matches!(last, Rec::Binary(b) if b.len() == 200 << 10 && b.iter().all(|&x| x == 7)),
            "the 200 KiB message is not whole"
        );
    });
}

/// A burst larger than the client's first receive buffer (4 KiB) sits whole in the socket
/// before the client reads: a read that fills the space offered is not short, so reading
/// goes on at once without a new readiness event (none would come: the server sends nothing
/// more). Bounded at 2 s of its own, well under the server's read timeout, so a client that
/// stopped reading after a full read fails here instead of being rescued by that timeout.
#[test]
fn a_burst_already_in_the_socket_is_read_whole_without_new_events() {
    both(|tls, options, scheme| {
        let port = spawn_script(tls, |stream, _| {
            let mut burst = Vec::new();
            for n in 0..30u8 {
                burst.extend_from_slice(&support::server_frame(0x2, &[n; 300]));
            }
            put(stream, &burst);
            hold(stream);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        thread::sleep(Duration::from_millis(300));
        let deadline = Instant::now() + Duration::from_secs(2);
        while client.seen.len() < 31 && Instant::now() < deadline {
            client.turn();
        }
        let expected: Vec<Rec> = (0..30u8).map(|n| Rec::Binary(vec![n; 300])).collect();
        assert_eq!(client.seen[1..], expected[..], "{scheme}: stalled with the burst in the socket");
    });
}

/// Messages and a ping in one write, then nothing more from the server: the client reads them
/// all at once (a short read: readable again only on new bytes, which never come), and the
/// pong RFC 6455 §5.5.2 requires (same payload, §5.5.3) is parsed only after the messages'
/// events. It is the core's output with no readiness event to announce it, and it still
/// reaches the server; the messages arrive first and in order. Messages before the ping and
/// after it, so the ping is parsed while an event holds the buffer, whichever the core parses
/// first.
#[test]
fn a_pong_parsed_after_a_short_read_reaches_the_peer() {
    both(|tls, options, scheme| {
        let (tx, pongs) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let port = spawn_script(tls, move |stream, _| {
            let mut bytes = Vec::new();
            for text in ["one", "two"] {
                bytes.extend_from_slice(&support::server_frame(0x1, text.as_bytes()));
            }
            bytes.extend_from_slice(&support::server_frame(0x9, b"are you there"));
            bytes.extend_from_slice(&support::server_frame(0x1, b"three"));
            put(stream, &bytes);
            // The server's read timeout bounds this.
            let frame = support::read_client_frame(&mut ReadWriteRef(stream));
            let _ = tx.lock().unwrap().send(frame.map_err(|e| e.kind()));
            hold(stream);
        });
        let mut client = Loop::connect(options, &url(scheme, port));
        client.open();
        let deadline = Instant::now() + LIMIT;
        let pong = loop {
            if let Ok(frame) = pongs.try_recv() {
                break frame;
            }
            assert!(Instant::now() < deadline, "{scheme}: no pong; saw {:?}", client.seen);
            client.turn();
        };
        let pong = pong.unwrap_or_else(|e| panic!("{scheme}: the server read no frame: {e:?}"));
        assert_eq!(pong, Frame { fin: true, rsv: 0, opcode: 0xA, payload: b"are you there".to_vec() });
        client.until("three messages", |seen, _| seen.len() >= 4);
        assert_eq!(
            client.seen,
            [Rec::Open, Rec::Text("one".into()), Rec::Text("two".into()), Rec::Text("three".into())],
            "{scheme}"
        );
    });
}
