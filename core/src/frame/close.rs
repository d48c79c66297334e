//! Close frame payloads (RFC 6455 §5.5.1, §7.4). STUB.

use crate::close_code::CloseCode;
use crate::error::ProtocolError;

/// Longest close reason: 125 - 2 bytes of code.
pub const MAX_REASON_LEN: usize = 123;

/// Parses a received close payload: `None` for an empty one.
pub fn parse_close(payload: &[u8]) -> Result<Option<(CloseCode, &str)>, ProtocolError> {
    let _ = payload;
    unimplemented!()
}

/// Writes a close payload (code + reason) and returns its length; `None` writes nothing.
pub fn encode_close_payload(close: Option<(CloseCode, &str)>, out: &mut [u8; 125]) -> usize {
    let _ = (close, out);
    unimplemented!()
}
