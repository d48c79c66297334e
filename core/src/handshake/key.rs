//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §1.3). STUB.

/// A `Sec-WebSocket-Key`: 16 random bytes, base64-encoded (24 ASCII bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key([u8; 24]);

impl Key {
    /// Draws the 16-byte nonce from `rng`.
    pub fn generate<R: rand_core::Rng + ?Sized>(rng: &mut R) -> Key {
        let _ = rng;
        unimplemented!()
    }
    /// The key for a given nonce.
    pub fn from_nonce(nonce: [u8; 16]) -> Key {
        let _ = nonce;
        unimplemented!()
    }
    /// The key as sent.
    pub fn as_str(&self) -> &str {
        unimplemented!()
    }
    /// The `Sec-WebSocket-Accept` a server must answer with.
    pub fn accept(&self) -> Accept {
        unimplemented!()
    }
}

/// A `Sec-WebSocket-Accept` value: base64(SHA-1(key + GUID)), 28 ASCII bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accept([u8; 28]);

impl Accept {
    /// The value as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}
