//! [`SocketTask`]: the handle `connectSocket` returns. This file holds the type alone; its
//! commands (`send`, `ping`, `close`, `ready_state`, …) are implemented beside the
//! [`Driver`](crate::Driver) that runs them, its listeners (`on_open`, …) beside the
//! [`Client`](crate::Client) that calls them.

use sockettask::Handle;

/// One task, as `connectSocket` returns it: a small `Copy` handle. Its methods take the
/// [`Client`](crate::Client) (whatever its app state `T`) or [`Driver`](crate::Driver) that
/// owns the task, so they work the same in both modes.
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
}
