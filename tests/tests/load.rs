//! Load and faults: five sockets × many messages of mixed sizes against a real peer (nothing
//! lost, duplicated or reordered; peak RSS reported and bounded), a server that reads slowly
//! (the outgoing limit holds, nothing is dropped), and a server that stops reading during the
//! close handshake (the close timeout ends the task).
//!
//! The full load (5 × 100 000 messages) runs in release builds:
//! `cargo test -p sockettask-tests --release --test load -- --nocapture`. A debug build runs
//! the same test on 5 × 2 000 messages. `SOCKETTASK_LOAD_PEER=python|node|rust` picks the
//! peer (default `node`, out of process so the RSS is the client's alone);
//! `SOCKETTASK_LOAD_TLS=1` runs it over TLS.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use sockettask_mio::{
    Client, Config, ConnectOptions, Limits, Message, Options, ReadyState, SendError, SocketTask,
};
use sockettask_tests::hostile::header;
use sockettask_tests::memory::{peak_rss_kib, rss_kib};
use sockettask_tests::peers::{Peer, PeerServer};
use sockettask_tests::pki::Pki;
use sockettask_tests::record::{Log, Rec, insecure, run_to_end, run_until, run_until_open};
use sockettask_tests::wire::{close_frame, parse_frame};
use tungstenite::handshake::derive_accept_key;

/// One test at a time in this binary, so memory figures are the test's own.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the RSS bounds of these tests are checked: on Linux, where `/proc/self/status`
/// has the figures. Elsewhere the tests still check every message, and
/// `rss_bounds_are_checked` is reported ignored with the reason.
const RSS_CHECKED: bool = cfg!(target_os = "linux");

/// The resident set in KiB where the bounds are checked. On Linux a missing figure fails
/// the test: a bound compared with a made-up 0 would always hold.
fn rss() -> Option<u64> {
    RSS_CHECKED.then(|| rss_kib().expect("VmRSS from /proc/self/status"))
}

/// The peak resident set (`VmHWM`) in KiB where the bounds are checked; see [`rss`].
fn peak_rss() -> Option<u64> {
    RSS_CHECKED.then(|| peak_rss_kib().expect("VmHWM from /proc/self/status"))
}

/// Shows in every test run whether the RSS bounds below are checked on this system.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "the RSS bounds read /proc/self/status (Linux only): not checked on this system"
)]
fn rss_bounds_are_checked() {
    assert!(rss().is_some_and(|kib| kib > 0), "VmRSS");
    assert!(peak_rss().is_some_and(|kib| kib > 0), "VmHWM");
}

const SOCKETS: usize = 5;
/// Messages in flight per socket (sent, not yet echoed).
const WINDOW: usize = 64;
/// Largest message of the mix.
const MAX_SIZE: usize = 4096;

fn messages_per_socket() -> usize {
    if cfg!(debug_assertions) { 2_000 } else { 100_000 }
}

fn load_peer() -> Peer {
    match std::env::var("SOCKETTASK_LOAD_PEER").as_deref() {
        Ok("python") => Peer::Python,
        Ok("rust") => Peer::Rust,
        Ok("node") | Err(_) => Peer::Node,
        Ok(other) => panic!("SOCKETTASK_LOAD_PEER={other}: expected python, node or rust"),
    }
}

/// SplitMix64: a deterministic stream from a seed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Message `seq` of socket `socket`: text or binary, 4 B to 4 KiB (log-uniform), whose
/// first 4 bytes name `seq` and the rest follow from `(socket, seq)`. Comparing a received
/// message with the one expected next therefore catches loss, duplication and reordering.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Payload {
    Text(String),
    Binary(Vec<u8>),
}

fn payload(socket: usize, seq: usize) -> Payload {
    let mut state = ((socket as u64) << 32) ^ seq as u64;
    let r = splitmix(&mut state);
    let bits = 2 + (r % 11) as u32; // 4 .. 4096
    let size = ((1usize << bits) + (r >> 8) as usize % (1usize << bits)).min(MAX_SIZE);
    let text = r & (1 << 60) != 0;
    let mut bytes = Vec::with_capacity(size);
    if text {
        // The sequence number as 4 base-64 digits, then letters.
        for shift in [18, 12, 6, 0] {
            bytes.push(b'0' + ((seq >> shift) & 63) as u8);
        }
        while bytes.len() < size {
            bytes.push(b'a' + (splitmix(&mut state) % 26) as u8);
        }
        Payload::Text(String::from_utf8(bytes).expect("ASCII"))
    } else {
        bytes.extend_from_slice(&(seq as u32).to_le_bytes());
        while bytes.len() < size {
            bytes.extend_from_slice(&splitmix(&mut state).to_le_bytes());
        }
        bytes.truncate(size);
        Payload::Binary(bytes)
    }
}

impl Payload {
    fn message(&self) -> Message<'_> {
        match self {
            Payload::Text(s) => Message::Text(s),
            Payload::Binary(b) => Message::Binary(b),
        }
    }

    fn len(&self) -> usize {
        self.message().len()
    }

    fn matches(&self, message: Message<'_>) -> bool {
        self.message() == message
    }
}

/// One socket's progress.
#[derive(Debug, Default)]
struct Progress {
    sent: usize,
    received: usize,
    bytes: u64,
    /// The first message that was not the one expected: (expected seq, what came).
    wrong: Option<(usize, String)>,
    closed: Option<(u16, String)>,
}

#[test]
fn five_sockets_many_messages_of_mixed_sizes() {
    let _serial = serial();
    let n = messages_per_socket();
    let peer = load_peer();
    let pki = std::env::var_os("SOCKETTASK_LOAD_TLS").is_some().then(Pki::new);
    let server = PeerServer::start(peer, pki.as_ref());
    let url = server.url("/echo");
    let options = match &pki {
        Some(pki) => Options { tls: pki.tls(), ..Options::default() },
        None => insecure(Config::default()),
    };
    let mut client = Client::new(options).expect("client");
    let baseline = rss();
    let mut sockets: Vec<(SocketTask, Rc<RefCell<Progress>>)> = Vec::new();
    for index in 0..SOCKETS {
        let task = client.connect_socket(ConnectOptions::new(&url)).expect("connectSocket");
        let progress = Rc::new(RefCell::new(Progress::default()));
        let p = Rc::clone(&progress);
        task.on_message(&mut client, move |_, _, message| check(&mut p.borrow_mut(), index, message));
        let p = Rc::clone(&progress);
        task.on_close(&mut client, move |_, _, c| p.borrow_mut().closed = Some((c.code.0, c.reason.into())));
        let p = Rc::clone(&progress);
        task.on_error(&mut client, move |_, _, e| p.borrow_mut().wrong = Some((0, format!("onError {e}"))));
        sockets.push((task, progress));
    }
    let started = Instant::now();
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 110 });
    let mut rss_at_tenth = None;
    run_until(&mut client, limit, |client| {
        for (index, (task, progress)) in sockets.iter().enumerate() {
            top_up(client, *task, index, &mut progress.borrow_mut(), n);
        }
        let received: usize = sockets.iter().map(|(_, p)| p.borrow().received).sum();
        if rss_at_tenth.is_none() && received >= SOCKETS * n / 10 {
            rss_at_tenth = rss();
        }
        sockets.iter().all(|(_, p)| p.borrow().closed.is_some() || p.borrow().wrong.is_some())
    });
    let elapsed = started.elapsed();
    run_to_end(&mut client, Duration::from_secs(10));
    let (rss_end, peak) = (rss(), peak_rss());
    let bytes: u64 = sockets.iter().map(|(_, p)| p.borrow().bytes).sum();
    let total = SOCKETS * n;
    println!(
        "load ({peer:?}{}): {SOCKETS} sockets x {n} messages = {total} echoed, {:.1} MiB each way, in {:.2} s \
         ({:.0} msg/s); RSS (KiB) baseline {}, at 10% {}, end {}, peak (VmHWM) {}",
        if pki.is_some() { ", TLS" } else { "" },
        bytes as f64 / (1 << 20) as f64,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        kib(baseline),
        kib(rss_at_tenth),
        kib(rss_end),
        kib(peak),
    );
    for (index, (_, progress)) in sockets.iter().enumerate() {
        let p = progress.borrow();
        assert_eq!(p.wrong, None, "socket {index}: wrong message");
        assert_eq!((p.sent, p.received), (n, n), "socket {index}");
        assert_eq!(p.closed, Some((1000, String::new())), "socket {index}");
    }
    // Bounded: the five tasks' buffers are 10 MiB of address space, touched as used; the
    // resident set must not grow with the number of messages. (Off Linux nothing was
    // measured and `rss_bounds_are_checked` shows as ignored.)
    if RSS_CHECKED {
        let [baseline, tenth, end, peak] =
            [baseline, rss_at_tenth, rss_end, peak].map(|kib| kib.expect("an RSS figure"));
        assert!(peak < baseline + 64 * 1024, "peak RSS {peak} KiB, baseline {baseline} KiB");
        assert!(end < tenth + 16 * 1024, "RSS grew from {tenth} KiB to {end} KiB");
    }
}

/// A figure for the report line: KiB, or why there is none.
fn kib(figure: Option<u64>) -> String {
    figure.map_or_else(|| "not measured".to_owned(), |kib| kib.to_string())
}

/// Keeps [`WINDOW`] messages in flight; closes once every echo is back.
fn top_up(client: &mut Client, task: SocketTask, index: usize, p: &mut Progress, n: usize) {
    if task.ready_state(client) != ReadyState::Open {
        return;
    }
    while p.sent < n && p.sent - p.received < WINDOW {
        match task.send(client, payload(index, p.sent).message()) {
            Ok(()) => p.sent += 1,
            Err(SendError::BufferFull { .. }) => return,
            Err(e) => panic!("socket {index}: send: {e}"),
        }
    }
    if p.received == n && p.sent == n {
        task.close(client, None, "").expect("close");
    }
}

fn check(p: &mut Progress, index: usize, message: Message<'_>) {
    let expected = payload(index, p.received);
    if p.wrong.is_none() && !expected.matches(message) {
        let head: Vec<u8> = message.as_bytes().iter().take(8).copied().collect();
        p.wrong = Some((p.received, format!("{} bytes starting {head:?}", message.len())));
    }
    p.bytes += expected.len() as u64;
    p.received += 1;
}

// ---- a server that reads slowly ----------------------------------------------------------

/// A listener whose connections have a 4 KiB receive buffer, so a server that does not read
/// pushes back on the client at once.
fn small_buffer_listener() -> TcpListener {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
    socket.bind(&addr.into()).expect("bind");
    socket.listen(1).expect("listen");
    socket.into()
}

/// Reads the request and answers a valid 101.
fn upgrade(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("request"), 1, "EOF in the request");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let accept = derive_accept_key(header(&head, "sec-websocket-key").unwrap_or_default().as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).expect("response");
}

fn slow_message(seq: usize) -> Vec<u8> {
    let mut bytes = vec![(seq % 251) as u8; 1024];
    bytes[..4].copy_from_slice(&(seq as u32).to_le_bytes());
    bytes
}

/// Reads 1 KiB every 10 ms while `slow`, then as fast as it can; checks each binary message
/// is `slow_message(seq)` in order; answers the client's close. Returns the count.
fn slow_reader(listener: TcpListener, slow: Arc<AtomicBool>) -> Result<usize, String> {
    let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
    upgrade(&mut stream);
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let (mut pending, mut count, mut buf) = (Vec::new(), 0, [0u8; 1024]);
    loop {
        let n = stream.read(&mut buf).map_err(|e| format!("read after {count} messages: {e}"))?;
        if n == 0 {
            return Err(format!("EOF after {count} messages, before the close frame"));
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some((frame, len)) = parse_frame(&pending) {
            pending.drain(..len);
            if frame.opcode == 0x8 {
                let _ = stream.write_all(&close_frame(1000, ""));
                return Ok(count);
            }
            if (frame.opcode, frame.payload.as_slice()) != (0x2, slow_message(count).as_slice()) {
                return Err(format!("message {count}: wrong frame {} bytes", frame.payload.len()));
            }
            count += 1;
        }
        if slow.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn slow_reader_the_outgoing_limit_holds_and_nothing_is_lost() {
    let _serial = serial();
    const LIMIT: usize = 64 << 10;
    let listener = small_buffer_listener();
    let port = listener.local_addr().expect("address").port();
    let slow = Arc::new(AtomicBool::new(true));
    let reader = {
        let slow = Arc::clone(&slow);
        thread::spawn(move || slow_reader(listener, slow))
    };
    // Messages of 1 KiB: a 16 KiB message limit leaves the queue at `LIMIT`.
    let config =
        Config { limits: Limits { max_message_size: 16 << 10, ..Limits::default() }, ..Config::default() };
    let options = Options { max_buffered_amount: LIMIT, ..insecure(config) };
    let mut client = Client::new(options).expect("client");
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).expect("connectSocket");
    let log = Log::attach(&mut client, task);
    run_until_open(&mut client, task, Duration::from_secs(10));
    let rss_before = rss();
    let (mut sent, mut refused, mut most) = (0, 0, 0);
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        match task.send(&mut client, Message::Binary(&slow_message(sent))) {
            Ok(()) => sent += 1,
            Err(SendError::BufferFull { .. }) => {
                refused += 1;
                client.poll(Some(Duration::from_millis(5))).expect("poll");
            }
            Err(e) => panic!("send: {e}"),
        }
        most = most.max(task.buffered_amount(&client));
        assert!(most <= LIMIT, "buffered_amount {most} over the limit {LIMIT}");
    }
    let rss_after = rss();
    slow.store(false, Ordering::SeqCst);
    task.close(&mut client, None, "").expect("close");
    run_to_end(&mut client, Duration::from_secs(20));
    let received = reader.join().expect("reader thread").expect("the server's view");
    println!(
        "slow reader: {sent} messages of 1 KiB accepted, {refused} sends refused (BufferFull), \
         most buffered {most} B of {LIMIT}; RSS {} -> {} KiB",
        kib(rss_before),
        kib(rss_after),
    );
    assert!(refused > 0, "the slow reader never pushed back");
    assert!(most > LIMIT / 2, "the buffer never filled: {most}");
    assert_eq!(received, sent, "every accepted message reached the server, in order");
    assert_eq!(log.events(), [Rec::Open(None), Rec::Close(1000, String::new())]);
    if RSS_CHECKED {
        let [before, after] = [rss_before, rss_after].map(|kib| kib.expect("an RSS figure"));
        assert!(after < before + 8 * 1024, "RSS grew from {before} to {after} KiB");
    }
}

// ---- a server that stops reading during the close handshake -----------------------------

#[test]
fn server_that_stops_reading_during_the_close_handshake_hits_the_close_timeout() {
    let _serial = serial();
    let listener = small_buffer_listener();
    let port = listener.local_addr().expect("address").port();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        upgrade(&mut stream);
        // Never reads or writes again; holds the connection until the test is over.
        let _ = done_rx.recv_timeout(Duration::from_secs(20));
        drop(stream);
    });
    let config = Config {
        close_timeout: Duration::from_millis(500),
        limits: Limits { max_message_size: 16 << 10, ..Limits::default() },
        ..Config::default()
    };
    let options = Options { max_buffered_amount: 64 << 10, ..insecure(config) };
    let mut client = Client::new(options).expect("client");
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).expect("connectSocket");
    let log = Log::attach(&mut client, task);
    run_until_open(&mut client, task, Duration::from_secs(10));
    // Fill the kernel's buffers and ours: the close frame queues behind data never read.
    fill_until_stuck(&mut client, task);
    let started = Instant::now();
    task.close(&mut client, None, "bye").expect("close");
    assert_eq!(task.ready_state(&client), ReadyState::Closing);
    run_to_end(&mut client, Duration::from_secs(10));
    let elapsed = started.elapsed();
    let _ = done_tx.send(());
    server.join().expect("server thread");
    assert_eq!(log.events(), [Rec::Open(None), Rec::abnormal()]);
    assert!(elapsed >= Duration::from_millis(490) && elapsed < Duration::from_secs(3), "{elapsed:?}");
}

/// Sends 1 KiB messages until the outgoing buffer has stayed full for 200 ms.
fn fill_until_stuck(client: &mut Client, task: SocketTask) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut full_since: Option<Instant> = None;
    let chunk = [0x55u8; 1024];
    while full_since.is_none_or(|t| t.elapsed() < Duration::from_millis(200)) {
        assert!(Instant::now() < deadline, "the buffers never filled");
        match task.send(client, Message::Binary(&chunk)) {
            Ok(()) => full_since = None,
            Err(SendError::BufferFull { .. }) => {
                full_since.get_or_insert_with(Instant::now);
                client.poll(Some(Duration::from_millis(10))).expect("poll");
            }
            Err(e) => panic!("send: {e}"),
        }
    }
}

#[test]
fn payloads_are_deterministic_and_mixed() {
    assert_eq!(payload(3, 77), payload(3, 77));
    assert_ne!(payload(3, 77), payload(4, 77));
    let sizes: Vec<usize> = (0..10_000).map(|s| payload(0, s).len()).collect();
    assert_eq!(sizes.iter().min(), Some(&4));
    assert_eq!(sizes.iter().max(), Some(&MAX_SIZE));
    let texts = (0..10_000).filter(|&s| matches!(payload(0, s), Payload::Text(_))).count();
    assert!((4_000..6_000).contains(&texts), "{texts} texts");
}
