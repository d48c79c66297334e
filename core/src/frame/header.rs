//! Frame header fields and opcodes (RFC 6455 §5.2): the frame codec's vocabulary layer.
//!
//! This layer knows how a header is laid out on the wire and writes one; which headers a
//! client may accept is the decode layer's business ([`crate::frame::decode`]).

use crate::error::ProtocolError;

/// The longest frame header: 2 + 8 (64-bit length) + 4 (mask key).
pub(crate) const MAX_HEADER_LEN: usize = 14;

/// Largest payload length carried in the 7-bit length field.
pub(crate) const MAX_LEN_7: u64 = 125;
/// Largest payload length carried in the 16-bit extended length field.
pub(crate) const MAX_LEN_16: u64 = 0xFFFF;
/// The 7-bit length value announcing a 16-bit extended length.
pub(crate) const LEN_16_MARKER: u8 = 126;
/// The 7-bit length value announcing a 64-bit extended length.
pub(crate) const LEN_64_MARKER: u8 = 127;

/// A frame opcode RFC 6455 defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum OpCode {
    /// 0x0
    Continuation = 0x0,
    /// 0x1
    Text = 0x1,
    /// 0x2
    Binary = 0x2,
    /// 0x8
    Close = 0x8,
    /// 0x9
    Ping = 0x9,
    /// 0xA
    Pong = 0xA,
}

impl OpCode {
    /// Close, Ping and Pong.
    pub(crate) const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }

    /// The opcode a 4-bit opcode field holds.
    ///
    /// RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
    /// WebSocket Connection_." 0x3–0x7 and 0xB–0xF are reserved, and so is anything that does
    /// not fit in 4 bits: all are [`ProtocolError::ReservedOpcode`].
    pub(crate) const fn from_u8(opcode: u8) -> Result<OpCode, ProtocolError> {
        match opcode {
            0x0 => Ok(OpCode::Continuation),
            0x1 => Ok(OpCode::Text),
            0x2 => Ok(OpCode::Binary),
            0x8 => Ok(OpCode::Close),
            0x9 => Ok(OpCode::Ping),
            0xA => Ok(OpCode::Pong),
            n => Err(ProtocolError::ReservedOpcode(n)),
        }
    }
}

/// A decoded or to-be-encoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Final fragment.
    pub(crate) fin: bool,
    /// RSV1. Set only where a negotiated extension gives it a meaning: with permessage-deflate,
    /// on the first frame of a compressed message (RFC 7692 §6).
    pub(crate) rsv1: bool,
    /// The opcode.
    pub(crate) opcode: OpCode,
    /// Masking key, when masked.
    pub(crate) mask: Option<[u8; 4]>,
    /// Payload length.
    pub(crate) payload_len: u64,
}

impl FrameHeader {
    /// Bytes [`FrameHeader::encode`] writes: 2, 4 or 10 for the length's minimal encoding,
    /// plus 4 when there is a mask key.
    #[cfg(test)]
    pub(crate) const fn encoded_len(&self) -> usize {
        let key = if self.mask.is_some() { 4 } else { 0 };
        length_field_len(self.payload_len) + key
    }

    /// Writes the header at the start of `out` and returns its length, or `Err(required)`
    /// (writing nothing) when `out` is shorter than [`FrameHeader::encoded_len`].
    ///
    /// The length takes its minimal encoding (RFC 6455 §5.2: "the minimal number of bytes
    /// MUST be used to encode the length"); RSV1 is [`FrameHeader::rsv1`], RSV2–3 are zero. A
    /// `payload_len` with its top bit set is written as given, and no receiver accepts it:
    /// keeping lengths below 2^63 is the caller's job.
    #[cfg(test)]
    pub(crate) fn encode(&self, out: &mut [u8]) -> Result<usize, usize> {
        let required = self.encoded_len();
        let Some(out) = out.get_mut(..required) else {
            return Err(required);
        };
        let (fixed, rest) = out.split_at_mut(2);
        let (length, key) = rest.split_at_mut(length_field_len(self.payload_len) - 2);
        let fin = if self.fin { 0x80 } else { 0 };
        let rsv1 = if self.rsv1 { 0x40 } else { 0 };
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len7 = write_extended_length(self.payload_len, length);
        fixed.copy_from_slice(&[fin | rsv1 | self.opcode as u8, mask_bit | len7]);
        if let Some(mask) = self.mask {
            key.copy_from_slice(&mask);
        }
        Ok(required)
    }
}

/// Bytes the fixed part and the length take: 2, 2 + 2 or 2 + 8.
pub(crate) const fn length_field_len(payload_len: u64) -> usize {
    if payload_len <= MAX_LEN_7 {
        2
    } else if payload_len <= MAX_LEN_16 {
        4
    } else {
        10
    }
}

/// Writes the extended length into `out` (0, 2 or 8 bytes, as sized by
/// [`length_field_len`]) and returns the 7-bit length field's value.
#[cfg(test)]
fn write_extended_length(payload_len: u64, out: &mut [u8]) -> u8 {
    match u16::try_from(payload_len) {
        Ok(len) if payload_len <= MAX_LEN_7 => {
            let [_, len7] = len.to_be_bytes();
            len7
        }
        Ok(len) => {
            out.copy_from_slice(&len.to_be_bytes());
            LEN_16_MARKER
        }
        Err(_) => {
            out.copy_from_slice(&payload_len.to_be_bytes());
            LEN_64_MARKER
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(payload_len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader { fin: true, rsv1: false, opcode: OpCode::Binary, mask, payload_len }
    }

    fn encoded(h: FrameHeader) -> ([u8; MAX_HEADER_LEN], usize) {
        let mut out = [0xEE; MAX_HEADER_LEN];
        let n = h.encode(&mut out).unwrap();
        assert_eq!(n, h.encoded_len());
        (out, n)
    }

    // --- opcodes ---

    #[test]
    fn defined_opcodes_round_trip() {
        for op in
            [OpCode::Continuation, OpCode::Text, OpCode::Binary, OpCode::Close, OpCode::Ping, OpCode::Pong]
        {
            assert_eq!(OpCode::from_u8(op as u8), Ok(op));
        }
    }

    #[test]
    fn reserved_opcodes_are_refused() {
        for n in (0x3..=0x7).chain(0xB..=0xF).chain([0x10, 0xFF]) {
            assert_eq!(OpCode::from_u8(n), Err(ProtocolError::ReservedOpcode(n)));
        }
    }

    #[test]
    fn control_opcodes_are_close_ping_pong() {
        assert!(OpCode::Close.is_control() && OpCode::Ping.is_control() && OpCode::Pong.is_control());
        assert!(!OpCode::Continuation.is_control() && !OpCode::Text.is_control());
        assert!(!OpCode::Binary.is_control());
    }

    // --- length forms ---

    #[test]
    fn seven_bit_lengths_up_to_125() {
        assert_eq!(encoded(header(0, None)).0[..2], [0x82, 0x00]);
        assert_eq!(encoded(header(125, None)).0[..2], [0x82, 0x7D]);
    }

    #[test]
    fn sixteen_bit_lengths_from_126_to_65535() {
        assert_eq!(encoded(header(126, None)).0[..4], [0x82, 0x7E, 0x00, 0x7E]);
        assert_eq!(encoded(header(256, None)).0[..4], [0x82, 0x7E, 0x01, 0x00]);
        assert_eq!(encoded(header(0xFFFF, None)).0[..4], [0x82, 0x7E, 0xFF, 0xFF]);
    }

    #[test]
    fn sixty_four_bit_lengths_from_65536() {
        let (out, n) = encoded(header(0x1_0000, None));
        assert_eq!(out[..n], [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        let (out, n) = encoded(header(u64::MAX >> 1, None));
        assert_eq!(out[..n], [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn mask_key_follows_the_length() {
        let key = Some([0x37, 0xFA, 0x21, 0x3D]);
        assert_eq!(encoded(header(5, key)).0[..6], [0x82, 0x85, 0x37, 0xFA, 0x21, 0x3D]);
        assert_eq!(encoded(header(300, key)).0[..8], [0x82, 0xFE, 0x01, 0x2C, 0x37, 0xFA, 0x21, 0x3D]);
        let (out, n) = encoded(header(1 << 32, key));
        assert_eq!(out[..n], [0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0x37, 0xFA, 0x21, 0x3D]);
    }

    #[test]
    fn fin_clear_and_opcode_in_first_byte() {
        let h = FrameHeader { fin: false, rsv1: false, opcode: OpCode::Text, mask: None, payload_len: 3 };
        assert_eq!(encoded(h).0[..2], [0x01, 0x03]);
        let h = FrameHeader { fin: true, rsv1: true, opcode: OpCode::Text, mask: None, payload_len: 3 };
        assert_eq!(encoded(h).0[..2], [0xC1, 0x03]);
    }

    // --- short output ---

    #[test]
    fn short_output_reports_required_and_writes_nothing() {
        let h = header(70_000, Some([1, 2, 3, 4]));
        for len in 0..MAX_HEADER_LEN {
            let mut out = [0xEE; MAX_HEADER_LEN];
            assert_eq!(h.encode(&mut out[..len]), Err(MAX_HEADER_LEN));
            assert_eq!(out, [0xEE; MAX_HEADER_LEN]);
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn from_u8_example() {
        use crate::ProtocolError;
        use crate::frame::OpCode;

        assert_eq!(OpCode::from_u8(0x9), Ok(OpCode::Ping));
        assert_eq!(OpCode::from_u8(0x3), Err(ProtocolError::ReservedOpcode(0x3)));
    }

    #[test]
    fn encoded_len_example() {
        use crate::frame::{FrameHeader, OpCode};

        let h = FrameHeader {
            fin: true,
            rsv1: false,
            opcode: OpCode::Binary,
            mask: Some([1, 2, 3, 4]),
            payload_len: 256,
        };
        assert_eq!(h.encoded_len(), 2 + 2 + 4);
    }

    #[test]
    fn encode_example() {
        use crate::frame::{FrameHeader, OpCode};

        let h = FrameHeader { fin: true, rsv1: false, opcode: OpCode::Text, mask: None, payload_len: 5 };
        let mut out = [0; 14];
        assert_eq!(h.encode(&mut out), Ok(2));
        assert_eq!(out[..2], [0x81, 0x05]);
        assert_eq!(h.encode(&mut out[..1]), Err(2));
    }
}
