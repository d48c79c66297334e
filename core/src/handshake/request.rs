//! The client's opening handshake request (S7) and the rules on caller headers (S3.2, S3.3). STUB.

use crate::error::ConnectError;
use crate::handshake::Key;
use crate::url::Url;

/// What to do with a header the library manages, or `referer` (S3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForbiddenHeaders {
    /// Refuse the connect with `ConnectError::ForbiddenHeader` (the default).
    #[default]
    Reject,
    /// Leave them out of the request silently, as the platforms do.
    Drop,
}

/// The pieces of a handshake request.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Where to connect.
    pub url: &'a Url<'a>,
    /// The key sent as `Sec-WebSocket-Key`.
    pub key: &'a Key,
    /// Offered subprotocols, in order.
    pub protocols: &'a [&'a str],
    /// Caller headers, already checked.
    pub headers: &'a [(&'a str, &'a str)],
    /// How forbidden headers are treated.
    pub forbidden: ForbiddenHeaders,
}

impl Request<'_> {
    /// Bytes `encode` writes.
    pub fn encoded_len(&self) -> usize {
        unimplemented!()
    }
    /// Writes the request; `Err(required)` when `out` is too small.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, usize> {
        let _ = out;
        unimplemented!()
    }
}

/// Checks caller headers against S3.2 and S3.3.
pub fn check_headers<'a>(
    headers: &'a [(&'a str, &'a str)],
    forbidden: ForbiddenHeaders,
) -> Result<(), ConnectError<'a>> {
    let _ = (headers, forbidden);
    unimplemented!()
}

/// Checks offered subprotocols: non-empty tokens, no repeats.
pub fn check_protocols<'a>(protocols: &'a [&'a str]) -> Result<(), ConnectError<'a>> {
    let _ = protocols;
    unimplemented!()
}
