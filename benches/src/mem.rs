//! In-memory streams standing in for a socket, for the contenders that own their stream.
//!
//! Reading copies the prepared input into the reader's buffer: that copy is the equivalent of
//! a socket read, which sockettask's benches do too (into `input_buffer`). Writing does not
//! copy: the sink looks at the bytes (`black_box`) and counts them, the equivalent of a
//! socket write that is free, the same for every contender. An optional responder turns the
//! bytes written so far into input (the server's side of a handshake).

use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A stream over prepared input and a sink that counts what is written.
///
/// The input repeats: once it is all read, the next read starts it again, and no read
/// crosses its end. So with one message's frames as input, every contender reads at most one
/// message per read call, message after message, without being told to rewind.
#[derive(Debug, Default)]
pub struct MemStream {
    input: Vec<u8>,
    pos: usize,
    repeat: bool,
    written: usize,
    /// Bytes written since the last [`MemStream::respond`], kept only when responding.
    request: Vec<u8>,
    respond: bool,
}

impl MemStream {
    /// A stream that reads `input` over and over.
    pub fn repeating(input: Vec<u8>) -> Self {
        MemStream { input, repeat: true, ..MemStream::default() }
    }

    /// A stream that answers an upgrade request written to it with the server's 101.
    pub fn handshaking() -> Self {
        MemStream { respond: true, ..MemStream::default() }
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Makes the 101 response to the request written so far the input to read.
    fn respond(&mut self) {
        if self.respond && !self.request.is_empty() && self.pos >= self.input.len() {
            if crate::wire::write_response(&self.request, &mut self.input) {
                self.pos = 0;
            }
            self.request.clear();
        }
    }

    fn read_into(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.respond();
        if self.repeat && self.pos >= self.input.len() {
            self.pos = 0;
        }
        let rest = self.input.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }

    fn write_from(&mut self, buf: &[u8]) -> usize {
        black_box(buf);
        if self.respond {
            self.request.extend_from_slice(buf);
        }
        self.written += buf.len();
        buf.len()
    }
}

impl io::Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_into(buf)
    }
}

impl io::Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.write_from(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        Ok(bufs.iter().map(|b| self.write_from(b)).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.read_into(buf.initialize_unfilled()) {
            Ok(n) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl tokio::io::AsyncWrite for MemStream {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().write_from(buf)))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        Poll::Ready(Ok(bufs.iter().map(|b| this.write_from(b)).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs a future that never waits (in-memory I/O) to completion, without a runtime.
///
/// # Panics
///
/// If the future returns `Pending` (it waited for input that will never come).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory future waited"),
    }
}
