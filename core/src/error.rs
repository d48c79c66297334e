//! Every error the core reports, split by blame (STYLE rule 8).
//!
//! - The caller misused the API: [`ConnectError`], [`SendError`], [`CloseError`],
//!   [`ConfigError`].
//! - The peer sent garbage or misbehaved: [`HandshakeError`], [`ProtocolError`].
//! - The transport failed: [`TransportError`], reported by the driver through
//!   `Client::handle_transport_error`.
//!
//! [`TaskError`] is what an `onError` event carries. Every error implements `Display` (what
//! happened, in words) and offers `err_msg()`, the mini-program `errMsg` string of SPEC.md.
//!
//! Every error is `'static`, `Send` and `Sync` and implements `core::error::Error` (which std
//! re-exports as `std::error::Error`), so `?` turns it into a `Box<dyn std::error::Error>` or
//! an `anyhow::Error`. None borrows from the call that failed: what a [`ConnectError`] quotes
//! of the caller's options is copied into an [`Excerpt`] of at most [`EXCERPT_LEN`] bytes.

use core::fmt;

use crate::close_code::CloseCode;
use crate::handshake::extension::{DeflateOfferError, ExtensionError};
use crate::ready_state::ReadyState;

mod excerpt;
pub(crate) mod packed;
mod text;

pub use excerpt::{EXCERPT_LEN, Excerpt};
pub use text::{ERR_MSG_LEN, ErrMsgText};
pub(crate) use text::{Words, display as text_display};

/// The `errMsg` of a successful `SocketTask.send` (S14).
pub const SEND_OK: &str = "sendSocketMessage:ok";
/// The `errMsg` of a successful `SocketTask.close` (S16).
pub const CLOSE_OK: &str = "closeSocket:ok";
/// The `errMsg` of a successful `connectSocket` (S1).
pub const CONNECT_OK: &str = "connectSocket:ok";

/// Why a URL does not parse as a WebSocket URL (S3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// No `scheme://` prefix.
    MissingScheme,
    /// A scheme other than `ws` or `wss`.
    UnsupportedScheme,
    /// `ws://` while insecure URLs are not allowed (S3.1).
    InsecureScheme,
    /// Nothing between `//` and the path.
    MissingHost,
    /// A host that is not a valid domain name, IPv4 address or bracketed IPv6 address.
    InvalidHost,
    /// A port that is empty, not a number, zero or above 65535.
    InvalidPort,
    /// A `#fragment`, which RFC 6455 §3 forbids in WebSocket URIs.
    Fragment,
    /// `user:password@` before the host.
    UserInfo,
    /// A space, control character or non-ASCII byte.
    InvalidCharacter,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::MissingScheme => "missing scheme",
            UrlError::UnsupportedScheme => "scheme must be wss (or ws when insecure URLs are allowed)",
            UrlError::InsecureScheme => "ws:// is not allowed unless insecure URLs are allowed",
            UrlError::MissingHost => "missing host",
            UrlError::InvalidHost => "invalid host",
            UrlError::InvalidPort => "invalid port",
            UrlError::Fragment => "fragments are not allowed in WebSocket URLs",
            UrlError::UserInfo => "user information is not allowed in WebSocket URLs",
            UrlError::InvalidCharacter => "invalid character",
        })
    }
}

impl core::error::Error for UrlError {}

/// What `connect_socket` refused before any I/O (S3): nothing was sent and no event follows.
///
/// The error owns what it quotes (an [`Excerpt`] of the URL, header name, subprotocol or host),
/// so it is `'static`, `Send` and `Sync` and goes through `?` whatever the URL's lifetime:
///
/// ```
/// # use core::convert::Infallible;
/// # struct Zeros;
/// # impl rand_core::TryRng for Zeros {
/// #     type Error = Infallible;
/// #     fn try_next_u32(&mut self) -> Result<u32, Infallible> { Ok(0) }
/// #     fn try_next_u64(&mut self) -> Result<u64, Infallible> { Ok(0) }
/// #     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
/// #         dst.fill(0);
/// #         Ok(())
/// #     }
/// # }
/// use sockettask::{Buffers, Client, Config, ConnectError, ConnectOptions, Instant, UrlError};
///
/// /// Queues the handshake of a task on `host`'s chat endpoint.
/// fn open_chat(host: &str) -> Result<(), Box<dyn std::error::Error>> {
///     let storage = [Buffers::new([0u8; 1024], [0u8; 1024])];
///     let mut client: Client<[u8; 1024], Zeros> = Client::new(Config::default(), Zeros, storage)?;
///     let url = format!("wss://{host}/chat"); // built at run time
///     let task = client.connect_socket(Instant::ZERO, &ConnectOptions::new(&url))?;
///     assert_eq!(task.socket_task_id(), 1);
///     Ok(())
/// }
///
/// open_chat("example.com")?;
/// // A refusal comes out of `?` intact, after `url` is gone.
/// let error = open_chat("bad host").unwrap_err();
/// let refused = error.downcast_ref::<ConnectError>().expect("a ConnectError");
/// let ConnectError::InvalidUrl { url, reason } = refused else { panic!("{refused:?}") };
/// assert_eq!(url, "wss://bad host/chat");
/// assert_eq!(*reason, UrlError::InvalidCharacter);
/// assert_eq!(refused.err_msg().to_string(), "connectSocket:fail invalid url \"wss://bad host/chat\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// S3.1: the URL does not parse or its scheme is not allowed.
    InvalidUrl {
        /// The URL as given (its first [`EXCERPT_LEN`] bytes).
        url: Excerpt,
        /// What is wrong with it.
        reason: UrlError,
    },
    /// S3.2: a header name that is not an HTTP token.
    InvalidHeaderName {
        /// The name as given (its first [`EXCERPT_LEN`] bytes).
        name: Excerpt,
    },
    /// S3.2: a header value containing CR, LF or NUL.
    InvalidHeaderValue {
        /// The header's name (its first [`EXCERPT_LEN`] bytes).
        name: Excerpt,
    },
    /// S3.3: `referer` or a header the library manages.
    ForbiddenHeader {
        /// The name as given (never cut: every forbidden name fits).
        name: Excerpt,
    },
    /// S5: a subprotocol that is empty, not an HTTP token, or offered twice.
    InvalidProtocol {
        /// The protocol as given (its first [`EXCERPT_LEN`] bytes).
        protocol: Excerpt,
    },
    /// S3.4: the host is not on the configured domain list.
    NotInDomainList {
        /// The URL's host (its first [`EXCERPT_LEN`] bytes).
        host: Excerpt,
    },
    /// S3.5: every task slot is in use.
    TooManyTasks {
        /// How many tasks may be live at once.
        limit: usize,
    },
    /// The opening handshake request does not fit the task's outgoing buffer.
    RequestTooLarge {
        /// Bytes the request needs.
        required: usize,
        /// Bytes the outgoing buffer has.
        capacity: usize,
    },
    /// The `perMessageDeflate` offer has a value RFC 7692 does not allow, or the core was built
    /// without its `deflate` feature.
    InvalidDeflateOffer(DeflateOfferError),
    /// The offered subprotocols do not fit the space kept to verify the server's choice.
    ProtocolsTooLong {
        /// Bytes the comma-separated list needs.
        required: usize,
        /// [`crate::MAX_PROTOCOLS_BYTES`].
        capacity: usize,
    },
}

impl ConnectError {
    /// The mini-program `errMsg` for this failure (SPEC S3). A URL or header name longer than
    /// [`EXCERPT_LEN`] bytes appears cut, ending in `…`.
    pub fn err_msg(&self) -> ErrMsg<'_> {
        ErrMsg(ErrMsgKind::Connect(self))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::InvalidUrl { url, reason } => write!(f, "invalid url {url:?}: {reason}"),
            ConnectError::InvalidHeaderName { name } => write!(f, "header name {name:?} is not a token"),
            ConnectError::InvalidHeaderValue { name } => {
                write!(f, "header {name:?} has a value containing CR, LF or NUL")
            }
            ConnectError::ForbiddenHeader { name } => write!(f, "header {name:?} cannot be set"),
            ConnectError::InvalidProtocol { protocol } => {
                write!(f, "subprotocol {protocol:?} is empty, not a token or repeated")
            }
            ConnectError::NotInDomainList { host } => write!(f, "host {host:?} is not in the domain list"),
            ConnectError::TooManyTasks { limit } => write!(f, "all {limit} task slots are in use"),
            ConnectError::RequestTooLarge { required, capacity } => {
                write!(f, "the handshake request needs {required} bytes, the buffer has {capacity}")
            }
            ConnectError::InvalidDeflateOffer(e) => fmt::Display::fmt(e, f),
            ConnectError::ProtocolsTooLong { required, capacity } => {
                write!(f, "the subprotocol list needs {required} bytes, at most {capacity} are kept")
            }
        }
    }
}

impl core::error::Error for ConnectError {}

/// A refusal as the checks of `connect_socket` find it, borrowing the caller's options. It
/// becomes a [`ConnectError`] once, where `connect_socket` returns, so that the checks pass a
/// small value around and the strings are copied on one path only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal<'a> {
    InvalidUrl(&'a str, UrlError),
    InvalidHeaderName(&'a str),
    InvalidHeaderValue(&'a str),
    ForbiddenHeader(&'a str),
    InvalidProtocol(&'a str),
    NotInDomainList(&'a str),
    TooManyTasks(usize),
    RequestTooLarge { required: usize, capacity: usize },
    ProtocolsTooLong { required: usize, capacity: usize },
    InvalidDeflateOffer(DeflateOfferError),
}

impl From<Refusal<'_>> for ConnectError {
    fn from(refusal: Refusal<'_>) -> Self {
        match refusal {
            Refusal::InvalidUrl(url, reason) => ConnectError::InvalidUrl { url: url.into(), reason },
            Refusal::InvalidHeaderName(name) => ConnectError::InvalidHeaderName { name: name.into() },
            Refusal::InvalidHeaderValue(name) => ConnectError::InvalidHeaderValue { name: name.into() },
            Refusal::ForbiddenHeader(name) => ConnectError::ForbiddenHeader { name: name.into() },
            Refusal::InvalidProtocol(protocol) => ConnectError::InvalidProtocol { protocol: protocol.into() },
            Refusal::NotInDomainList(host) => ConnectError::NotInDomainList { host: host.into() },
            Refusal::TooManyTasks(limit) => ConnectError::TooManyTasks { limit },
            Refusal::RequestTooLarge { required, capacity } => {
                ConnectError::RequestTooLarge { required, capacity }
            }
            Refusal::ProtocolsTooLong { required, capacity } => {
                ConnectError::ProtocolsTooLong { required, capacity }
            }
            Refusal::InvalidDeflateOffer(e) => ConnectError::InvalidDeflateOffer(e),
        }
    }
}

/// Why `send` (or `ping`) refused a message (S14). A refused send changes nothing.
///
/// Every figure counts payload bytes, as [`Limits::max_message_size`](crate::Limits) does: the
/// frame header the client adds is its own business.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The task is not OPEN (a handle of a finished task reports [`ReadyState::Closed`]).
    NotOpen(ReadyState),
    /// The handle was never issued by this client.
    UnknownHandle,
    /// Not now: the message does not fit beside the bytes already queued; retry once
    /// `buffered_amount` drops.
    BufferFull {
        /// The message's payload bytes.
        required: usize,
        /// The largest payload that could be queued now (0 also when not even an empty
        /// message fits).
        available: usize,
    },
    /// `send_compressed` on a task whose server did not accept permessage-deflate
    /// ([`Open::per_message_deflate`](crate::Open) is `None`).
    NotCompressing,
    /// Never: the message is larger than the task's message limit (the smaller of
    /// `Limits::max_message_size` and what the send buffer can hold; 125 bytes for a ping).
    MessageTooLarge {
        /// The message's payload bytes.
        required: usize,
        /// The largest payload the task sends.
        limit: usize,
    },
    /// [`Client::send_text_in_place`](crate::Client::send_text_in_place) was given bytes
    /// that are not UTF-8 (a text message must be, RFC 6455 §5.6).
    InvalidUtf8 {
        /// How many bytes from the start are valid UTF-8.
        valid_up_to: usize,
    },
}

impl SendError {
    /// The mini-program `errMsg` for this failure (S14).
    pub fn err_msg(&self) -> ErrMsg<'_> {
        ErrMsg(ErrMsgKind::Send(self))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotOpen(state) => write!(f, "the task is {state}, not OPEN"),
            SendError::UnknownHandle => f.write_str("unknown socket handle"),
            SendError::NotCompressing => f.write_str("permessage-deflate was not negotiated"),
            SendError::BufferFull { required, available } => {
                write!(f, "a {required}-byte message does not fit now: {available} bytes can be queued")
            }
            SendError::MessageTooLarge { required, limit } => {
                write!(f, "a {required}-byte message is over the {limit}-byte limit")
            }
            SendError::InvalidUtf8 { valid_up_to } => {
                write!(f, "a text message must be UTF-8: its bytes are valid up to byte {valid_up_to}")
            }
        }
    }
}

impl core::error::Error for SendError {}

/// Why `close` was refused (S15, S16). Nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// S15: the code is neither 1000 nor in 3000–4999.
    InvalidCode(CloseCode),
    /// S15: the reason is longer than 123 UTF-8 bytes.
    ReasonTooLong {
        /// The reason's length in bytes.
        len: usize,
    },
    /// S16: the task is already CLOSED (or its handle belongs to a finished task).
    NotConnected,
    /// The handle was never issued by this client.
    UnknownHandle,
}

impl CloseError {
    /// The mini-program `errMsg` for this failure (S15, S16).
    pub fn err_msg(&self) -> ErrMsg<'_> {
        ErrMsg(ErrMsgKind::Close(self))
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::InvalidCode(code) => write!(f, "close code {code} is neither 1000 nor in 3000-4999"),
            CloseError::ReasonTooLong { len } => {
                write!(f, "close reason is {len} bytes, at most 123 are allowed")
            }
            CloseError::NotConnected => f.write_str("the task is already closed"),
            CloseError::UnknownHandle => f.write_str("unknown socket handle"),
        }
    }
}

impl core::error::Error for CloseError {}

/// Why a [`crate::Config`] or the storage handed to a client cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A receive buffer smaller than [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN).
    ReceiveBufferTooSmall {
        /// Bytes needed.
        required: usize,
        /// Bytes given.
        capacity: usize,
    },
    /// A send buffer smaller than [`MIN_BUFFER_LEN`](crate::MIN_BUFFER_LEN): it could not
    /// hold the control frames the task must always be able to send.
    SendBufferTooSmall {
        /// Bytes needed.
        required: usize,
        /// Bytes given.
        capacity: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ReceiveBufferTooSmall { required, capacity } => {
                write!(f, "receive buffer of {capacity} bytes, the configuration needs {required}")
            }
            ConfigError::SendBufferTooSmall { required, capacity } => {
                write!(f, "send buffer of {capacity} bytes, the configuration needs {required}")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// Why the server's opening handshake response was refused (S8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HandshakeError {
    /// The response is not valid HTTP/1.x.
    Malformed(#[cfg_attr(feature = "defmt", defmt(Debug2Format))] httparse::Error),
    /// The header block exceeds the configured limit.
    HeaderBlockTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response is not HTTP/1.1.
    Version,
    /// The status is not `101 Switching Protocols`.
    Status(u16),
    /// No `Upgrade` header.
    MissingUpgrade,
    /// `Upgrade` is not exactly `websocket` (a list, a second line or another value).
    InvalidUpgrade,
    /// No `Connection` header.
    MissingConnection,
    /// `Connection` does not contain the token `upgrade`.
    InvalidConnection,
    /// No `Sec-WebSocket-Accept` header.
    MissingAccept,
    /// More than one `Sec-WebSocket-Accept` header.
    DuplicateAccept,
    /// `Sec-WebSocket-Accept` is not the digest of the key sent.
    WrongAccept,
    /// `Sec-WebSocket-Extensions` names an extension the client did not offer.
    UnofferedExtension,
    /// The server's answer to the `permessage-deflate` offer breaks RFC 7692 §7.
    Extension(ExtensionError),
    /// The server chose a subprotocol the client did not offer.
    UnofferedProtocol,
    /// The client offered subprotocols and the server chose none (strict mode, S5).
    MissingProtocol,
    /// The server named more than one subprotocol.
    MultipleProtocols,
    /// The connection ended before the response was complete.
    Eof,
}

impl HandshakeError {
    /// The words of `Display`, without `core::fmt` for [`ErrMsgText`].
    pub(crate) fn words(&self, w: &mut impl Words) {
        let words = match self {
            HandshakeError::Malformed(e) => {
                w.str("malformed handshake response: ");
                text::httparse_error(*e)
            }
            HandshakeError::HeaderBlockTooLarge { limit } => {
                w.str("handshake response header block exceeds ");
                w.decimal(*limit);
                " bytes"
            }
            HandshakeError::Version => "handshake response is not HTTP/1.1",
            HandshakeError::Status(s) => {
                w.str("unexpected HTTP status ");
                w.decimal(usize::from(*s));
                ", expected 101"
            }
            HandshakeError::MissingUpgrade => "missing Upgrade header",
            HandshakeError::InvalidUpgrade => "Upgrade header is not websocket",
            HandshakeError::MissingConnection => "missing Connection header",
            HandshakeError::InvalidConnection => "Connection header does not contain upgrade",
            HandshakeError::MissingAccept => "missing Sec-WebSocket-Accept header",
            HandshakeError::DuplicateAccept => "more than one Sec-WebSocket-Accept header",
            HandshakeError::WrongAccept => "Sec-WebSocket-Accept does not match the key",
            HandshakeError::UnofferedExtension => "server selected an extension that was not offered",
            HandshakeError::Extension(e) => return e.words(w),
            HandshakeError::UnofferedProtocol => "server selected a subprotocol that was not offered",
            HandshakeError::MissingProtocol => "server selected no subprotocol although some were offered",
            HandshakeError::MultipleProtocols => "server selected more than one subprotocol",
            HandshakeError::Eof => "connection closed during the opening handshake",
        };
        w.str(words);
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(f, |w| self.words(w))
    }
}

impl core::error::Error for HandshakeError {}

/// A rule of RFC 6455 the server broke after the handshake (S17–S20). Each carries the close
/// code the client sends when it fails the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ProtocolError {
    /// A server frame had the mask bit set (§5.1).
    MaskedFrame,
    /// RSV1–3 set with no extension negotiated (§5.2).
    ReservedBits,
    /// An opcode RFC 6455 reserves (3–7, 11–15).
    ReservedOpcode(u8),
    /// A control frame without FIN (§5.5).
    FragmentedControl,
    /// A control frame with more than 125 bytes of payload (§5.5).
    ControlTooLong,
    /// A continuation frame with no message to continue (§5.4).
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is open (§5.4).
    ExpectedContinuation,
    /// A payload length not in its minimal encoding (§5.2).
    NonMinimalLength,
    /// A 64-bit payload length with the most significant bit set (§5.2).
    LengthOverflow,
    /// A text message or close reason that is not UTF-8 (§8.1).
    InvalidUtf8,
    /// A close frame with a 1-byte payload (§5.5.1).
    InvalidClosePayload,
    /// A close frame with a code not valid on the wire (§7.4).
    InvalidCloseCode(CloseCode),
    /// A frame longer than the configured frame limit (S20).
    FrameTooLarge,
    /// A message longer than the configured message limit (S20).
    MessageTooLarge,
    /// A message in more fragments than the configured limit (S20).
    TooManyFragments,
    /// A compressed message (permessage-deflate, RFC 7692) whose payload is not DEFLATE data
    /// or does not end at a block boundary: 1002, as a payload that breaks the negotiated
    /// extension (RFC 6455 §7.4.1 keeps 1007 for data inconsistent with the message type).
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code the client sends when this error fails the connection.
    ///
    /// ```
    /// use sockettask::{CloseCode, ProtocolError};
    ///
    /// assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
    /// assert_eq!(ProtocolError::TooManyFragments.close_code(), CloseCode::MESSAGE_TOO_BIG);
    /// ```
    // Out of line: the failure paths that call it would each hold a copy (20 B of flash each
    // on a Cortex-M), and none is hot.
    #[inline(never)]
    pub const fn close_code(self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            ProtocolError::FrameTooLarge
            | ProtocolError::MessageTooLarge
            | ProtocolError::TooManyFragments => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl ProtocolError {
    /// A short, fixed description (under 123 bytes): the reason of the close frame the client
    /// sends when this error fails the connection.
    ///
    /// ```
    /// use sockettask::ProtocolError;
    ///
    /// assert_eq!(ProtocolError::ReservedOpcode(3).reason(), "reserved opcode");
    /// ```
    pub const fn reason(self) -> &'static str {
        let index = match self {
            ProtocolError::MaskedFrame => 0,
            ProtocolError::ReservedBits => 1,
            ProtocolError::ReservedOpcode(_) => 2,
            ProtocolError::FragmentedControl => 3,
            ProtocolError::ControlTooLong => 4,
            ProtocolError::UnexpectedContinuation => 5,
            ProtocolError::ExpectedContinuation => 6,
            ProtocolError::NonMinimalLength => 7,
            ProtocolError::LengthOverflow => 8,
            ProtocolError::InvalidUtf8 => 9,
            ProtocolError::InvalidClosePayload => 10,
            ProtocolError::InvalidCloseCode(_) => 11,
            ProtocolError::FrameTooLarge => 12,
            ProtocolError::MessageTooLarge => 13,
            ProtocolError::TooManyFragments => 14,
            ProtocolError::InvalidCompressedData => 15,
        };
        packed::cut(REASON_TEXT, &REASON_STARTS, index)
    }
}

/// The reasons of [`ProtocolError::reason`], in the order of its `match`.
const REASONS: [&str; 16] = [
    "server frame is masked",
    "reserved bits set without a negotiated extension",
    "reserved opcode",
    "fragmented control frame",
    "control frame payload over 125 bytes",
    "continuation frame without a message to continue",
    "new data frame inside a fragmented message",
    "payload length not minimally encoded",
    "64-bit payload length with the top bit set",
    "invalid UTF-8 in text",
    "close frame with a 1-byte payload",
    "invalid close code",
    "frame exceeds the frame size limit",
    "message exceeds the message size limit",
    "message exceeds the fragment count limit",
    "invalid compressed data",
];

/// [`REASONS`] packed (a `match` returning `&str` compiles to two tables of 16 words: 128
/// bytes of flash on a 32-bit target, where the offsets take 34).
const REASON_BYTES: [u8; packed::total_len(&REASONS)] = packed::concat(&REASONS);
const REASON_TEXT: &str = packed::text(&REASON_BYTES);
const REASON_STARTS: [u16; REASONS.len() + 1] = packed::starts(&REASONS);

impl ProtocolError {
    /// The words of `Display`, without `core::fmt` for [`ErrMsgText`].
    pub(crate) fn words(&self, w: &mut impl Words) {
        w.str(self.reason());
        match self {
            ProtocolError::ReservedOpcode(op) => {
                w.str(" ");
                w.hex(*op);
            }
            ProtocolError::InvalidCloseCode(c) => {
                w.str(" ");
                w.decimal(usize::from(c.0));
            }
            _ => {}
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(f, |w| self.words(w))
    }
}

impl core::error::Error for ProtocolError {}

/// A failure of the byte stream under the task, as the transport reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransportError {
    /// The host name did not resolve.
    Resolve,
    /// The TCP connection could not be established.
    Connect,
    /// The TLS handshake or a TLS record failed.
    Tls(TlsError),
    /// The peer reset the connection.
    Reset,
    /// Any other read or write error.
    Io,
}

impl TransportError {
    /// The words of `Display`, without `core::fmt` for [`ErrMsgText`].
    pub(crate) fn words(&self, w: &mut impl Words) {
        let words = match self {
            TransportError::Resolve => "host name could not be resolved",
            TransportError::Connect => "connection refused or unreachable",
            TransportError::Tls(e) => {
                w.str("TLS failure: ");
                e.words()
            }
            TransportError::Reset => "connection reset by peer",
            TransportError::Io => "I/O error",
        };
        w.str(words);
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(f, |w| self.words(w))
    }
}

impl core::error::Error for TransportError {}

/// Why TLS failed, as far as the task's error needs to tell (the transport keeps the detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TlsError {
    /// The certificate chain does not lead to a trusted root.
    UnknownIssuer,
    /// A certificate is expired or not yet valid.
    Expired,
    /// The certificate is not valid for the host name connected to.
    WrongHost,
    /// The certificate was refused for another reason (revoked, bad signature, bad encoding).
    BadCertificate,
    /// The server sent a TLS alert.
    AlertReceived,
    /// Any other TLS failure: protocol violation, a host name unusable for SNI, …
    Other,
}

impl TlsError {
    /// The words of `Display`.
    const fn words(&self) -> &'static str {
        match self {
            TlsError::UnknownIssuer => "certificate issuer unknown",
            TlsError::Expired => "certificate expired or not yet valid",
            TlsError::WrongHost => "certificate not valid for the host name",
            TlsError::BadCertificate => "certificate refused",
            TlsError::AlertReceived => "alert received from the server",
            TlsError::Other => "TLS protocol failure",
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

impl core::error::Error for TlsError {}

/// What an `onError` event carries (S12, S13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TaskError {
    /// The server's handshake response was refused.
    Handshake(HandshakeError),
    /// The server broke the protocol; the client failed the connection with its close code.
    Protocol(ProtocolError),
    /// The connect timeout expired before the handshake finished (S6).
    Timeout,
    /// The transport failed.
    Transport(TransportError),
}

impl TaskError {
    /// The `errMsg` of the `onError` event: the error in words.
    pub fn err_msg(&self) -> ErrMsg<'_> {
        ErrMsg(ErrMsgKind::Task(self))
    }
}

impl TaskError {
    /// The words of `Display`, without `core::fmt` for [`ErrMsgText`].
    pub(crate) fn words(&self, w: &mut impl Words) {
        match self {
            TaskError::Handshake(e) => e.words(w),
            TaskError::Protocol(e) => e.words(w),
            TaskError::Timeout => w.str("timeout"),
            TaskError::Transport(e) => e.words(w),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(f, |w| self.words(w))
    }
}

impl core::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            TaskError::Handshake(e) => Some(e),
            TaskError::Protocol(e) => Some(e),
            TaskError::Timeout => None,
            TaskError::Transport(e) => Some(e),
        }
    }
}

impl From<HandshakeError> for TaskError {
    fn from(e: HandshakeError) -> Self {
        TaskError::Handshake(e)
    }
}

impl From<ProtocolError> for TaskError {
    fn from(e: ProtocolError) -> Self {
        TaskError::Protocol(e)
    }
}

impl From<TransportError> for TaskError {
    fn from(e: TransportError) -> Self {
        TaskError::Transport(e)
    }
}

// Every error type of this module, checked without std (CI builds the core for thumbv7em).
const _: () = {
    const fn is_error<E: core::error::Error + Send + Sync + 'static>() {}
    is_error::<UrlError>();
    is_error::<ConnectError>();
    is_error::<SendError>();
    is_error::<CloseError>();
    is_error::<ConfigError>();
    is_error::<HandshakeError>();
    is_error::<ProtocolError>();
    is_error::<TransportError>();
    is_error::<TlsError>();
    is_error::<TaskError>();
};

/// A mini-program `errMsg` string, written by `Display` without allocating, or by
/// [`ErrMsg::text`] into a fixed buffer without `core::fmt`.
///
/// ```
/// use sockettask::{CloseCode, CloseError};
///
/// let e = CloseError::InvalidCode(CloseCode(1001));
/// assert_eq!(
///     e.err_msg().to_string(),
///     "closeSocket:fail The code must be either 1000, or between 3000 and 4999"
/// );
/// assert_eq!(e.err_msg().text(), e.err_msg().to_string().as_str());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ErrMsg<'e>(ErrMsgKind<'e>);

#[derive(Clone, Copy, Debug)]
enum ErrMsgKind<'e> {
    Connect(&'e ConnectError),
    Send(&'e SendError),
    Close(&'e CloseError),
    Task(&'e TaskError),
}

impl ErrMsg<'_> {
    /// The message written into a fixed buffer of [`ERR_MSG_LEN`] bytes, without
    /// `core::fmt`: the same text as `Display`, for a device that has no room for the
    /// formatting machinery (about 4 KB of flash on a Cortex-M). Every message fits.
    ///
    /// ```
    /// use sockettask::{HandshakeError, ProtocolError, TaskError};
    ///
    /// let e = TaskError::Handshake(HandshakeError::Status(404));
    /// assert_eq!(e.err_msg().text().as_str(), "unexpected HTTP status 404, expected 101");
    /// let e = TaskError::Protocol(ProtocolError::ReservedOpcode(0xb));
    /// assert_eq!(e.err_msg().text(), "reserved opcode 0xb");
    /// # assert_eq!(e.err_msg().text(), e.err_msg().to_string().as_str());
    /// ```
    pub fn text(&self) -> ErrMsgText {
        let mut text = ErrMsgText::default();
        self.words(&mut text);
        text
    }

    fn words(&self, w: &mut impl Words) {
        match self.0 {
            ErrMsgKind::Connect(e) => connect_err_msg(e, w),
            ErrMsgKind::Send(e) => send_err_msg(e, w),
            ErrMsgKind::Close(e) => close_err_msg(e, w),
            ErrMsgKind::Task(e) => e.words(w),
        }
    }
}

impl fmt::Display for ErrMsg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(f, |w| self.words(w))
    }
}

fn connect_err_msg(e: &ConnectError, w: &mut impl Words) {
    w.str("connectSocket:fail ");
    let words = match e {
        ConnectError::InvalidUrl { url, .. } => {
            w.str("invalid url \"");
            url.words(w);
            "\""
        }
        ConnectError::InvalidHeaderName { .. } | ConnectError::InvalidHeaderValue { .. } => "invalid header",
        ConnectError::ForbiddenHeader { name } => {
            w.str("invalid header \"");
            name.words(w);
            "\" cannot be set"
        }
        ConnectError::InvalidProtocol { .. } | ConnectError::ProtocolsTooLong { .. } => "invalid protocols",
        ConnectError::NotInDomainList { .. } => "url not in domain list",
        ConnectError::TooManyTasks { .. } => "exceed max task count",
        ConnectError::RequestTooLarge { .. } => "request too large",
        ConnectError::InvalidDeflateOffer(_) => "invalid perMessageDeflate",
    };
    w.str(words);
}

fn send_err_msg(e: &SendError, w: &mut impl Words) {
    w.str("SocketTask.send:fail ");
    let words = match e {
        SendError::NotOpen(_) | SendError::UnknownHandle => "SocketTask.readyState is not OPEN",
        SendError::BufferFull { .. } => "buffer is full",
        SendError::NotCompressing => "perMessageDeflate is off",
        SendError::MessageTooLarge { .. } => "message is too large",
        SendError::InvalidUtf8 { .. } => "text is not valid UTF-8",
    };
    w.str(words);
}

fn close_err_msg(e: &CloseError, w: &mut impl Words) {
    w.str("closeSocket:fail ");
    let words = match e {
        CloseError::InvalidCode(_) => "The code must be either 1000, or between 3000 and 4999",
        CloseError::ReasonTooLong { .. } => "reason must not exceed 123 UTF-8 bytes",
        CloseError::NotConnected | CloseError::UnknownHandle => "WebSocket is not connected",
    };
    w.str(words);
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::ToString;

    use super::*;

    // --- what a refused connect says ---

    #[test]
    fn display_and_err_msg_quote_the_excerpt() {
        let url = format!("wss://example.com/{}", "p".repeat(60));
        let e = ConnectError::InvalidUrl { url: Excerpt::new(&url), reason: UrlError::InvalidCharacter };
        let kept = &url[..EXCERPT_LEN];
        assert_eq!(e.to_string(), format!("invalid url \"{kept}…\": invalid character"));
        assert_eq!(e.err_msg().to_string(), format!("connectSocket:fail invalid url \"{kept}…\""));
        let e = ConnectError::ForbiddenHeader { name: "Host".into() };
        assert_eq!(e.to_string(), "header \"Host\" cannot be set");
        assert_eq!(e.err_msg().to_string(), "connectSocket:fail invalid header \"Host\" cannot be set");
    }

    /// One of every error, with the longest quotes and numbers.
    fn every_err_msg() -> std::vec::Vec<std::string::String> {
        use crate::handshake::extension::{DeflateOfferError, DeflateParameter, ExtensionError};
        let long = "wss://é".repeat(EXCERPT_LEN);
        let name = "x".repeat(EXCERPT_LEN + 1);
        let mut all = std::vec::Vec::new();
        for e in [
            ConnectError::InvalidUrl { url: Excerpt::new(&long), reason: UrlError::InvalidHost },
            ConnectError::InvalidUrl { url: Excerpt::new("wss://a b"), reason: UrlError::InvalidCharacter },
            ConnectError::InvalidHeaderName { name: Excerpt::new(&name) },
            ConnectError::InvalidHeaderValue { name: Excerpt::new("x") },
            ConnectError::ForbiddenHeader { name: Excerpt::new("sec-websocket-extensions") },
            ConnectError::ForbiddenHeader { name: Excerpt::new(&name) },
            ConnectError::InvalidProtocol { protocol: Excerpt::new("a b") },
            ConnectError::NotInDomainList { host: Excerpt::new("h") },
            ConnectError::TooManyTasks { limit: 5 },
            ConnectError::RequestTooLarge { required: usize::MAX, capacity: 1 },
            ConnectError::InvalidDeflateOffer(DeflateOfferError::NotBuilt),
            ConnectError::ProtocolsTooLong { required: 300, capacity: 256 },
        ] {
            all.push((e.err_msg().to_string(), e.err_msg().text()));
        }
        for e in [
            SendError::NotOpen(ReadyState::Closing),
            SendError::UnknownHandle,
            SendError::BufferFull { required: 1, available: 0 },
            SendError::NotCompressing,
            SendError::MessageTooLarge { required: usize::MAX, limit: 1 },
            SendError::InvalidUtf8 { valid_up_to: usize::MAX },
        ] {
            all.push((e.err_msg().to_string(), e.err_msg().text()));
        }
        for e in [
            CloseError::InvalidCode(CloseCode(1)),
            CloseError::ReasonTooLong { len: 124 },
            CloseError::NotConnected,
            CloseError::UnknownHandle,
        ] {
            all.push((e.err_msg().to_string(), e.err_msg().text()));
        }
        let mut tasks = std::vec![TaskError::Timeout];
        for e in [
            httparse::Error::HeaderName,
            httparse::Error::HeaderValue,
            httparse::Error::NewLine,
            httparse::Error::Status,
            httparse::Error::Token,
            httparse::Error::TooManyHeaders,
            httparse::Error::Version,
        ] {
            tasks.push(TaskError::Handshake(HandshakeError::Malformed(e)));
        }
        let parameters = [
            DeflateParameter::ServerNoContextTakeover,
            DeflateParameter::ClientNoContextTakeover,
            DeflateParameter::ServerMaxWindowBits,
            DeflateParameter::ClientMaxWindowBits,
        ];
        let mut extension = std::vec![
            ExtensionError::Malformed,
            ExtensionError::Unoffered,
            ExtensionError::DuplicateExtension,
            ExtensionError::UnknownParameter,
        ];
        for p in parameters {
            extension.extend([
                ExtensionError::DuplicateParameter(p),
                ExtensionError::InvalidValue(p),
                ExtensionError::ValueNotOffered(p),
                ExtensionError::MissingParameter(p),
            ]);
        }
        tasks.extend(extension.into_iter().map(|e| TaskError::Handshake(HandshakeError::Extension(e))));
        tasks.extend(
            [
                HandshakeError::HeaderBlockTooLarge { limit: usize::MAX },
                HandshakeError::HeaderBlockTooLarge { limit: 8192 },
                HandshakeError::Version,
                HandshakeError::Status(0),
                HandshakeError::Status(404),
                HandshakeError::Status(u16::MAX),
                HandshakeError::MissingUpgrade,
                HandshakeError::InvalidUpgrade,
                HandshakeError::MissingConnection,
                HandshakeError::InvalidConnection,
                HandshakeError::MissingAccept,
                HandshakeError::DuplicateAccept,
                HandshakeError::WrongAccept,
                HandshakeError::UnofferedExtension,
                HandshakeError::UnofferedProtocol,
                HandshakeError::MissingProtocol,
                HandshakeError::MultipleProtocols,
                HandshakeError::Eof,
            ]
            .map(TaskError::Handshake),
        );
        tasks.extend(
            [
                ProtocolError::MaskedFrame,
                ProtocolError::ReservedBits,
                ProtocolError::ReservedOpcode(3),
                ProtocolError::ReservedOpcode(0xff),
                ProtocolError::FragmentedControl,
                ProtocolError::ControlTooLong,
                ProtocolError::UnexpectedContinuation,
                ProtocolError::ExpectedContinuation,
                ProtocolError::NonMinimalLength,
                ProtocolError::LengthOverflow,
                ProtocolError::InvalidUtf8,
                ProtocolError::InvalidClosePayload,
                ProtocolError::InvalidCloseCode(CloseCode(0)),
                ProtocolError::InvalidCloseCode(CloseCode(65535)),
                ProtocolError::FrameTooLarge,
                ProtocolError::MessageTooLarge,
                ProtocolError::TooManyFragments,
                ProtocolError::InvalidCompressedData,
            ]
            .map(TaskError::Protocol),
        );
        let tls = [
            TlsError::UnknownIssuer,
            TlsError::Expired,
            TlsError::WrongHost,
            TlsError::BadCertificate,
            TlsError::AlertReceived,
            TlsError::Other,
        ];
        tasks.extend(tls.map(|e| TaskError::Transport(TransportError::Tls(e))));
        tasks.extend(
            [TransportError::Resolve, TransportError::Connect, TransportError::Reset, TransportError::Io]
                .map(TaskError::Transport),
        );
        for e in tasks {
            all.push((e.err_msg().to_string(), e.err_msg().text()));
            // The task's errMsg is its Display.
            assert_eq!(e.err_msg().to_string(), e.to_string());
        }
        all.into_iter()
            .map(|(display, text)| {
                assert_eq!(text.as_str(), display, "ErrMsg::text is Display");
                display
            })
            .collect()
    }

    #[test]
    fn err_msg_text_is_display_and_fits() {
        let all = every_err_msg();
        assert!(all.len() > 80);
        let longest = all.iter().map(std::string::String::len).max().unwrap();
        assert!(longest <= ERR_MSG_LEN, "{longest}");
        assert_eq!(longest, 101, "a cut quote in the longest message: the figure ERR_MSG_LEN's doc gives");
    }

    #[test]
    fn display_is_unchanged() {
        assert_eq!(HandshakeError::Status(404).to_string(), "unexpected HTTP status 404, expected 101");
        assert_eq!(
            HandshakeError::Malformed(httparse::Error::Token).to_string(),
            "malformed handshake response: invalid token"
        );
        assert_eq!(
            HandshakeError::HeaderBlockTooLarge { limit: 8192 }.to_string(),
            "handshake response header block exceeds 8192 bytes"
        );
        assert_eq!(ProtocolError::ReservedOpcode(0xb).to_string(), "reserved opcode 0xb");
        assert_eq!(ProtocolError::InvalidCloseCode(CloseCode(1005)).to_string(), "invalid close code 1005");
        assert_eq!(
            TransportError::Tls(TlsError::Expired).to_string(),
            "TLS failure: certificate expired or not yet valid"
        );
        assert_eq!(TaskError::Timeout.to_string(), "timeout");
        assert_eq!(format!("{:>8}", TaskError::Timeout), "timeout", "no padding, as before");
    }

    #[test]
    fn every_forbidden_name_fits_an_excerpt() {
        for name in crate::handshake::request::FORBIDDEN_HEADERS {
            assert!(!Excerpt::new(name).is_truncated(), "{name}");
        }
    }
}
