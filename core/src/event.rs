//! What a task reports ([`Event`], S10) and what `send` takes ([`Message`]).

use crate::close_code::CloseCode;
use crate::error::TaskError;
use crate::handshake::Headers;
use crate::handshake::extension::Negotiated;

/// A whole WebSocket message: text as `&str`, binary as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message (always valid UTF-8).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

impl<'a> Message<'a> {
    /// The payload bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            Message::Text(t) => t.as_bytes(),
            Message::Binary(b) => b,
        }
    }

    /// Payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `onOpen` payload (S10): the server's response headers and the chosen subprotocol.
#[derive(Clone, Copy, Debug)]
pub struct Open<'a> {
    /// The response headers: the mini-program's `header` (S10).
    pub header: Headers<'a>,
    /// The subprotocol the server chose, if any.
    pub protocol: Option<&'a str>,
    /// The `permessage-deflate` parameters the server accepted (RFC 7692), when the task
    /// offered it ([`ConnectOptions::per_message_deflate`](crate::ConnectOptions)) and the
    /// server took the offer; `None`: messages are never compressed.
    pub per_message_deflate: Option<Negotiated>,
}

/// The `onClose` payload (S13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close<'a> {
    /// The peer's code, 1005 when its close frame had none, 1006 when the link dropped, or
    /// the code the client failed the connection with.
    pub code: CloseCode,
    /// The reason that goes with the code.
    pub reason: &'a str,
}

/// An event of one task (S10). Borrowed data stays valid until the next call on the client.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// `onOpen`: the handshake succeeded.
    Open(Open<'a>),
    /// `onMessage`: a whole message arrived.
    Message(Message<'a>),
    /// `onError`: the task failed.
    Error(TaskError),
    /// `onClose`: the task is CLOSED; always its last event.
    Close(Close<'a>),
}
