//! The accept-key layer of the opening handshake: `Sec-WebSocket-Key` and
//! `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2, §1.3).
//!
//! The key is 16 bytes from the injected RNG, base64-encoded; the accept value is
//! base64(SHA-1(key + GUID)). Both live in fixed arrays: nothing allocates.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest as _, Sha1};

/// The GUID RFC 6455 §1.3 appends to the key before hashing.
pub(crate) const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A `Sec-WebSocket-Key`: 16 random bytes, base64-encoded (24 ASCII bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key([u8; 24]);

impl Key {
    /// Draws the 16-byte nonce from `rng`.
    ///
    /// RFC 6455 §4.1: "The nonce MUST be selected randomly for each connection."
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn generate<R: rand_core::Rng + ?Sized>(rng: &mut R) -> Key {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        Key::from_nonce(&nonce)
    }

    /// The key for a given nonce.
    ///
    /// RFC 6455 §4.1: "a nonce consisting of a randomly selected 16-byte value that has been
    /// base64-encoded".
    ///
    /// By reference: the encoder reads the nonce where the RNG just wrote it. Taken by value,
    /// it was first copied with one 16-byte load over the RNG's smaller stores, which waits
    /// for them to complete (benches/README, eleventh round).
    pub(crate) fn from_nonce(nonce: &[u8; 16]) -> Key {
        let mut key = [0u8; 24];
        // 16 bytes always encode to exactly 24 base64 characters (with `==` padding), so
        // the output buffer is large enough and the error arm cannot occur.
        let _written = STANDARD.encode_slice(nonce, &mut key);
        Key(key)
    }

    /// The key as sent.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The key's bytes as sent (base64: ASCII).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `Sec-WebSocket-Accept` a server must answer with.
    ///
    /// RFC 6455 §4.2.2: the server "MUST" take the key, concatenate the GUID, take the SHA-1
    /// hash of that and return its base64 encoding.
    pub(crate) fn accept(&self) -> Accept {
        let mut sha = Sha1::new();
        sha.update(self.0);
        sha.update(GUID.as_bytes());
        let digest = sha.finalize();
        let mut accept = [0u8; 28];
        // A 20-byte digest always encodes to exactly 28 base64 characters (one `=`).
        let _written = STANDARD.encode_slice(digest.as_slice(), &mut accept);
        Accept(accept)
    }
}

/// A `Sec-WebSocket-Accept` value: base64(SHA-1(key + GUID)), 28 ASCII bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Accept([u8; 28]);

impl Accept {
    /// The value as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as a string.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }
}

/// The bytes as `&str`. Keys and accepts are built only from base64 output, which is ASCII,
/// so the empty fallback is never taken.
#[cfg(test)]
fn ascii_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RNG that hands out 0, 1, 2, … as bytes.
    struct Counting(u8);

    impl rand_core::TryRng for Counting {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            let mut b = [0; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.0;
                self.0 = self.0.wrapping_add(1);
            }
            Ok(())
        }
    }

    // --- RFC 6455 vectors ---

    #[test]
    fn rfc6455_section_1_3_vector() {
        let key = Key::from_nonce(b"the sample nonce");
        assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(key.as_bytes(), b"dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(key.accept().as_bytes(), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn rfc6455_section_4_2_2_digest_of_the_same_key() {
        // §4.2.2 works the same example: SHA-1 then base64 of the concatenation.
        let key = Key::from_nonce(b"the sample nonce");
        let mut sha = Sha1::new();
        sha.update(b"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        let expected: [u8; 20] = sha.finalize().into();
        assert_eq!(
            expected,
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38, 0x59,
                0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    // --- generation ---

    #[test]
    fn generate_draws_sixteen_bytes_from_the_rng() {
        let mut rng = Counting(0);
        let key = Key::generate(&mut rng);
        assert_eq!(key, Key::from_nonce(&core::array::from_fn(|i| i as u8)));
        assert_eq!(key.as_str(), "AAECAwQFBgcICQoLDA0ODw==");
        assert_eq!(rng.0, 16, "exactly 16 bytes are drawn");
        let next = Key::generate(&mut rng);
        assert_ne!(key, next, "each connection gets a fresh nonce");
    }

    #[test]
    fn generate_works_through_a_trait_object() {
        let mut rng = Counting(7);
        let rng: &mut dyn rand_core::Rng = &mut rng;
        let key = Key::generate(rng);
        assert_eq!(key.as_str().len(), 24);
    }

    #[test]
    fn key_and_accept_are_fixed_length_ascii() {
        let key = Key::from_nonce(&[0xff; 16]);
        assert_eq!(key.as_str(), "/////////////////////w==");
        assert_eq!(key.accept().as_str().len(), 28);
        assert!(key.accept().as_str().ends_with('='));
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn key_and_accept_example() {
        use crate::handshake::Key;

        // RFC 6455 §1.3: the nonce "the sample nonce".
        let key = Key::from_nonce(b"the sample nonce");
        assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
