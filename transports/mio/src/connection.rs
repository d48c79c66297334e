//! One task's byte stream: resolve, connect (trying each address in turn, IPv4 and IPv6),
//! then move bytes between the socket (through rustls for `wss://`) and the core's buffers.
//!
//! Every read and write is non-blocking; `WouldBlock` clears a readiness flag that only the
//! next readiness event sets again (mio is edge-triggered). So does a short read where the
//! selector is epoll or kqueue ([`SHORT_READ_DRAINS`]): a TCP read that returned fewer bytes
//! than the space offered has emptied the socket's receive queue, and any byte that arrives
//! after it raises a new edge. Nothing here decides anything
//! about the protocol: bytes go in through `input_buffer` / `handle_read` (the core says
//! when it takes none, and drops what it no longer needs itself), out through
//! `transmit_data` / `advance_transmit`, and the end of the stream through `handle_eof` /
//! `handle_transport_error`. When the core waits for a larger receive buffer, the
//! [`Sizer`] grows it and reading goes on.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::sync::Arc;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use sockettask::{Handle, Instant, TlsError, TransportError, Url};

use crate::buffers::{Core, Sizer};
use crate::dns::Lookup;
use crate::logging::{log_debug, log_info, log_warn};
use crate::tls::tls_failure;

/// Reads per task per turn, so one busy peer cannot starve the others.
const MAX_READS: usize = 64;
/// Bytes read and dropped at a time while a stream is shut down: unread bytes would make
/// the kernel end it with RST rather than FIN.
const DRAIN_CHUNK: usize = 4096;
/// Reads of [`DRAIN_CHUNK`] at most while a stream is shut down.
const DRAIN_READS: usize = 16;

/// Whether a short read (fewer bytes than the space offered, more than none) shows the socket
/// drained, so reading can wait for the next readable event instead of reading again to get
/// `WouldBlock`: true where mio's selector is epoll (`EPOLLET`) or kqueue (`EV_CLEAR`), which
/// raise a new edge for every arrival of data (what tokio's `PollEvented` relies on, tokio
/// issue 5866); false elsewhere (Windows' AFD polling re-arms only on `WouldBlock`, mio issue
/// 1612; `poll(2)`), where reading goes on until `WouldBlock`. A stream whose peer has closed
/// (a read-closed or error event, which comes once) reads on until the end regardless.
// mio's own switch to its `poll(2)` selector (which re-arms only on `WouldBlock`), set with
// `RUSTFLAGS=--cfg mio_unsupported_force_poll_poll`, is not a cfg this crate declares.
#[allow(unexpected_cfgs)]
const SHORT_READ_DRAINS: bool = cfg!(all(
    not(mio_unsupported_force_poll_poll),
    any(
        target_os = "android",
        target_os = "illumos",
        target_os = "linux",
        target_os = "redox",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )
));

/// What one call works with: the core and its buffers, the caller's registry and the time.
pub(crate) struct Io<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) sizer: &'a mut Sizer,
    pub(crate) registry: &'a Registry,
    pub(crate) now: Instant,
}

/// Where the stream is.
#[derive(Debug)]
enum Link {
    Resolving { lookup: Lookup },
    Connecting { tcp: TcpStream, addr: SocketAddr, rest: std::vec::IntoIter<SocketAddr> },
    Up { tcp: TcpStream, eof: bool },
    Down,
}

/// The outcome of one read from the socket.
enum Read1 {
    Data(usize),
    Eof,
    Blocked,
    Failed(TransportError),
}

/// What one step of [`Conn::fill`] did.
enum Filled {
    /// Bytes went to the core.
    Read,
    /// The stream ended.
    Eof,
    /// Nothing more now: the socket is drained or the core takes no input.
    Stop,
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
    /// A read-closed, write-closed or error event came: it is not raised again, so a short
    /// read no longer clears `readable` (reading goes on to the end of the stream).
    closing: bool,
    /// A write outside [`Conn::pump`] (right after a command) failed: the task fails on the
    /// next pump, where the registry is at hand, and nothing is written meanwhile.
    write_failed: Option<TransportError>,
    /// The last pump stopped at [`MAX_READS`]: there may be more to read without an event.
    capped: bool,
    /// The payload of [`Driver::send_owned`](crate::Driver::send_owned), masked in place by
    /// the core: written from here once the core names it due, dropped once all of it is.
    in_place: Option<Vec<u8>>,
}

/// Settings of a new stream.
pub(crate) struct Start<'u> {
    /// The URL as the core parsed it.
    pub(crate) url: Url<'u>,
    pub(crate) token: Token,
    /// The TLS configuration of a `wss://` task; `None` for `ws://`.
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
            closing: false,
            write_failed: None,
            capped: false,
            in_place: None,
        };
        let url = start.url;
        if let Some(config) = start.tls {
            match tls_session(config, url.host()) {
                Ok(session) => conn.tls = Some(Box::new(session)),
                Err(e) => {
                    conn.fail(io, e);
                    return conn;
                }
            }
        }
        conn.open(io, url.host(), url.port());
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

    /// Keeps the payload the core just took with `send_in_place`, to write it when due. One
    /// held before is done with: the core takes a new one only once the last is written (an
    /// empty one is never due, and stays here until this).
    pub(crate) fn hold_in_place(&mut self, payload: Vec<u8>) {
        self.in_place = Some(payload);
    }

    /// Whether the core has bytes for the stream: queued frames, or an in-place payload due.
    fn has_output(&self, core: &Core) -> bool {
        !core.transmit_data(self.handle).is_empty() || core.in_place_due(self.handle).is_some()
    }

    /// Records a readiness event for this stream's token.
    pub(crate) fn on_ready(&mut self, event: &mio::event::Event) {
        let broken = event.is_error() || event.is_read_closed() || event.is_write_closed();
        self.readable |= event.is_readable() || broken;
        self.writable |= event.is_writable() || broken;
        self.closing |= broken;
    }

    /// Whether the stream has work it can do without a readiness event.
    pub(crate) fn wants_turn(&self, core: &Core) -> bool {
        match &self.link {
            Link::Up { .. } => {
                let output = self.has_output(core) || self.tls.as_ref().is_some_and(|tls| tls.wants_write());
                self.capped || self.write_failed.is_some() || (self.writable && output)
            }
            Link::Resolving { .. } | Link::Connecting { .. } | Link::Down => false,
        }
    }

    /// Whether a lookup is pending (checked on a timer where no wake-up pipe exists).
    pub(crate) fn resolving(&self) -> bool {
        matches!(self.link, Link::Resolving { .. })
    }

    /// Does whatever the stream can do now. An open stream with nothing to move (the common
    /// case in a busy driver, which pumps every stream once per event it hands out) is
    /// passed over here, inlined into the caller's loop.
    #[inline]
    pub(crate) fn pump(&mut self, io: &mut Io<'_>) {
        if matches!(self.link, Link::Up { .. }) && self.write_failed.is_none() && !self.may_move(io.core) {
            // What `pump_up` would come to, without its reads and writes that move nothing.
            self.capped = false;
            return;
        }
        self.pump_any(io);
    }

    /// [`Conn::pump`] for a stream that may have something to do.
    fn pump_any(&mut self, io: &mut Io<'_>) {
        match &self.link {
            Link::Resolving { .. } => self.resolved(io),
            Link::Connecting { .. } if self.writable => {
                self.finish_connect(io);
                if matches!(self.link, Link::Up { .. }) {
                    self.pump_up(io);
                }
            }
            Link::Up { .. } => match self.write_failed.take() {
                Some(e) => self.fail(io, e),
                None => self.pump_up(io),
            },
            Link::Connecting { .. } | Link::Down => {}
        }
    }

    /// Whether [`Conn::pump_up`] could do anything now. Exact for a plain stream: it reads
    /// only while readable (until the end of the stream), writes only while writable and the
    /// core has output, and grows the receive buffer of a task that waits for a larger one
    /// (inflating what it holds needs output room even when the socket has nothing more to
    /// read); through TLS, rustls may hold plaintext or records of its own, so a TLS stream is
    /// always pumped. Most streams of a busy driver have nothing to do in most of its
    /// `poll_event` calls (one call per event): this keeps those calls to a few looks at the
    /// core per stream.
    #[inline]
    fn may_move(&self, core: &Core) -> bool {
        let Link::Up { eof, .. } = self.link else { return false };
        self.tls.is_some()
            || (self.readable && !eof)
            || (self.writable && self.has_output(core))
            || (!eof && core.buffer_use(self.handle.slot()).rx_wanted.is_some())
    }

    /// Writes what the core has queued now, when the stream is up and writable: the write
    /// right after a command. Stops at `WouldBlock` (the rest waits for a writable event, as
    /// in [`Conn::pump`]); a failure is kept for the next pump, which fails the task there
    /// (the same events, in the same order, as a failed write inside the pump).
    pub(crate) fn write_now(&mut self, core: &mut Core, now: Instant) {
        if !matches!(self.link, Link::Up { .. }) || self.write_failed.is_some() || !self.writable {
            return;
        }
        if let Err(e) = self.flush(core, now) {
            self.write_failed = Some(e);
        }
    }

    /// Ends the stream: TLS `close_notify`, FIN, a short drain of unread bytes (so the kernel
    /// sends FIN rather than RST), and the registration is removed.
    pub(crate) fn shutdown(mut self, registry: &Registry) {
        match &mut self.link {
            Link::Resolving { lookup } => lookup.cancel(registry),
            Link::Connecting { tcp, .. } => {
                let _ = registry.deregister(tcp);
            }
            Link::Up { tcp, .. } => {
                if let Some(tls) = self.tls.as_mut() {
                    tls.send_close_notify();
                    while tls.wants_write() && tls.write_tls(tcp).is_ok_and(|n| n > 0) {}
                }
                let _ = tcp.shutdown(Shutdown::Write);
                let mut sink = [0u8; DRAIN_CHUNK];
                for _ in 0..DRAIN_READS {
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

    /// Connects to an IP literal at once (IPv6 comes without brackets from the core's URL);
    /// resolves anything else first.
    fn open(&mut self, io: &mut Io<'_>, host: &str, port: u16) {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.connect_next(io, vec![SocketAddr::new(ip, port)].into_iter());
        }
        log_debug!("socketTaskId {} resolving {host}:{port}", self.id());
        match Lookup::start(host, port, io.registry, self.token) {
            Ok(lookup) => self.link = Link::Resolving { lookup },
            Err(e) => {
                log_info!("socketTaskId {} could not start resolving {host}: {e}", self.id());
                self.fail(io, TransportError::Resolve);
            }
        }
    }

    /// After a wake-up while resolving: connects to the answer once there is one.
    fn resolved(&mut self, io: &mut Io<'_>) {
        let Link::Resolving { lookup } = &mut self.link else { return };
        let Some(answer) = lookup.answer() else { return };
        lookup.cancel(io.registry);
        self.link = Link::Down;
        match answer {
            Ok(addrs) if !addrs.is_empty() => {
                log_debug!("socketTaskId {} resolved to {addrs:?}", self.id());
                self.connect_next(io, addrs.into_iter());
            }
            Ok(_) => {
                log_info!("socketTaskId {} the name has no address", self.id());
                self.fail(io, TransportError::Resolve);
            }
            Err(e) => {
                log_info!("socketTaskId {} resolving failed: {e}", self.id());
                self.fail(io, TransportError::Resolve);
            }
        }
    }

    /// Connects to the next address of `addrs`; fails the task when none is left.
    fn connect_next(&mut self, io: &mut Io<'_>, mut addrs: std::vec::IntoIter<SocketAddr>) {
        for addr in addrs.by_ref() {
            log_debug!("socketTaskId {} connecting to {addr}", self.id());
            let registered = TcpStream::connect(addr).and_then(|mut tcp| {
                io.registry.register(&mut tcp, self.token, Interest::READABLE | Interest::WRITABLE)?;
                Ok(tcp)
            });
            match registered {
                Ok(tcp) => {
                    self.writable = false;
                    self.readable = false;
                    self.link = Link::Connecting { tcp, addr, rest: addrs };
                    return;
                }
                Err(e) => log_info!("socketTaskId {} connect to {addr} failed: {e}", self.id()),
            }
        }
        self.fail(io, TransportError::Connect);
    }

    /// After a writable event while connecting: connected, failed (next address), or not yet.
    fn finish_connect(&mut self, io: &mut Io<'_>) {
        let Link::Connecting { tcp, addr, .. } = &mut self.link else { return };
        let addr = *addr;
        match connect_outcome(tcp) {
            Ok(false) => self.writable = false,
            Ok(true) => {
                log_debug!("socketTaskId {} connected to {addr}", self.id());
                if let Link::Connecting { tcp, .. } = std::mem::replace(&mut self.link, Link::Down) {
                    if self.no_delay {
                        let _ = tcp.set_nodelay(true);
                    }
                    self.link = Link::Up { tcp, eof: false };
                }
            }
            Err(e) => {
                log_info!("socketTaskId {} connect to {addr} failed: {e}", self.id());
                if let Link::Connecting { mut tcp, rest, .. } = std::mem::replace(&mut self.link, Link::Down)
                {
                    let _ = io.registry.deregister(&mut tcp);
                    self.connect_next(io, rest);
                }
            }
        }
    }

    fn fail(&mut self, io: &mut Io<'_>, error: TransportError) {
        match std::mem::replace(&mut self.link, Link::Down) {
            Link::Resolving { mut lookup } => lookup.cancel(io.registry),
            Link::Connecting { mut tcp, .. } | Link::Up { mut tcp, .. } => {
                let _ = io.registry.deregister(&mut tcp);
            }
            Link::Down => {}
        }
        io.core.handle_transport_error(io.now, self.handle, error);
    }

    /// The `socketTaskId`, for the log.
    fn id(&self) -> u64 {
        self.handle.socket_task_id()
    }

    // ---- moving bytes ------------------------------------------------------------------

    /// Writes and reads until neither makes progress or nothing more can move (bounded).
    /// After a step that moved bytes, [`Conn::may_move`] says whether another could: a
    /// short read that drained the socket, with no output queued by what it brought, ends
    /// the pump there rather than after a step that finds nothing to write or read.
    fn pump_up(&mut self, io: &mut Io<'_>) {
        self.capped = false;
        for _ in 0..8 {
            let step = self.flush(io.core, io.now).and_then(|wrote| Ok(self.fill(io)? | wrote));
            match step {
                Ok(true) if self.may_move(io.core) => {}
                Ok(_) => return,
                Err(e) => return self.fail(io, e),
            }
        }
        self.capped = true;
    }

    /// Moves the core's output to the socket until it is empty or the socket is full;
    /// whether anything moved. The output is the core's queued frames, and the payload of
    /// [`Driver::send_owned`](crate::Driver::send_owned) where the core says it is due (its
    /// head is out, and nothing queued after it goes before it is all written).
    fn flush(&mut self, core: &mut Core, now: Instant) -> Result<bool, TransportError> {
        let id = self.id();
        let Link::Up { tcp, .. } = &mut self.link else { return Ok(false) };
        let mut progress = false;
        loop {
            let due = core.in_place_due(self.handle);
            let data = match (&due, self.in_place.as_deref()) {
                (Some(due), Some(payload)) => payload.get(due.clone()).unwrap_or_default(),
                _ => core.transmit_data(self.handle),
            };
            let moved = match self.tls.as_deref_mut() {
                None => write_plain(tcp, &mut self.writable, data, id)?,
                Some(tls) => match write_through_tls(tls, tcp, &mut self.writable, data, id)? {
                    Some(n) => n,
                    None => return Ok(progress),
                },
            };
            if moved == 0 && self.tls.is_none() {
                return Ok(progress);
            }
            if due.is_some() && self.in_place.is_some() {
                core.advance_in_place(now, self.handle, moved);
                if core.in_place_due(self.handle).is_none() {
                    // All of it is written: the core no longer refers to it.
                    self.in_place = None;
                }
            } else {
                core.advance_transmit(now, self.handle, moved);
            }
            progress = true;
        }
    }

    /// Moves bytes from the socket into the core until the socket is drained, the core
    /// takes no more input (an event holds the buffer) or [`MAX_READS`] is reached; whether
    /// anything moved.
    fn fill(&mut self, io: &mut Io<'_>) -> Result<bool, TransportError> {
        let mut progress = false;
        for _ in 0..MAX_READS {
            match self.read_into_core(io)? {
                Filled::Read => progress = true,
                Filled::Eof => return Ok(true),
                Filled::Stop => return Ok(progress),
            }
        }
        self.capped = true;
        Ok(progress)
    }

    /// One read from the socket into the core's receive buffer.
    fn read_into_core(&mut self, io: &mut Io<'_>) -> Result<Filled, TransportError> {
        let id = self.id();
        let Link::Up { tcp, eof: false } = &mut self.link else { return Ok(Filled::Stop) };
        // A plain stream that is not readable has nothing to read: stop before asking the core
        // for room (which is most of a turn's cost for a stream with nothing to do, and would
        // be asked for again once it is readable). Through TLS, rustls may hold plaintext.
        // A task that waits for a larger receive buffer still gets it: inflating the message
        // it holds needs output room, with nothing more to read.
        if self.tls.is_none() && !self.readable {
            io.sizer.grow_rx(io.core, self.handle, io.now);
            return Ok(Filled::Stop);
        }
        // The free part of the task's receive buffer, grown first when the task waits for a
        // larger one; none while it takes no input (events hold the buffer, or the stream is
        // over). The core is asked once when there is room.
        let mut buf = io.core.input_buffer(self.handle);
        if buf.is_empty() {
            if !io.sizer.grow_rx(io.core, self.handle, io.now) {
                return Ok(Filled::Stop);
            }
            buf = io.core.input_buffer(self.handle);
            if buf.is_empty() {
                return Ok(Filled::Stop);
            }
        }
        let readiness = Readiness { readable: &mut self.readable, closing: self.closing };
        match read(tcp, self.tls.as_deref_mut(), readiness, buf, id) {
            Read1::Data(n) => {
                io.core.handle_read(io.now, self.handle, n);
                Ok(Filled::Read)
            }
            Read1::Eof => {
                self.link_ended();
                io.core.handle_eof(io.now, self.handle);
                Ok(Filled::Eof)
            }
            Read1::Blocked => Ok(Filled::Stop),
            Read1::Failed(e) => Err(e),
        }
    }

    /// Records the end of the incoming stream.
    fn link_ended(&mut self) {
        if let Link::Up { eof, .. } = &mut self.link {
            *eof = true;
        }
    }
}

/// Whether a connecting socket is connected: `Ok(false)` while still under way, the error
/// when it failed.
fn connect_outcome(tcp: &TcpStream) -> io::Result<bool> {
    if let Some(e) = tcp.take_error()? {
        return Err(e);
    }
    match tcp.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

/// A rustls session for `host` (a DNS name, or an IP address checked against the
/// certificate's IP SANs).
fn tls_session(config: Arc<ClientConfig>, host: &str) -> Result<ClientConnection, TransportError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| TransportError::Tls(TlsError::Other))?;
    ClientConnection::new(config, name).map_err(|e| {
        log_warn!("TLS session for {host} could not start: {e}");
        tls_failure(&e)
    })
}

/// One write of `data` to a plain socket: how many bytes went (0 when it is full or there is
/// nothing to write).
fn write_plain(
    tcp: &mut TcpStream,
    writable: &mut bool,
    data: &[u8],
    id: u64,
) -> Result<usize, TransportError> {
    while !data.is_empty() && *writable {
        match tcp.write(data) {
            Ok(0) => return Err(io_failure(id, "write", &io::ErrorKind::WriteZero.into())),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure(id, "write", &e)),
        }
    }
    Ok(0)
}

/// Hands `data` to rustls (as much as it buffers) and writes its records out: how many bytes
/// of `data` it took, `None` when neither moved anything.
fn write_through_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    writable: &mut bool,
    data: &[u8],
    id: u64,
) -> Result<Option<usize>, TransportError> {
    let taken = if data.is_empty() { 0 } else { tls.writer().write(data).unwrap_or(0) };
    let sent = write_tls(tls, tcp, writable, id)?;
    Ok((taken > 0 || sent).then_some(taken))
}

/// Writes TLS records until rustls has none or the socket is full; whether any were sent.
fn write_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    writable: &mut bool,
    id: u64,
) -> Result<bool, TransportError> {
    let mut sent = false;
    while *writable && tls.wants_write() {
        match tls.write_tls(tcp) {
            Ok(_) => sent = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure(id, "write", &e)),
        }
    }
    Ok(sent)
}

/// The read side's readiness: the flag that `WouldBlock` (and a short read, where that shows
/// the socket drained) clears until the next readable event.
struct Readiness<'a> {
    readable: &'a mut bool,
    /// The peer closed or the socket failed: read on until the end or the error.
    closing: bool,
}

impl Readiness<'_> {
    /// After a TCP read that returned `n` bytes (more than none) into `offered` bytes of space.
    fn after_read(&mut self, n: usize, offered: usize) {
        if SHORT_READ_DRAINS && !self.closing && n < offered {
            *self.readable = false;
        }
    }
}

/// One read of plaintext into `buf`, through rustls when there is a session.
fn read(
    tcp: &mut TcpStream,
    tls: Option<&mut ClientConnection>,
    readiness: Readiness<'_>,
    buf: &mut [u8],
    id: u64,
) -> Read1 {
    match tls {
        None => read_plain(tcp, readiness, buf, id),
        Some(tls) => read_through_tls(tls, tcp, readiness, buf, id),
    }
}

/// One read from a plain socket.
fn read_plain(tcp: &mut TcpStream, mut readiness: Readiness<'_>, buf: &mut [u8], id: u64) -> Read1 {
    while *readiness.readable {
        match tcp.read(buf) {
            Ok(0) => return Read1::Eof,
            Ok(n) => {
                readiness.after_read(n, buf.len());
                return Read1::Data(n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => *readiness.readable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Read1::Failed(io_failure(id, "read", &e)),
        }
    }
    Read1::Blocked
}

/// One read of plaintext from rustls, reading and decrypting records from the socket until
/// there is some, the socket is drained, or the stream ends. Plaintext rustls already holds
/// comes first, with no read from the socket: whether the socket is drained is judged on the
/// TCP reads alone.
fn read_through_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    mut readiness: Readiness<'_>,
    buf: &mut [u8],
    id: u64,
) -> Read1 {
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
            Err(e) => {
                log_warn!("socketTaskId {id} TLS read failed: {e}");
                return Read1::Failed(TransportError::Tls(TlsError::Other));
            }
        }
        if !*readiness.readable {
            return Read1::Blocked;
        }
        match receive_tls(tls, tcp, &mut readiness, id) {
            Ok(eof) => tcp_eof = eof,
            Err(outcome) => return outcome,
        }
    }
}

/// Reads TLS records from the socket into rustls and decrypts them: `Ok(true)` at the end of
/// the TCP stream, `Err` with the read's outcome when the socket is drained or it failed.
fn receive_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    readiness: &mut Readiness<'_>,
    id: u64,
) -> Result<bool, Read1> {
    loop {
        let mut probe = Probe { tcp: &mut *tcp, last: None };
        let read = tls.read_tls(&mut probe);
        let last = probe.last;
        match read {
            Ok(n) => {
                if let Some((got, offered)) = last.filter(|&(got, _)| got > 0) {
                    readiness.after_read(got, offered);
                }
                if let Err(e) = tls.process_new_packets() {
                    log_warn!("socketTaskId {id} TLS failed: {e}");
                    // Send the alert rustls queued, best effort.
                    let _ = tls.write_tls(tcp);
                    return Err(Read1::Failed(tls_failure(&e)));
                }
                return Ok(n == 0);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                *readiness.readable = false;
                return Err(Read1::Blocked);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Read1::Failed(io_failure(id, "read", &e))),
        }
    }
}

/// The socket as rustls reads it: records the last read's length and the space it offered,
/// so a short read is judged on the TCP read, not on the plaintext that comes out.
struct Probe<'a> {
    tcp: &'a mut TcpStream,
    last: Option<(usize, usize)>,
}

impl Read for Probe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.last = Some((n, buf.len()));
        Ok(n)
    }
}

/// What an I/O error means for the task, logged.
fn io_failure(id: u64, what: &str, e: &io::Error) -> TransportError {
    log_info!("socketTaskId {id} {what} failed: {e}");
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe => {
            TransportError::Reset
        }
        io::ErrorKind::ConnectionRefused => TransportError::Connect,
        _ => TransportError::Io,
    }
}
