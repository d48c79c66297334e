//! Encoding masked client frames (RFC 6455 §5.2, §5.3). STUB.

use crate::frame::OpCode;

/// Bytes a masked client frame with `payload_len` bytes of payload takes.
pub const fn frame_len(payload_len: usize) -> usize {
    let _ = payload_len;
    0
}

/// Writes a masked frame into `out`; `Err(required)` when `out` is too small.
pub fn encode_frame(
    opcode: OpCode,
    fin: bool,
    mask: [u8; 4],
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, usize> {
    let _ = (opcode, fin, mask, payload, out);
    unimplemented!()
}
