//! Decoding server frame headers with every RFC 6455 check a client must make (S17). STUB.

use crate::error::ProtocolError;
use crate::frame::FrameHeader;

/// The outcome of [`decode_header`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A whole header: the header and how many bytes it took.
    Complete {
        /// The header.
        header: FrameHeader,
        /// Its encoded length.
        len: usize,
    },
    /// More bytes are needed.
    Incomplete,
}

/// Decodes a server frame header from the start of `buf`.
pub fn decode_header(buf: &[u8]) -> Result<Decoded, ProtocolError> {
    let _ = buf;
    unimplemented!()
}
