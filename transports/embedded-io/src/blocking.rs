//! The blocking driver: one `embedded_io::{Read, Write}` stream per task, driven one task at
//! a time.

use embedded_io::{Read, ReadReady, Write};
use sockettask::{Client, CloseCode, ConnectOptions, DEFAULT_MAX_TASKS, Event, Handle, Message};

use crate::Clock;
use crate::error::{Error, Refused};
use crate::session::{Session, Written, retry};

/// Drives a [`Client`] over blocking `embedded_io` streams, one stream per task.
///
/// `T` is the stream (a TCP socket of the device's network stack, a TLS session over one, a
/// UART modem), `S` the buffer storage, `R` the RNG, `C` the [`Clock`] and `N` the number of
/// task slots (the core's table: 5 by default, S3.5).
///
/// [`connect_socket`](Driver::connect_socket) starts a task over a connected stream.
/// Commands ([`send`](Driver::send), [`ping`](Driver::ping), [`close`](Driver::close)) only
/// queue; [`next_event`](Driver::next_event) and [`flush`](Driver::flush) write, and so does
/// [`send_in_place`](Driver::send_in_place), whose payload is the caller's until written. See the
/// [crate documentation](crate) for a complete loop and how timeouts reach the core.
pub struct Driver<T, S, R, C, const N: usize = DEFAULT_MAX_TASKS> {
    session: Session<T, S, R, C, N>,
}

impl<T, S, R, C, const N: usize> core::fmt::Debug for Driver<T, S, R, C, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Driver").field("client", &self.session.client).finish_non_exhaustive()
    }
}

impl<T, S, R, C, const N: usize> Driver<T, S, R, C, N>
where
    T: Read + Write,
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: rand_core::Rng,
    C: Clock,
{
    /// A driver over `client` (its config, RNG and buffers) reading time from `clock`.
    pub fn new(client: Client<S, R, N>, clock: C) -> Self {
        Driver { session: Session::new(client, clock) }
    }

    /// The core, to read `ready_state`, `buffered_amount` or the config.
    pub fn client(&self) -> &Client<S, R, N> {
        &self.session.client
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.session.clock
    }

    /// `connectSocket` over `stream`, already connected to the URL's host (and, for `wss`,
    /// with TLS set up): checks the options and queues the handshake request. No I/O happens
    /// here (S2): the outcome arrives as events from [`Driver::next_event`].
    pub fn connect_socket(&mut self, stream: T, options: &ConnectOptions<'_>) -> Result<Handle, Refused<T>> {
        self.session.connect_socket(stream, options)
    }

    /// `SocketTask.send` (S14): queues `message` as one frame. It is written by the next
    /// [`Driver::next_event`] or [`Driver::flush`]; [`sockettask::SendError::BufferFull`]
    /// means flush first.
    pub fn send(&mut self, handle: Handle, message: Message<'_>) -> Result<(), Error<T::Error>> {
        Ok(self.session.send(handle, message)?)
    }

    /// `SocketTask.send` of a binary message from bytes the caller gives up, written before
    /// the call returns: the core masks `payload` **in place** (RFC 6455 §5.3) and queues only
    /// the frame's head (at most 14 bytes), so a payload far larger than the send buffer
    /// goes out without a buffer to hold it. The call writes what was queued before it, the
    /// head, then `payload` itself (which holds the masked bytes afterwards), and flushes the
    /// stream: `Ok` means the whole frame is written.
    ///
    /// Refused as `send` is ([`Error::Send`]: not OPEN, over the message limit, or the head
    /// does not fit beside what is queued: flush first), with `payload` untouched. A stream
    /// failure midway returns [`Error::Io`] or [`Error::WriteZero`]; the task then fails
    /// (`onError`, `onClose` 1006) as for any failed write.
    ///
    /// ```
    /// # use embedded_io_adapters::std::FromStd;
    /// # use sockettask::{Buffers, Client, Config, ConnectOptions, Event, Instant, Message, Schemes};
    /// # use sockettask_embedded_io::Driver;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let port = listener.local_addr()?.port();
    /// # std::thread::spawn(move || {
    /// #     let mut ws = tungstenite::accept(listener.accept().unwrap().0).unwrap();
    /// #     while let Ok(m) = ws.read() {
    /// #         if m.is_binary() { ws.send(m).unwrap() }
    /// #     }
    /// # });
    /// # let start = std::time::Instant::now();
    /// # let clock = move || Instant::from_micros(start.elapsed().as_micros() as u64);
    /// # let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    /// // 16 KiB to receive the echo, but only 512 bytes (the least there is) to send from.
    /// let storage = [Buffers::new(vec![0u8; 16 << 10], vec![0u8; 512])];
    /// let client: Client<_, _, 1> = Client::new(config, rand::rng(), storage)?;
    /// let mut driver = Driver::new(client, clock);
    /// # let url = format!("ws://127.0.0.1:{port}/");
    /// # let stream = FromStd::new(std::net::TcpStream::connect(("127.0.0.1", port))?);
    /// let task = driver.connect_socket(stream, &ConnectOptions::new(&url))?;
    /// let mut reading = vec![0x5a; 10_000]; // a sensor dump, no longer needed once sent
    /// loop {
    ///     match driver.next_event(task)? {
    ///         Some((task, Event::Open(_))) => driver.send_in_place(task, &mut reading)?,
    ///         Some((_, Event::Message(Message::Binary(echo)))) => {
    ///             assert!(echo.iter().all(|&b| b == 0x5a));
    ///             break;
    ///         }
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_in_place(&mut self, handle: Handle, payload: &mut [u8]) -> Result<(), Error<T::Error>> {
        self.send_in_place_as(handle, payload, false)
    }

    /// [`Driver::send_in_place`] of a text message: `payload` must be UTF-8, else
    /// [`Error::Send`] with [`SendError::InvalidUtf8`](sockettask::SendError::InvalidUtf8)
    /// and the bytes untouched. Bytes, not a `&mut str`: once masked they are no longer UTF-8.
    pub fn send_text_in_place(&mut self, handle: Handle, payload: &mut [u8]) -> Result<(), Error<T::Error>> {
        self.send_in_place_as(handle, payload, true)
    }

    fn send_in_place_as(
        &mut self,
        handle: Handle,
        payload: &mut [u8],
        text: bool,
    ) -> Result<(), Error<T::Error>> {
        self.session.send_in_place(handle, payload, text)?;
        while let Some((stream, data, from)) = self.session.in_place_write(handle, payload)? {
            let result = write(stream, data);
            self.session.wrote(handle, from, result)?;
        }
        self.flush(handle)
    }

    /// Queues a ping with up to 125 bytes of payload (RFC 6455 §5.5).
    pub fn ping(&mut self, handle: Handle, payload: &[u8]) -> Result<(), Error<T::Error>> {
        Ok(self.session.ping(handle, payload)?)
    }

    /// `SocketTask.close` (S15, S16): queues the close frame; keep calling
    /// [`Driver::next_event`] for the `onClose` that ends the task.
    pub fn close(
        &mut self,
        handle: Handle,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), Error<T::Error>> {
        Ok(self.session.close(handle, code, reason)?)
    }

    /// Writes every queued byte of the task to its stream and flushes the stream.
    pub fn flush(&mut self, handle: Handle) -> Result<(), Error<T::Error>> {
        loop {
            let (stream, data) = self.session.write_target(handle)?;
            if data.is_empty() {
                let result = stream.flush();
                return self.session.flushed(handle, result);
            }
            let result = write(stream, data);
            self.session.wrote(handle, Written::Queued, result)?;
        }
    }

    /// The next event of any task, after at most one read of `handle`'s stream.
    ///
    /// Queued events come first. Otherwise the call applies due timers, or writes what the
    /// task has queued and then reads once from its stream, which blocks until bytes arrive,
    /// the stream ends, or the stream's own read timeout passes.
    ///
    /// - `Ok(None)`: no event came of this call (part of a frame, a timeout tick); call again.
    /// - [`Error::Io`] / [`Error::WriteZero`]: the stream failed; the task's `onError` and
    ///   `onClose` (S12/S13) follow from the next calls.
    /// - [`Error::Closed`]: the task is CLOSED and nothing is left to poll.
    pub fn next_event(&mut self, handle: Handle) -> Result<Option<(Handle, Event<'_>)>, Error<T::Error>> {
        if !self.session.client.has_event() {
            self.step(handle, |_| Ok(true))?;
        }
        Ok(self.session.client.poll_event())
    }

    /// The stream back, once its task is CLOSED (it is otherwise dropped when a new task
    /// takes the slot). Close the connection under it as the network stack wants.
    pub fn take_stream(&mut self, handle: Handle) -> Option<T> {
        self.session.take_stream(handle)
    }

    /// One turn for `handle`: due timers, else write what is queued, then one read if
    /// `ready` allows it and something can come of it. A CLOSED task never reads (its calls
    /// return [`Error::Closed`]), nor does any call while the core holds events.
    fn step(
        &mut self,
        handle: Handle,
        ready: impl FnOnce(&mut T) -> Result<bool, T::Error>,
    ) -> Result<(), Error<T::Error>> {
        if self.session.fire_timers() {
            return Ok(());
        }
        self.session.live(handle)?;
        self.flush(handle)?;
        // `None`: flushing the close frame of a failed connection ended the task, or an
        // event is ready (the caller polls it before anything is read), or the core has no
        // room for input until it is polled.
        let Some((stream, buf, _, _)) = self.session.read_target(handle)? else { return Ok(()) };
        match ready(stream) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return self.session.read(handle, Err(e)),
        }
        let result = loop {
            let result = stream.read(buf);
            if !retry(&result) {
                break result;
            }
        };
        self.session.read(handle, result)
    }
}

impl<T, S, R, C, const N: usize> Driver<T, S, R, C, N>
where
    T: Read + Write + ReadReady,
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: rand_core::Rng,
    C: Clock,
{
    /// Like [`Driver::next_event`], but reads only when [`ReadReady::read_ready`] says the
    /// read will not block, so one thread can poll several tasks in turn (writes may still
    /// block). `Ok(None)` when nothing happened.
    pub fn try_next_event(&mut self, handle: Handle) -> Result<Option<(Handle, Event<'_>)>, Error<T::Error>> {
        if !self.session.client.has_event() {
            self.step(handle, ReadReady::read_ready)?;
        }
        Ok(self.session.client.poll_event())
    }
}

/// One write of `data`, repeated while it is `Interrupted`.
fn write<T: Write>(stream: &mut T, data: &[u8]) -> Result<usize, T::Error> {
    loop {
        let result = stream.write(data);
        if !retry(&result) {
            return result;
        }
    }
}
