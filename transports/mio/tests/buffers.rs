//! Buffers sized to their use, against loopback servers: they start at the policy's initial
//! length, grow for a large message either way, a large response header block or a large
//! handshake request, shrink back once what they hold is small again (unless the policy says
//! never), and the limits stay the message limit both ways. Every loop is bounded in time.

mod support;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sockettask_mio::{
    BufferLens, BufferPolicy, Client, Config, ConnectError, ConnectOptions, DEFAULT_MAX_MESSAGE_SIZE, Driver,
    Limits, Message, Options, ProtocolError, ReadyState, Schemes, SendError, SetupError, SocketTask,
    TaskError,
};

const INITIAL: BufferLens = BufferLens { rx: 4096, tx: 4096 };
const MIB: usize = 1 << 20;

/// What a task's listeners saw.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Open(usize),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16),
}

/// What a task's listeners saw, and its buffers' lengths while the last message was held.
#[derive(Debug, Default)]
struct Seen {
    events: Vec<Rec>,
    lens_at_message: BufferLens,
}

type Log = Rc<RefCell<Seen>>;

/// The default options, `ws://` allowed.
fn options() -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..Config::default() }, ..Options::default() }
}

/// Connects a task to `ws://127.0.0.1:{port}/` that records its events; `Open` records the
/// length of the response's header block.
fn connect(client: &mut Client, port: u16) -> (SocketTask, Log) {
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    (task, record(client, task))
}

fn record(client: &mut Client, task: SocketTask) -> Log {
    let log = Log::default();
    let l = Rc::clone(&log);
    task.on_open(client, move |_, _, open| {
        l.borrow_mut().events.push(Rec::Open(open.header.as_bytes().len()))
    });
    let l = Rc::clone(&log);
    task.on_message(client, move |client, task, message| {
        let mut seen = l.borrow_mut();
        seen.events.push(Rec::Binary(message.as_bytes().to_vec()));
        seen.lens_at_message = task.buffer_lens(client).unwrap();
    });
    let l = Rc::clone(&log);
    task.on_error(client, move |_, _, error| l.borrow_mut().events.push(Rec::Error(*error)));
    let l = Rc::clone(&log);
    task.on_close(client, move |_, _, close| l.borrow_mut().events.push(Rec::Close(close.code.0)));
    log
}

fn events(log: &Log) -> Vec<Rec> {
    log.borrow().events.clone()
}

/// Polls until `done`; fails after `secs`.
fn run_until(client: &mut Client, secs: u64, mut done: impl FnMut(&mut Client) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(client) {
        assert!(Instant::now() < deadline, "timed out");
        client.poll(Some(Duration::from_millis(20))).unwrap();
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Sends `message` to the echo server and waits for it to come back, checking the buffers
/// grew to hold it on the way out and on the way in; returns their lengths then.
fn echo(client: &mut Client, task: SocketTask, log: &Log, message: &[u8]) -> BufferLens {
    let before = log.borrow().events.len();
    task.send(client, Message::Binary(message)).unwrap();
    let sent = task.buffer_lens(client).unwrap();
    assert!(sent.tx > message.len(), "{sent:?}");
    run_until(client, 20, |_| log.borrow().events.len() > before);
    let seen = log.borrow();
    assert_eq!(seen.events.last(), Some(&Rec::Binary(message.to_vec())));
    assert!(seen.lens_at_message.rx > message.len(), "{:?}", seen.lens_at_message);
    BufferLens { rx: seen.lens_at_message.rx, tx: sent.tx }
}

#[test]
fn a_new_driver_holds_only_the_initial_buffers() {
    let driver = Driver::new(Options::default()).unwrap();
    assert_eq!(driver.buffer_bytes(), 5 * INITIAL.total());
    assert_eq!(INITIAL.total(), 8 << 10);
}

#[test]
fn one_mib_each_way_grows_the_buffers_then_they_shrink_back() {
    let port = support::spawn_echo(None);
    let mut client = Client::new(options()).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    // Open and idle: the initial buffers, nothing more.
    assert_eq!(task.buffer_lens(&client), Some(INITIAL));
    let grown = echo(&mut client, task, &log, &payload(MIB));
    assert!(grown.rx >= MIB && grown.tx >= MIB, "{grown:?}");
    // Back at the initial lengths once they have held little for `shrink_after`.
    let idle = Instant::now();
    run_until(&mut client, 10, |c| task.buffer_lens(c) == Some(INITIAL));
    assert!(idle.elapsed() >= BufferPolicy::DEFAULT_SHRINK_AFTER / 2, "{:?}", idle.elapsed());
    // Small messages go through the small buffers.
    echo(&mut client, task, &log, b"small again");
    assert_eq!(task.buffer_lens(&client), Some(INITIAL));
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
    assert_eq!(events(&log).last(), Some(&Rec::Close(1000)));
    assert_eq!(client.driver().buffer_bytes(), 5 * INITIAL.total());
}

#[test]
fn shrink_above_usize_max_keeps_the_large_buffers() {
    let port = support::spawn_echo(None);
    let policy =
        BufferPolicy { shrink_above: usize::MAX, shrink_after: Duration::ZERO, ..BufferPolicy::default() };
    let mut client = Client::new(Options { buffers: policy, ..options() }).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    let grown = echo(&mut client, task, &log, &payload(MIB));
    let until = Instant::now() + Duration::from_millis(300);
    run_until(&mut client, 10, |_| Instant::now() >= until);
    assert_eq!(task.buffer_lens(&client), Some(grown));
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
    // A free slot keeps them too.
    assert_eq!(client.driver().buffer_bytes(), 4 * INITIAL.total() + grown.total());
}

#[test]
fn a_burst_of_large_messages_keeps_its_buffers_between_messages() {
    let port = support::spawn_echo(None);
    let mut client = Client::new(options()).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    let message = payload(64 << 10);
    let grown = echo(&mut client, task, &log, &message);
    for _ in 0..20 {
        assert_eq!(echo(&mut client, task, &log, &message), grown);
    }
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
}

/// With the defaults, exactly 1 MiB goes both ways in buffers that start at 4 KiB; one byte
/// more is refused on the way out, in payload figures, before anything is queued.
#[test]
fn a_message_at_the_limit_goes_both_ways_and_one_byte_over_is_refused_on_send() {
    let port = support::spawn_echo(None);
    let mut client = Client::new(options()).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    assert_eq!(DEFAULT_MAX_MESSAGE_SIZE, MIB);
    echo(&mut client, task, &log, &payload(MIB));
    let over = task.send(&mut client, Message::Binary(&payload(MIB + 1)));
    assert_eq!(over, Err(SendError::MessageTooLarge { required: MIB + 1, limit: MIB }));
    assert_eq!(task.buffered_amount(&client), 0);
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
}

/// A message one byte over the limit fails the task with 1009, on the wire and in onClose,
/// without growing the receive buffer to hold it.
#[test]
fn a_message_one_byte_over_the_limit_is_refused_on_receive() {
    let (codes, seen) = mpsc::channel();
    let port = support::spawn(move |mut s| {
        support::accept_upgrade(&mut s).unwrap();
        // The client fails the connection at the second frame's header: it sends its close
        // frame and then closes TCP (RFC 6455 §7.1.7), maybe before this side has written the
        // whole frame (the write then fails: RST). So its frames are read while writing.
        let mut reader = s.try_clone().unwrap();
        let codes = codes.clone();
        let reading = std::thread::spawn(move || {
            while let Ok((opcode, payload)) = support::read_frame(&mut reader) {
                if opcode == 0x8 {
                    let _ = codes.send(u16::from_be_bytes([payload[0], payload[1]]));
                    break;
                }
            }
        });
        s.write_all(&support::server_frame(0x2, &payload(MIB))).unwrap();
        let _ = s.write_all(&support::server_frame(0x2, &payload(MIB + 1)));
        reading.join().unwrap();
        support::end_stream(&s);
    });
    let mut client = Client::new(options()).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 20, |c| c.is_idle());
    let events = events(&log);
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(events[1], Rec::Binary(payload(MIB)));
    assert_eq!(
        events[2..],
        [Rec::Error(TaskError::Protocol(ProtocolError::MessageTooLarge)), Rec::Close(1009)]
    );
    assert_eq!(seen.recv_timeout(Duration::from_secs(5)), Ok(1009));
    assert_eq!(task.buffer_lens(&client), None);
}

#[test]
fn a_header_block_larger_than_the_initial_buffer_opens() {
    let big = format!("X-Big: {}\r\n", "c".repeat(6000));
    let port = support::spawn(move |mut s| {
        support::accept_upgrade_with(&mut s, &big).unwrap();
        s.write_all(&support::server_frame(0x2, b"after the headers")).unwrap();
        while support::read_frame(&mut s).is_ok_and(|(opcode, _)| opcode != 0x8) {}
        support::end_stream(&s);
    });
    let mut client = Client::new(options()).unwrap();
    let (task, log) = connect(&mut client, port);
    run_until(&mut client, 10, |_| log.borrow().events.len() >= 2);
    let events = events(&log);
    assert!(matches!(events[0], Rec::Open(len) if len > 6000), "{events:?}");
    assert_eq!(events[1], Rec::Binary(b"after the headers".to_vec()));
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
    assert_eq!(client.driver().buffer_bytes(), 5 * INITIAL.total());
}

#[test]
fn a_handshake_request_larger_than_the_initial_buffer_grows_it_up_to_the_bound() {
    let (heads, seen) = mpsc::channel();
    let port = support::spawn(move |mut s| {
        let head = support::accept_upgrade_with(&mut s, "").unwrap();
        let _ = heads.send(head.len());
        while support::read_frame(&mut s).is_ok_and(|(opcode, _)| opcode != 0x8) {}
        support::end_stream(&s);
    });
    let limits = Limits { max_message_size: 16 << 10, ..Limits::default() };
    let options =
        Options { config: Config { limits, ..options().config }, max_buffered_amount: 16 << 10, ..options() };
    let mut client = Client::new(options).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let cookie = "k".repeat(10_000);
    let task = client.connect_socket(ConnectOptions::new(&url).header(&[("cookie", &cookie)])).unwrap();
    assert!(task.buffer_lens(&client).unwrap().tx > 10_000);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    assert!(seen.recv_timeout(Duration::from_secs(5)).unwrap() > 10_000);
    // The bound is the send buffer's limit: 16 KiB of message + its overhead.
    let huge = "k".repeat(20_000);
    let refused = client.connect_socket(ConnectOptions::new(&url).header(&[("cookie", &huge)]));
    let Err(ConnectError::RequestTooLarge { required, capacity }) = refused else { panic!("{refused:?}") };
    assert!(required > 20_000, "{required}");
    assert_eq!(capacity, (16 << 10) + 276);
    task.close(&mut client, None, "").unwrap();
    run_until(&mut client, 10, |c| c.is_idle());
    assert_eq!(client.driver().buffer_bytes(), 5 * INITIAL.total());
}

#[test]
fn a_policy_that_makes_no_sense_is_refused() {
    let small = BufferPolicy { initial: 100, ..BufferPolicy::default() };
    let refused = Driver::new(Options { buffers: small, ..Options::default() }).unwrap_err();
    assert!(matches!(refused, SetupError::InitialBufferTooSmall { initial: 100, min: 512 }), "{refused}");
    let below = BufferPolicy { initial: 8192, shrink_above: 4096, ..BufferPolicy::default() };
    let refused = Driver::new(Options { buffers: below, ..Options::default() }).unwrap_err();
    assert!(
        matches!(refused, SetupError::ShrinkBelowInitial { shrink_above: 4096, initial: 8192 }),
        "{refused}"
    );
    // At the limits from the start: 5 slots of 1 MiB (+ overheads) each way; the receive
    // side also holds the largest permessage-deflate window (32 KiB + 1) and 64 KiB read ahead.
    let fixed = Driver::new(Options { buffers: BufferPolicy::AT_LIMITS, ..Options::default() }).unwrap();
    let inflate = (32 << 10) + 1 + (64 << 10);
    assert_eq!(fixed.buffer_bytes(), 5 * ((MIB + 160 + inflate) + (MIB + 276)));
}

/// RFC 7692 §6.2: a compressed message that inflates to far more than the receive buffer,
/// its compressed bytes all in one write. Once they are read the socket has nothing more to
/// read, and the task waits for a larger buffer to inflate into: the driver grows it then
/// too, and the message arrives whole. (It hung when growth waited for the socket to be
/// readable again; found by the permessage-deflate interop suite.)
#[test]
fn a_compressed_message_larger_than_the_buffer_inflates_with_nothing_more_to_read() {
    use flate2::{Compress, Compression, FlushCompress};
    let message: Vec<u8> = (0..256 * 1024).map(|i| b"0123456789abcdef"[i % 16]).collect();
    let mut compress = Compress::new(Compression::best(), false);
    let mut deflated = Vec::with_capacity(message.len());
    compress.compress_vec(&message, &mut deflated, FlushCompress::Sync).unwrap();
    assert_eq!(compress.total_in(), message.len() as u64);
    // §7.2.1: the trailing empty block's 00 00 ff ff is left off.
    assert_eq!(deflated.split_off(deflated.len() - 4), [0, 0, 0xff, 0xff]);
    assert!(deflated.len() < INITIAL.rx / 2, "{} B compressed", deflated.len());
    // FIN, RSV1 (compressed), binary.
    let frame = support::server_frame(0x40 | 0x2, &deflated);
    let port = support::spawn(move |mut s| {
        support::accept_upgrade_with(&mut s, "Sec-WebSocket-Extensions: permessage-deflate\r\n").unwrap();
        s.write_all(&frame).unwrap();
        support::hold(s, Duration::from_secs(10));
    });
    let mut client = Client::new(options()).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let offer = sockettask_mio::PerMessageDeflate::new();
    let task = client.connect_socket(ConnectOptions::new(&url).per_message_deflate(offer)).unwrap();
    let log = record(&mut client, task);
    run_until(&mut client, 10, |_| log.borrow().events.len() >= 2);
    let events = events(&log);
    assert!(matches!(events[0], Rec::Open(_)), "{events:?}");
    assert!(events[1] == Rec::Binary(message.clone()), "the message did not arrive whole");
    assert!(log.borrow().lens_at_message.rx > message.len());
}
