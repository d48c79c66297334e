//! Close frame payloads (RFC 6455 §5.5.1, §7.4): the frame codec's close-payload layer.
//!
//! A close payload is empty, or a 2-byte big-endian status code followed by a UTF-8 reason.
//! What the socket does with a close (echo it, wait for TCP to end) is not this layer's
//! business.

use crate::close_code::CloseCode;
use crate::error::ProtocolError;

/// Longest close reason: 125 - 2 bytes of code.
pub const MAX_REASON_LEN: usize = 123;

/// Longest close payload: a control frame's payload limit (RFC 6455 §5.5).
const MAX_PAYLOAD_LEN: usize = 125;

/// Parses a received close payload: `None` for an empty one.
///
/// Checks, in this order: the payload fits a control frame ([`ProtocolError::ControlTooLong`];
/// the header decoder has already refused such frames, this is defensive), is not a lone byte
/// ([`ProtocolError::InvalidClosePayload`]), carries a code valid on the wire
/// ([`ProtocolError::InvalidCloseCode`], S19) and a UTF-8 reason ([`ProtocolError::InvalidUtf8`]).
pub(crate) fn parse_close(payload: &[u8]) -> Result<Option<(CloseCode, &str)>, ProtocolError> {
    // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(ProtocolError::ControlTooLong);
    }
    if payload.is_empty() {
        return Ok(None);
    }
    // RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
    // unsigned integer (in network byte order) representing a status code".
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        return Err(ProtocolError::InvalidClosePayload);
    };
    let code = CloseCode(u16::from_be_bytes(*code));
    // RFC 6455 §7.4 lists the codes an endpoint may send; S19 fails the connection on any
    // other.
    if !code.is_valid_on_wire() {
        return Err(ProtocolError::InvalidCloseCode(code));
    }
    // RFC 6455 §5.5.1: the reason's "data is not guaranteed to be human readable but ... MUST
    // be UTF-8"; §8.1: invalid UTF-8 MUST _Fail the WebSocket Connection_.
    let reason = simdutf8::basic::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
    Ok(Some((code, reason)))
}

/// Writes a close payload (code + reason) and returns its length; `None` writes nothing.
///
/// The code is written as given (the caller sends only codes valid on the wire). The caller
/// guarantees the reason is at most [`MAX_REASON_LEN`] bytes (S15 refuses longer ones); a
/// longer reason is cut at the last character boundary at or before 123 bytes, so the
/// payload stays valid UTF-8 and within a control frame.
pub(crate) fn encode_close_payload(close: Option<(CloseCode, &str)>, out: &mut [u8; 125]) -> usize {
    let Some((code, reason)) = close else {
        return 0;
    };
    let reason = truncate_reason(reason);
    let [hi, lo, rest @ ..] = out;
    [*hi, *lo] = code.0.to_be_bytes();
    for (d, s) in rest.iter_mut().zip(reason.as_bytes()) {
        *d = *s;
    }
    2 + reason.len()
}

/// `reason` cut at the last character boundary at or before [`MAX_REASON_LEN`] bytes.
fn truncate_reason(reason: &str) -> &str {
    let end = reason.floor_char_boundary(MAX_REASON_LEN);
    reason.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    fn encode(close: Option<(CloseCode, &str)>) -> Vec<u8> {
        let mut out = [0xEE; 125];
        let n = encode_close_payload(close, &mut out);
        out[..n].to_vec()
    }

    // --- parsing: accepted payloads ---

    #[test]
    fn empty_payload_has_no_code() {
        assert_eq!(parse_close(b""), Ok(None));
    }

    #[test]
    fn code_without_reason() {
        assert_eq!(parse_close(&[0x03, 0xE9]), Ok(Some((CloseCode::GOING_AWAY, ""))));
    }

    #[test]
    fn code_with_utf8_reason() {
        let payload = [&[0x0F, 0xA0][..], "κόσμε".as_bytes()].concat();
        assert_eq!(parse_close(&payload), Ok(Some((CloseCode(4000), "κόσμε"))));
    }

    #[test]
    fn longest_payload_is_accepted() {
        let payload = [&[0x03, 0xE8][..], &[b'a'; MAX_REASON_LEN]].concat();
        assert_eq!(parse_close(&payload).map(|c| c.map(|(_, r)| r.len())), Ok(Some(MAX_REASON_LEN)));
    }

    // --- parsing: refused payloads ---

    #[test]
    fn one_byte_payload_is_refused() {
        assert_eq!(parse_close(&[0x03]), Err(ProtocolError::InvalidClosePayload));
    }

    #[test]
    fn codes_not_valid_on_the_wire_are_refused() {
        for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, u16::MAX] {
            let payload = code.to_be_bytes();
            assert_eq!(parse_close(&payload), Err(ProtocolError::InvalidCloseCode(CloseCode(code))));
        }
    }

    #[test]
    fn invalid_utf8_reason_is_refused() {
        for reason in [&[0xFF][..], &[0xCE, 0xBA, 0xE1], &[0xED, 0xA0, 0x80], &[0xC0, 0xAF]] {
            let payload = [&[0x03, 0xE8][..], reason].concat();
            assert_eq!(parse_close(&payload), Err(ProtocolError::InvalidUtf8), "{reason:x?}");
        }
    }

    #[test]
    fn oversized_payload_is_refused() {
        let payload = [&[0x03, 0xE8][..], &[b'a'; MAX_REASON_LEN + 1]].concat();
        assert_eq!(parse_close(&payload), Err(ProtocolError::ControlTooLong));
    }

    #[test]
    fn invalid_code_is_reported_before_invalid_reason() {
        assert_eq!(parse_close(&[0x03, 0xED, 0xFF]), Err(ProtocolError::InvalidCloseCode(CloseCode(1005))));
    }

    // --- encoding ---

    #[test]
    fn no_close_writes_nothing() {
        assert_eq!(encode(None), b"");
    }

    #[test]
    fn code_is_big_endian_then_reason() {
        assert_eq!(encode(Some((CloseCode::NORMAL, ""))), [0x03, 0xE8]);
        assert_eq!(encode(Some((CloseCode(4999), "done"))), [0x13, 0x87, b'd', b'o', b'n', b'e']);
    }

    #[test]
    fn longest_reason_fills_the_payload() {
        let reason = "r".repeat(MAX_REASON_LEN);
        assert_eq!(encode(Some((CloseCode::NORMAL, &reason))).len(), 125);
    }

    #[test]
    fn over_long_reason_is_cut_at_a_char_boundary() {
        let ascii = "a".repeat(200);
        assert_eq!(encode(Some((CloseCode::NORMAL, &ascii))).len(), 125);
        // 61 two-byte characters end at byte 122; the 62nd would end at 124.
        let greek = "κ".repeat(70);
        let payload = encode(Some((CloseCode::NORMAL, &greek)));
        assert_eq!(payload.len(), 2 + 122);
        assert_eq!(parse_close(&payload), Ok(Some((CloseCode::NORMAL, &greek[..122]))));
    }

    #[test]
    fn encoded_payloads_parse_back() {
        for (code, reason) in [(1000, ""), (1001, "going"), (3000, "κόσμε"), (4999, "🦀")] {
            let payload = encode(Some((CloseCode(code), reason)));
            assert_eq!(parse_close(&payload), Ok(Some((CloseCode(code), reason))));
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn parse_close_example() {
        use crate::frame::close::parse_close;
        use crate::{CloseCode, ProtocolError};

        assert_eq!(parse_close(&[0x03, 0xE8, b'b', b'y', b'e']), Ok(Some((CloseCode::NORMAL, "bye"))));
        assert_eq!(parse_close(&[]), Ok(None));
        assert_eq!(parse_close(&[0x03]), Err(ProtocolError::InvalidClosePayload));
    }

    #[test]
    fn encode_close_payload_example() {
        use crate::CloseCode;
        use crate::frame::close::encode_close_payload;

        let mut out = [0; 125];
        assert_eq!(encode_close_payload(Some((CloseCode::NORMAL, "bye")), &mut out), 5);
        assert_eq!(out[..5], [0x03, 0xE8, b'b', b'y', b'e']);
        assert_eq!(encode_close_payload(None, &mut out), 0);
    }
}
