//! Decoding server frame headers with every RFC 6455 check a client must make (S17): the
//! frame codec's receive layer.
//!
//! The checks here need only the header. The rules that need the message so far (a
//! continuation without a start, a new data frame inside a fragmented message) and the size
//! limits of S20 belong to the socket, which applies them to the [`FrameHeader`] returned.
//!
//! # Check order
//!
//! When a header breaks several rules at once, the first broken rule in this order is
//! reported, and each is reported as soon as the bytes it needs have arrived:
//!
//! 1. RSV1–3 set, except RSV1 where [`Rsv1::Compressed`] allows it:
//!    [`ProtocolError::ReservedBits`] (byte 0);
//! 2. a reserved opcode: [`ProtocolError::ReservedOpcode`] (byte 0), then RSV1 on a control or
//!    continuation frame under [`Rsv1::Compressed`]: [`ProtocolError::ReservedBits`];
//! 3. the mask bit set: [`ProtocolError::MaskedFrame`] (byte 1);
//! 4. a control frame with FIN clear: [`ProtocolError::FragmentedControl`] (bytes 0–1);
//! 5. a control frame announcing more than 125 bytes, including the 16- and 64-bit length
//!    forms: [`ProtocolError::ControlTooLong`] (byte 1);
//! 6. a 64-bit length with its top bit set: [`ProtocolError::LengthOverflow`] (byte 2);
//! 7. a length not in its minimal form: [`ProtocolError::NonMinimalLength`] (bytes 2–3 or
//!    2–9).
//!
//! So the verdict on the first two bytes never waits for the extended length.

use crate::error::ProtocolError;
use crate::frame::header::{LEN_16_MARKER, LEN_64_MARKER, MAX_LEN_7, MAX_LEN_16};
use crate::frame::{FrameHeader, OpCode};

/// Largest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: u8 = 125;

/// What RSV1 means on this connection's frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rsv1 {
    /// No negotiated extension gives it a meaning: set, it fails the connection.
    Reserved,
    /// permessage-deflate: set on the first frame of a compressed message (RFC 7692 §6).
    #[cfg(feature = "deflate")]
    Compressed,
}

/// The outcome of [`decode_header`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
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

/// Decodes a server frame header from the start of `buf`, RSV1 meaning what `rsv1` says.
///
/// Returns [`Decoded::Incomplete`] until the whole header (2, 4 or 10 bytes) is in `buf`, or
/// the first broken rule as soon as it can be seen (see the [module docs](self) for the
/// order). A returned header never has a mask (`mask` is `None`); the payload, if any,
/// follows the header's `len` bytes. Bytes after the header are not looked at.
///
/// The tests run RFC 6455 §5.7's unmasked "Hello", and its masked twin, which a client must
/// refuse (`decode_header_example`).
pub(crate) fn decode_header(buf: &[u8], rsv1: Rsv1) -> Result<Decoded, ProtocolError> {
    let Some((&[b0, b1], extended)) = buf.split_first_chunk::<2>() else {
        return Ok(Decoded::Incomplete);
    };
    let (fin, compressed, opcode) = decode_first_byte(b0, rsv1)?;
    let len7 = decode_second_byte(b1)?;
    if opcode.is_control() {
        check_control(fin, len7)?;
    }
    let length = match len7 {
        LEN_16_MARKER => decode_length_16(extended)?,
        LEN_64_MARKER => decode_length_64(extended)?,
        n => Some((u64::from(n), 0)),
    };
    Ok(match length {
        Some((payload_len, extended_len)) => Decoded::Complete {
            header: FrameHeader { fin, rsv1: compressed, opcode, mask: None, payload_len },
            len: 2 + extended_len,
        },
        None => Decoded::Incomplete,
    })
}

/// FIN, RSV1 (where allowed; RSV2–3 never are) and the opcode.
fn decode_first_byte(b0: u8, rsv1: Rsv1) -> Result<(bool, bool, OpCode), ProtocolError> {
    // RFC 6455 §5.2: RSV1–3 "MUST be 0 unless an extension is negotiated that defines
    // meanings for non-zero values. If a nonzero value is received and none of the negotiated
    // extensions defines the meaning of such a nonzero value, the receiving endpoint MUST
    // _Fail the WebSocket Connection_." The only extension this client negotiates,
    // permessage-deflate, defines RSV1 alone.
    let allowed = match rsv1 {
        Rsv1::Reserved => 0,
        #[cfg(feature = "deflate")]
        Rsv1::Compressed => 0x40,
    };
    if b0 & 0x70 & !allowed != 0 {
        return Err(ProtocolError::ReservedBits);
    }
    // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail
    // the WebSocket Connection_."
    let opcode = OpCode::from_u8(b0 & 0x0F)?;
    let compressed = b0 & 0x40 != 0;
    // RFC 7692 §6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control
    // frames and non-first fragments of a data message. An endpoint receiving such a frame
    // MUST _Fail the WebSocket Connection_."
    if compressed && !matches!(opcode, OpCode::Text | OpCode::Binary) {
        return Err(ProtocolError::ReservedBits);
    }
    Ok((b0 & 0x80 != 0, compressed, opcode))
}

/// The mask bit and the 7-bit length.
fn decode_second_byte(b1: u8) -> Result<u8, ProtocolError> {
    // RFC 6455 §5.1: "The server MUST NOT mask any frames that it sends to the client. A
    // client MUST close a connection if it detects a masked frame."
    if b1 & 0x80 != 0 {
        return Err(ProtocolError::MaskedFrame);
    }
    Ok(b1 & 0x7F)
}

/// The rules of RFC 6455 §5.5 for Close, Ping and Pong.
fn check_control(fin: bool, len7: u8) -> Result<(), ProtocolError> {
    // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less and
    // MUST NOT be fragmented."
    if !fin {
        return Err(ProtocolError::FragmentedControl);
    }
    // 126 and 127 announce an extended length, which is more than 125 whatever follows.
    if len7 > MAX_CONTROL_PAYLOAD {
        return Err(ProtocolError::ControlTooLong);
    }
    Ok(())
}

/// The 16-bit extended length and its size, or `None` while its bytes are missing.
fn decode_length_16(extended: &[u8]) -> Result<Option<(u64, usize)>, ProtocolError> {
    let Some(bytes) = extended.first_chunk::<2>() else {
        return Ok(None);
    };
    let len = u16::from_be_bytes(*bytes);
    // RFC 6455 §5.2: "In all cases, the minimal number of bytes MUST be used to encode the
    // length, for example, the length of a 124-byte-long string can't be encoded as the
    // sequence 126, 0, 124."
    if u64::from(len) <= MAX_LEN_7 {
        return Err(ProtocolError::NonMinimalLength);
    }
    Ok(Some((u64::from(len), 2)))
}

/// The 64-bit extended length and its size, or `None` while its bytes are missing.
fn decode_length_64(extended: &[u8]) -> Result<Option<(u64, usize)>, ProtocolError> {
    // RFC 6455 §5.2: "If 127, the following 8 bytes interpreted as a 64-bit unsigned integer
    // (the most significant bit MUST be 0) are the payload length." Seen on the first byte.
    if extended.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(ProtocolError::LengthOverflow);
    }
    let Some(bytes) = extended.first_chunk::<8>() else {
        return Ok(None);
    };
    let len = u64::from_be_bytes(*bytes);
    // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    if len <= MAX_LEN_16 {
        return Err(ProtocolError::NonMinimalLength);
    }
    Ok(Some((len, 8)))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::frame::mask::apply_mask;
    use crate::frame::{Head, encode_frame, frame_len};
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    fn complete(fin: bool, opcode: OpCode, payload_len: u64, len: usize) -> Result<Decoded, ProtocolError> {
        Ok(Decoded::Complete {
            header: FrameHeader { fin, rsv1: false, opcode, mask: None, payload_len },
            len,
        })
    }

    /// Every strict prefix of `header` is Incomplete; the whole of it decodes to `expected`.
    fn assert_decodes(header: &[u8], expected: Result<Decoded, ProtocolError>) {
        for len in 0..header.len() {
            assert_eq!(
                decode_header(&header[..len], Rsv1::Reserved),
                Ok(Decoded::Incomplete),
                "prefix {len} of {header:x?}"
            );
        }
        assert_eq!(decode_header(header, Rsv1::Reserved), expected, "{header:x?}");
    }

    // --- RFC 6455 §5.7 examples, verbatim ---

    #[test]
    fn rfc_unmasked_hello() {
        let frame = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F];
        assert_eq!(decode_header(&frame, Rsv1::Reserved), complete(true, OpCode::Text, 5, 2));
        assert_eq!(&frame[2..], b"Hello");
    }

    #[test]
    fn rfc_fragmented_hello() {
        let first = [0x01, 0x03, 0x48, 0x65, 0x6C];
        let second = [0x80, 0x02, 0x6C, 0x6F];
        assert_eq!(decode_header(&first, Rsv1::Reserved), complete(false, OpCode::Text, 3, 2));
        assert_eq!(decode_header(&second, Rsv1::Reserved), complete(true, OpCode::Continuation, 2, 2));
    }

    #[test]
    fn rfc_unmasked_ping() {
        let frame = [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F];
        assert_eq!(decode_header(&frame, Rsv1::Reserved), complete(true, OpCode::Ping, 5, 2));
    }

    #[test]
    fn rfc_256_byte_binary() {
        assert_decodes(&[0x82, 0x7E, 0x01, 0x00], complete(true, OpCode::Binary, 256, 4));
    }

    #[test]
    fn rfc_64_kib_binary() {
        let header = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
        assert_decodes(&header, complete(true, OpCode::Binary, 65536, 10));
    }

    #[test]
    fn rfc_masked_hello_is_refused() {
        let frame = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58];
        assert_eq!(decode_header(&frame, Rsv1::Reserved), Err(ProtocolError::MaskedFrame));
    }

    // --- incomplete headers ---

    #[test]
    fn incomplete_at_every_prefix_of_each_header_form() {
        assert_decodes(&[0x82, 0x7D], complete(true, OpCode::Binary, 125, 2));
        assert_decodes(&[0x02, 0x7E, 0x00, 0x7E], complete(false, OpCode::Binary, 126, 4));
        assert_decodes(&[0x01, 0x7E, 0xFF, 0xFF], complete(false, OpCode::Text, 0xFFFF, 4));
        let max = [0x80, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_decodes(&max, complete(true, OpCode::Continuation, u64::MAX >> 1, 10));
    }

    #[test]
    fn bytes_after_the_header_are_ignored() {
        assert_eq!(
            decode_header(&[0x8A, 0x00, 0xFF, 0xFF], Rsv1::Reserved),
            complete(true, OpCode::Pong, 0, 2)
        );
    }

    // --- each rule, reported as soon as its bytes are in ---

    #[test]
    fn reserved_bits_are_refused() {
        for rsv in [0x40, 0x20, 0x10, 0x70] {
            assert_eq!(decode_header(&[0x81 | rsv, 0x00], Rsv1::Reserved), Err(ProtocolError::ReservedBits));
        }
    }

    #[test]
    fn reserved_opcodes_are_refused() {
        for op in (0x3..=0x7).chain(0xB..=0xF) {
            assert_eq!(
                decode_header(&[0x80 | op, 0x00], Rsv1::Reserved),
                Err(ProtocolError::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn masked_frames_are_refused_on_the_second_byte() {
        assert_eq!(decode_header(&[0x82, 0x80], Rsv1::Reserved), Err(ProtocolError::MaskedFrame));
        assert_eq!(decode_header(&[0x82, 0xFF], Rsv1::Reserved), Err(ProtocolError::MaskedFrame));
    }

    #[test]
    fn fragmented_control_frames_are_refused() {
        for op in [0x8, 0x9, 0xA] {
            assert_eq!(decode_header(&[op, 0x00], Rsv1::Reserved), Err(ProtocolError::FragmentedControl));
        }
    }

    #[test]
    fn control_frames_over_125_bytes_are_refused_on_the_second_byte() {
        assert_eq!(decode_header(&[0x89, 0x7D], Rsv1::Reserved), complete(true, OpCode::Ping, 125, 2));
        for len7 in [0x7E, 0x7F] {
            for op in [0x88, 0x89, 0x8A] {
                assert_eq!(decode_header(&[op, len7], Rsv1::Reserved), Err(ProtocolError::ControlTooLong));
            }
        }
    }

    #[test]
    fn non_minimal_16_bit_lengths_are_refused() {
        assert_eq!(
            decode_header(&[0x82, 0x7E, 0x00, 0x00], Rsv1::Reserved),
            Err(ProtocolError::NonMinimalLength)
        );
        assert_eq!(
            decode_header(&[0x82, 0x7E, 0x00, 0x7D], Rsv1::Reserved),
            Err(ProtocolError::NonMinimalLength)
        );
    }

    #[test]
    fn non_minimal_64_bit_lengths_are_refused() {
        let mut header = [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(decode_header(&header, Rsv1::Reserved), Err(ProtocolError::NonMinimalLength));
        header[8..].copy_from_slice(&[0, 5]);
        assert_eq!(decode_header(&header, Rsv1::Reserved), Err(ProtocolError::NonMinimalLength));
    }

    #[test]
    fn sixty_four_bit_lengths_with_the_top_bit_set_are_refused_on_its_byte() {
        assert_eq!(decode_header(&[0x82, 0x7F, 0x80], Rsv1::Reserved), Err(ProtocolError::LengthOverflow));
        let header = [0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(decode_header(&header, Rsv1::Reserved), Err(ProtocolError::LengthOverflow));
    }

    // --- check order when several rules are broken ---

    #[test]
    fn reserved_bits_come_before_everything() {
        assert_eq!(decode_header(&[0x73, 0xFF], Rsv1::Reserved), Err(ProtocolError::ReservedBits));
    }

    #[test]
    fn opcode_comes_before_mask() {
        assert_eq!(decode_header(&[0x83, 0xFF], Rsv1::Reserved), Err(ProtocolError::ReservedOpcode(3)));
    }

    #[test]
    fn mask_comes_before_control_rules() {
        assert_eq!(decode_header(&[0x09, 0xFF], Rsv1::Reserved), Err(ProtocolError::MaskedFrame));
    }

    #[test]
    fn fragmentation_comes_before_control_length() {
        assert_eq!(decode_header(&[0x09, 0x7E], Rsv1::Reserved), Err(ProtocolError::FragmentedControl));
    }

    #[test]
    fn control_length_comes_before_length_encoding() {
        assert_eq!(
            decode_header(&[0x88, 0x7E, 0x00, 0x00], Rsv1::Reserved),
            Err(ProtocolError::ControlTooLong)
        );
        assert_eq!(decode_header(&[0x88, 0x7F, 0x80], Rsv1::Reserved), Err(ProtocolError::ControlTooLong));
    }

    // --- properties ---

    /// What a server sees of a client frame: the header without its mask key, the payload
    /// unmasked.
    fn unmask_as_server(frame: &[u8]) -> Vec<u8> {
        let length_len = match frame[1] & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        assert_eq!(frame[1] & 0x80, 0x80, "client frames are masked");
        let (header, rest) = frame.split_at(2 + length_len);
        let (key, payload) = rest.split_at(4);
        let mut out = header.to_vec();
        out[1] &= 0x7F;
        let start = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[start..], key.try_into().unwrap());
        out
    }

    fn round_trip(opcode: OpCode, fin: bool, key: [u8; 4], payload: &[u8]) {
        let mut frame = vec![0; frame_len(payload.len())];
        assert_eq!(
            encode_frame(Head { opcode, fin, rsv1: false }, key, payload, &mut frame),
            Ok(frame.len())
        );
        let seen = unmask_as_server(&frame);
        let Ok(Decoded::Complete { header, len }) = decode_header(&seen, Rsv1::Reserved) else {
            panic!("{opcode:?} with {} bytes does not decode", payload.len());
        };
        assert_eq!(
            header,
            FrameHeader { fin, rsv1: false, opcode, mask: None, payload_len: payload.len() as u64 }
        );
        assert_eq!(&seen[len..], payload);
    }

    #[test]
    fn round_trip_at_large_fixed_sizes() {
        for size in [0xFFFF, 0x1_0000, 70_000] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            round_trip(OpCode::Binary, true, [9, 8, 7, 6], &payload);
        }
    }

    fn data_opcode() -> impl Strategy<Value = OpCode> {
        prop_oneof![Just(OpCode::Continuation), Just(OpCode::Text), Just(OpCode::Binary)]
    }

    fn control_opcode() -> impl Strategy<Value = OpCode> {
        prop_oneof![Just(OpCode::Close), Just(OpCode::Ping), Just(OpCode::Pong)]
    }

    proptest! {
        #[test]
        fn data_frames_round_trip(
            opcode in data_opcode(),
            fin: bool,
            key: [u8; 4],
            payload in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            round_trip(opcode, fin, key, &payload);
        }

        #[test]
        fn control_frames_round_trip(
            opcode in control_opcode(),
            key: [u8; 4],
            payload in prop::collection::vec(any::<u8>(), 0..=125),
        ) {
            round_trip(opcode, true, key, &payload);
        }

        #[test]
        fn decode_header_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..16)) {
            if let Ok(Decoded::Complete { header, len }) = decode_header(&bytes, Rsv1::Reserved) {
                prop_assert!(len <= bytes.len() && header.mask.is_none());
            }
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn decode_header_example() {
        use crate::ProtocolError;
        use crate::frame::{Decoded, FrameHeader, OpCode, Rsv1, decode_header};

        let frame = [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'];
        let header = FrameHeader { fin: true, rsv1: false, opcode: OpCode::Text, mask: None, payload_len: 5 };
        assert_eq!(decode_header(&frame, Rsv1::Reserved), Ok(Decoded::Complete { header, len: 2 }));
        assert_eq!(decode_header(&frame[..1], Rsv1::Reserved), Ok(Decoded::Incomplete));

        let masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        assert_eq!(decode_header(&masked, Rsv1::Reserved), Err(ProtocolError::MaskedFrame));
    }
}
