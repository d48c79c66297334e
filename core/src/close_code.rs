//! Close status codes (RFC 6455 §7.4) as an open newtype.

use core::fmt;

/// A WebSocket close status code.
///
/// Open: any `u16` can be held and survives a round trip, and the associated constants name
/// the codes RFC 6455 §7.4.1 and the IANA registry define.
///
/// ```
/// use sockettask::CloseCode;
///
/// assert_eq!(CloseCode::NORMAL, CloseCode(1000));
/// assert!(CloseCode(4000).is_valid_on_wire());
/// assert!(!CloseCode::NO_STATUS.is_valid_on_wire());
/// assert!(!CloseCode::PROTOCOL_ERROR.is_allowed_for_close());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: an endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: an endpoint is terminating the connection due to a protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: an endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: reserved; reported when a close frame carried no status code. Never sent.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: reserved; reported when the connection closed without a close frame. Never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: a message's data was inconsistent with its type (invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later.
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway or proxy received an invalid response upstream.
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: reserved; reported when the TLS handshake failed. Never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether a peer may put this code in a close frame (S19): 1000–1003, 1007–1014 and
    /// 3000–4999. Any other received code fails the connection with 1002.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether an application may pass this code to `close` (S15): 1000 or 3000–4999.
    pub const fn is_allowed_for_close(self) -> bool {
        matches!(self.0, 1000 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The number, as `Display` writes it.
#[cfg(feature = "defmt")]
impl defmt::Format for CloseCode {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=u16}", self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_matches_s19() {
        let valid = |c: u16| CloseCode(c).is_valid_on_wire();
        for c in [1000, 1001, 1002, 1003, 1007, 1010, 1014, 3000, 4999] {
            assert!(valid(c), "{c} must be valid");
        }
        for c in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX] {
            assert!(!valid(c), "{c} must be invalid");
        }
    }

    #[test]
    fn close_argument_matches_s15() {
        let ok = |c: u16| CloseCode(c).is_allowed_for_close();
        assert!(ok(1000) && ok(3000) && ok(4999));
        assert!(!ok(1001) && !ok(2999) && !ok(5000) && !ok(1005));
    }

    #[test]
    fn unknown_codes_round_trip() {
        assert_eq!(u16::from(CloseCode::from(4321)), 4321);
    }
}
