//! `Client::run`, `Client::poll` and the `Driver` loop end once nothing is left: after a
//! close while connecting (a server that never answers the upgrade, a listener that never
//! accepts), after a burst whose last events come in the first deliveries of a turn (more
//! than one turn delivers), and after many large `wss` echoes, where the read cap can leave
//! work for the next turn. Each loop runs on its own thread under a watchdog, so a hang fails
//! the test instead of stalling the suite.

mod support;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use sockettask_mio::{
    Client, Config, ConnectOptions, Driver, Event, Limits, Message, Options, ReadyState, RunEnd, Schemes,
    SocketTask, Tls,
};
use support::{Pki, Validity};

/// How long a loop that should end at once may take before the test calls it a hang.
const WATCHDOG: Duration = Duration::from_secs(10);

/// Runs `f` on its own thread and returns its result, or fails when it takes longer than
/// `limit` (the thread is left behind; the test process ends it).
fn within<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked (see above)"),
    }
}

fn plain() -> Options {
    Options { config: Config { schemes: Schemes::AllowInsecure, ..Config::default() }, ..Options::default() }
}

/// The close codes `task` reported, in order.
fn closes(client: &mut Client, task: SocketTask) -> Rc<RefCell<Vec<u16>>> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&log);
    task.on_close(client, move |_, _, close| seen.borrow_mut().push(close.code.0));
    log
}

/// A listener on loopback whose accept queue is full, so a further SYN is dropped and a
/// connect to it stays under way (SYN_SENT) until the caller gives up. The streams that fill
/// the queue are returned with it and must be kept alive.
fn listener_that_never_accepts() -> (TcpListener, Vec<TcpStream>, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut filled = Vec::new();
    // std listens with a backlog of 128: the queue holds 129. The bound only stops a loop
    // on a system whose backlog is far larger.
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => filled.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (listener, filled, addr),
            Err(e) => panic!("filling the accept queue: {e}"),
        }
    }
    panic!("the accept queue of {addr} did not fill in 1024 connections");
}

// ---- close while connecting --------------------------------------------------------------

#[test]
fn run_returns_after_a_close_while_the_upgrade_is_unanswered() {
    let (heard_tx, heard_rx) = mpsc::channel();
    let port = support::spawn(move |mut stream| {
        let _ = support::read_head(&mut stream);
        let _ = heard_tx.send(());
        support::hold(stream, Duration::from_secs(30));
    });
    let codes = within(WATCHDOG, "run() after close()", move || {
        let mut client = Client::new(plain()).unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        let codes = closes(&mut client, task);
        // Turns until the server has the request: the task is CONNECTING, TCP is up.
        let deadline = Instant::now() + Duration::from_secs(5);
        while heard_rx.try_recv().is_err() {
            assert!(Instant::now() < deadline, "the request never reached the server");
            client.poll(Some(Duration::from_millis(10))).unwrap();
        }
        assert_eq!(task.ready_state(&client), ReadyState::Connecting);
        task.close(&mut client, None, "").unwrap();
        client.run().unwrap();
        assert!(client.driver().is_idle());
        codes.take()
    });
    assert_eq!(codes, vec![1006]);
}

/// Connects to a listener that never accepts, takes `turns` turns of `poll` (the SYN is out and
/// unanswered), closes the task and runs the client: the close codes the task reported.
fn run_after_a_close_while_tcp_is_connecting(turns: usize) -> Vec<u16> {
    let (_listener, _filled, addr) = listener_that_never_accepts();
    within(WATCHDOG, "run() after close()", move || {
        let mut client = Client::new(plain()).unwrap();
        let url = format!("ws://{addr}/");
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        let codes = closes(&mut client, task);
        for _ in 0..turns {
            client.poll(Some(Duration::from_millis(20))).unwrap();
        }
        assert_eq!(task.ready_state(&client), ReadyState::Connecting);
        task.close(&mut client, None, "").unwrap();
        client.run().unwrap();
        codes.take()
    })
}

#[test]
fn run_returns_after_a_close_while_tcp_is_still_connecting() {
    assert_eq!(run_after_a_close_while_tcp_is_connecting(3), vec![1006]);
}

#[test]
fn run_returns_after_a_close_right_after_connect_socket() {
    assert_eq!(run_after_a_close_while_tcp_is_connecting(0), vec![1006]);
}

#[test]
fn poll_with_a_timeout_returns_at_once_when_the_last_task_ended() {
    let (_listener, _filled, addr) = listener_that_never_accepts();
    let waited = within(WATCHDOG, "poll(5 s) after close()", move || {
        let mut client = Client::new(plain()).unwrap();
        let url = format!("ws://{addr}/");
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        task.close(&mut client, None, "").unwrap();
        let started = Instant::now();
        client.poll(Some(Duration::from_secs(5))).unwrap();
        assert!(client.driver().is_idle());
        started.elapsed()
    });
    assert!(waited < Duration::from_secs(1), "{waited:?}");
}

#[test]
fn the_documented_driver_loop_ends_after_a_close_while_connecting() {
    let (_listener, _filled, addr) = listener_that_never_accepts();
    let codes = within(WATCHDOG, "the Driver loop after close()", move || {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(64);
        let mut driver = Driver::new(plain()).unwrap();
        let url = format!("ws://{addr}/");
        let task = driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(3)).unwrap();
        driver.close(task, None, "").unwrap();
        let mut codes = Vec::new();
        // The loop of the `Driver` documentation.
        while !driver.is_idle() {
            poll.poll(&mut events, driver.poll_timeout()).unwrap();
            for event in events.iter() {
                driver.handle_readiness(event);
            }
            while let Some((_, event)) = driver.poll_event(poll.registry()) {
                if let Event::Close(close) = event {
                    codes.push(close.code.0);
                }
            }
        }
        codes
    });
    assert_eq!(codes, vec![1006]);
}

// ---- more events than one turn delivers ---------------------------------------------------

/// More messages than `Client::poll` delivers in one turn (1024).
const BURST: usize = 1500;

/// A server that answers the upgrade, then writes `BURST` one-byte text messages, its close
/// frame and the end of the stream in one go, and reads until the client's FIN. Over TLS
/// when `tls` is given.
fn spawn_burst_then_close(tls: Option<Arc<ServerConfig>>) -> u16 {
    support::spawn(move |tcp| {
        let Ok(end) = tcp.try_clone() else { return };
        match &tls {
            Some(config) => {
                let Ok(session) = ServerConnection::new(Arc::clone(config)) else { return };
                let mut stream = StreamOwned::new(session, tcp);
                if burst_then_close(&mut stream) {
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
            }
            None => {
                let mut stream = tcp;
                burst_then_close(&mut stream);
            }
        }
        support::end_stream(&end);
    })
}

/// The upgrade, the burst and the close frame; whether all were written.
fn burst_then_close(stream: &mut (impl Read + Write)) -> bool {
    if support::accept_upgrade(stream).is_err() {
        return false;
    }
    let mut burst: Vec<u8> = [0x81, 0x01, b'm'].repeat(BURST);
    burst.extend_from_slice(&[0x88, 0x02, 0x03, 0xe8]);
    stream.write_all(&burst).and_then(|()| stream.flush()).is_ok()
}

/// Connects to `url` and runs until the end; the messages and close codes seen.
fn run_burst(options: Options, url: String) -> (usize, Vec<u16>) {
    within(WATCHDOG, "run() after a burst", move || {
        let mut client = Client::new(options).unwrap();
        let task = client.connect_socket(ConnectOptions::new(&url)).unwrap();
        let messages = Rc::new(RefCell::new(0));
        let seen = Rc::clone(&messages);
        task.on_message(&mut client, move |_, _, _| *seen.borrow_mut() += 1);
        let codes = closes(&mut client, task);
        client.run().unwrap();
        (messages.take(), codes.take())
    })
}

// The burst and the end of the stream are read at once; a turn delivers 1024 events, so the
// next turn's first delivery hands out the rest and the close, and nothing is left to wait
// for.

#[test]
fn run_returns_when_the_last_event_comes_in_a_turns_first_delivery() {
    let port = spawn_burst_then_close(None);
    let seen = run_burst(plain(), format!("ws://127.0.0.1:{port}/"));
    assert_eq!(seen, (BURST, vec![1000]));
}

#[test]
fn run_returns_when_the_last_event_comes_in_a_turns_first_delivery_over_tls() {
    let pki = Pki::new();
    let port = spawn_burst_then_close(Some(pki.server(&["127.0.0.1"], Validity::Current)));
    let options = Options { tls: Tls::roots(pki.roots()), ..Options::default() };
    let seen = run_burst(options, format!("wss://127.0.0.1:{port}/"));
    assert_eq!(seen, (BURST, vec![1000]));
}

// ---- large messages over TLS ---------------------------------------------------------------

/// Rounds of the echo; each moves 8 MiB each way through rustls.
const ROUNDS: usize = 200;
const SIZE: usize = 8 << 20;

/// `ROUNDS` rounds of `SIZE` bytes echoed over TLS against `port`; each round's `run()` must
/// return with the echo intact and the task CLOSED with 1000. Each round (well under a
/// second in a debug build) has the whole [`WATCHDOG`] to itself.
fn wss_echo_rounds(pki: &Pki, port: u16) {
    let limits = Limits { max_message_size: SIZE, ..Limits::default() };
    let options = Options {
        config: Config { limits, ..Config::default() },
        tls: Tls::roots(pki.roots()),
        ..Options::default()
    };
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut client = Client::new(options).unwrap();
        let url = format!("wss://127.0.0.1:{port}/");
        let payload: Rc<[u8]> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        for round in 0..ROUNDS {
            let outcome = echo_round(&mut client, &url, &payload);
            if done_tx.send((round, outcome)).is_err() {
                return;
            }
        }
    });
    for round in 0..ROUNDS {
        match done_rx.recv_timeout(WATCHDOG) {
            Ok((r, outcome)) => assert_eq!((r, outcome), (round, (true, vec![1000]))),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("round {round}: run() still running after {WATCHDOG:?}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("round {round}: panicked (see above)"),
        }
    }
}

/// One round: connect, send `payload` once open, close once it is back, `run()` to the end.
/// Whether the echo matched, and the close codes seen.
fn echo_round(client: &mut Client, url: &str, payload: &Rc<[u8]>) -> (bool, Vec<u16>) {
    let task = client.connect_socket(ConnectOptions::new(url)).unwrap();
    let sent = Rc::clone(payload);
    task.on_open(client, move |client, task, _| task.send(client, Message::Binary(&sent)).unwrap());
    let echoed = Rc::new(RefCell::new(false));
    let (expected, seen) = (Rc::clone(payload), Rc::clone(&echoed));
    task.on_message(client, move |client, task, message| {
        *seen.borrow_mut() = message == Message::Binary(&expected);
        // Refused once the server's close came right behind the message: that is fine.
        let _ = task.close(client, None, "");
    });
    let codes = closes(client, task);
    client.run().unwrap();
    (echoed.take(), codes.take())
}

#[test]
fn run_returns_after_each_of_200_8_mib_wss_echoes_closed_by_the_client() {
    let pki = Pki::new();
    let port = support::spawn_echo(Some(pki.server(&["127.0.0.1"], Validity::Current)));
    wss_echo_rounds(&pki, port);
}

#[test]
fn run_returns_after_each_of_200_8_mib_wss_echoes_closed_by_the_server() {
    // The echo, the server's close and the end of the stream arrive back to back: when the
    // read cap leaves the end of the message for the next turn, that turn's first delivery
    // ends the task.
    let pki = Pki::new();
    let port = support::spawn_echo_once_then_close(Some(pki.server(&["127.0.0.1"], Validity::Current)));
    wss_echo_rounds(&pki, port);
}

// ---- runs with a deadline ------------------------------------------------------------------

/// `run_for` returns `Idle` at once when nothing is left, `Deadline` when its time is up while
/// a task stays open (an echo server never ends the connection by itself), and `Idle` again
/// once the task is closed; `is_idle` says the same throughout.
#[test]
fn run_for_returns_at_its_deadline_while_a_task_stays_open() {
    let port = support::spawn_echo(None);
    let codes = within(WATCHDOG, "run_for", move || {
        let mut client = Client::new(plain()).unwrap();
        assert!(client.is_idle());
        assert_eq!(client.run_for(Duration::from_secs(60)).unwrap(), RunEnd::Idle, "no task: at once");
        let task = client.connect_socket(ConnectOptions::new(&format!("ws://127.0.0.1:{port}/"))).unwrap();
        assert!(!client.is_idle());
        let codes = closes(&mut client, task);
        let reentrant = Rc::new(RefCell::new(None));
        let seen = Rc::clone(&reentrant);
        task.on_open(&mut client, move |client, _, _| {
            *seen.borrow_mut() = Some(client.run_for(Duration::from_secs(1)).map_err(|e| e.to_string()));
        });
        let start = Instant::now();
        assert_eq!(client.run_for(Duration::from_millis(300)).unwrap(), RunEnd::Deadline);
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(5), "took {took:?}");
        assert_eq!(task.ready_state(&client), ReadyState::Open);
        assert!(!client.is_idle());
        let inner = reentrant.take().expect("the task opened");
        assert_eq!(inner, Err("Client::poll or run called from inside a listener".to_owned()));
        task.close(&mut client, None, "").unwrap();
        assert_eq!(client.run_for(Duration::from_secs(60)).unwrap(), RunEnd::Idle);
        assert!(client.is_idle());
        codes.take()
    });
    assert_eq!(codes, [1000]);
}

/// `run_until` a deadline already passed returns `Deadline` without a turn; a later one lets
/// the task open and returns once it passes; a far one returns `Idle` as soon as the task is
/// over.
#[test]
fn run_until_a_deadline_never_waits_past_it() {
    let port = support::spawn_echo(None);
    let codes = within(WATCHDOG, "run_until", move || {
        let mut client = Client::new(plain()).unwrap();
        let task = client.connect_socket(ConnectOptions::new(&format!("ws://127.0.0.1:{port}/"))).unwrap();
        let codes = closes(&mut client, task);
        assert_eq!(client.run_until(Instant::now()).unwrap(), RunEnd::Deadline);
        assert_eq!(task.ready_state(&client), ReadyState::Connecting, "no turn was run");
        let deadline = Instant::now() + Duration::from_millis(300);
        assert_eq!(client.run_until(deadline).unwrap(), RunEnd::Deadline);
        assert!(Instant::now() >= deadline);
        assert_eq!(task.ready_state(&client), ReadyState::Open);
        task.close(&mut client, None, "").unwrap();
        let far = Instant::now() + Duration::from_secs(60);
        assert_eq!(client.run_until(far).unwrap(), RunEnd::Idle);
        assert!(Instant::now() < far);
        codes.take()
    });
    assert_eq!(codes, [1000]);
}
