//! sockettask against real servers we did not write: Python `websockets`, Node `ws` (child
//! processes, pinned, installed by `scripts/peers.sh`) and `tungstenite` (in-process), each
//! over plain TCP and over TLS with a CA generated at start-up. Every case runs against every
//! peer and states the exact events; where the peers differ, the test says so.

use std::time::Duration;

use sockettask::{HandshakeError, ProtocolCheck};
use sockettask_mio::{Client, CloseCode, Config, ConnectOptions, Message, Options, SocketTask, TaskError};
use sockettask_tests::peers::{Peer, PeerServer};
use sockettask_tests::pki::Pki;
use sockettask_tests::record::{Log, Rec, insecure, run_one, run_to_end, run_until};

const LIMIT: Duration = Duration::from_secs(20);

/// A peer with the client options that reach it (TLS: trust only the generated CA).
struct Setup {
    server: PeerServer,
    options: Options,
    _pki: Option<Pki>,
}

fn setup(peer: Peer, tls: bool) -> Setup {
    setup_with_args(peer, tls, &[])
}

fn setup_with_args(peer: Peer, tls: bool, args: &[&str]) -> Setup {
    let pki = tls.then(Pki::new);
    let server = PeerServer::start_with_args(peer, pki.as_ref(), args);
    let options = match &pki {
        Some(pki) => Options { tls: pki.tls(), ..Options::default() },
        None => insecure(Config::default()),
    };
    Setup { server, options, _pki: pki }
}

impl Setup {
    fn with_config(&self, config: Config) -> Options {
        Options { config: Config { schemes: self.options.config.schemes, ..config }, ..self.options.clone() }
    }
}

/// Text of `len` bytes mixing 1-, 2- and 3-byte characters (shorter by up to 2 bytes).
fn text_of(len: usize) -> String {
    let mut s = String::with_capacity(len);
    for c in "aé€".chars().cycle() {
        if s.len() + c.len_utf8() > len {
            break;
        }
        s.push(c);
    }
    s
}

/// Every size class of the length encoding, up to 1 MiB, as text and binary; then the
/// client closes with 4000 "bye" and the server's echo ends the task.
fn echo_then_client_close(peer: Peer, tls: bool) {
    let setup = setup(peer, tls);
    // The defaults: messages of up to 1 MiB of payload, both ways.
    let mut client = Client::new(setup.options.clone()).expect("client");
    let url = setup.server.url("/echo");
    let task = client.connect_socket(ConnectOptions::new(&url)).expect("connectSocket");
    let log = Log::attach(&mut client, task);
    run_until(&mut client, LIMIT, |_| !log.is_empty());
    let mut expected = vec![Rec::Open(None)];
    for (i, size) in [0, 1, 125, 126, 127, 65_535, 65_536, 1 << 20].into_iter().enumerate() {
        let binary: Vec<u8> = (0..size).map(|j| (i * 31 + j * 7) as u8).collect();
        send_when_room(&mut client, task, Message::Text(&text_of(size)));
        send_when_room(&mut client, task, Message::Binary(&binary));
        expected.extend([Rec::Text(text_of(size)), Rec::Binary(binary)]);
        let want = expected.len();
        run_until(&mut client, LIMIT, |_| log.len() >= want);
    }
    task.close(&mut client, Some(CloseCode(4000)), "bye").expect("close");
    run_to_end(&mut client, LIMIT);
    expected.push(Rec::Close(4000, "bye".into()));
    assert_eq!(log.events(), expected, "{peer:?}");
}

/// Sends `message`, flushing first while the outgoing buffer is full.
fn send_when_room(client: &mut Client, task: SocketTask, message: Message<'_>) {
    for _ in 0..1000 {
        match task.send(client, message) {
            Ok(()) => return,
            Err(sockettask_mio::SendError::BufferFull { .. }) => {
                client.poll(Some(Duration::from_millis(10))).expect("poll");
            }
            Err(e) => panic!("send: {e}"),
        }
    }
    panic!("the outgoing buffer never drained");
}

/// S5 against a server that prefers `chat.v1`: the server's choice, "none in common" in
/// strict and lenient mode, and no offer at all.
fn subprotocols(peer: Peer, tls: bool) {
    let setup = setup(peer, tls);
    let url = setup.server.url("/close");
    let bye = Rec::Close(4001, "server bye".into());
    let run = |config: Config, protocols: &[&str]| {
        run_one(setup.with_config(config), ConnectOptions::new(&url).protocols(protocols), LIMIT)
    };
    let strict = Config { protocol_check: ProtocolCheck::Strict, ..Config::default() };
    let lenient = Config { protocol_check: ProtocolCheck::Lenient, ..Config::default() };
    // Server preference: chat.v1 although the client listed chat.v2 first.
    assert_eq!(run(strict, &["chat.v2", "chat.v1"]), [Rec::Open(Some("chat.v1".into())), bye.clone()]);
    assert_eq!(run(strict, &["chat.v2"]), [Rec::Open(Some("chat.v2".into())), bye.clone()]);
    assert_eq!(
        run(strict, &["other"]),
        [Rec::Error(TaskError::Handshake(HandshakeError::MissingProtocol))],
        "{peer:?}: strict mode refuses a server that picks none"
    );
    assert_eq!(run(lenient, &["other"]), [Rec::Open(None), bye.clone()], "{peer:?}");
    assert_eq!(run(strict, &[]), [Rec::Open(None), bye], "{peer:?}");
}

/// The server closes: at once with 4001 "server bye", and after echoing one message with
/// 1000 "done". The client echoes the code and ends when the server ends TCP.
fn server_initiated_close(peer: Peer, tls: bool) {
    let setup = setup(peer, tls);
    let url = setup.server.url("/close");
    let events = run_one(setup.options.clone(), ConnectOptions::new(&url), LIMIT);
    assert_eq!(events, [Rec::Open(None), Rec::Close(4001, "server bye".into())], "{peer:?}");

    let mut client = Client::new(setup.options.clone()).expect("client");
    let url = setup.server.url("/close-after-echo");
    let task = client.connect_socket(ConnectOptions::new(&url).protocols(&["chat.v2"])).expect("connect");
    let log = Log::attach(&mut client, task);
    task.on_open(&mut client, |client, task, _| task.send(client, Message::Text("hi")).expect("send"));
    run_to_end(&mut client, LIMIT);
    assert_eq!(
        log.events(),
        [Rec::Open(Some("chat.v2".into())), Rec::Text("hi".into()), Rec::Close(1000, "done".into())],
        "{peer:?}"
    );
}

macro_rules! peer_suite {
    ($module:ident, $peer:expr, $tls:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn echo_every_length_class_then_client_close() {
                echo_then_client_close($peer, $tls);
            }

            #[test]
            fn subprotocol_selection() {
                subprotocols($peer, $tls);
            }

            #[test]
            fn server_initiated_close() {
                super::server_initiated_close($peer, $tls);
            }
        }
    };
}

peer_suite!(python, Peer::Python, false);
peer_suite!(python_tls, Peer::Python, true);
peer_suite!(node, Peer::Node, false);
peer_suite!(node_tls, Peer::Node, true);
peer_suite!(rust, Peer::Rust, false);
peer_suite!(rust_tls, Peer::Rust, true);

/// Where the peers differ: Python `websockets`' own subprotocol rule answers a client that
/// offers no subprotocol (or none in common) with HTTP 400; the client reports that status
/// as `onError`, and nothing else.
#[test]
fn python_default_subprotocol_rule_is_a_400() {
    let setup = setup_with_args(Peer::Python, false, &["--default-subprotocols"]);
    let url = setup.server.url("/close");
    for protocols in [&[][..], &["other"][..]] {
        let events = run_one(setup.options.clone(), ConnectOptions::new(&url).protocols(protocols), LIMIT);
        assert_eq!(events, [Rec::Error(TaskError::Handshake(HandshakeError::Status(400)))]);
    }
    let events = run_one(setup.options.clone(), ConnectOptions::new(&url).protocols(&["chat.v2"]), LIMIT);
    assert_eq!(events, [Rec::Open(Some("chat.v2".into())), Rec::Close(4001, "server bye".into())]);
}

/// Five tasks at once on the three peers (two each on Python and Node, one on Rust), TLS,
/// interleaved: nothing mixed up between tasks.
#[test]
fn five_tasks_on_three_peers_at_once() {
    let pki = Pki::new();
    let servers: Vec<PeerServer> = [Peer::Python, Peer::Node, Peer::Rust]
        .into_iter()
        .map(|p| PeerServer::start(p, Some(&pki)))
        .collect();
    let mut client = Client::new(Options { tls: pki.tls(), ..Options::default() }).expect("client");
    let urls: Vec<String> = [0, 1, 2, 0, 1].iter().map(|&i| servers[i].url("/echo")).collect();
    let mut tasks = Vec::new();
    for url in &urls {
        let task = client.connect_socket(ConnectOptions::new(url)).expect("connect");
        let log = Log::attach(&mut client, task);
        task.on_open(&mut client, |client, task, _| {
            for i in 0..50 {
                let text = format!("task {} message {i}", task.socket_task_id());
                task.send(client, Message::Text(&text)).expect("send");
            }
        });
        tasks.push((task, log));
    }
    run_until(&mut client, LIMIT, |_| tasks.iter().all(|(_, log)| log.len() == 51));
    for (task, _) in &tasks {
        task.close(&mut client, None, "").expect("close");
    }
    run_to_end(&mut client, LIMIT);
    for (task, log) in &tasks {
        let mut expected = vec![Rec::Open(None)];
        expected.extend((0..50).map(|i| Rec::Text(format!("task {} message {i}", task.socket_task_id()))));
        expected.push(Rec::Close(1000, String::new()));
        assert_eq!(log.events(), expected);
    }
}
