//! permessage-deflate (RFC 7692) against real servers that compress every message they send:
//! Python `websockets` (`ServerPerMessageDeflateFactory`) and Node `ws` (`perMessageDeflate`
//! with `threshold: 0`), started with `--deflate` and the server-side parameters.
//!
//! - The negotiation matrix: every client offer (context takeover on and off both ways, window
//!   bits none, 8, 9, 10, 15 both ways) against every server configuration (the same switches,
//!   window bits none, 10, 15): `onOpen` reports what RFC 7692 §7.1 and the peer's documented
//!   rules say, or the peer's refusal is what it documents (Python declines the extension,
//!   Node answers HTTP 400); then a light set of messages echoes byte-identical.
//! - Chosen configurations with the whole set: compressible JSON of 1 KiB, 64 KiB and just
//!   under 1 MiB (the default message limit, which applies to the inflated size), random
//!   binary, empty text and binary, 50 short messages in a row, multi-byte UTF-8; over
//!   `wss://` once per peer.
//! - No offer against a deflate-enabled server: no extension, and messages still echo.
//! - What the client sends: compressed (RSV1) exactly when negotiated and at least
//!   `Compression::min_size` bytes, as the servers' `/inspect` path reports.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sockettask::{HandshakeError, Negotiated, PerMessageDeflate};
use sockettask_mio::{
    Client, CloseCode, Compression, Config, ConnectOptions, Limits, Message, Options, ProtocolError,
    ReadyState, SendError, SocketTask, TaskError,
};
use sockettask_tests::peers::{Peer, PeerServer};
use sockettask_tests::pki::Pki;
use sockettask_tests::record::{Log, Rec, insecure};

/// Longest wait for any one step (open, an echo batch, the close).
const LIMIT: Duration = Duration::from_secs(20);
/// A matrix stops after this many failing cases (each may have waited up to [`LIMIT`]).
const MAX_FAILURES: usize = 12;
/// Just under the default message limit (1 MiB): room for what deflate adds to incompressible
/// data when the client compresses it.
const NEAR_LIMIT: usize = (1 << 20) - 1024;

// ---- the server's side ------------------------------------------------------------------

/// The server-side `permessage-deflate` parameters a peer is started with (`--deflate-*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ServerDeflate {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<u8>,
}

impl ServerDeflate {
    /// The echo server's arguments: `--deflate` and one flag per parameter set.
    fn args(&self) -> Vec<String> {
        let mut args = vec!["--deflate".to_owned()];
        if self.server_no_context_takeover {
            args.push("--deflate-server-no-context-takeover".into());
        }
        if self.client_no_context_takeover {
            args.push("--deflate-client-no-context-takeover".into());
        }
        if let Some(bits) = self.server_max_window_bits {
            args.extend(["--deflate-server-max-window-bits".into(), bits.to_string()]);
        }
        if let Some(bits) = self.client_max_window_bits {
            args.extend(["--deflate-client-max-window-bits".into(), bits.to_string()]);
        }
        args
    }
}

/// A server that imposes every parameter: no context takeover either way, 1 KiB windows.
const STRICT: ServerDeflate = ServerDeflate {
    server_no_context_takeover: true,
    client_no_context_takeover: true,
    server_max_window_bits: Some(10),
    client_max_window_bits: Some(10),
};

/// A peer started with `--deflate` and `server`'s parameters, and the client options that
/// reach it (TLS: trust only the generated CA).
struct Setup {
    server: PeerServer,
    options: Options,
    _pki: Option<Pki>,
}

fn setup(peer: Peer, tls: bool, server: ServerDeflate) -> Setup {
    let pki = tls.then(Pki::new);
    let args = server.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = PeerServer::start_with_args(peer, pki.as_ref(), &args);
    let options = match &pki {
        Some(pki) => Options { tls: pki.tls(), ..Options::default() },
        None => insecure(Config::default()),
    };
    Setup { server, options, _pki: pki }
}

impl Setup {
    /// The same, compressing with `compression`.
    fn compressing(mut self, compression: Compression) -> Setup {
        self.options.compression = compression;
        self
    }
}

/// The client compresses every message it sends, the empty one too (the default leaves
/// messages under 64 bytes uncompressed).
const EVERY_MESSAGE: Compression = Compression { level: 1, min_size: 0 };

// ---- what the peers answer --------------------------------------------------------------

/// How a handshake with an offer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Open with these parameters.
    Accepted(Negotiated),
    /// Open without the extension (no offer, or the server declined it).
    Declined,
    /// HTTP 400: Node `ws` refuses an offer it cannot take instead of declining it.
    Refused,
}

/// The parameters a server puts in its answer; a window of `None` is absent.
#[derive(Clone, Copy, Debug)]
struct Answer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<u8>,
}

/// What `peer`, configured with `server`, does with `offer`.
fn expected(peer: Peer, offer: Option<PerMessageDeflate>, server: ServerDeflate) -> Outcome {
    let Some(offer) = offer else { return Outcome::Declined };
    match peer {
        Peer::Python => python_answer(&offer, &server).map_or(Outcome::Declined, |a| accepted(&offer, a)),
        Peer::Node => node_answer(&offer, &server).map_or(Outcome::Refused, |a| accepted(&offer, a)),
        Peer::Rust => unreachable!("tungstenite 0.30 has no permessage-deflate"),
    }
}

/// RFC 7692 §7.1 on the client's side: the server's no-context-takeover as answered; the
/// client's when either side said it; the server's window as answered (15 when absent); the
/// client's the smaller of what it offered and what the server answered. The client always
/// offers `client_max_window_bits` (bare when it sets no value).
fn accepted(offer: &PerMessageDeflate, answer: Answer) -> Outcome {
    let client_max_window_bits = match (offer.client_max_window_bits, answer.client_max_window_bits) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(15),
    };
    Outcome::Accepted(Negotiated {
        server_no_context_takeover: answer.server_no_context_takeover,
        client_no_context_takeover: answer.client_no_context_takeover || offer.client_no_context_takeover,
        server_max_window_bits: answer.server_max_window_bits.unwrap_or(15),
        client_max_window_bits,
    })
}

/// websockets 17.4 `ServerPerMessageDeflateFactory.process_request_params`: both
/// no-context-takeovers are the offer's or the configuration's; the server's window is the
/// smaller of the two (either alone when one is absent), and an answer of 8 makes it decline
/// ("unsupported server_max_window_bits = 8, use 9"): it then opens without the extension. The
/// client's window: a bare offer gets the configured value (or none), an offered value the
/// smaller of it and the configured one.
fn python_answer(offer: &PerMessageDeflate, server: &ServerDeflate) -> Option<Answer> {
    let server_max_window_bits = min_present(offer.server_max_window_bits, server.server_max_window_bits);
    if server_max_window_bits == Some(8) {
        return None;
    }
    Some(Answer {
        server_no_context_takeover: offer.server_no_context_takeover || server.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover || server.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits: min_present(offer.client_max_window_bits, server.client_max_window_bits),
    })
}

/// ws 8.23.0 `PerMessageDeflate.acceptAsServer`: it refuses (the server answers 400) an offer
/// whose window is below a configured one, for either window; otherwise it answers the offer
/// with the configured parameters written over it, a bare `client_max_window_bits` dropped.
fn node_answer(offer: &PerMessageDeflate, server: &ServerDeflate) -> Option<Answer> {
    let below = |offered: Option<u8>, configured: Option<u8>| matches!((offered, configured), (Some(o), Some(c)) if c > o);
    if below(offer.server_max_window_bits, server.server_max_window_bits)
        || below(offer.client_max_window_bits, server.client_max_window_bits)
    {
        return None;
    }
    Some(Answer {
        server_no_context_takeover: offer.server_no_context_takeover || server.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover || server.client_no_context_takeover,
        server_max_window_bits: server.server_max_window_bits.or(offer.server_max_window_bits),
        client_max_window_bits: server.client_max_window_bits.or(offer.client_max_window_bits),
    })
}

fn min_present(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

// ---- the messages -----------------------------------------------------------------------

/// Compressible JSON of exactly `len` bytes (`len` ≥ 2): an array of records, padded with
/// spaces before the closing bracket.
fn json_of(len: usize) -> String {
    let mut s = String::with_capacity(len);
    s.push('[');
    let mut row = String::new();
    for i in 0.. {
        row.clear();
        let separator = if i == 0 { "" } else { "," };
        write!(
            row,
            r#"{separator}{{"id":{i},"name":"user-{}","active":{},"score":{},"tags":["alpha","beta"]}}"#,
            i % 97,
            i % 3 == 0,
            (i * 7919) % 1000
        )
        .expect("write to a String");
        if s.len() + row.len() + 1 > len {
            break;
        }
        s.push_str(&row);
    }
    while s.len() + 1 < len {
        s.push(' ');
    }
    s.push(']');
    s
}

/// `len` bytes that do not compress (xorshift64*, seeded).
fn random_of(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// Text of `len` bytes or a little less, mixing 1-, 2-, 3- and 4-byte characters, so that
/// characters straddle every frame and inflate boundary.
fn multibyte_of(len: usize) -> String {
    let mut s = String::with_capacity(len);
    for c in "Grüße, 世界! 🦀 héllo — ☃ ".chars().cycle() {
        if s.len() + c.len_utf8() > len {
            break;
        }
        s.push(c);
    }
    s
}

/// The messages of every matrix case: 50 short look-alike texts in a row (each refers back to
/// the one before when the context is kept), empty text and binary, multi-byte UTF-8, 1 KiB of
/// JSON, 2 KiB of random bytes.
fn light_set() -> Vec<Rec> {
    let mut set: Vec<Rec> = (0..50)
        .map(|i| Rec::Text(format!(r#"{{"seq":{i},"kind":"tick","room":"lobby","body":"hello"}}"#)))
        .collect();
    set.extend([
        Rec::Text(String::new()),
        Rec::Binary(Vec::new()),
        Rec::Text(multibyte_of(300)),
        Rec::Text(json_of(1024)),
        Rec::Binary(random_of(2048, 7)),
        Rec::Text("a".into()),
    ]);
    set
}

/// The whole set: the large messages, then the light set (whose back references now reach
/// into the large ones' window when the context is kept).
fn full_set() -> Vec<Rec> {
    let mut set = vec![
        Rec::Text(json_of(1024)),
        Rec::Text(json_of(64 << 10)),
        Rec::Text(json_of(NEAR_LIMIT)),
        Rec::Binary(random_of(64 << 10, 1)),
        Rec::Binary(random_of(NEAR_LIMIT, 2)),
        Rec::Text(multibyte_of(64 << 10)),
        Rec::Binary(json_of(NEAR_LIMIT).into_bytes()),
    ];
    set.extend(light_set());
    set
}

// ---- one connection ---------------------------------------------------------------------

/// What `onOpen` said about the extension, and the server's answer as it came.
#[derive(Clone, Debug, Default)]
struct Opened {
    per_message_deflate: Option<Negotiated>,
    answer: Option<String>,
}

/// A client with one task, its events, and what its `onOpen` saw.
struct Connection {
    client: Client,
    task: SocketTask,
    log: Log,
    opened: Rc<RefCell<Option<Opened>>>,
    ended: Rc<Cell<bool>>,
}

impl Connection {
    fn open(options: &Options, url: &str, offer: Option<PerMessageDeflate>) -> Result<Connection, String> {
        let mut client = Client::new(options.clone()).expect("client");
        let mut connect = ConnectOptions::new(url);
        if let Some(offer) = offer {
            connect = connect.per_message_deflate(offer);
        }
        let task = client.connect_socket(connect).map_err(|e| format!("connectSocket: {e} ({e:?})"))?;
        let log = Log::attach(&mut client, task);
        let opened = Rc::new(RefCell::new(None));
        let seen = Rc::clone(&opened);
        task.on_open(&mut client, move |_, _, open| {
            let answer =
                open.header.get("sec-websocket-extensions").map(|v| String::from_utf8_lossy(v).into_owned());
            *seen.borrow_mut() = Some(Opened { per_message_deflate: open.per_message_deflate, answer });
        });
        let ended = Rc::new(Cell::new(false));
        let (on_close, on_error) = (Rc::clone(&ended), Rc::clone(&ended));
        task.on_close(&mut client, move |_, _, _| on_close.set(true));
        task.on_error(&mut client, move |_, _, _| on_error.set(true));
        Ok(Connection { client, task, log, opened, ended })
    }

    /// Polls until `done` or the task's end; an error after [`LIMIT`].
    fn wait(&mut self, what: &str, mut done: impl FnMut(&Connection) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + LIMIT;
        while !done(self) && !self.is_over() {
            if Instant::now() >= deadline {
                return Err(format!("timed out after {LIMIT:?} waiting for {what}; {}", self.state()));
            }
            self.client.poll(Some(Duration::from_millis(20))).map_err(|e| format!("poll: {e}"))?;
        }
        Ok(())
    }

    /// Whether the task ended and its last event was delivered.
    fn is_over(&self) -> bool {
        self.ended.get() && self.task.ready_state(&self.client) == ReadyState::Closed
    }

    fn state(&self) -> String {
        format!(
            "{} events so far, the last {}",
            self.log.len(),
            self.log.events().last().map_or("none".into(), summary)
        )
    }

    /// Sends `message`, polling first while the outgoing buffer is full.
    fn send(&mut self, message: &Rec) -> Result<(), String> {
        let message = match message {
            Rec::Text(s) => Message::Text(s),
            Rec::Binary(b) => Message::Binary(b),
            other => unreachable!("not a message: {other:?}"),
        };
        let deadline = Instant::now() + LIMIT;
        loop {
            match self.task.send(&mut self.client, message) {
                Ok(()) => return Ok(()),
                Err(SendError::BufferFull { .. }) if Instant::now() < deadline => {
                    self.client.poll(Some(Duration::from_millis(10))).map_err(|e| format!("poll: {e}"))?;
                }
                Err(e) => {
                    return Err(format!("send of {}: {e}; {}", summary(&rec_of(message)), self.state()));
                }
            }
        }
    }

    /// Sends `messages` and checks they come back byte-identical, in order.
    fn echo(&mut self, messages: &[Rec]) -> Result<(), String> {
        self.exchange(messages, messages)
    }

    /// Sends `messages` and checks the server answers exactly `answers`, in order.
    fn exchange(&mut self, messages: &[Rec], answers: &[Rec]) -> Result<(), String> {
        let start = self.log.len();
        for message in messages {
            self.send(message)?;
        }
        let want = start + answers.len();
        self.wait("the answers", |c| c.log.len() >= want)?;
        let events = self.log.events();
        first_difference(answers, &events[start..]).map_or(Ok(()), Err)
    }

    /// Closes with 4000 "bye" and checks the server echoes it.
    fn close(&mut self) -> Result<(), String> {
        let before = self.log.len();
        self.task.close(&mut self.client, Some(CloseCode(4000)), "bye").map_err(|e| format!("close: {e}"))?;
        self.wait("the close", |c| c.is_over())?;
        let events = self.log.events();
        match &events[before..] {
            [Rec::Close(4000, reason)] if reason == "bye" => Ok(()),
            rest => Err(format!(
                "closed with {:?} instead of 4000 \"bye\"",
                rest.iter().map(summary).collect::<Vec<_>>()
            )),
        }
    }
}

fn rec_of(message: Message<'_>) -> Rec {
    match message {
        Message::Text(s) => Rec::Text(s.to_owned()),
        Message::Binary(b) => Rec::Binary(b.to_vec()),
    }
}

/// An event in a few words: the kind, the length, the first bytes.
fn summary(rec: &Rec) -> String {
    fn head(bytes: &[u8]) -> String {
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        format!("{} bytes {shown:?}{}", bytes.len(), if bytes.len() > 40 { "…" } else { "" })
    }
    match rec {
        Rec::Text(s) => format!("text of {}", head(s.as_bytes())),
        Rec::Binary(b) => format!("binary of {}", head(b)),
        other => format!("{other:?}"),
    }
}

/// Where `got` first differs from `sent`, in words (message number, kind, length, offset).
fn first_difference(sent: &[Rec], got: &[Rec]) -> Option<String> {
    for (i, (s, g)) in sent.iter().zip(got).enumerate() {
        if s == g {
            continue;
        }
        let bytes = |r: &Rec| match r {
            Rec::Text(t) => Some(t.as_bytes().to_vec()),
            Rec::Binary(b) => Some(b.clone()),
            _ => None,
        };
        let offset = match (bytes(s), bytes(g)) {
            (Some(a), Some(b)) => a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len())),
            _ => 0,
        };
        return Some(format!(
            "message {i} of {}: expected {}, got {} (first difference at byte {offset})",
            sent.len(),
            summary(s),
            summary(g)
        ));
    }
    (got.len() != sent.len()).then(|| {
        format!(
            "sent {} messages, got {} events after them: {:?}",
            sent.len(),
            got.len(),
            got.iter().map(summary).collect::<Vec<_>>()
        )
    })
}

// ---- one case ---------------------------------------------------------------------------

/// Connects with `offer`, checks the handshake ends as [`expected`] says, then (when open)
/// echoes `messages` and closes. An error names everything needed to rerun the case.
fn run_case(
    setup: &Setup,
    server: ServerDeflate,
    offer: Option<PerMessageDeflate>,
    messages: &[Rec],
) -> Result<(), String> {
    let peer = setup.server.peer();
    let outcome = expected(peer, offer, server);
    let context = format!("{peer:?}, server {server:?}, offer {offer:?}, expected {outcome:?}");
    let run = || {
        let mut conn = Connection::open(&setup.options, &setup.server.url("/echo"), offer)?;
        conn.wait("the handshake", |c| !c.log.is_empty())?;
        if outcome == Outcome::Refused {
            return check_refused(&mut conn);
        }
        let answer = check_open(&conn, outcome)?;
        conn.echo(messages).and_then(|()| conn.close()).map_err(|e| format!("answer {answer:?}: {e}"))
    };
    run().map_err(|e| format!("{context}: {e}"))
}

/// The handshake ended in HTTP 400, reported as `onError` and nothing else.
fn check_refused(conn: &mut Connection) -> Result<(), String> {
    conn.wait("the end", Connection::is_over)?;
    let events = conn.log.events();
    let refused = [Rec::Error(TaskError::Handshake(HandshakeError::Status(400)))];
    if events == refused {
        return Ok(());
    }
    Err(format!("got {:?} instead of the 400", events.iter().map(summary).collect::<Vec<_>>()))
}

/// The task opened with the parameters `outcome` names; returns the server's answer.
fn check_open(conn: &Connection, outcome: Outcome) -> Result<Option<String>, String> {
    let first = conn.log.events().swap_remove(0);
    let opened = conn.opened.borrow().clone().unwrap_or_default();
    let want = match outcome {
        Outcome::Accepted(negotiated) => Some(negotiated),
        Outcome::Declined | Outcome::Refused => None,
    };
    if first != Rec::Open(None) || opened.per_message_deflate != want {
        return Err(format!(
            "opened with {:?}, answer {:?}, first event {}",
            opened.per_message_deflate,
            opened.answer,
            summary(&first)
        ));
    }
    Ok(opened.answer)
}

// ---- the matrix -------------------------------------------------------------------------

/// Every offer: context takeover on and off both ways, each window absent, 8, 9, 10 or 15.
fn offers() -> Vec<PerMessageDeflate> {
    const BITS: [Option<u8>; 5] = [None, Some(8), Some(9), Some(10), Some(15)];
    let mut offers = Vec::new();
    for server_no_context_takeover in [false, true] {
        for client_no_context_takeover in [false, true] {
            for server_max_window_bits in BITS {
                for client_max_window_bits in BITS {
                    offers.push(PerMessageDeflate {
                        server_no_context_takeover,
                        client_no_context_takeover,
                        server_max_window_bits,
                        client_max_window_bits,
                    });
                }
            }
        }
    }
    offers
}

/// Every offer against each server configuration with the given context takeover switches
/// and windows absent, 10 or 15 (Python refuses to be configured with 8; Node's 8 is
/// [`node_smallest_window`]), one server per configuration.
fn matrix(peer: Peer, server_no_context_takeover: bool, client_no_context_takeover: bool) {
    const BITS: [Option<u8>; 3] = [None, Some(10), Some(15)];
    let messages = light_set();
    let (mut cases, mut failures) = (0, Vec::new());
    'servers: for server_max_window_bits in BITS {
        for client_max_window_bits in BITS {
            let server = ServerDeflate {
                server_no_context_takeover,
                client_no_context_takeover,
                server_max_window_bits,
                client_max_window_bits,
            };
            let setup = setup(peer, false, server).compressing(EVERY_MESSAGE);
            for offer in offers() {
                cases += 1;
                if let Err(e) = run_case(&setup, server, Some(offer), &messages) {
                    failures.push(e);
                    if failures.len() >= MAX_FAILURES {
                        break 'servers;
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{peer:?}: {} of {cases} cases failed (stopping at {MAX_FAILURES}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The whole message set for each `(server, offer)` of `cases`, one server per case.
fn full_cases(peer: Peer, tls: bool, cases: &[(ServerDeflate, Option<PerMessageDeflate>)]) {
    let messages = full_set();
    for &(server, offer) in cases {
        let setup = setup(peer, tls, server);
        if let Err(e) = run_case(&setup, server, offer, &messages) {
            panic!("{e}");
        }
    }
}

/// The configurations the whole set runs with, each peer.
fn chosen() -> Vec<(ServerDeflate, Option<PerMessageDeflate>)> {
    let plain = PerMessageDeflate::new();
    let small =
        PerMessageDeflate { server_max_window_bits: Some(9), client_max_window_bits: Some(9), ..plain };
    let no_takeover =
        PerMessageDeflate { server_no_context_takeover: true, client_no_context_takeover: true, ..plain };
    vec![
        // What browsers offer, against the peer's defaults: 32 KiB windows, context kept.
        (ServerDeflate::default(), Some(plain)),
        // Small windows with the context kept: back references across messages, 512 B back.
        (ServerDeflate::default(), Some(small)),
        // Both sides start every message afresh.
        (ServerDeflate::default(), Some(no_takeover)),
        // The server imposes everything on a plain offer.
        (STRICT, Some(plain)),
        (STRICT, Some(PerMessageDeflate { server_max_window_bits: Some(15), ..no_takeover })),
    ]
}

macro_rules! peer_suite {
    ($module:ident, $peer:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn matrix_context_kept_both_ways() {
                matrix($peer, false, false);
            }

            #[test]
            fn matrix_server_no_context_takeover() {
                matrix($peer, true, false);
            }

            #[test]
            fn matrix_client_no_context_takeover() {
                matrix($peer, false, true);
            }

            #[test]
            fn matrix_no_context_takeover_both_ways() {
                matrix($peer, true, true);
            }

            #[test]
            fn every_message_with_chosen_parameters() {
                full_cases($peer, false, &chosen());
            }

            #[test]
            fn every_message_over_tls() {
                full_cases($peer, true, &[(ServerDeflate::default(), Some(PerMessageDeflate::new()))]);
            }

            /// A client that offers nothing gets no extension from a server that would compress.
            #[test]
            fn no_offer_no_extension() {
                full_cases($peer, false, &[(ServerDeflate::default(), None), (STRICT, None)]);
            }
        }
    };
}

peer_suite!(python, Peer::Python);
peer_suite!(node, Peer::Node);

/// Node `ws` configured with the smallest window RFC 7692 allows, 8 (256 B) both ways, against
/// offers that leave the windows open, ask for 8, or ask for 9 (refused: below the
/// configuration). zlib cannot compress with a raw window of 8 and uses 9, whose longest
/// distance (250) still fits a 256 B window.
#[test]
fn node_smallest_window() {
    let server = ServerDeflate {
        server_max_window_bits: Some(8),
        client_max_window_bits: Some(8),
        ..ServerDeflate::default()
    };
    let setup = setup(Peer::Node, false, server);
    let plain = PerMessageDeflate::new();
    let eight =
        PerMessageDeflate { server_max_window_bits: Some(8), client_max_window_bits: Some(8), ..plain };
    let nine = PerMessageDeflate { server_max_window_bits: Some(9), ..plain };
    let messages = full_set();
    for offer in [plain, eight, PerMessageDeflate { server_no_context_takeover: true, ..eight }, nine] {
        if let Err(e) = run_case(&setup, server, Some(offer), &messages) {
            panic!("{e}");
        }
    }
}

/// Where the peers differ: asked for a server window of 8, Python `websockets` declines the
/// extension (zlib cannot deflate with it) and the connection runs uncompressed; Node `ws`
/// takes it.
#[test]
fn server_window_of_8() {
    let offer = PerMessageDeflate { server_max_window_bits: Some(8), ..PerMessageDeflate::new() };
    for peer in [Peer::Python, Peer::Node] {
        let setup = setup(peer, false, ServerDeflate::default());
        let outcome = expected(peer, Some(offer), ServerDeflate::default());
        let want = match peer {
            Peer::Python => Outcome::Declined,
            _ => Outcome::Accepted(Negotiated {
                server_no_context_takeover: false,
                client_no_context_takeover: false,
                server_max_window_bits: 8,
                client_max_window_bits: 15,
            }),
        };
        assert_eq!(outcome, want, "{peer:?}");
        if let Err(e) = run_case(&setup, ServerDeflate::default(), Some(offer), &light_set()) {
            panic!("{e}");
        }
    }
}

/// What the client sends goes out compressed (RSV1 set) once the server accepted the offer,
/// from `min_size` bytes on when that makes it shorter, and never without the extension: the server's `/inspect`
/// answers each message with `compressed <n>` or `plain <n>` (its length once inflated, so
/// the peer inflated it with the window the client promised).
fn client_compression(peer: Peer) {
    let plain = PerMessageDeflate::new();
    let small = ServerDeflate { client_max_window_bits: Some(9), ..ServerDeflate::default() };
    let eight =
        PerMessageDeflate { client_no_context_takeover: true, client_max_window_bits: Some(8), ..plain };
    let cases = [
        (ServerDeflate::default(), None),
        (ServerDeflate::default(), Some(plain)),
        (STRICT, Some(plain)),
        (small, Some(plain)),
        (ServerDeflate::default(), Some(eight)),
    ];
    for (server, offer) in cases {
        let setup = setup(peer, false, server);
        for compression in [Compression::default(), EVERY_MESSAGE] {
            let options = Options { compression, ..setup.options.clone() };
            if let Err(e) = inspect(&setup.server, &options, server, offer) {
                panic!("{e}; compression {compression:?}");
            }
        }
    }
}

/// One `/inspect` connection: short, empty and large messages, each answered as compressed
/// exactly when the extension is on and the message reaches `min_size`.
fn inspect(
    peer: &PeerServer,
    options: &Options,
    server: ServerDeflate,
    offer: Option<PerMessageDeflate>,
) -> Result<(), String> {
    let outcome = expected(peer.peer(), offer, server);
    let context = format!("{:?}, server {server:?}, offer {offer:?}, expected {outcome:?}", peer.peer());
    let on = matches!(outcome, Outcome::Accepted(_));
    let messages = [
        Rec::Text("short text".into()),
        Rec::Text(String::new()),
        Rec::Text(json_of(1024)),
        Rec::Text(json_of(64 << 10)),
        Rec::Binary(json_of(512 << 10).into_bytes()),
        Rec::Text(multibyte_of(4096)),
    ];
    let answers: Vec<Rec> = messages
        .iter()
        .map(|m| {
            let len = match m {
                Rec::Text(t) => t.len(),
                Rec::Binary(b) => b.len(),
                _ => 0,
            };
            // The two tiny messages (10 bytes, empty) come out no shorter compressed, so they
            // go out plain whatever `min_size` says (RFC 7692 §6: each message chooses); the
            // others (1 KiB and more, all compressible) go out compressed from `min_size` on.
            let compressed = on && len >= options.compression.min_size && len >= 1024;
            Rec::Text(format!("{} {len}", if compressed { "compressed" } else { "plain" }))
        })
        .collect();
    let run = || {
        let mut conn = Connection::open(options, &peer.url("/inspect"), offer)?;
        conn.wait("the handshake", |c| !c.log.is_empty())?;
        check_open(&conn, outcome)?;
        conn.exchange(&messages, &answers).and_then(|()| conn.close())
    };
    run().map_err(|e| format!("{context}: {e}"))
}

#[test]
fn python_client_compression() {
    client_compression(Peer::Python);
}

#[test]
fn node_client_compression() {
    client_compression(Peer::Node);
}

/// The message limit applies to the inflated size (1009): 10 MiB of one letter, which the
/// server compresses to a few KiB, fails a task whose limit is 64 KiB, after a message of
/// exactly 64 KiB went through. On the path `/repeat` the server answers `<n>` with n letters.
fn inflated_size_limit(peer: Peer) {
    let setup = setup(peer, false, ServerDeflate::default());
    let limits = Limits { max_message_size: 64 << 10, ..Limits::default() };
    let options = insecure(Config { limits, ..Config::default() });
    let url = setup.server.url("/repeat");
    let mut conn = Connection::open(&options, &url, Some(PerMessageDeflate::new())).expect("connect");
    conn.wait("the handshake", |c| !c.log.is_empty()).expect("open");
    for n in [64 << 10, 10 << 20] {
        conn.send(&Rec::Text(n.to_string())).expect("send");
    }
    conn.wait("the end", Connection::is_over).expect("the end");
    let error = ProtocolError::MessageTooLarge;
    let expected = [
        Rec::Open(None),
        Rec::Text("a".repeat(64 << 10)),
        Rec::Error(TaskError::Protocol(error)),
        Rec::failed(1009, error),
    ];
    let events = conn.log.events();
    assert!(events == expected, "{peer:?}: {:?}", events.iter().map(summary).collect::<Vec<_>>());
    assert!(
        conn.opened.borrow().as_ref().is_some_and(|o| o.per_message_deflate.is_some()),
        "{peer:?}: compressed"
    );
}

#[test]
fn python_inflated_size_limit() {
    inflated_size_limit(Peer::Python);
}

#[test]
fn node_inflated_size_limit() {
    inflated_size_limit(Peer::Node);
}

/// The model itself, on the examples of RFC 7692 §7.1 and the peers' documentation.
#[test]
fn expected_answers() {
    let plain = PerMessageDeflate::new();
    let deal = |s, c, sb, cb| {
        Outcome::Accepted(Negotiated {
            server_no_context_takeover: s,
            client_no_context_takeover: c,
            server_max_window_bits: sb,
            client_max_window_bits: cb,
        })
    };
    let configured = ServerDeflate {
        server_max_window_bits: Some(10),
        client_max_window_bits: Some(10),
        ..ServerDeflate::default()
    };
    for peer in [Peer::Python, Peer::Node] {
        assert_eq!(expected(peer, None, configured), Outcome::Declined);
        assert_eq!(expected(peer, Some(plain), ServerDeflate::default()), deal(false, false, 15, 15));
        assert_eq!(expected(peer, Some(plain), configured), deal(false, false, 10, 10));
        let asks =
            PerMessageDeflate { server_max_window_bits: Some(15), client_max_window_bits: Some(12), ..plain };
        assert_eq!(expected(peer, Some(asks), configured), deal(false, false, 10, 10));
    }
    let below = PerMessageDeflate { server_max_window_bits: Some(9), ..plain };
    assert_eq!(expected(Peer::Python, Some(below), configured), deal(false, false, 9, 10));
    assert_eq!(expected(Peer::Node, Some(below), configured), Outcome::Refused);
}
