//! Frame header fields and opcodes (RFC 6455 §5.2). STUB.

/// The longest frame header: 2 + 8 (64-bit length) + 4 (mask key).
pub const MAX_HEADER_LEN: usize = 14;

/// A frame opcode RFC 6455 defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
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
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// A decoded or to-be-encoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment.
    pub fin: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// Masking key, when masked.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub payload_len: u64,
}
