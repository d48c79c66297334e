//! The client's side of the wire as a server sees it: masked frames, parsed and unmasked.

/// One frame the client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFrame {
    /// The FIN bit.
    pub fin: bool,
    /// The opcode (low 4 bits of the first byte).
    pub opcode: u8,
    /// Whether the mask bit was set (RFC 6455 §5.3: a client MUST mask every frame).
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl ClientFrame {
    /// For a close frame: its code, or `None` when the payload is empty.
    pub fn close_code(&self) -> Option<u16> {
        let bytes = self.payload.get(..2)?;
        Some(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// For a close frame: its reason (lossy UTF-8).
    pub fn close_reason(&self) -> String {
        String::from_utf8_lossy(self.payload.get(2..).unwrap_or_default()).into_owned()
    }
}

/// Parses one frame from the front of `bytes`: the frame and its length, or `None` when
/// `bytes` does not hold a whole frame.
pub fn parse_frame(bytes: &[u8]) -> Option<(ClientFrame, usize)> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    let (len, mut at) = match b1 & 0x7f {
        126 => (u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)), 4),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    let masked = b1 & 0x80 != 0;
    let mut mask = [0u8; 4];
    if masked {
        mask.copy_from_slice(bytes.get(at..at + 4)?);
        at += 4;
    }
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    let mut payload = bytes.get(at..end)?.to_vec();
    payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= mask[i % 4]);
    Some((ClientFrame { fin: b0 & 0x80 != 0, opcode: b0 & 0x0f, masked, payload }, end))
}

/// Every whole frame in `bytes`, in order (a partial frame at the end is left out).
pub fn parse_frames(mut bytes: &[u8]) -> Vec<ClientFrame> {
    let mut frames = Vec::new();
    while let Some((frame, len)) = parse_frame(bytes) {
        frames.push(frame);
        bytes = &bytes[len..];
    }
    frames
}

/// A server frame (unmasked, FIN set) with `opcode` and `payload`, in the shortest length
/// encoding.
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A server close frame with `code` and `reason`.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    frame(0x8, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_5_7_masked_hello() {
        let bytes = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let (frame, len) = parse_frame(&bytes).unwrap();
        assert_eq!(len, bytes.len());
        assert_eq!(frame, ClientFrame { fin: true, opcode: 1, masked: true, payload: b"Hello".to_vec() });
        assert_eq!(parse_frame(&bytes[..10]), None);
    }

    #[test]
    fn server_frames_use_the_shortest_length() {
        assert_eq!(frame(0x1, b"Hello"), [0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
        assert_eq!(frame(0x2, &[0; 256])[..4], [0x82, 0x7e, 0x01, 0x00]);
        assert_eq!(frame(0x2, &[0; 65536])[..10], [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(close_frame(1000, "ok"), [0x88, 0x04, 0x03, 0xe8, b'o', b'k']);
    }
}
