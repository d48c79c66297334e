//! Incremental UTF-8 validation. STUB: replaced by the frame layer commit.

use crate::error::ProtocolError;

/// Validates a message that grows in one contiguous buffer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Validator {
    valid_up_to: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Self {
        Utf8Validator { valid_up_to: 0 }
    }
    /// Forgets the previous message.
    pub fn reset(&mut self) {
        self.valid_up_to = 0;
    }
    /// Validates what was appended since the last call.
    pub fn feed(&mut self, message_so_far: &[u8]) -> Result<(), ProtocolError> {
        match core::str::from_utf8(message_so_far) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => Ok(()),
            Err(_) => Err(ProtocolError::InvalidUtf8),
        }
    }
    /// Validates the complete message.
    pub fn finish(&mut self, message: &[u8]) -> Result<(), ProtocolError> {
        core::str::from_utf8(message).map(|_| ()).map_err(|_| ProtocolError::InvalidUtf8)
    }
}
