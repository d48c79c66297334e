//! The transport against servers on loopback: TLS outcomes, echo sizes, concurrency, the
//! caller-owned-Poll mode, and servers that misbehave. Every loop is bounded in time.

mod support;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use sockettask_mio::{
    Client, Config, ConnectError, ConnectOptions, DEFAULT_MAX_MESSAGE_SIZE, Driver, Event, Limits, Message,
    Options, ReadyState, Schemes, SendError, SocketTask, TaskError, Tls, TlsError, TransportError,
};
use support::{Pki, Validity};

/// What a listener saw.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Open(Option<String>),
    Text(String),
    Binary(Vec<u8>),
    Error(TaskError),
    Close(u16, String),
}

type Log = Rc<RefCell<Vec<(u64, Rec)>>>;

fn record(client: &mut Client, task: SocketTask, log: &Log) {
    let l = Rc::clone(log);
    task.on_open(client, move |_, t, open| {
        l.borrow_mut().push((t.socket_task_id(), Rec::Open(open.protocol.map(str::to_owned))))
    });
    let l = Rc::clone(log);
    task.on_message(client, move |_, t, message| {
        let rec = match message {
            Message::Text(s) => Rec::Text(s.to_owned()),
            Message::Binary(b) => Rec::Binary(b.to_vec()),
        };
        l.borrow_mut().push((t.socket_task_id(), rec));
    });
    let l = Rc::clone(log);
    task.on_error(client, move |_, t, e| l.borrow_mut().push((t.socket_task_id(), Rec::Error(*e))));
    let l = Rc::clone(log);
    task.on_close(client, move |_, t, c| {
        l.borrow_mut().push((t.socket_task_id(), Rec::Close(c.code.0, c.reason.to_owned())))
    });
}

fn events_of(log: &Log, task: SocketTask) -> Vec<Rec> {
    log.borrow().iter().filter(|(id, _)| *id == task.socket_task_id()).map(|(_, r)| r.clone()).collect()
}

/// Polls until `done` or panics after `secs`.
fn run_until(client: &mut Client, secs: u64, mut done: impl FnMut(&mut Client) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(client) {
        assert!(Instant::now() < deadline, "timed out");
        client.poll(Some(Duration::from_millis(20))).unwrap();
    }
}

/// `run()` with a bound: every task must end within `secs`.
fn run_to_end(client: &mut Client, secs: u64) {
    run_until(client, secs, |c| c.driver().is_idle());
}

fn tls_options(pki: &Pki) -> Options {
    Options { tls: Tls::roots(pki.roots()), ..Options::default() }
}

fn insecure(config: Config) -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..config }, ..Options::default() }
}

/// `options` with the largest message, both ways, set to `max_message_size`.
fn max_message(max_message_size: usize, options: Options) -> Options {
    let limits = Limits { max_message_size, ..options.config.limits };
    Options { config: Config { limits, ..options.config }, ..options }
}

fn single_error(pki_server: &Pki, pki_client: &Pki, names: &[&str], validity: Validity) -> Vec<Rec> {
    let port = support::spawn_echo(Some(pki_server.server(names, validity)));
    let mut client = Client::new(tls_options(pki_client)).unwrap();
    let url = format!("wss://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    let log = Log::default();
    record(&mut client, task, &log);
    run_to_end(&mut client, 10);
    assert_eq!(task.ready_state(&client), ReadyState::Closed);
    events_of(&log, task)
}

// ---- TLS ------------------------------------------------------------------------------

#[test]
fn tls_good_certificate_by_ip_and_by_name() {
    let pki = Pki::new();
    let port = support::spawn_echo(Some(pki.server(&["localhost", "127.0.0.1"], Validity::Current)));
    let mut client = Client::new(tls_options(&pki)).unwrap();
    let log = Log::default();
    let urls = [format!("wss://127.0.0.1:{port}/a"), format!("wss://localhost:{port}/b?x=1")];
    let mut tasks = Vec::new();
    for url in &urls {
        let options = ConnectOptions::new(url).protocols(&["chat.v2", "chat.v1"]);
        let task = client.connect_socket(options).unwrap();
        record(&mut client, task, &log);
        task.on_open(&mut client, |client, task, _| {
            task.send(client, Message::Text("hello")).unwrap();
            task.send(client, Message::Binary(&[1, 2, 3])).unwrap();
        });
        task.on_message(&mut client, |client, task, message| {
            if message == Message::Binary(&[1, 2, 3]) {
                task.close(client, Some(sockettask_mio::CloseCode(3001)), "done").unwrap();
            }
        });
        tasks.push(task);
    }
    run_to_end(&mut client, 10);
    for task in tasks {
        assert_eq!(
            events_of(&log, task),
            vec![
                Rec::Open(Some("chat.v2".into())),
                Rec::Text("hello".into()),
                Rec::Binary(vec![1, 2, 3]),
                Rec::Close(3001, "done".into()),
            ]
        );
    }
}

#[test]
fn tls_wrong_host_name_is_an_error() {
    let pki = Pki::new();
    let events = single_error(&pki, &pki, &["example.com"], Validity::Current);
    assert_eq!(events, vec![Rec::Error(TaskError::Transport(TransportError::Tls(TlsError::WrongHost)))]);
}

#[test]
fn tls_unknown_ca_is_an_error() {
    let (server, client) = (Pki::new(), Pki::new());
    let events = single_error(&server, &client, &["127.0.0.1"], Validity::Current);
    assert_eq!(events, vec![Rec::Error(TaskError::Transport(TransportError::Tls(TlsError::UnknownIssuer)))]);
}

#[test]
fn tls_expired_certificate_is_an_error() {
    let pki = Pki::new();
    let events = single_error(&pki, &pki, &["127.0.0.1"], Validity::Expired);
    assert_eq!(events, vec![Rec::Error(TaskError::Transport(TransportError::Tls(TlsError::Expired)))]);
}

#[test]
fn webpki_roots_reject_a_private_ca() {
    let pki = Pki::new();
    let port = support::spawn_echo(Some(pki.server(&["127.0.0.1"], Validity::Current)));
    let mut client = Client::new(Options::default()).unwrap();
    let url = format!("wss://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    let log = Log::default();
    record(&mut client, task, &log);
    run_to_end(&mut client, 10);
    assert_eq!(
        events_of(&log, task),
        vec![Rec::Error(TaskError::Transport(TransportError::Tls(TlsError::UnknownIssuer)))]
    );
}

// ---- echo -----------------------------------------------------------------------------

#[test]
fn echo_text_and_binary_from_0_bytes_to_several_mib_over_tls() {
    let pki = Pki::new();
    let port = support::spawn_echo(Some(pki.server(&["127.0.0.1"], Validity::Current)));
    let options = Options { max_buffered_amount: 6 << 20, ..max_message(6 << 20, tls_options(&pki)) };
    let mut client = Client::new(options).unwrap();
    let url = format!("wss://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    let log = Log::default();
    record(&mut client, task, &log);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    let sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 1 << 20, 5 << 20];
    let mut expected = vec![Rec::Open(None)];
    for (i, &size) in sizes.iter().enumerate() {
        let text: String = "é€a"
            .chars()
            .cycle()
            .scan(0, |n, c| {
                *n += c.len_utf8();
                (*n <= size).then_some(c)
            })
            .collect();
        let binary: Vec<u8> = (0..size).map(|j| (i + j) as u8).collect();
        task.send(&mut client, Message::Text(&text)).unwrap();
        task.send(&mut client, Message::Binary(&binary)).unwrap_or_else(|e| {
            // The outgoing limit holds both only for small sizes: flush, then retry.
            assert!(matches!(e, SendError::BufferFull { .. }), "{e}");
            run_until(&mut client, 10, |c| task.buffered_amount(c) == 0);
            task.send(&mut client, Message::Binary(&binary)).unwrap();
        });
        expected.push(Rec::Text(text));
        expected.push(Rec::Binary(binary));
        let want = expected.len();
        run_until(&mut client, 20, |_| log.borrow().len() >= want);
    }
    task.close(&mut client, None, "").unwrap();
    run_to_end(&mut client, 10);
    expected.push(Rec::Close(1000, String::new()));
    assert_eq!(events_of(&log, task), expected);
}

#[test]
fn five_sockets_interleave_and_a_sixth_is_refused() {
    let port = support::spawn_echo(None);
    let mut client = Client::new(insecure(Config::default())).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let log = Log::default();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        record(&mut client, task, &log);
        task.on_open(&mut client, |client, task, _| {
            for i in 0..100 {
                let text = format!("{}-{i}", task.socket_task_id());
                task.send(client, Message::Text(&text)).unwrap();
            }
        });
        tasks.push(task);
    }
    let sixth = client.connect_socket(ConnectOptions::new(&url));
    assert_eq!(sixth.unwrap_err(), ConnectError::TooManyTasks { limit: 5 });
    assert_eq!(
        ConnectError::TooManyTasks { limit: 5 }.err_msg().to_string(),
        "connectSocket:fail exceed max task count"
    );
    run_until(&mut client, 10, |_| log.borrow().len() >= 5 * 101);
    for &task in &tasks {
        task.close(&mut client, Some(sockettask_mio::CloseCode(4000)), "bye").unwrap();
    }
    run_to_end(&mut client, 10);
    for task in tasks {
        let events = events_of(&log, task);
        let mut expected = vec![Rec::Open(None)];
        expected.extend((0..100).map(|i| Rec::Text(format!("{}-{i}", task.socket_task_id()))));
        expected.push(Rec::Close(4000, "bye".into()));
        assert_eq!(events, expected);
    }
    // Interleaved: the messages of different tasks arrived mixed, not one task after another.
    let order: Vec<u64> = log.borrow().iter().map(|(id, _)| *id).collect();
    let switches = order.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches > 5, "{switches} switches");
}

/// With the defaults, the largest message is 1 MiB of payload both ways: exactly 1 MiB is
/// sent and echoed back whole, one byte more is refused with payload figures.
#[test]
fn default_limit_sends_and_receives_exactly_one_mib() {
    let port = support::spawn_echo(None);
    let mut client = Client::new(insecure(Config::default())).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    let log = Log::default();
    record(&mut client, task, &log);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    assert_eq!(DEFAULT_MAX_MESSAGE_SIZE, 1 << 20);
    let over = vec![1u8; (1 << 20) + 1];
    assert_eq!(
        task.send(&mut client, Message::Binary(&over)),
        Err(SendError::MessageTooLarge { required: 1_048_577, limit: 1_048_576 })
    );
    let text = "é".repeat(1 << 19);
    assert_eq!(text.len(), 1 << 20);
    task.send(&mut client, Message::Text(&text)).unwrap();
    run_until(&mut client, 20, |_| log.borrow().len() >= 2);
    let binary: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
    // The queue holds one message of the limit: the second waits for the first to go out.
    run_until(&mut client, 10, |c| task.buffered_amount(c) == 0);
    task.send(&mut client, Message::Binary(&binary)).unwrap();
    run_until(&mut client, 20, |_| log.borrow().len() >= 3);
    task.close(&mut client, None, "").unwrap();
    run_to_end(&mut client, 10);
    let expected =
        vec![Rec::Open(None), Rec::Text(text), Rec::Binary(binary), Rec::Close(1000, String::new())];
    assert_eq!(events_of(&log, task), expected);
}

/// `SocketTask::ping` reaches the server (which reports it as text) and answers in payload
/// figures when refused.
#[test]
fn socket_task_ping_reaches_the_server() {
    let port = support::spawn_ping_reporter();
    let mut client = Client::new(insecure(Config::default())).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    assert_eq!(task.ping(&mut client, b"early"), Err(SendError::NotOpen(ReadyState::Connecting)));
    let log = Log::default();
    record(&mut client, task, &log);
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    assert_eq!(
        task.ping(&mut client, &[b'p'; 126]),
        Err(SendError::MessageTooLarge { required: 126, limit: 125 })
    );
    task.ping(&mut client, b"are you there").unwrap();
    task.ping(&mut client, &[b'p'; 125]).unwrap();
    task.send(&mut client, Message::Text("after the pings")).unwrap();
    run_until(&mut client, 10, |_| log.borrow().len() >= 4);
    task.close(&mut client, None, "").unwrap();
    run_to_end(&mut client, 10);
    let expected = vec![
        Rec::Open(None),
        Rec::Text("ping are you there".into()),
        Rec::Text(format!("ping {}", "p".repeat(125))),
        Rec::Text("after the pings".into()),
        Rec::Close(1000, String::new()),
    ];
    assert_eq!(events_of(&log, task), expected);
}

/// An echo server that answers the upgrade, then reads nothing until `go` says so: the
/// client's socket fills up and its sends stay queued.
fn spawn_echo_after(go: std::sync::mpsc::Receiver<()>) -> u16 {
    let go = std::sync::Mutex::new(Some(go));
    support::spawn(move |tcp| {
        let Ok(mut ws) = tungstenite::accept(tcp) else { return };
        let Some(go) = go.lock().unwrap().take() else { return };
        if go.recv_timeout(Duration::from_secs(10)).is_err() {
            return;
        }
        while let Ok(message) = ws.read() {
            if matches!(message, tungstenite::Message::Text(_) | tungstenite::Message::Binary(_))
                && ws.send(message).is_err()
            {
                return;
            }
        }
    })
}

#[test]
fn send_past_the_outgoing_limit_is_refused() {
    let (go, paused) = std::sync::mpsc::channel();
    let port = spawn_echo_after(paused);
    let options =
        Options { max_buffered_amount: 64 << 10, ..max_message(64 << 10, insecure(Config::default())) };
    let mut client = Client::new(options).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    assert_eq!(
        task.send(&mut client, Message::Text("early")),
        Err(SendError::NotOpen(ReadyState::Connecting))
    );
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    let chunk = vec![7u8; 40 << 10];
    // A send writes at once while the socket takes bytes; the server reads nothing, so the
    // socket fills up and sends queue, until one does not fit beside what is queued.
    let mut sent = 0;
    let full = loop {
        assert!(sent < 1000, "the socket never filled up");
        match task.send(&mut client, Message::Binary(&chunk)) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
    };
    assert!(task.buffered_amount(&client) > (64 << 10) - (40 << 10));
    assert!(matches!(full, SendError::BufferFull { required: 40960, .. }), "{full}");
    assert_eq!(full.err_msg().to_string(), "SocketTask.send:fail buffer is full");
    let huge = vec![0u8; 70 << 10];
    let too_large = task.send(&mut client, Message::Binary(&huge)).unwrap_err();
    assert_eq!(too_large, SendError::MessageTooLarge { required: 70 << 10, limit: 64 << 10 });
    go.send(()).unwrap();
    run_until(&mut client, 10, |c| task.buffered_amount(c) == 0);
    task.send(&mut client, Message::Binary(&chunk)).unwrap();
    task.close(&mut client, None, "").unwrap();
    run_to_end(&mut client, 10);
}

// ---- caller-owned Poll ----------------------------------------------------------------

#[test]
fn driver_in_a_caller_owned_poll() {
    let port = support::spawn_echo(None);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    // The caller's own socket, under its own token.
    let mut own = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let own_addr = own.local_addr().unwrap();
    poll.registry().register(&mut own, Token(1), Interest::READABLE).unwrap();
    let mut driver = Driver::new(insecure(Config::default())).unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let a = driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(100)).unwrap();
    let b = driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(101)).unwrap();
    let _peer = std::net::TcpStream::connect(own_addr).unwrap();
    let (mut own_events, mut echoed, mut closed) = (0, Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(10);
    while closed.len() < 2 {
        assert!(Instant::now() < deadline, "timed out");
        poll.poll(&mut events, driver.poll_timeout()).unwrap();
        for event in events.iter() {
            if !driver.handle_readiness(event) {
                assert_eq!(event.token(), Token(1));
                own_events += 1;
            }
        }
        while let Some((task, event)) = driver.poll_event(poll.registry()) {
            match event {
                Event::Open(_) => {
                    let text = format!("hi {}", task.socket_task_id());
                    driver.send(task, Message::Text(&text)).unwrap();
                }
                Event::Message(Message::Text(text)) => {
                    echoed.push(text.to_owned());
                    driver.close(task, None, "").unwrap();
                }
                Event::Close(close) => closed.push((task, close.code.0)),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(own_events >= 1);
    echoed.sort();
    assert_eq!(echoed, vec![format!("hi {}", a.socket_task_id()), format!("hi {}", b.socket_task_id())]);
    assert!(closed.iter().all(|(_, code)| *code == 1000));
    assert!(driver.is_idle());
}

// ---- servers that misbehave -----------------------------------------------------------

fn plain_client(config: Config) -> Client {
    Client::new(insecure(config)).unwrap()
}

fn one_task(
    client: &mut Client,
    port: u16,
    options: impl for<'u> Fn(&'u str) -> ConnectOptions<'u>,
) -> (SocketTask, Log) {
    let url = format!("ws://127.0.0.1:{port}/");
    let task = client.connect_socket(options(&url)).unwrap();
    let log = Log::default();
    record(client, task, &log);
    (task, log)
}

#[test]
fn server_closing_mid_frame_gives_1006() {
    let port = support::spawn(|mut s| {
        support::accept_upgrade(&mut s).unwrap();
        // Binary frame announcing 256 bytes, then only 10 of them.
        s.write_all(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        s.write_all(&[0u8; 10]).unwrap();
    });
    let mut client = plain_client(Config::default());
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_to_end(&mut client, 10);
    assert_eq!(events_of(&log, task), vec![Rec::Open(None), Rec::Close(1006, "abnormal closure".into())]);
}

#[test]
fn upgrade_never_answered_times_out() {
    let port = support::spawn(|mut s| {
        let _ = support::read_head(&mut s);
        support::hold(s, Duration::from_secs(5));
    });
    let mut client = plain_client(Config::default());
    let started = Instant::now();
    let (task, log) =
        one_task(&mut client, port, |u| ConnectOptions::new(u).timeout(Duration::from_millis(300)));
    run_to_end(&mut client, 10);
    let elapsed = started.elapsed();
    assert_eq!(events_of(&log, task), vec![Rec::Error(TaskError::Timeout)]);
    assert_eq!(TaskError::Timeout.err_msg().to_string(), "timeout");
    assert!(elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn server_never_closing_after_the_close_handshake_hits_the_close_timeout() {
    let port = support::spawn(|mut s| {
        support::accept_upgrade(&mut s).unwrap();
        while let Ok((opcode, _)) = support::read_frame(&mut s) {
            if opcode == 8 {
                s.write_all(&[0x88, 0x02, 0x03, 0xe8]).unwrap();
                support::hold(s, Duration::from_secs(5));
                return;
            }
        }
    });
    let config = Config { close_timeout: Duration::from_millis(300), ..Config::default() };
    let mut client = plain_client(config);
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_until(&mut client, 10, |c| task.ready_state(c) == ReadyState::Open);
    let started = Instant::now();
    task.close(&mut client, None, "").unwrap();
    assert_eq!(task.ready_state(&client), ReadyState::Closing);
    run_to_end(&mut client, 10);
    let elapsed = started.elapsed();
    assert_eq!(events_of(&log, task), vec![Rec::Open(None), Rec::Close(1000, String::new())]);
    assert!(elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn server_closing_promptly_after_the_close_handshake_is_seen_at_once() {
    let port = support::spawn(|mut s| {
        support::accept_upgrade(&mut s).unwrap();
        // The server starts the close and ends TCP once the client answered.
        s.write_all(&[0x88, 0x04, 0x0f, 0xa0, b'o', b'k']).unwrap();
        while let Ok((opcode, payload)) = support::read_frame(&mut s) {
            if opcode == 8 {
                assert_eq!(payload, vec![0x0f, 0xa0]);
                return;
            }
        }
    });
    let config = Config { close_timeout: Duration::from_secs(5), ..Config::default() };
    let mut client = plain_client(config);
    let started = Instant::now();
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_to_end(&mut client, 10);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(events_of(&log, task), vec![Rec::Open(None), Rec::Close(4000, "ok".into())]);
}

#[test]
fn garbage_instead_of_a_handshake_is_an_error() {
    let port = support::spawn(|mut s| {
        let _ = support::read_head(&mut s);
        let _ = s.write_all(b"\x00\x01garbage\r\n\r\n");
    });
    let mut client = plain_client(Config::default());
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_to_end(&mut client, 10);
    let events = events_of(&log, task);
    assert!(matches!(events.as_slice(), [Rec::Error(TaskError::Handshake(_))]), "{events:?}");
}

#[test]
fn protocol_error_from_the_server_fails_with_its_code() {
    let port = support::spawn(|mut s| {
        support::accept_upgrade(&mut s).unwrap();
        // A masked server frame: 1002.
        s.write_all(&[0x81, 0x81, 1, 2, 3, 4, b'x' ^ 1]).unwrap();
        let _ = support::read_frame(&mut s);
        support::hold(s, Duration::from_secs(2));
    });
    let mut client = plain_client(Config::default());
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_to_end(&mut client, 10);
    let events = events_of(&log, task);
    assert!(
        matches!(
            events.as_slice(),
            [Rec::Open(None), Rec::Error(TaskError::Protocol(_)), Rec::Close(1002, _)]
        ),
        "{events:?}"
    );
}

#[test]
fn refused_connection_is_an_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut client = plain_client(Config::default());
    let (task, log) = one_task(&mut client, port, |u| ConnectOptions::new(u));
    run_to_end(&mut client, 10);
    assert_eq!(events_of(&log, task), vec![Rec::Error(TaskError::Transport(TransportError::Connect))]);
}

#[test]
fn connect_checks_fail_before_any_io() {
    let mut client = Client::new(Options::default()).unwrap();
    let err = client.connect_socket(ConnectOptions::new("ws://127.0.0.1:1/")).unwrap_err();
    assert_eq!(err.err_msg().to_string(), "connectSocket:fail invalid url \"ws://127.0.0.1:1/\"");
    let err = client.connect_socket(ConnectOptions::new("wss://h/").header(&[("referer", "x")])).unwrap_err();
    assert!(matches!(err, ConnectError::ForbiddenHeader { .. }));
    assert!(client.driver().is_idle());
    client.run().unwrap();
}

/// Set on a machine without IPv6 loopback: `ipv6_loopback` then stops after checking that
/// `::1` is indeed missing, and `scripts/test.sh` prints that it did.
const NO_IPV6: &str = "SOCKETTASK_NO_IPV6";

/// The listener for `ipv6_loopback`: `None` only when [`NO_IPV6`] says `::1` is missing and
/// it is. A missing `::1` fails the test otherwise, and so does [`NO_IPV6`] where `::1` works.
fn ipv6_listener() -> Option<std::net::TcpListener> {
    let declared_missing = std::env::var_os(NO_IPV6).is_some();
    match (std::net::TcpListener::bind("[::1]:0"), declared_missing) {
        (Ok(listener), false) => Some(listener),
        (Ok(_), true) => panic!("{NO_IPV6} is set, but ::1 works here: unset it"),
        (Err(e), false) => {
            panic!("no IPv6 loopback: binding [::1]:0 failed ({e}); on a machine without one set {NO_IPV6}=1")
        }
        (Err(e), true) => {
            eprintln!("ipv6_loopback: not connecting: {NO_IPV6} is set and [::1]:0 fails ({e})");
            None
        }
    }
}

#[test]
fn ipv6_loopback() {
    let Some(listener) = ipv6_listener() else { return };
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            support::accept_upgrade(&mut s).unwrap();
            let _ = s.write_all(&[0x88, 0x02, 0x03, 0xe8]);
            let _ = support::read_frame(&mut s);
        }
    });
    let mut client = plain_client(Config::default());
    let url = format!("ws://[::1]:{port}/");
    let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
    let log = Log::default();
    record(&mut client, task, &log);
    run_to_end(&mut client, 10);
    assert_eq!(events_of(&log, task), vec![Rec::Open(None), Rec::Close(1000, String::new())]);
}
