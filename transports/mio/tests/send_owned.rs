//! `Driver::send_owned`: a binary message written from the caller's own `Vec`, masked in
//! place. Checked from the server's side of the wire (RFC 6455 §5.2, §5.3): the frame
//! arrives whole, masked with its own key, unmasking to the bytes given; frames queued after
//! it come after it, never inside it; a second payload waits for the first; a refusal hands
//! the bytes back untouched; with permessage-deflate negotiated it still goes out
//! uncompressed (RSV1 clear, RFC 7692 §6). Over plain TCP and TLS, with a server that does
//! not read until told to, so the payload is still being written when the next commands
//! come. Every wait is bounded.

mod support;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rustls::{ServerConnection, StreamOwned};
use sockettask_mio::{
    BufferPolicy, Config, ConnectOptions, Driver, Event, Limits, Options, PerMessageDeflate, ReadyState,
    Schemes, SendError, SocketTask, Tls,
};
use support::{ClientFrame as Frame, Pki, ReadWrite, ReadWriteRef, Validity};

/// How long any one wait in these tests may last.
const LIMIT: Duration = Duration::from_secs(20);

/// Larger than what loopback's kernel buffers hold for a server that does not read (the
/// send buffer grows to `tcp_wmem`'s 4 MiB at most, the receive window stays near its
/// initial size while nothing is read): the payload is still being written when the test
/// goes on, which it asserts.
const LARGE: usize = 16 << 20;

fn options() -> Options {
    let limits = Limits { max_message_size: 64 << 20, ..Limits::default() };
    Options {
        config: Config { schemes: Schemes::AllowInsecure, limits, ..Config::default() },
        ..Options::default()
    }
}

/// Bytes no two positions of a 4-byte mask period share a pattern with.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8).collect()
}

/// A server that answers the upgrade (with `extra` header lines), waits for the gate, then
/// reads client frames until the connection ends and hands each over.
struct Server {
    port: u16,
    gate: mpsc::Sender<()>,
    frames: mpsc::Receiver<Frame>,
}

fn spawn_gated(tls: Option<Arc<rustls::ServerConfig>>, extra: &'static str) -> Server {
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (frames_tx, frames_rx) = mpsc::channel();
    let shared = Mutex::new((Some(gate_rx), frames_tx));
    let port = support::spawn(move |tcp| {
        tcp.set_read_timeout(Some(LIMIT)).unwrap();
        let (gate, frames) = {
            let mut shared = shared.lock().unwrap();
            let Some(gate) = shared.0.take() else { return };
            (gate, shared.1.clone())
        };
        let serve = |stream: &mut dyn ReadWrite| {
            support::accept_upgrade_with(&mut ReadWriteRef(stream), extra).unwrap();
            if gate.recv_timeout(LIMIT).is_err() {
                return;
            }
            while let Ok(frame) = support::read_client_frame(&mut ReadWriteRef(stream)) {
                if frames.send(frame).is_err() {
                    return;
                }
            }
        };
        match &tls {
            Some(config) => {
                serve(&mut StreamOwned::new(ServerConnection::new(Arc::clone(config)).unwrap(), tcp))
            }
            None => serve(&mut { tcp }),
        }
    });
    Server { port, gate: gate_tx, frames: frames_rx }
}

/// A driver with one task, in its own `Poll`, turned by the documented loop.
struct Loop {
    poll: Poll,
    events: Events,
    driver: Driver,
    task: SocketTask,
    opened: bool,
}

impl Loop {
    fn connect(options: Options, connect: ConnectOptions<'_>) -> Loop {
        let poll = Poll::new().unwrap();
        let mut driver = Driver::new(options).unwrap();
        let task = driver.connect_socket(poll.registry(), connect, Token(1)).unwrap();
        Loop { poll, events: Events::with_capacity(16), driver, task, opened: false }
    }

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
            match event {
                Event::Open(_) => self.opened = true,
                other => panic!("unexpected event {other:?}"),
            }
        }
    }

    /// Turns until `done`; panics after [`LIMIT`].
    fn until(&mut self, what: &str, mut done: impl FnMut(&Loop) -> bool) {
        let deadline = Instant::now() + LIMIT;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.turn();
        }
    }
}

/// Turns `lp` until the server handed over `count` frames.
fn collect(lp: &mut Loop, server: &Server, count: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    lp.until("the server's frames", |_| {
        while let Ok(frame) = server.frames.try_recv() {
            frames.push(frame);
        }
        frames.len() >= count
    });
    frames
}

fn frame(opcode: u8, payload: &[u8]) -> Frame {
    Frame { fin: true, rsv: 0, opcode, payload: payload.to_vec() }
}

/// The whole story over one stream: the payload goes out from the caller's `Vec` while the
/// server does not read; the send buffer never grows to hold it; a text and a ping queued
/// meanwhile wait behind it; a second owned payload is refused (and handed back) until the
/// first is written, and goes out after.
fn owned_payloads_in_order(tls: Option<Arc<rustls::ServerConfig>>, options: Options, url: &str) {
    let server = spawn_gated(tls, "");
    let url = url.replace("PORT", &server.port.to_string());
    let mut lp = Loop::connect(options, ConnectOptions::new(&url));
    lp.until("open", |lp| lp.opened);
    let tx_before = lp.driver.buffer_lens(lp.task).unwrap().tx;

    let first = pattern(LARGE, 7);
    lp.driver.send_owned(lp.task, first.clone()).unwrap();
    for _ in 0..5 {
        lp.turn();
    }
    let pending = lp.driver.buffered_amount(lp.task);
    assert!(pending > 0 && pending <= LARGE + 14, "the payload should still be on its way: {pending} B");
    // The next commands queue behind it.
    lp.task.send(&mut lp.driver, sockettask_mio::Message::Text("after")).unwrap();
    lp.task.ping(&mut lp.driver, b"p").unwrap();
    // One owned payload at a time: the second comes back as it was.
    let second = pattern(70_000, 99);
    let unsent = lp.driver.send_owned(lp.task, second.clone()).unwrap_err();
    assert!(matches!(unsent.error, SendError::BufferFull { available: 0, .. }), "{:?}", unsent.error);
    assert!(unsent.payload == second, "a refused payload must come back untouched");
    // The payload never went through the send buffer.
    assert_eq!(lp.driver.buffer_lens(lp.task).unwrap().tx, tx_before);

    server.gate.send(()).unwrap();
    let frames = collect(&mut lp, &server, 3);
    assert_eq!(frames.len(), 3, "{} frames", frames.len());
    assert!(frames[0] == frame(0x2, &first), "the owned payload did not arrive whole and in place");
    assert_eq!(frames[1], frame(0x1, b"after"));
    assert_eq!(frames[2], frame(0x9, b"p"));
    lp.until("everything written", |lp| lp.driver.buffered_amount(lp.task) == 0);

    // Once it is written, the next one goes.
    lp.driver.send_owned(lp.task, unsent.payload).unwrap();
    let frames = collect(&mut lp, &server, 1);
    assert!(frames[0] == frame(0x2, &second), "the second owned payload");
    assert_eq!(lp.driver.ready_state(lp.task), ReadyState::Open);
}

#[test]
fn an_owned_payload_goes_out_whole_before_what_is_queued_after_it() {
    owned_payloads_in_order(None, options(), "ws://127.0.0.1:PORT/");
}

#[test]
fn an_owned_payload_goes_out_whole_before_what_is_queued_after_it_over_tls() {
    let pki = Pki::new();
    let server_config = pki.server(&["localhost"], Validity::Current);
    let options = Options { tls: Tls::roots(pki.roots()), ..options() };
    owned_payloads_in_order(Some(server_config), options, "wss://localhost:PORT/");
}

/// Refusals before OPEN, over the message limit and after CLOSED hand the bytes back as
/// they were: not masked, not shortened.
#[test]
fn a_refused_owned_payload_comes_back_untouched() {
    let server = spawn_gated(None, "");
    let limits = Limits { max_message_size: 1 << 20, ..Limits::default() };
    let options = Options {
        config: Config { schemes: Schemes::AllowInsecure, limits, ..Config::default() },
        buffers: BufferPolicy { initial: 4 << 10, ..BufferPolicy::default() },
        ..Options::default()
    };
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let mut lp = Loop::connect(options, ConnectOptions::new(&url));
    let bytes = pattern(1000, 3);

    let unsent = lp.driver.send_owned(lp.task, bytes.clone()).unwrap_err();
    assert_eq!(unsent.error, SendError::NotOpen(ReadyState::Connecting));
    assert!(unsent.payload == bytes);

    lp.until("open", |lp| lp.opened);
    let over = pattern((1 << 20) + 1, 5);
    let unsent = lp.driver.send_owned(lp.task, over.clone()).unwrap_err();
    assert_eq!(unsent.error, SendError::MessageTooLarge { required: (1 << 20) + 1, limit: 1 << 20 });
    assert!(unsent.payload == over);
    assert_eq!(lp.driver.buffered_amount(lp.task), 0, "a refusal queues nothing");

    lp.task.close(&mut lp.driver, None, "").unwrap();
    let unsent = lp.driver.send_owned(lp.task, bytes.clone()).unwrap_err();
    assert_eq!(unsent.error, SendError::NotOpen(ReadyState::Closing));
    assert!(unsent.payload == bytes);
    assert_eq!(unsent.to_string(), unsent.error.to_string());
}

/// With permessage-deflate negotiated, an owned payload still goes out as it is: RSV1
/// clear, the bytes given (RFC 7692 §6: each message may go out compressed or not); a
/// `send` after it is compressed as usual.
#[test]
fn an_owned_payload_goes_out_uncompressed_where_deflate_was_negotiated() {
    let server = spawn_gated(None, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let connect = ConnectOptions::new(&url).per_message_deflate(PerMessageDeflate::new());
    let mut lp = Loop::connect(options(), connect);
    lp.until("open", |lp| lp.opened);
    let text = "a".repeat(4096);
    let zeros = vec![0u8; 4096];
    lp.driver.send_owned(lp.task, zeros.clone()).unwrap();
    lp.task.send(&mut lp.driver, sockettask_mio::Message::Text(&text)).unwrap();
    server.gate.send(()).unwrap();
    let frames = collect(&mut lp, &server, 2);
    assert_eq!(frames[0], frame(0x2, &zeros));
    assert_eq!((frames[1].opcode, frames[1].rsv), (0x1, 0x4), "the text after it is compressed");
    assert!(frames[1].payload.len() < 100, "{} B", frames[1].payload.len());
}

/// `send_owned_text`: a `String` goes out as one text frame, masked in place, multi-byte
/// characters whole; refused before OPEN, the string's bytes come back.
#[test]
fn an_owned_string_goes_out_as_one_text_frame() {
    let server = spawn_gated(None, "");
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let mut lp = Loop::connect(options(), ConnectOptions::new(&url));
    let text = "añb€😀 ".repeat(400_000);
    let unsent = lp.driver.send_owned_text(lp.task, text.clone()).unwrap_err();
    assert_eq!(unsent.error, SendError::NotOpen(ReadyState::Connecting));
    assert!(String::from_utf8(unsent.payload).is_ok_and(|back| back == text));
    lp.until("open", |lp| lp.opened);
    lp.task.send_owned_text(&mut lp.driver, text.clone()).unwrap();
    server.gate.send(()).unwrap();
    let frames = collect(&mut lp, &server, 1);
    assert_eq!((frames[0].fin, frames[0].rsv, frames[0].opcode), (true, 0, 0x1));
    assert!(frames[0].payload == text.as_bytes(), "the text did not arrive as given");
}
