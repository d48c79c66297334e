//! Encoding masked client frames (RFC 6455 §5.2, §5.3): the frame codec's send layer.
//!
//! RFC 6455 §5.1: "a client MUST mask all frames that it sends to the server", so every frame
//! this layer writes carries a mask key; the key itself comes from the socket's RNG (S17).

use crate::frame::OpCode;
use crate::frame::header::{LEN_16_MARKER, LEN_64_MARKER, length_field_len};
use crate::frame::mask::copy_masked;

/// Bytes a masked client frame with `payload_len` bytes of payload takes: the header (2, 4
/// or 10 bytes, plus the 4-byte mask key) and the payload.
///
/// Saturates at `usize::MAX` for payloads that could never fit in memory.
pub(crate) const fn frame_len(payload_len: usize) -> usize {
    let header = length_field_len(payload_len as u64) + 4;
    header.saturating_add(payload_len)
}

/// The largest payload whose masked frame fits `space` bytes: the inverse of [`frame_len`].
/// One copy on bare metal, where flash is short.
#[cfg_attr(target_os = "none", inline(never))]
pub(crate) const fn max_payload_len(space: usize) -> usize {
    if space >= 14 + 0x1_0000 {
        space - 14
    } else if space >= 8 + 126 {
        let payload = space - 8;
        if payload > 0xFFFF { 0xFFFF } else { payload }
    } else {
        let payload = space.saturating_sub(6);
        if payload > 125 { 125 } else { payload }
    }
}

/// What a frame's first byte says besides RSV2 and RSV3 (always zero): the opcode, FIN, and
/// RSV1, set on the first frame of a compressed message (RFC 7692 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) opcode: OpCode,
    pub(crate) fin: bool,
    pub(crate) rsv1: bool,
}

impl Head {
    /// A whole, uncompressed frame of `opcode`.
    pub(crate) const fn whole(opcode: OpCode) -> Head {
        Head { opcode, fin: true, rsv1: false }
    }
}

/// Writes a masked frame into `out`; `Err(required)` when `out` is too small.
///
/// On success returns the frame's length, [`frame_len`]`(payload.len())`. On `Err(required)`
/// nothing meaningful was written.
///
/// The tests encode RFC 6455 §5.7's masked "Hello" (`encode_frame_example`).
#[inline]
pub(crate) fn encode_frame(
    head: Head,
    mask: [u8; 4],
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, usize> {
    let required = frame_len(payload.len());
    let Some(out) = out.get_mut(..required) else {
        return Err(required);
    };
    let header_len = write_head(head, mask, payload.len(), out);
    let (_, body) = out.split_at_mut(header_len);
    copy_masked(payload, body, mask);
    Ok(required)
}

/// Writes the masked header of a frame with `payload_len` bytes of payload at the start of
/// `out` and returns its length (6, 8 or 14); writes nothing when `out` is shorter. The same
/// bytes as `FrameHeader::encode` with the key, stored whole from registers: the send path's
/// header writer.
#[inline]
pub(crate) fn write_head(head: Head, mask: [u8; 4], payload_len: usize, out: &mut [u8]) -> usize {
    let b0 = (u8::from(head.fin) << 7) | (u8::from(head.rsv1) << 6) | head.opcode as u8;
    let [m0, m1, m2, m3] = mask;
    if let Ok(len7 @ 0..=125) = u8::try_from(payload_len) {
        if let Some(dst) = out.first_chunk_mut::<6>() {
            *dst = [b0, 0x80 | len7, m0, m1, m2, m3];
        }
        6
    } else if let Ok(len16) = u16::try_from(payload_len) {
        let [l0, l1] = len16.to_be_bytes();
        if let Some(dst) = out.first_chunk_mut::<8>() {
            *dst = [b0, 0x80 | LEN_16_MARKER, l0, l1, m0, m1, m2, m3];
        }
        8
    } else {
        let [l0, l1, l2, l3, l4, l5, l6, l7] = (payload_len as u64).to_be_bytes();
        if let Some(dst) = out.first_chunk_mut::<14>() {
            *dst = [b0, 0x80 | LEN_64_MARKER, l0, l1, l2, l3, l4, l5, l6, l7, m0, m1, m2, m3];
        }
        14
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::frame::MAX_HEADER_LEN;
    use crate::frame::mask::apply_mask;
    use std::vec;
    use std::vec::Vec;

    const KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

    fn encode(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0; frame_len(payload.len())];
        assert_eq!(encode_frame(Head { opcode, fin, rsv1: false }, KEY, payload, &mut out), Ok(out.len()));
        out
    }

    // --- RFC 6455 §5.7 ---

    #[test]
    fn masked_hello_is_the_rfc_5_7_vector() {
        assert_eq!(
            encode(OpCode::Text, true, b"Hello"),
            [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        );
    }

    // --- length forms ---

    #[test]
    fn frame_len_at_each_length_boundary() {
        assert_eq!(frame_len(0), 6);
        assert_eq!(frame_len(125), 6 + 125);
        assert_eq!(frame_len(126), 8 + 126);
        assert_eq!(frame_len(0xFFFF), 8 + 0xFFFF);
        assert_eq!(frame_len(0x1_0000), 14 + 0x1_0000);
        assert_eq!(frame_len(usize::MAX), usize::MAX);
    }

    #[test]
    fn max_payload_len_inverts_frame_len() {
        for space in (0..300).chain(0xFFFF - 20..0x1_0000 + 40) {
            let payload = max_payload_len(space);
            assert!(frame_len(payload) <= space || space < 6, "space {space}: payload {payload}");
            assert!(frame_len(payload + 1) > space, "space {space}: payload {payload} + 1 fits too");
        }
        assert_eq!(max_payload_len(0), 0);
        assert_eq!(max_payload_len((1 << 20) + 14), 1 << 20);
    }

    #[test]
    fn empty_close_frame() {
        assert_eq!(encode(OpCode::Close, true, b""), [0x88, 0x80, 0x37, 0xFA, 0x21, 0x3D]);
    }

    #[test]
    fn unfinished_fragment_with_16_bit_length() {
        let payload = vec![0xAB; 256];
        let frame = encode(OpCode::Binary, false, &payload);
        assert_eq!(frame[..8], [0x02, 0xFE, 0x01, 0x00, 0x37, 0xFA, 0x21, 0x3D]);
        let mut body = frame[8..].to_vec();
        apply_mask(&mut body, KEY);
        assert_eq!(body, payload);
    }

    #[test]
    fn sixty_four_kib_payload_with_64_bit_length() {
        let payload: Vec<u8> = (0..0x1_0000).map(|i| i as u8).collect();
        let frame = encode(OpCode::Binary, true, &payload);
        assert_eq!(frame[..14], [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 0x37, 0xFA, 0x21, 0x3D]);
        let mut body = frame[14..].to_vec();
        apply_mask(&mut body, KEY);
        assert_eq!(body, payload);
    }

    // --- the send path's header writer against the codec's header encoder ---

    #[test]
    fn write_head_is_the_encoded_header_at_every_length_form() {
        use crate::frame::FrameHeader;
        for len in [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 1 << 20] {
            for (opcode, fin, rsv1) in
                [(OpCode::Text, true, false), (OpCode::Binary, false, true), (OpCode::Pong, true, false)]
            {
                let header = FrameHeader { fin, rsv1, opcode, mask: Some(KEY), payload_len: len as u64 };
                let mut expected = [0; MAX_HEADER_LEN];
                let n = header.encode(&mut expected).unwrap();
                for out_len in [n, MAX_HEADER_LEN, 40] {
                    let mut out = vec![0xEE; out_len];
                    assert_eq!(write_head(Head { opcode, fin, rsv1 }, KEY, len, &mut out), n, "len {len}");
                    assert_eq!(out[..n], expected[..n], "len {len}");
                    assert!(out[n..].iter().all(|&b| b == 0xEE), "len {len}: wrote past the header");
                }
                let mut short = vec![0xEE; n - 1];
                write_head(Head { opcode, fin, rsv1 }, KEY, len, &mut short);
                assert!(short.iter().all(|&b| b == 0xEE), "len {len}: wrote into a short output");
            }
        }
    }

    // --- short output ---

    #[test]
    fn every_short_output_reports_the_required_length() {
        for payload_len in [0, 5, 125, 126, 300] {
            let payload = vec![0x55; payload_len];
            let required = frame_len(payload_len);
            let mut out = vec![0; required];
            for len in 0..required {
                let got = encode_frame(Head::whole(OpCode::Binary), KEY, &payload, &mut out[..len]);
                assert_eq!(got, Err(required), "payload {payload_len}, out {len}");
            }
        }
    }

    #[test]
    fn larger_output_keeps_bytes_after_the_frame() {
        let mut out = [0xEE; 20];
        assert_eq!(encode_frame(Head::whole(OpCode::Ping), KEY, b"Hello", &mut out), Ok(11));
        assert_eq!(out[11..], [0xEE; 9]);
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn frame_len_example() {
        use crate::frame::frame_len;

        assert_eq!(frame_len(5), 2 + 4 + 5);
        assert_eq!(frame_len(256), 4 + 4 + 256);
        assert_eq!(frame_len(65536), 10 + 4 + 65536);
    }

    #[test]
    fn encode_frame_example() {
        use crate::frame::{OpCode, encode_frame};

        let mut out = [0; 16];
        let n = encode_frame(Head::whole(OpCode::Text), [0x37, 0xfa, 0x21, 0x3d], b"Hello", &mut out);
        assert_eq!(n, Ok(11));
        assert_eq!(out[..11], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        assert_eq!(encode_frame(Head::whole(OpCode::Text), [0; 4], b"Hello", &mut out[..10]), Err(11));
    }
}
