//! The async driver: one `embedded_io_async::{Read, Write}` stream per task; a read races the
//! earliest timer of the core, so connect and close timeouts fire while the stream is silent.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Read, Write};
use sockettask::{Client, CloseCode, ConnectOptions, DEFAULT_MAX_TASKS, Event, Handle, Instant, Message};

use crate::Clock;
use crate::error::{Error, Refused};
use crate::session::{Session, Written, retry};

/// A [`Clock`] that can also wait: what the async driver needs to wake for the core's timers.
///
/// On Embassy: `Timer::at(embassy_time::Instant::from_micros(deadline.micros()))`.
pub trait Timer: Clock {
    /// Completes once [`Clock::now`] reaches `deadline` (at once when it already has).
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()>;
}

/// Drives a [`Client`] over `embedded_io_async` streams, one stream per task.
///
/// The same shape as the blocking [`Driver`](crate::Driver): commands queue;
/// [`next_event`](AsyncDriver::next_event) and [`flush`](AsyncDriver::flush) write. A read
/// waits at most until the core's next timer ([`Timer::sleep_until`]); the read is then
/// dropped, so the stream's `read` must be cancel-safe (embassy-net's `TcpSocket` is).
pub struct AsyncDriver<T, S, R, C, const N: usize = DEFAULT_MAX_TASKS> {
    session: Session<T, S, R, C, N>,
}

impl<T, S, R, C, const N: usize> core::fmt::Debug for AsyncDriver<T, S, R, C, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncDriver").field("client", &self.session.client).finish_non_exhaustive()
    }
}

impl<T, S, R, C, const N: usize> AsyncDriver<T, S, R, C, N>
where
    T: Read + Write,
    S: AsRef<[u8]> + AsMut<[u8]>,
    R: rand_core::Rng,
    C: Timer,
{
    /// A driver over `client` (its config, RNG and buffers) with `timer` for time.
    pub fn new(client: Client<S, R, N>, timer: C) -> Self {
        AsyncDriver { session: Session::new(client, timer) }
    }

    /// The core, to read `ready_state`, `buffered_amount` or the config.
    pub fn client(&self) -> &Client<S, R, N> {
        &self.session.client
    }

    /// The timer.
    pub fn timer(&self) -> &C {
        &self.session.clock
    }

    /// `connectSocket` over a connected `stream`; see
    /// [`Driver::connect_socket`](crate::Driver::connect_socket).
    pub fn connect_socket(&mut self, stream: T, options: &ConnectOptions<'_>) -> Result<Handle, Refused<T>> {
        self.session.connect_socket(stream, options)
    }

    /// `SocketTask.send` (S14): queues `message` as one frame.
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
    /// (`onError`, `onClose` 1006) as for any failed write. See
    /// [`Driver::send_in_place`](crate::Driver::send_in_place) for an example.
    pub async fn send_in_place(&mut self, handle: Handle, payload: &mut [u8]) -> Result<(), Error<T::Error>> {
        self.send_in_place_as(handle, payload, false).await
    }

    /// [`AsyncDriver::send_in_place`] of a text message: `payload` must be UTF-8, else
    /// [`Error::Send`] with [`SendError::InvalidUtf8`](sockettask::SendError::InvalidUtf8)
    /// and the bytes untouched.
    pub async fn send_text_in_place(
        &mut self,
        handle: Handle,
        payload: &mut [u8],
    ) -> Result<(), Error<T::Error>> {
        self.send_in_place_as(handle, payload, true).await
    }

    async fn send_in_place_as(
        &mut self,
        handle: Handle,
        payload: &mut [u8],
        text: bool,
    ) -> Result<(), Error<T::Error>> {
        self.session.send_in_place(handle, payload, text)?;
        while let Some((stream, data, from)) = self.session.in_place_write(handle, payload)? {
            let result = write(stream, data).await;
            self.session.wrote(handle, from, result)?;
        }
        self.flush(handle).await
    }

    /// Queues a ping with up to 125 bytes of payload (RFC 6455 §5.5).
    pub fn ping(&mut self, handle: Handle, payload: &[u8]) -> Result<(), Error<T::Error>> {
        Ok(self.session.ping(handle, payload)?)
    }

    /// `SocketTask.close` (S15, S16): queues the close frame.
    pub fn close(
        &mut self,
        handle: Handle,
        code: Option<CloseCode>,
        reason: &str,
    ) -> Result<(), Error<T::Error>> {
        Ok(self.session.close(handle, code, reason)?)
    }

    /// Writes every queued byte of the task to its stream and flushes the stream.
    pub async fn flush(&mut self, handle: Handle) -> Result<(), Error<T::Error>> {
        loop {
            let (stream, data) = self.session.write_target(handle)?;
            if data.is_empty() {
                let result = stream.flush().await;
                return self.session.flushed(handle, result);
            }
            let result = write(stream, data).await;
            self.session.wrote(handle, Written::Queued, result)?;
        }
    }

    /// The next event of any task, after at most one read of `handle`'s stream or one timer;
    /// see [`Driver::next_event`](crate::Driver::next_event) for `Ok(None)` and the errors.
    pub async fn next_event(
        &mut self,
        handle: Handle,
    ) -> Result<Option<(Handle, Event<'_>)>, Error<T::Error>> {
        if !self.session.client.has_event() {
            self.step(handle).await?;
        }
        Ok(self.session.client.poll_event())
    }

    /// The stream back, once its task is CLOSED.
    pub fn take_stream(&mut self, handle: Handle) -> Option<T> {
        self.session.take_stream(handle)
    }

    /// One turn for `handle`: due timers, else write what is queued, then one read that
    /// gives way to the next timer. A CLOSED task never reads, nor does any call while the
    /// core holds events.
    async fn step(&mut self, handle: Handle) -> Result<(), Error<T::Error>> {
        if self.session.fire_timers() {
            return Ok(());
        }
        self.session.live(handle)?;
        self.flush(handle).await?;
        let Some((stream, buf, clock, deadline)) = self.session.read_target(handle)? else { return Ok(()) };
        let read = async {
            loop {
                let result = stream.read(buf).await;
                if !retry(&result) {
                    break result;
                }
            }
        };
        let result = match deadline {
            None => read.await,
            Some(at) => match first(read, clock.sleep_until(at)).await {
                Either::Left(result) => result,
                // The timer won: the next call applies it.
                Either::Right(()) => return Ok(()),
            },
        };
        self.session.read(handle, result)
    }
}

enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Whichever of `a` and `b` completes first; the other is dropped. (Ten lines instead of a
/// dependency on an executor-support crate.)
async fn first<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}

/// One write of `data`, repeated while it is `Interrupted`.
async fn write<T: Write>(stream: &mut T, data: &[u8]) -> Result<usize, T::Error> {
    loop {
        let result = stream.write(data).await;
        if !retry(&result) {
            return result;
        }
    }
}
