//! The caller-owned-`Poll` mode: a [`Driver`] registers each task's socket in the caller's
//! `mio::Registry` under the token the caller chose, and the caller forwards readiness
//! events. The ready-made loop ([`crate::Client`]) is built on it.

use std::sync::Arc;
use std::time::Duration;

use mio::{Registry, Token};
use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use rustls::ClientConfig;
use sockettask::{
    CloseCode, CloseError, ConnectError, ConnectOptions, Event, Handle, Instant, Message, Open, ReadyState,
    Scheme, SendError, Url,
};

use crate::buffers::{self, BufferLens, Core, Sizer};
use crate::compress::Compressors;
use crate::connection::{Conn, Io, Start};
use crate::dns;
use crate::error::{SetupError, Unsent};
use crate::options::Options;
use crate::task::SocketTask;

/// Maps `std::time::Instant` onto the core's clock, counted from the driver's creation.
#[derive(Clone, Copy, Debug)]
struct Clock {
    start: std::time::Instant,
}

impl Clock {
    /// The core's time: microseconds since the driver's creation. Read once per command and
    /// once per `poll_event`, so in 64-bit arithmetic: `Duration::as_micros` is `u128`, some
    /// dozens of instructions more per read.
    fn now(self) -> Instant {
        let elapsed = std::time::Instant::now().saturating_duration_since(self.start);
        let micros =
            elapsed.as_secs().saturating_mul(1_000_000).saturating_add(u64::from(elapsed.subsec_micros()));
        Instant::from_micros(micros)
    }
}

/// SocketTasks over sockets registered in a caller-owned `mio::Registry`.
///
/// One turn of the caller's loop, run while [`Driver::is_idle`] is false:
/// 1. `poll.poll(&mut events, driver.poll_timeout())`;
/// 2. [`Driver::handle_readiness`] for every event (it returns `false` for tokens that are
///    not the driver's);
/// 3. [`Driver::poll_event`] until it returns `None`; it does the I/O, applies timers and
///    hands out each task's events (which borrow the driver until the next call).
///
/// Check [`Driver::is_idle`] before every wait, not only after a task's `Close`: a close
/// while connecting, or the last events of a busy turn, can end the last task in step 3,
/// and an idle driver has nothing to wake the loop (`poll_timeout` is then `None`, which
/// would wait forever unless the caller has sockets of its own). Commands (`send`, `ping`,
/// `close`) may be issued at any time, and write their frame at once when the socket takes
/// it (see the [crate docs](crate#when-bytes-are-written-and-read)); `poll_timeout` is zero
/// while work is pending (frames the socket could not take yet once it is writable again, a
/// failed write to report, events not yet polled, a read that stopped at its per-turn cap).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mio::{Events, Poll, Token};
/// use sockettask_mio::{ConnectOptions, Driver, Event, Options};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(64);
/// let mut driver = Driver::new(Options::default())?;
/// // A closed port on loopback: the task fails with onError, then onClose ends it.
/// let port = 1;
/// let url = format!("wss://127.0.0.1:{port}/");
/// let task = driver.connect_socket(poll.registry(), ConnectOptions::new(&url), Token(7))?;
/// let mut failed = false;
/// while !driver.is_idle() {
///     poll.poll(&mut events, driver.poll_timeout())?;
///     for event in events.iter() {
///         driver.handle_readiness(event);
///     }
///     while let Some((t, event)) = driver.poll_event(poll.registry()) {
///         assert_eq!(t, task);
///         failed |= matches!(event, Event::Error(_));
///     }
/// }
/// assert!(failed);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Driver {
    /// Boxed: with inflate state in every slot the core is some 60 KB, too much to move.
    core: Box<Core>,
    compressors: Compressors,
    sizer: Sizer,
    conns: Vec<Option<Conn>>,
    tls: Arc<ClientConfig>,
    no_delay: bool,
    clock: Clock,
    /// Events may wait in the core: set by commands and by `poll_event` handing one out.
    dirty: bool,
}

impl AsRef<Driver> for Driver {
    fn as_ref(&self) -> &Driver {
        self
    }
}

impl AsMut<Driver> for Driver {
    fn as_mut(&mut self) -> &mut Driver {
        self
    }
}

impl Driver {
    /// A driver with five task slots, their buffers sized by `options` (see
    /// [`Options::buffers`]).
    pub fn new(options: Options) -> Result<Driver, SetupError> {
        let tls = options.tls.client_config()?;
        // Mask keys must be unpredictable (RFC 6455 §5.3): ChaCha12 seeded from the OS,
        // which is what `rand`'s StdRng is, without a system call per frame and without a
        // panic path if the OS generator fails.
        let rng = StdRng::try_from_rng(&mut SysRng).map_err(SetupError::Random)?;
        let sizer = Sizer::new(&options, sockettask::DEFAULT_MAX_TASKS)?;
        let core = Box::new(Core::new(options.config, rng, sizer.storage())?);
        let compressors = Compressors::new(options.compression, core.capacity());
        let conns = (0..core.capacity()).map(|_| None).collect();
        let clock = Clock { start: std::time::Instant::now() };
        let no_delay = options.tcp_no_delay;
        Ok(Driver { core, compressors, sizer, conns, tls, no_delay, clock, dirty: false })
    }

    /// `connectSocket`: checks `options` (S3, every failure a `fail` with nothing sent),
    /// then starts the task; its socket is registered under `token` in `registry`. The
    /// outcome of connecting arrives as events.
    ///
    /// A handshake request longer than the free slot's send buffer grows it, up to the bound
    /// of the send buffer (see [`Options`]); a longer one is refused with
    /// [`ConnectError::RequestTooLarge`], whose `capacity` is that bound.
    pub fn connect_socket(
        &mut self,
        registry: &Registry,
        options: ConnectOptions<'_>,
        token: Token,
    ) -> Result<SocketTask, ConnectError> {
        let now = self.clock.now();
        let (handle, url) = self.start_task(now, &options)?;
        self.dirty = true;
        let tls = (url.scheme() == Scheme::Wss).then(|| Arc::clone(&self.tls));
        let start = Start { url, token, tls, no_delay: self.no_delay };
        let mut io = Io { core: &mut self.core, sizer: &mut self.sizer, registry, now };
        let conn = Conn::start(&mut io, handle, start);
        if let Some(old) = self.conns.get_mut(handle.slot()).and_then(|slot| slot.replace(conn)) {
            old.shutdown(registry);
        }
        Ok(SocketTask::new(handle))
    }

    /// Starts the task in the core, growing the free slots' send buffers once when the
    /// request does not fit; the URL comes back as the core parsed it.
    fn start_task<'u>(
        &mut self,
        now: Instant,
        options: &ConnectOptions<'u>,
    ) -> Result<(Handle, Url<'u>), ConnectError> {
        match self.core.connect_socket_url(now, options) {
            Err(ConnectError::RequestTooLarge { required, .. }) => {
                if !self.sizer.grow_for_request(&mut self.core, required, now) {
                    return Err(ConnectError::RequestTooLarge { required, capacity: self.sizer.max_tx() });
                }
                self.core.connect_socket_url(now, options)
            }
            started => started,
        }
    }

    /// Forwards one readiness event; `false` when its token is none of the driver's.
    pub fn handle_readiness(&mut self, event: &mio::event::Event) -> bool {
        let mut mine = false;
        for conn in self.conns.iter_mut().flatten().filter(|c| c.token() == event.token()) {
            conn.on_ready(event);
            mine = true;
        }
        mine
    }

    /// How long the caller's `poll` may sleep: zero when there is work to do now (commands
    /// to write, events not yet polled, a read stopped at its cap), the time to the next core
    /// timer or to a grown buffer's shrink (see
    /// [`BufferPolicy::shrink_after`](crate::BufferPolicy::shrink_after)), or `None` (no
    /// deadline: only readiness wakes the driver). `None` also when the driver
    /// [is idle](Driver::is_idle), where nothing will come: check that first.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let busy = self.dirty || self.conns.iter().flatten().any(|c| c.wants_turn(&self.core));
        if busy {
            return Some(Duration::ZERO);
        }
        let timer = match (self.core.poll_timeout(), self.sizer.next_shrink(&self.core)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // The clock is read only when there is a deadline to measure from it.
        let timer = timer.map(|t| t - self.clock.now());
        let resolving = dns::Lookup::needs_recheck() && self.conns.iter().flatten().any(Conn::resolving);
        let recheck = resolving.then_some(dns::RECHECK);
        match (timer, recheck) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Does the I/O that is possible now, applies due timers, resizes buffers (growing them
    /// while reading, shrinking those that qualify), and returns the next event of any task.
    /// Call until it returns `None` after every `poll`.
    pub fn poll_event(&mut self, registry: &Registry) -> Option<(SocketTask, Event<'_>)> {
        let now = self.clock.now();
        // Every turn, due or not: the core also arms timers from this time when it resumes
        // parsing inside `poll_event`.
        self.core.handle_timeout(now);
        let mut io = Io { core: &mut self.core, sizer: &mut self.sizer, registry, now };
        for conn in self.conns.iter_mut().flatten() {
            conn.pump(&mut io);
        }
        self.reap(registry);
        self.sizer.tend(&mut self.core, now);
        let next = self.core.poll_event();
        self.dirty = next.is_some();
        if let Some((task, Event::Open(Open { per_message_deflate: Some(negotiated), .. }))) = &next {
            self.compressors.opened(*task, *negotiated);
        }
        next.map(|(handle, event)| (SocketTask::new(handle), event))
    }

    /// `SocketTask.send` (S14): queues `message` as one frame and writes it to the socket
    /// at once when the socket is writable and takes it (what it does not take goes out in
    /// [`Driver::poll_event`]; a failed write fails the task there, with onError and onClose
    /// 1006). Only in OPEN; refused when it is over the message limit (`MessageTooLarge`)
    /// or does not fit beside what is queued even in a send buffer grown to its bound
    /// (`BufferFull`), in payload bytes.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mio::{Events, Poll, Token};
    /// use sockettask_mio::{ConnectOptions, Driver, Event, Message, Options};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// let mut driver = Driver::new(Options::default())?;
    /// let task = driver.connect_socket(poll.registry(), ConnectOptions::new("wss://echo.example/"), Token(0))?;
    /// let mut open = false;
    /// while !open && !driver.is_idle() {
    ///     poll.poll(&mut events, driver.poll_timeout())?;
    ///     for event in events.iter() {
    ///         driver.handle_readiness(event);
    ///     }
    ///     while let Some((_, event)) = driver.poll_event(poll.registry()) {
    ///         open |= matches!(event, Event::Open(_));
    ///     }
    /// }
    /// // The frame is on the wire when `send` returns: no further call is needed for that.
    /// driver.send(task, Message::Text("now"))?;
    /// assert_eq!(driver.buffered_amount(task), 0);
    /// # Ok(()) }
    /// ```
    ///
    /// When the server accepted `permessage-deflate`, a message of at least
    /// [`Compression::min_size`](crate::Compression) bytes goes out compressed (the
    /// uncompressed size is what the message limit counts), unless the send buffer could not
    /// hold it even uncompressed: then it goes out as it is, or not at all, and the
    /// compressor never saw it.
    pub fn send(&mut self, task: SocketTask, message: Message<'_>) -> Result<(), SendError> {
        let h = task.handle();
        let len = message.len();
        if self.compressors.wants(h, len) && self.room_for(h, len) {
            let payload = self.compressors.compress(h, message.as_bytes());
            let sent = (payload.len() < len).then(|| {
                self.queue(task, payload.len(), |core, h| core.send_compressed(h, message, &payload))
            });
            self.compressors.recycle(payload);
            match sent {
                Some(Ok(())) => return Ok(()),
                // The compressor saw a message the server's inflater never will: its history
                // goes, so it can never point back into it (the server keeps its own window,
                // which nothing refers to any more). RFC 7692 §6: each message may go out
                // compressed or not.
                Some(Err(e)) => {
                    self.compressors.forget(h);
                    return Err(e);
                }
                // No gain (incompressible data, which zlib's fast level can grow by 1/16).
                None => self.compressors.forget(h),
            }
        }
        self.queue(task, len, |core, h| core.send(h, message))
    }

    /// Whether a payload of `len` bytes can be queued for `task` now, growing its send
    /// buffer if it must.
    fn room_for(&mut self, task: Handle, len: usize) -> bool {
        let needed = self.core.send_buffer_len_for(task, len);
        let lens = buffers::lens(&self.core, task.slot());
        lens.is_some_and(|l| needed <= l.tx)
            || self.sizer.grow_tx(&mut self.core, task, len, self.clock.now())
    }

    /// Queues a ping with up to 125 bytes of payload (RFC 6455 §5.5), written at once as
    /// [`Driver::send`] writes. Only in OPEN.
    pub fn ping(&mut self, task: SocketTask, payload: &[u8]) -> Result<(), SendError> {
        self.queue(task, payload.len(), |core, h| core.ping(h, payload))
    }

    /// Runs a queueing command; on `BufferFull`, grows the send buffer (when it may) and
    /// runs it once more. Writes what it queued at once.
    fn queue(
        &mut self,
        task: SocketTask,
        len: usize,
        command: impl FnMut(&mut Core, Handle) -> Result<(), SendError>,
    ) -> Result<(), SendError> {
        let now = self.clock.now();
        let queued = self.queue_unwritten(task.handle(), len, now, command);
        if queued.is_ok() {
            self.write_now(task.handle(), now);
        }
        queued
    }

    /// [`Driver::queue`] without the write.
    fn queue_unwritten(
        &mut self,
        h: Handle,
        len: usize,
        now: Instant,
        mut command: impl FnMut(&mut Core, Handle) -> Result<(), SendError>,
    ) -> Result<(), SendError> {
        // No `dirty` here: queueing makes no event, and what the write right after leaves
        // for later (a full socket, a failed write) is the stream's pending work, which
        // `poll_timeout` sees.
        let queued = match command(&mut self.core, h) {
            Err(SendError::BufferFull { .. }) if self.sizer.grow_tx(&mut self.core, h, len, now) => {
                command(&mut self.core, h)
            }
            queued => queued,
        };
        if queued.is_ok() {
            self.sizer.note_use(&self.core, h.slot(), now);
        }
        queued
    }

    /// `SocketTask.send` of a binary message whose bytes the caller gives up: the core masks
    /// `payload` in place (RFC 6455 §5.3) instead of copying it into the send buffer, which
    /// then holds only the frame's head; the driver keeps the `Vec` and writes it from there,
    /// at once as [`Driver::send`] does, or in [`Driver::poll_event`] when the socket is full,
    /// and drops it once it is all written. For large messages: a `send` of 1 MiB copies the
    /// megabyte into a send buffer grown to hold it, this copies nothing and grows nothing.
    ///
    /// Only in OPEN; [`Driver::buffered_amount`] counts the payload until it is written. It
    /// always goes out uncompressed (as RFC 7692 §6 allows any message to), and its length
    /// is bounded by the message limit only (`MessageTooLarge`), not by
    /// [`Options::max_buffered_amount`]: the memory is the caller's. One payload at a time:
    /// another `send_owned` before the last is written is refused with `BufferFull`
    /// (`available: 0`); [`Driver::send`] and [`Driver::ping`] meanwhile queue behind it. A
    /// refusal hands the payload back untouched in [`Unsent`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mio::{Events, Poll, Token};
    /// use sockettask_mio::{ConnectOptions, Driver, Event, Options};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// let mut driver = Driver::new(Options::default())?;
    /// let task = driver.connect_socket(poll.registry(), ConnectOptions::new("wss://echo.example/"), Token(0))?;
    /// let mut image = Some(vec![0u8; 4 << 20]); // a 4 MiB upload, no longer needed here
    /// while !driver.is_idle() {
    ///     poll.poll(&mut events, driver.poll_timeout())?;
    ///     for event in events.iter() {
    ///         driver.handle_readiness(event);
    ///     }
    ///     while let Some((task, event)) = driver.poll_event(poll.registry()) {
    ///         if matches!(event, Event::Open(_))
    ///             && let Some(bytes) = image.take()
    ///         {
    ///             // Refused (not OPEN, too large): the bytes come back.
    ///             if let Err(unsent) = driver.send_owned(task, bytes) {
    ///                 eprintln!("not sent: {unsent}");
    ///                 image = Some(unsent.payload);
    ///             }
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn send_owned(&mut self, task: SocketTask, payload: Vec<u8>) -> Result<(), Unsent> {
        self.send_owned_as(task, payload, false)
    }

    /// [`Driver::send_owned`] of a text message, from a `String` the caller gives up: its
    /// bytes go out as one text frame, masked in place. A refusal hands back the string's
    /// bytes (`String::from_utf8` makes it a `String` again).
    pub fn send_owned_text(&mut self, task: SocketTask, text: String) -> Result<(), Unsent> {
        self.send_owned_as(task, text.into_bytes(), true)
    }

    fn send_owned_as(&mut self, task: SocketTask, mut payload: Vec<u8>, text: bool) -> Result<(), Unsent> {
        let h = task.handle();
        // On `BufferFull` the send buffer need only take the head: at most 14 bytes, the room
        // a frame of 8 payload bytes takes (2 + 4 + 8).
        let now = self.clock.now();
        let queued = self.queue_unwritten(h, 8, now, |core, h| match text {
            true => core.send_text_in_place(h, &mut payload),
            false => core.send_in_place(h, &mut payload),
        });
        if let Err(error) = queued {
            return Err(Unsent { error, payload });
        }
        // The core took it, so the task is OPEN: its stream is there (streams go only with
        // CLOSED tasks, in `reap`).
        let conn = self.conns.get_mut(h.slot()).and_then(Option::as_mut).filter(|c| c.handle() == h);
        debug_assert!(conn.is_some(), "an OPEN task without its stream");
        if let Some(conn) = conn {
            conn.hold_in_place(payload);
        }
        self.write_now(h, now);
        Ok(())
    }

    /// Writes the task's queued frames to its socket now, when it is up and writable (what
    /// `poll_event` would do next): the write right after a command. Bytes the socket does
    /// not take wait for writable readiness; a failed write fails the task in the next
    /// `poll_event`, with the events a failed write there has.
    fn write_now(&mut self, task: Handle, now: Instant) {
        let conn = self.conns.get_mut(task.slot()).and_then(Option::as_mut);
        if let Some(conn) = conn.filter(|c| c.handle() == task) {
            conn.write_now(&mut self.core, now);
        }
    }

    /// `SocketTask.close` (S15, S16): `code` defaults to 1000; `reason` at most 123 bytes.
    /// In OPEN the close frame is written at once, as [`Driver::send`] writes.
    pub fn close(
        &mut self,
        task: SocketTask,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), CloseError> {
        self.dirty = true;
        let now = self.clock.now();
        let closed = self.core.close(now, task.handle(), code, reason);
        if closed.is_ok() {
            self.write_now(task.handle(), now);
        }
        closed
    }

    /// The task's `readyState` (S9).
    pub fn ready_state(&self, task: SocketTask) -> ReadyState {
        self.core.ready_state(task.handle())
    }

    /// Bytes queued and not yet handed to the socket (or to rustls): 0 right after a
    /// command whose frame the socket took at once.
    pub fn buffered_amount(&self, task: SocketTask) -> usize {
        self.core.buffered_amount(task.handle())
    }

    /// The lengths of the task's buffers now, `None` once it no longer holds its slot. They
    /// start at [`BufferPolicy::initial`](crate::BufferPolicy::initial), grow with what the
    /// task receives and sends, and shrink back (see [`Options::buffers`]).
    pub fn buffer_lens(&self, task: SocketTask) -> Option<BufferLens> {
        let handle = task.handle();
        self.core.handles().any(|h| h == handle).then(|| buffers::lens(&self.core, handle.slot()))?
    }

    /// The bytes of every slot's buffers together, tasks' and free slots': what the driver's
    /// buffers cost now.
    pub fn buffer_bytes(&self) -> usize {
        (0..self.core.capacity())
            .filter_map(|slot| buffers::lens(&self.core, slot))
            .map(BufferLens::total)
            .sum()
    }

    /// Every task that holds a slot (not yet CLOSED, or CLOSED with events still to poll).
    pub fn tasks(&self) -> impl Iterator<Item = SocketTask> + '_ {
        self.core.handles().map(SocketTask::new)
    }

    /// Whether nothing is left: no task holds a slot (every task CLOSED and its last event
    /// polled) and no socket is open. A loop stops here: nothing would wake its next wait.
    pub fn is_idle(&self) -> bool {
        self.core.handles().next().is_none() && self.conns.iter().all(Option::is_none)
    }

    /// Shuts down and drops the socket of every CLOSED task.
    fn reap(&mut self, registry: &Registry) {
        for slot in &mut self.conns {
            let closed =
                slot.as_ref().is_some_and(|c| self.core.ready_state(c.handle()) == ReadyState::Closed);
            if let Some(conn) = slot.take_if(|_| closed) {
                conn.shutdown(registry);
            }
        }
    }
}

/// The mini-program's commands on a task, run by the [`Driver`] that owns it (or the
/// [`Client`](crate::Client) around it).
impl SocketTask {
    /// `SocketTask.send` (S14): text → text frame, bytes → binary frame. `Ok` means queued
    /// (`sendSocketMessage:ok`), and written at once when the socket takes it
    /// ([`Driver::send`]); a refused send changes nothing.
    pub fn send(self, on: &mut impl AsMut<Driver>, message: Message<'_>) -> Result<(), SendError> {
        on.as_mut().send(self, message)
    }

    /// [`Driver::send_owned`]: a binary message from bytes the caller gives up, masked in
    /// place and written from the `Vec` itself; a refusal hands them back.
    pub fn send_owned(self, on: &mut impl AsMut<Driver>, payload: Vec<u8>) -> Result<(), Unsent> {
        on.as_mut().send_owned(self, payload)
    }

    /// [`Driver::send_owned_text`]: a text message from a `String` the caller gives up.
    pub fn send_owned_text(self, on: &mut impl AsMut<Driver>, text: String) -> Result<(), Unsent> {
        on.as_mut().send_owned_text(self, text)
    }

    /// Queues a ping with up to 125 bytes of payload (RFC 6455 §5.5). Only in OPEN. The
    /// server's pong is not reported (the core ignores pongs); a ping keeps an idle
    /// connection alive through middleboxes.
    pub fn ping(self, on: &mut impl AsMut<Driver>, payload: &[u8]) -> Result<(), SendError> {
        on.as_mut().ping(self, payload)
    }

    /// `SocketTask.close` (S15, S16): `code` defaults to 1000 (or 3000–4999); `reason` at
    /// most 123 UTF-8 bytes. `Ok` is `closeSocket:ok`; `onClose` follows.
    pub fn close(
        self,
        on: &mut impl AsMut<Driver>,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), CloseError> {
        on.as_mut().close(self, code, reason)
    }

    /// `SocketTask.readyState` (S9).
    pub fn ready_state(self, on: &impl AsRef<Driver>) -> ReadyState {
        on.as_ref().ready_state(self)
    }

    /// Bytes queued by `send` and not yet handed to the socket.
    pub fn buffered_amount(self, on: &impl AsRef<Driver>) -> usize {
        on.as_ref().buffered_amount(self)
    }

    /// The lengths of the task's buffers now ([`Driver::buffer_lens`]).
    pub fn buffer_lens(self, on: &impl AsRef<Driver>) -> Option<BufferLens> {
        on.as_ref().buffer_lens(self)
    }
}
