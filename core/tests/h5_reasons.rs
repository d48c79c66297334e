//! `ProtocolError::reason`, the close reason the client sends when it fails the connection:
//! each error has its own text, and every text fits a close frame (RFC 6455 §5.5: a control
//! frame's payload is at most 125 bytes, 2 of them the code, so at most 123 of reason).

use sockettask::{CloseCode, ProtocolError};

/// Every variant with the reason its documentation promises.
const ALL: [(ProtocolError, &str); 16] = [
    (ProtocolError::MaskedFrame, "server frame is masked"),
    (ProtocolError::ReservedBits, "reserved bits set without a negotiated extension"),
    (ProtocolError::ReservedOpcode(3), "reserved opcode"),
    (ProtocolError::FragmentedControl, "fragmented control frame"),
    (ProtocolError::ControlTooLong, "control frame payload over 125 bytes"),
    (ProtocolError::UnexpectedContinuation, "continuation frame without a message to continue"),
    (ProtocolError::ExpectedContinuation, "new data frame inside a fragmented message"),
    (ProtocolError::NonMinimalLength, "payload length not minimally encoded"),
    (ProtocolError::LengthOverflow, "64-bit payload length with the top bit set"),
    (ProtocolError::InvalidUtf8, "invalid UTF-8 in text"),
    (ProtocolError::InvalidClosePayload, "close frame with a 1-byte payload"),
    (ProtocolError::InvalidCloseCode(CloseCode(999)), "invalid close code"),
    (ProtocolError::FrameTooLarge, "frame exceeds the frame size limit"),
    (ProtocolError::MessageTooLarge, "message exceeds the message size limit"),
    (ProtocolError::TooManyFragments, "message exceeds the fragment count limit"),
    (ProtocolError::InvalidCompressedData, "invalid compressed data"),
];

#[test]
fn each_error_has_its_own_reason() {
    for (error, reason) in ALL {
        assert_eq!(error.reason(), reason, "{error:?}");
    }
}

#[test]
fn reasons_fit_a_close_frame_and_start_display() {
    for (error, _) in ALL {
        assert!(error.reason().len() <= 123, "{error:?}");
        assert!(error.to_string().starts_with(error.reason()), "{error:?}");
    }
}

#[test]
fn payloads_do_not_change_the_reason() {
    assert_eq!(ProtocolError::ReservedOpcode(0xf).reason(), "reserved opcode");
    assert_eq!(ProtocolError::InvalidCloseCode(CloseCode(1005)).reason(), "invalid close code");
    assert_eq!(ProtocolError::ReservedOpcode(0xb).to_string(), "reserved opcode 0xb");
}

/// Usable where a constant is needed, as a `const fn`.
const MASKED: &str = ProtocolError::MaskedFrame.reason();

#[test]
fn reason_is_const() {
    assert_eq!(MASKED, "server frame is masked");
}
