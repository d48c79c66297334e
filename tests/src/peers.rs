//! Real WebSocket servers that we did not write, each an echo server on 127.0.0.1 with the
//! same behaviour:
//!
//! - every path echoes text and binary messages unchanged; `/close` closes at once with
//!   4001 "server bye"; `/close-after-echo` echoes one message, then closes with 1000 "done";
//! - of the subprotocols `chat.v1`, `chat.v2`, the first in *that* order the client offered
//!   is chosen (server preference); none when the client offered neither;
//! - with a [`Pki`], the server speaks TLS with its leaf certificate.
//!
//! [`Peer::Python`] (`websockets`) and [`Peer::Node`] (`ws`) run as child processes from
//! `tests/peers/`, with the pinned packages `scripts/peers.sh` installs under
//! `target/peers/`; a missing one is a failure saying so. [`Peer::Rust`] is `tungstenite` on
//! threads of the test process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sockettask_mio::rustls::{ServerConfig, ServerConnection, StreamOwned};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use crate::pki::Pki;

/// How to install the child-process peers.
pub const INSTALL_HINT: &str = "run scripts/peers.sh to install the peers \
    (Python websockets==17.4 into target/peers/venv, Node ws@8.23.0 into target/peers/node)";

/// Longest a child peer may take to print its port.
const START_LIMIT: Duration = Duration::from_secs(30);

/// The subprotocols every peer knows, in its order of preference.
pub const PROTOCOLS: [&str; 2] = ["chat.v1", "chat.v2"];

/// A server implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Python `websockets` (asyncio server), `tests/peers/echo_server.py`.
    Python,
    /// Node `ws`, `tests/peers/echo_server.js`.
    Node,
    /// `tungstenite` on threads of this process.
    Rust,
}

/// A running peer; stopped on drop.
#[derive(Debug)]
pub struct PeerServer {
    peer: Peer,
    port: u16,
    tls: bool,
    running: Running,
}

#[derive(Debug)]
enum Running {
    Child { child: Child, stdin: Option<ChildStdin> },
    Thread { stop: Arc<AtomicBool> },
}

impl PeerServer {
    /// Starts `peer` on an ephemeral port of 127.0.0.1, over TLS with `pki`'s leaf when
    /// given. Panics (with how to install it) when the peer is missing or does not start.
    pub fn start(peer: Peer, pki: Option<&Pki>) -> PeerServer {
        PeerServer::start_with_args(peer, pki, &[])
    }

    /// [`PeerServer::start`] with extra command-line arguments for a child peer (ignored by
    /// [`Peer::Rust`]), e.g. `--default-subprotocols` for the Python peer.
    pub fn start_with_args(peer: Peer, pki: Option<&Pki>, args: &[&str]) -> PeerServer {
        let tls = pki.is_some();
        let (port, running) = match peer {
            Peer::Python => spawn_child(peer, python_command(pki).args(args)),
            Peer::Node => spawn_child(peer, node_command(pki).args(args)),
            Peer::Rust => spawn_rust(pki.map(Pki::server_config)),
        };
        PeerServer { peer, port, tls, running }
    }

    /// Which implementation this is.
    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ws://` or `wss://` `127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        match &mut self.running {
            Running::Child { child, stdin } => {
                drop(stdin.take());
                let _ = child.kill();
                let _ = child.wait();
            }
            Running::Thread { stop } => {
                stop.store(true, Ordering::SeqCst);
                let _ = TcpStream::connect(("127.0.0.1", self.port));
            }
        }
    }
}

/// The workspace root (the parent of this package).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(path.exists(), "{what} is missing: {} not found; {INSTALL_HINT}", path.display());
    path
}

fn tls_args(command: &mut Command, pki: Option<&Pki>) {
    if let Some(pki) = pki {
        command.arg("--cert").arg(pki.cert_pem()).arg("--key").arg(pki.key_pem());
    }
}

fn python_command(pki: Option<&Pki>) -> Command {
    let root = workspace_root();
    let python = require(root.join("target/peers/venv/bin/python"), "the Python peer (websockets)");
    let mut command = Command::new(python);
    command.arg(root.join("tests/peers/echo_server.py"));
    tls_args(&mut command, pki);
    command
}

fn node_command(pki: Option<&Pki>) -> Command {
    let root = workspace_root();
    let modules = root.join("target/peers/node/node_modules");
    require(modules.join("ws/package.json"), "the Node peer (ws)");
    let mut command = Command::new("node");
    command.arg(root.join("tests/peers/echo_server.js")).env("NODE_PATH", modules);
    tls_args(&mut command, pki);
    command
}

/// Starts a child peer and reads its `PORT <n>` line.
fn spawn_child(peer: Peer, command: &mut Command) -> (u16, Running) {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {peer:?} peer ({command:?}): {e}; {INSTALL_HINT}"));
    let stderr = collect(child.stderr.take());
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line.strip_prefix("PORT ").and_then(|p| p.trim().parse::<u16>().ok()) {
                let _ = tx.send(port);
            }
        }
    });
    let Ok(port) = rx.recv_timeout(START_LIMIT) else {
        let _ = child.kill();
        let _ = child.wait();
        let stderr = stderr.lock().map(|s| s.clone()).unwrap_or_default();
        panic!("the {peer:?} peer printed no port ({command:?}); {INSTALL_HINT}\nits stderr:\n{stderr}");
    };
    let stdin = child.stdin.take();
    (port, Running::Child { child, stdin })
}

/// Collects a child's output on a thread (so the child never blocks on a full pipe).
fn collect(stream: Option<impl Read + Send + 'static>) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    if let Some(mut stream) = stream {
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
    }
    text
}

// ---- the Rust peer ------------------------------------------------------------------------

fn spawn_rust(tls: Option<Arc<ServerConfig>>) -> (u16, Running) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    thread::spawn(move || {
        for stream in listener.incoming() {
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            let Ok(tcp) = stream else { continue };
            let tls = tls.clone();
            thread::spawn(move || serve_rust(tcp, tls));
        }
    });
    (port, Running::Thread { stop })
}

fn serve_rust(tcp: TcpStream, tls: Option<Arc<ServerConfig>>) {
    let _ = tcp.set_nodelay(true);
    match tls {
        Some(config) => {
            let Ok(session) = ServerConnection::new(config) else { return };
            rust_session(StreamOwned::new(session, tcp));
        }
        None => rust_session(tcp),
    }
}

// tungstenite fixes the callback's signature, large error type included.
#[allow(clippy::result_large_err)]
fn rust_session<S: Read + Write>(stream: S) {
    let mut path = String::new();
    let callback = |request: &Request, response: Response| choose(request, response, &mut path);
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let Ok(mut ws) = tungstenite::accept_hdr_with_config(stream, callback, Some(config)) else { return };
    if path == "/close" {
        let _ = ws.close(Some(CloseFrame { code: CloseCode::from(4001), reason: "server bye".into() }));
    }
    rust_echo(&mut ws, path == "/close-after-echo");
}

/// The handshake callback: keeps the path and picks the subprotocol (server preference).
#[allow(clippy::result_large_err)]
fn choose(request: &Request, mut response: Response, path: &mut String) -> Result<Response, ErrorResponse> {
    *path = request.uri().path().to_owned();
    let offered: Vec<&str> = request
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if let Some(p) = PROTOCOLS.iter().find(|p| offered.contains(p)) {
        response.headers_mut().insert("sec-websocket-protocol", p.parse().expect("header value"));
    }
    Ok(response)
}

/// Echoes until the connection ends (tungstenite answers the close handshake in `read`).
fn rust_echo<S: Read + Write>(ws: &mut WebSocket<S>, close_after_echo: bool) {
    loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(message).is_err() {
                    return;
                }
                if close_after_echo {
                    let _ = ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "done".into() }));
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
