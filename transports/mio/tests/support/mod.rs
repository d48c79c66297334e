//! Loopback servers for the tests and examples: a generated PKI, a tungstenite echo server
//! (plain or over rustls) and raw TCP servers that misbehave on purpose.
// tungstenite fixes the callback signature, large error type included.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::result_large_err)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use tungstenite::handshake::derive_accept_key;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// A certificate authority generated at start-up.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// How a leaf certificate's validity period is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Current,
    Expired,
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A distinct name per CA: a CA of the same name would make an unknown CA look like a
        // known issuer with a bad signature.
        static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("sockettask test CA {n}"));
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Pki { ca }
    }

    /// The CA certificate, to trust.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.der().clone()
    }

    /// A root store holding just this CA.
    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der()).unwrap();
        roots
    }

    /// A server configuration with a leaf for `names` (DNS names or IP addresses).
    pub fn server(&self, names: &[&str], validity: Validity) -> Arc<ServerConfig> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        if validity == Validity::Expired {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), self.ca_der()], key)
            .unwrap();
        Arc::new(config)
    }
}

/// Binds 127.0.0.1:0 and serves each connection on its own thread with `serve`.
pub fn spawn(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let serve = Arc::clone(&serve);
            thread::spawn(move || serve(stream));
        }
    });
    port
}

/// A WebSocket echo server: text and binary come back unchanged; the first offered
/// subprotocol is chosen. Over TLS when `tls` is given.
pub fn spawn_echo(tls: Option<Arc<ServerConfig>>) -> u16 {
    spawn(move |tcp| {
        let _ = tcp.set_nodelay(true);
        match &tls {
            Some(config) => {
                let Ok(session) = ServerConnection::new(Arc::clone(config)) else { return };
                echo(StreamOwned::new(session, tcp));
            }
            None => echo(tcp),
        }
    })
}

/// A WebSocket server that echoes the first message, then sends its close frame and ends
/// the stream at once (TLS `close_notify` and FIN) without waiting for the client's reply:
/// the message, the close and the end of the stream reach the client back to back. It
/// reads on until the client's FIN. Over TLS when `tls` is given.
pub fn spawn_echo_once_then_close(tls: Option<Arc<ServerConfig>>) -> u16 {
    spawn(move |tcp| {
        let _ = tcp.set_nodelay(true);
        let Ok(end) = tcp.try_clone() else { return };
        match &tls {
            Some(config) => {
                let Ok(session) = ServerConnection::new(Arc::clone(config)) else { return };
                echo_once_then_close(StreamOwned::new(session, tcp), &end, |s| {
                    s.conn.send_close_notify();
                    let _ = s.flush();
                });
            }
            None => echo_once_then_close(tcp, &end, |_| {}),
        }
    })
}

fn echo_once_then_close<S: Read + Write>(stream: S, tcp: &TcpStream, notify: impl FnOnce(&mut S)) {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let Ok(mut ws) = tungstenite::accept_hdr_with_config(stream, choose_protocol, Some(config)) else {
        return;
    };
    let message = loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => break message,
            Ok(_) => {}
            Err(_) => return,
        }
    };
    let normal = CloseFrame { code: CloseCode::Normal, reason: "".into() };
    if ws.send(message).is_err() || ws.close(Some(normal)).is_err() {
        return;
    }
    notify(ws.get_mut());
    end_stream(tcp);
}

/// Sends FIN, then reads until the client's: closing with unread bytes would send RST.
pub fn end_stream(mut tcp: &TcpStream) {
    let _ = tcp.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 4096];
    while tcp.read(&mut sink).is_ok_and(|n| n > 0) {}
}

fn choose_protocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    let first = request
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|p| p.trim().to_owned());
    if let Some(p) = first {
        response.headers_mut().insert("sec-websocket-protocol", p.parse().unwrap());
    }
    Ok(response)
}

fn echo<S: Read + Write>(stream: S) {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let Ok(mut ws) = tungstenite::accept_hdr_with_config(stream, choose_protocol, Some(config)) else {
        return;
    };
    echo_loop(&mut ws);
}

/// A WebSocket server that reports each ping it receives as a text message `ping <payload>`
/// (after the pong tungstenite sends by itself), and echoes text and binary.
pub fn spawn_ping_reporter() -> u16 {
    spawn(|tcp| {
        let Ok(mut ws) = tungstenite::accept(tcp) else { return };
        loop {
            let reply = match ws.read() {
                Ok(Message::Ping(payload)) => format!("ping {}", String::from_utf8_lossy(&payload)).into(),
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
                Ok(_) => continue,
                Err(_) => return,
            };
            if ws.send(reply).is_err() {
                return;
            }
        }
    })
}

fn echo_loop<S: Read + Write>(ws: &mut WebSocket<S>) {
    loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(message).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// Reads an HTTP request head and answers 101 with the right accept key.
pub fn accept_upgrade<S: Read + Write>(stream: &mut S) -> std::io::Result<()> {
    accept_upgrade_with(stream, "").map(drop)
}

/// Reads an HTTP request head and answers 101 with the right accept key and `extra` header
/// lines (each ending in CRLF) after the required ones; returns the request head.
pub fn accept_upgrade_with<S: Read + Write>(stream: &mut S, extra: &str) -> std::io::Result<String> {
    let head = read_head(stream)?;
    let key = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key")))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extra}\r\n",
        derive_accept_key(key.as_bytes())
    );
    stream.write_all(response.as_bytes())?;
    Ok(head)
}

/// One unmasked server frame, FIN set.
pub fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(n as u8),
        n @ 126..=0xffff => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// Reads until the end of an HTTP head.
pub fn read_head<S: Read>(stream: &mut S) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// One client frame as RFC 6455 §5.2 lays it out, payload unmasked.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientFrame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Reads and decodes one client frame from any stream (plain or TLS): the MASK bit must be
/// set (§5.3); the length in its shortest form is not checked here (any of the three forms
/// decodes).
pub fn read_client_frame(stream: &mut impl Read) -> std::io::Result<ClientFrame> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head)?;
    assert_eq!(head[1] & 0x80, 0x80, "a client frame must be masked");
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            stream.read_exact(&mut b)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            stream.read_exact(&mut b)?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut mask = [0u8; 4];
    stream.read_exact(&mut mask)?;
    let mut payload = vec![0u8; usize::try_from(len).unwrap()];
    stream.read_exact(&mut payload)?;
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Ok(ClientFrame { fin: head[0] & 0x80 != 0, rsv: (head[0] >> 4) & 0x7, opcode: head[0] & 0x0f, payload })
}

/// Reads one client frame (masked) and returns its opcode and unmasked payload.
pub fn read_frame(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    read_client_frame(stream).map(|frame| (frame.opcode, frame.payload))
}

/// Holds a connection open without doing anything for `d`.
pub fn hold(stream: TcpStream, d: Duration) {
    thread::sleep(d);
    drop(stream);
}

/// Any stream a test server reads and writes (plain TCP or rustls over it), as one type.
pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A `&mut dyn ReadWrite` that is itself `Read + Write`, for the helpers here that take a
/// stream by value.
pub struct ReadWriteRef<'a>(pub &'a mut dyn ReadWrite);

impl Read for ReadWriteRef<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for ReadWriteRef<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
