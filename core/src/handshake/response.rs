//! Validation of the server's handshake response (S8) and access to its headers. STUB.

use core::ops::Range;

use crate::error::HandshakeError;
use crate::handshake::Accept;

/// How many response headers are parsed at most.
pub const MAX_RESPONSE_HEADERS: usize = 32;

/// How the "no subprotocol chosen" case is judged (S5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtocolCheck {
    /// Offered protocols and none chosen fails the handshake (browsers, the seed).
    #[default]
    Strict,
    /// RFC 6455 alone: none chosen is accepted.
    Lenient,
}

/// Index just past the `\r\n\r\n` ending the header block, searching `buf` from `from`
/// (the caller passes how far a previous search got; overlap is handled here).
pub fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let _ = (buf, from);
    unimplemented!()
}

/// Validates a complete header block. `offered` is the protocol list as sent (`"a, b"`,
/// empty when none). Returns the byte range of the chosen protocol inside `block`.
pub fn validate(
    block: &[u8],
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
) -> Result<Option<Range<usize>>, HandshakeError> {
    let _ = (block, accept, offered, check);
    unimplemented!()
}

/// The headers of a validated response, for the `onOpen` event.
#[derive(Clone, Copy, Debug)]
pub struct Headers<'a> {
    block: &'a [u8],
}

impl<'a> Headers<'a> {
    /// Wraps a header block that `validate` accepted.
    pub fn new(block: &'a [u8]) -> Self {
        Headers { block }
    }
    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        let _ = name;
        unimplemented!()
    }
    /// Every header in order.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter { rest: self.block }
    }
}

/// Iterator over `(name, value)` pairs of a [`Headers`].
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let _ = self.rest;
        unimplemented!()
    }
}
