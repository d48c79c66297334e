//! [`SocketTask`]: the handle `connectSocket` returns, with the mini-program's methods.

use sockettask::{Close, CloseCode, CloseError, Handle, Message, Open, ReadyState, SendError, TaskError};

use crate::client::Client;
use crate::driver::Driver;

/// One task, as `connectSocket` returns it: a small `Copy` handle. Its methods take the
/// [`Client`] (whatever its app state `T`) or [`Driver`] that owns the task, so they work
/// the same in both modes.
///
/// A handle of a task that is over stays safe to use: it reads CLOSED and its commands fail;
/// it can never reach a later task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketTask(Handle);

impl SocketTask {
    pub(crate) fn new(handle: Handle) -> Self {
        SocketTask(handle)
    }

    /// The core's handle of this task.
    pub(crate) fn handle(self) -> Handle {
        self.0
    }

    /// The `socketTaskId`: a positive integer counting up from 1, never reused (S1).
    pub fn socket_task_id(self) -> u64 {
        self.0.socket_task_id()
    }

    /// `SocketTask.send` (S14): text → text frame, bytes → binary frame. `Ok` means queued
    /// (`sendSocketMessage:ok`); a refused send changes nothing.
    pub fn send(self, on: &mut impl AsMut<Driver>, message: Message<'_>) -> Result<(), SendError> {
        on.as_mut().send(self, message)
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

    /// `SocketTask.onOpen`: adds a listener for the successful handshake.
    pub fn on_open<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &Open<'_>) + 'static,
    ) {
        client.listeners(self).open.push(Box::new(listener));
    }

    /// `SocketTask.onMessage`: adds a listener for whole messages.
    pub fn on_message<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, Message<'_>) + 'static,
    ) {
        client.listeners(self).message.push(Box::new(listener));
    }

    /// `SocketTask.onError`: adds a listener for the task's failure (at most one per task).
    pub fn on_error<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &TaskError) + 'static,
    ) {
        client.listeners(self).error.push(Box::new(listener));
    }

    /// `SocketTask.onClose`: adds a listener for the task's end (its last event).
    pub fn on_close<T>(
        self,
        client: &mut Client<T>,
        listener: impl FnMut(&mut Client<T>, SocketTask, &Close<'_>) + 'static,
    ) {
        client.listeners(self).close.push(Box::new(listener));
    }
}
