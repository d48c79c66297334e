//! The async tests' runtime: a small polling executor, a non-blocking std `TcpStream` as an
//! async stream, and the test clock as a timer.

use std::future::{Future, poll_fn};
use std::io;
use std::net::TcpStream;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sockettask::Instant;
use sockettask_embedded_io::{Clock, Timer};

use super::clock;

/// Polls `future` every millisecond until it completes or `deadline` passes (`None`): the
/// executor of a superloop.
pub fn block_on_until<F: Future>(future: F, deadline: std::time::Instant) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Pending once, so the executor comes back.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|_| if std::mem::replace(&mut yielded, true) { Poll::Ready(()) } else { Poll::Pending }).await;
}

/// A non-blocking `TcpStream` as an async stream; `read` is cancel-safe (one syscall).
pub struct AsyncTcp(TcpStream);

impl AsyncTcp {
    pub fn new(stream: TcpStream) -> Self {
        stream.set_nonblocking(true).expect("non-blocking");
        AsyncTcp(stream)
    }
}

impl embedded_io_async::ErrorType for AsyncTcp {
    type Error = io::Error;
}

impl embedded_io_async::Read for AsyncTcp {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        loop {
            match io::Read::read(&mut self.0, buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_now().await,
                result => return result,
            }
        }
    }
}

impl embedded_io_async::Write for AsyncTcp {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        loop {
            match io::Write::write(&mut self.0, buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => yield_now().await,
                result => return result,
            }
        }
    }

    async fn flush(&mut self) -> Result<(), io::Error> {
        io::Write::flush(&mut self.0)
    }
}

/// The test clock, waiting by being polled.
pub struct PollTimer;

impl Clock for PollTimer {
    fn now(&self) -> Instant {
        clock()
    }
}

impl Timer for PollTimer {
    async fn sleep_until(&self, deadline: Instant) {
        poll_fn(|_| if clock() >= deadline { Poll::Ready(()) } else { Poll::Pending }).await;
    }
}
