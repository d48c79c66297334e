//! One task's byte stream: resolve, connect (trying each address in turn, IPv4 and IPv6),
//! then move bytes between the socket (through rustls for `wss://`) and the core's buffers.
//!
//! Every read and write is non-blocking; `WouldBlock` clears a readiness flag that only the
//! next readiness event sets again (mio is edge-triggered). Nothing here decides anything
//! about the protocol: bytes go in through `handle_read` / `handle_input`, out through
//! `transmit_data` / `advance_transmit`, and the end of the stream through `handle_eof` /
//! `handle_transport_error`.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::sync::Arc;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use sockettask::{Handle, HostKind, Instant, ReadyState, Scheme, TlsError, TransportError, Url};

use crate::dns::Lookup;
use crate::driver::Core;
use crate::tls::tls_failure;

/// Reads per task per turn, so one busy peer cannot starve the others.
const MAX_READS: usize = 64;
/// Bytes read at a time once the core only discards input (CLOSING after the peer's close).
const DISCARD_CHUNK: usize = 4096;

/// What one call works with: the core, the caller's registry and the time.
pub(crate) struct Io<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) registry: &'a Registry,
    pub(crate) now: Instant,
}

/// Where the stream is.
#[derive(Debug)]
enum Link {
    Resolving { lookup: Lookup, port: u16 },
    Connecting { tcp: TcpStream, rest: std::vec::IntoIter<SocketAddr> },
    Up { tcp: TcpStream, eof: bool },
    Down,
}

/// The outcome of one read.
enum Read1 {
    Data(usize),
    Eof,
    Blocked,
    Failed(TransportError),
}

/// The stream of one task.
#[derive(Debug)]
pub(crate) struct Conn {
    handle: Handle,
    token: Token,
    link: Link,
    tls: Option<Box<ClientConnection>>,
    no_delay: bool,
    readable: bool,
    writable: bool,
    /// The last pump stopped at [`MAX_READS`]: there may be more to read without an event.
    capped: bool,
    /// Bytes read while the core discarded input and not yet taken by it.
    leftover: Vec<u8>,
}

/// Settings of a new stream.
pub(crate) struct Start<'u> {
    pub(crate) url: Url<'u>,
    pub(crate) token: Token,
    pub(crate) tls: Option<Arc<ClientConfig>>,
    pub(crate) no_delay: bool,
}

impl Conn {
    /// Starts the stream of the task `handle`: a lookup, or a connect for an IP literal.
    pub(crate) fn start(io: &mut Io<'_>, handle: Handle, start: Start<'_>) -> Conn {
        let mut conn = Conn {
            handle,
            token: start.token,
            link: Link::Down,
            tls: None,
            no_delay: start.no_delay,
            readable: false,
            writable: false,
            capped: false,
            leftover: Vec::new(),
        };
        let url = start.url;
        if url.scheme() == Scheme::Wss {
            let session = start
                .tls
                .ok_or(TransportError::Tls(TlsError::Other))
                .and_then(|config| tls_session(config, url.host()));
            match session {
                Ok(session) => conn.tls = Some(Box::new(session)),
                Err(e) => {
                    io.core.handle_transport_error(io.now, handle, e);
                    return conn;
                }
            }
        }
        match url.host_kind() {
            HostKind::Ipv4 | HostKind::Ipv6 => match url.host().parse::<IpAddr>() {
                Ok(ip) => conn.connect_next(io, vec![SocketAddr::new(ip, url.port())].into_iter()),
                Err(_) => conn.fail(io, TransportError::Resolve),
            },
            HostKind::Domain => match Lookup::start(url.host(), url.port(), io.registry, start.token) {
                Ok(lookup) => conn.link = Link::Resolving { lookup, port: url.port() },
                Err(_) => conn.fail(io, TransportError::Resolve),
            },
        }
        conn
    }

    /// The task this stream carries.
    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }

    /// The token the stream is registered under.
    pub(crate) fn token(&self) -> Token {
        self.token
    }

    /// Records a readiness event for this stream's token.
    pub(crate) fn on_ready(&mut self, event: &mio::event::Event) {
        let broken = event.is_error() || event.is_read_closed() || event.is_write_closed();
        self.readable |= event.is_readable() || broken;
        self.writable |= event.is_writable() || broken;
    }

    /// Whether the stream has work it can do without a readiness event.
    pub(crate) fn wants_turn(&self, core: &Core) -> bool {
        match &self.link {
            Link::Up { .. } => {
                let output = !core.transmit_data(self.handle).is_empty()
                    || self.tls.as_ref().is_some_and(|tls| tls.wants_write());
                self.capped || (self.writable && output)
            }
            Link::Resolving { .. } | Link::Connecting { .. } | Link::Down => false,
        }
    }

    /// Whether a lookup is pending (checked on a timer where no wake-up pipe exists).
    pub(crate) fn resolving(&self) -> bool {
        matches!(self.link, Link::Resolving { .. })
    }

    /// Does whatever the stream can do now.
    pub(crate) fn pump(&mut self, io: &mut Io<'_>) {
        match &mut self.link {
            Link::Resolving { lookup, port } => {
                let Some(answer) = lookup.answer() else { return };
                let port = *port;
                lookup.cancel(io.registry);
                self.link = Link::Down;
                match answer {
                    Ok(addrs) if !addrs.is_empty() => {
                        let addrs: Vec<_> =
                            addrs.into_iter().map(|a| SocketAddr::new(a.ip(), port)).collect();
                        self.connect_next(io, addrs.into_iter());
                    }
                    _ => self.fail(io, TransportError::Resolve),
                }
            }
            Link::Connecting { .. } => {
                if self.writable {
                    self.finish_connect(io);
                    if matches!(self.link, Link::Up { .. }) {
                        self.pump_up(io);
                    }
                }
            }
            Link::Up { .. } => self.pump_up(io),
            Link::Down => {}
        }
    }

    /// Ends the stream: TLS `close_notify`, FIN, a short drain of unread bytes (so the kernel
    /// sends FIN rather than RST), and the registration is removed.
    pub(crate) fn shutdown(mut self, registry: &Registry) {
        match &mut self.link {
            Link::Resolving { lookup, .. } => lookup.cancel(registry),
            Link::Connecting { tcp, .. } => {
                let _ = registry.deregister(tcp);
            }
            Link::Up { tcp, .. } => {
                if let Some(tls) = self.tls.as_mut() {
                    tls.send_close_notify();
                    while tls.wants_write() && tls.write_tls(tcp).is_ok_and(|n| n > 0) {}
                }
                let _ = tcp.shutdown(Shutdown::Write);
                let mut sink = [0u8; DISCARD_CHUNK];
                for _ in 0..16 {
                    if !tcp.read(&mut sink).is_ok_and(|n| n > 0) {
                        break;
                    }
                }
                let _ = registry.deregister(tcp);
            }
            Link::Down => {}
        }
    }

    // ---- connecting --------------------------------------------------------------------

    /// Connects to the next address of `addrs`; fails the task when none is left.
    fn connect_next(&mut self, io: &mut Io<'_>, mut addrs: std::vec::IntoIter<SocketAddr>) {
        for addr in addrs.by_ref() {
            let Ok(mut tcp) = TcpStream::connect(addr) else { continue };
            if io.registry.register(&mut tcp, self.token, Interest::READABLE | Interest::WRITABLE).is_err() {
                continue;
            }
            self.writable = false;
            self.readable = false;
            self.link = Link::Connecting { tcp, rest: addrs };
            return;
        }
        self.fail(io, TransportError::Connect);
    }

    /// After a writable event while connecting: connected, failed (next address), or not yet.
    fn finish_connect(&mut self, io: &mut Io<'_>) {
        let Link::Connecting { tcp, .. } = &mut self.link else { return };
        let failed = !matches!(tcp.take_error(), Ok(None));
        let state = if failed { Err(()) } else { connected(tcp) };
        match state {
            Ok(false) => self.writable = false,
            Ok(true) => {
                if let Link::Connecting { tcp, .. } = std::mem::replace(&mut self.link, Link::Down) {
                    if self.no_delay {
                        let _ = tcp.set_nodelay(true);
                    }
                    self.link = Link::Up { tcp, eof: false };
                }
            }
            Err(()) => {
                if let Link::Connecting { mut tcp, rest } = std::mem::replace(&mut self.link, Link::Down) {
                    let _ = io.registry.deregister(&mut tcp);
                    self.connect_next(io, rest);
                }
            }
        }
    }

    fn fail(&mut self, io: &mut Io<'_>, error: TransportError) {
        match std::mem::replace(&mut self.link, Link::Down) {
            Link::Resolving { mut lookup, .. } => lookup.cancel(io.registry),
            Link::Connecting { mut tcp, .. } | Link::Up { mut tcp, .. } => {
                let _ = io.registry.deregister(&mut tcp);
            }
            Link::Down => {}
        }
        io.core.handle_transport_error(io.now, self.handle, error);
    }

    // ---- moving bytes ------------------------------------------------------------------

    /// Writes and reads until neither makes progress (bounded).
    fn pump_up(&mut self, io: &mut Io<'_>) {
        self.capped = false;
        for _ in 0..8 {
            let step = self.flush(io).and_then(|wrote| Ok(self.fill(io)? | wrote));
            match step {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return self.fail(io, e),
            }
        }
        self.capped = true;
    }

    /// Moves the core's output to the socket until it is empty or the socket is full.
    fn flush(&mut self, io: &mut Io<'_>) -> Result<bool, TransportError> {
        let Link::Up { tcp, .. } = &mut self.link else { return Ok(false) };
        let (h, now) = (self.handle, io.now);
        let mut progress = false;
        loop {
            let data = io.core.transmit_data(h);
            let moved = match self.tls.as_mut() {
                None if data.is_empty() || !self.writable => 0,
                None => match tcp.write(data) {
                    Ok(0) => return Err(TransportError::Io),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.writable = false;
                        0
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(transport_error(&e)),
                },
                Some(tls) => {
                    let n = if data.is_empty() { 0 } else { tls.writer().write(data).unwrap_or(0) };
                    let sent = write_tls(tls, tcp, &mut self.writable)?;
                    if n == 0 && !sent {
                        return Ok(progress);
                    }
                    progress = true;
                    n
                }
            };
            if moved == 0 && self.tls.is_none() {
                return Ok(progress);
            }
            io.core.advance_transmit(now, h, moved);
            progress = true;
        }
    }

    /// Moves bytes from the socket into the core until the socket is drained, the core
    /// stops taking input (an event is waiting) or [`MAX_READS`] is reached.
    fn fill(&mut self, io: &mut Io<'_>) -> Result<bool, TransportError> {
        let Link::Up { tcp, eof } = &mut self.link else { return Ok(false) };
        let (h, now) = (self.handle, io.now);
        let mut progress = false;
        for _ in 0..MAX_READS {
            if *eof {
                return Ok(progress);
            }
            if !self.leftover.is_empty() {
                let took = io.core.handle_input(now, h, &self.leftover);
                self.leftover.drain(..took.min(self.leftover.len()));
                if took == 0 {
                    return Ok(progress);
                }
                progress = true;
                continue;
            }
            let tls = self.tls.as_deref_mut();
            let buf = io.core.input_buffer(h);
            let outcome = if !buf.is_empty() {
                let outcome = read(tcp, tls, &mut self.readable, buf);
                if let Read1::Data(n) = outcome {
                    io.core.handle_read(now, h, n);
                }
                outcome
            } else if io.core.ready_state(h) == ReadyState::Closing {
                // The core reads no more but waits for the end of the stream.
                let mut sink = [0u8; DISCARD_CHUNK];
                let outcome = read(tcp, tls, &mut self.readable, &mut sink);
                if let Read1::Data(n) = outcome {
                    let data = sink.get(..n).unwrap_or_default();
                    let took = io.core.handle_input(now, h, data);
                    self.leftover.extend_from_slice(data.get(took..).unwrap_or_default());
                }
                outcome
            } else {
                return Ok(progress);
            };
            match outcome {
                Read1::Data(_) => progress = true,
                Read1::Eof => {
                    *eof = true;
                    io.core.handle_eof(now, h);
                    return Ok(true);
                }
                Read1::Blocked => return Ok(progress),
                Read1::Failed(e) => return Err(e),
            }
        }
        self.capped = true;
        Ok(progress)
    }
}

/// Whether a connecting socket is connected: `Ok(false)` while still under way.
fn connected(tcp: &TcpStream) -> Result<bool, ()> {
    match tcp.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(_) => Err(()),
    }
}

/// A rustls session for `host` (a DNS name, or an IP address checked against the
/// certificate's IP SANs).
fn tls_session(config: Arc<ClientConfig>, host: &str) -> Result<ClientConnection, TransportError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| TransportError::Tls(TlsError::Other))?;
    ClientConnection::new(config, name).map_err(|e| tls_failure(&e))
}

/// Writes TLS records until rustls has none or the socket is full; whether any were sent.
fn write_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    writable: &mut bool,
) -> Result<bool, TransportError> {
    let mut sent = false;
    while *writable && tls.wants_write() {
        match tls.write_tls(tcp) {
            Ok(_) => sent = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(transport_error(&e)),
        }
    }
    Ok(sent)
}

/// One read of plaintext into `buf`, through rustls when there is a session.
fn read(
    tcp: &mut TcpStream,
    tls: Option<&mut ClientConnection>,
    readable: &mut bool,
    buf: &mut [u8],
) -> Read1 {
    let Some(tls) = tls else {
        if !*readable {
            return Read1::Blocked;
        }
        return loop {
            match tcp.read(buf) {
                Ok(0) => break Read1::Eof,
                Ok(n) => break Read1::Data(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    *readable = false;
                    break Read1::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Read1::Failed(transport_error(&e)),
            }
        };
    };
    let mut tcp_eof = false;
    loop {
        match tls.reader().read(buf) {
            // A close_notify: the clean end of the stream.
            Ok(0) => return Read1::Eof,
            Ok(n) => return Read1::Data(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && tcp_eof => return Read1::Eof,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // The TCP stream ended without close_notify; WebSocket's own close handshake
            // tells a clean end from a truncated one, so this is a plain end of stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Read1::Eof,
            Err(_) => return Read1::Failed(TransportError::Tls(TlsError::Other)),
        }
        if !*readable {
            return Read1::Blocked;
        }
        match tls.read_tls(tcp) {
            Ok(n) => {
                tcp_eof = n == 0;
                if let Err(e) = tls.process_new_packets() {
                    // Send the alert rustls queued, best effort.
                    let _ = tls.write_tls(tcp);
                    return Read1::Failed(tls_failure(&e));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                *readable = false;
                return Read1::Blocked;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Read1::Failed(transport_error(&e)),
        }
    }
}

/// What an I/O error means for the task.
fn transport_error(e: &io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe => {
            TransportError::Reset
        }
        io::ErrorKind::ConnectionRefused => TransportError::Connect,
        _ => TransportError::Io,
    }
}
