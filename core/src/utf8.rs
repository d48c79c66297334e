//! Incremental, fail-fast UTF-8 validation of a text message (S18): the message layer's
//! UTF-8 check.
//!
//! A text message accumulates in one contiguous buffer as its fragments (or the pieces of
//! one frame) arrive. [`Utf8Validator::feed`] looks only at the bytes not yet known to be
//! valid, plus at most the 3 bytes of a character cut at the previous end, so a whole
//! message costs one pass. RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as
//! UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint
//! MUST _Fail the WebSocket Connection_."
//!
//! Fail fast: a byte that can never start or continue a valid sequence (`0xF5`, `0xC0`,
//! `0xED 0xA0` for a surrogate, `0xE0 0x80` for an overlong form) is reported by the `feed`
//! that delivers it, even as the last byte; only a valid prefix of a character waits for more.

use crate::error::ProtocolError;

/// The text of a whole message, when it is UTF-8: the one check of a complete text message,
/// where it is handed out.
///
/// `simdutf8` (SIMD from 64 bytes; `core::str::from_utf8` below). A message of at most 16
/// bytes goes to `core`'s `utf8_chunks` instead on hosted targets: that short, `from_utf8`
/// reads a word at a time only when the payload starts on a word boundary (at 16 bytes, and
/// then once), and its byte loop tests the alignment at each ASCII byte, which the loop of
/// `utf8_chunks` does not: a 16-byte payload after a 2-byte frame header takes 40
/// instructions fewer (an aligned 16-byte ASCII one about 90 more). Bare metal keeps the one
/// validator (flash).
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    if crate::socket::fast_paths() && bytes.len() <= 16 {
        let mut chunks = bytes.utf8_chunks();
        return match chunks.next() {
            // The first chunk stops at the first invalid byte: none, the whole message.
            Some(chunk) if chunk.invalid().is_empty() => Some(chunk.valid()),
            Some(_) => None,
            None => Some(""),
        };
    }
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Validates a text message as it grows, reporting invalid UTF-8 as soon as it arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Utf8Validator {
    /// Length of the message prefix known to be valid UTF-8.
    valid_up_to: usize,
}

impl Utf8Validator {
    /// A validator for a new, empty message.
    #[cfg(test)]
    pub(crate) const fn new() -> Self {
        Utf8Validator { valid_up_to: 0 }
    }

    /// Forgets the message so far, ready for a new one.
    #[cfg(test)]
    pub(crate) fn reset(&mut self) {
        self.valid_up_to = 0;
    }

    /// Length of the message prefix known to be valid UTF-8; the bytes after it, if any, are
    /// the valid start of a character cut by the end of the input.
    #[cfg(test)]
    pub(crate) const fn valid_up_to(&self) -> usize {
        self.valid_up_to
    }

    /// Validates the bytes of `message_so_far` not yet validated.
    ///
    /// `message_so_far` is the whole message received so far, the previous call's input
    /// extended. `Ok` means it is valid UTF-8 or ends inside a character that may still
    /// complete. Given a shorter message than before (a misuse), it validates from the start.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::InvalidUtf8`] as soon as the message cannot be valid UTF-8 whatever
    /// follows.
    pub(crate) fn feed(&mut self, message_so_far: &[u8]) -> Result<(), ProtocolError> {
        let start = if self.valid_up_to <= message_so_far.len() { self.valid_up_to } else { 0 };
        let (_, unchecked) = message_so_far.split_at(start);
        // One call over the bytes not checked yet: its error tells a byte that can never be
        // valid (`error_len` set, even at the very end) from a character the end of the
        // input cut (`error_len` unset), which may still complete.
        match simdutf8::compat::from_utf8(unchecked) {
            Ok(_) => self.valid_up_to = message_so_far.len(),
            Err(e) if e.error_len().is_some() => return Err(ProtocolError::InvalidUtf8),
            Err(e) => self.valid_up_to = start + e.valid_up_to(),
        }
        Ok(())
    }

    /// Validates the complete `message` (its final fragment has arrived) and resets the
    /// validator for the next message, whatever the outcome.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::InvalidUtf8`] unless the whole message is valid UTF-8, including a
    /// message that ends inside a character.
    #[cfg(test)]
    pub(crate) fn finish(&mut self, message: &[u8]) -> Result<(), ProtocolError> {
        let fed = self.feed(message);
        let complete = self.valid_up_to == message.len();
        self.reset();
        fed?;
        if complete { Ok(()) } else { Err(ProtocolError::InvalidUtf8) }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    const KOSME: &[u8] = &[0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5];

    /// Feeds `message` growing one byte at a time: the index of the byte whose arrival
    /// fails, or `None` when every feed and the finish pass.
    fn first_failure_byte_by_byte(message: &[u8]) -> Option<usize> {
        let mut v = Utf8Validator::new();
        for end in 1..=message.len() {
            if v.feed(&message[..end]).is_err() {
                return Some(end - 1);
            }
        }
        v.finish(message).err().map(|_| message.len())
    }

    fn whole(message: &[u8]) -> Result<(), ProtocolError> {
        Utf8Validator::new().finish(message)
    }

    // --- simdutf8 reports bad bytes even at the very end ---

    #[test]
    fn simdutf8_error_len_matches_core_at_the_end_of_input() {
        let tails: [&[u8]; 12] = [
            &[0xF5],
            &[0xC0],
            &[0xC1],
            &[0xFF],
            &[0x80],
            &[0xED, 0xA0],
            &[0xE0, 0x80],
            &[0xF0, 0x80],
            &[0xF4, 0x90],
            &[0xCE],
            &[0xE1, 0xBD],
            &[0xF0, 0x9F, 0xA6],
        ];
        for tail in tails {
            for prefix in [&b""[..], b"abc", &[b'x'; 70]] {
                let input = [prefix, tail].concat();
                let ours = simdutf8::compat::from_utf8(&input).unwrap_err();
                let core = core::str::from_utf8(&input).unwrap_err();
                assert_eq!(ours.error_len(), core.error_len(), "{input:x?}");
                assert_eq!(ours.valid_up_to(), core.valid_up_to(), "{input:x?}");
            }
        }
    }

    // --- valid messages (Autobahn 6.2–6.4) ---

    #[test]
    fn kosme_split_at_every_byte() {
        for split in 0..=KOSME.len() {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(&KOSME[..split]), Ok(()), "split {split}");
            assert_eq!(v.finish(KOSME), Ok(()), "split {split}");
        }
        assert_eq!(first_failure_byte_by_byte(KOSME), None);
    }

    #[test]
    fn boundary_characters_are_valid() {
        let vectors: [&[u8]; 6] = [
            &[0x00],
            &[0x7F],
            &[0xC2, 0x80],
            &[0xEF, 0xBF, 0xBF],
            &[0xF0, 0x90, 0x80, 0x80],
            &[0xF4, 0x8F, 0xBF, 0xBF],
        ];
        for v in vectors {
            assert_eq!(whole(v), Ok(()), "{v:x?}");
            assert_eq!(first_failure_byte_by_byte(v), None, "{v:x?}");
        }
    }

    #[test]
    fn empty_message_is_valid() {
        assert_eq!(whole(b""), Ok(()));
    }

    // --- invalid sequences fail on the byte that makes them invalid (Autobahn 6.3–6.22) ---

    #[test]
    fn invalid_bytes_fail_the_feed_that_delivers_them() {
        // (message, index of the first byte after which no completion is possible)
        let vectors: [(&[u8], usize); 14] = [
            (&[0xF5], 0),
            (&[0xFE], 0),
            (&[0xFF], 0),
            (&[0xC0, 0xAF], 0),
            (&[0xC1, 0xBF], 0),
            (&[0x80], 0),
            (&[0xBF], 0),
            (&[0xED, 0xA0, 0x80], 1),
            (&[0xED, 0xBF, 0xBF], 1),
            (&[0xE0, 0x80, 0xAF], 1),
            (&[0xF0, 0x80, 0x80, 0xAF], 1),
            (&[0xF4, 0x90, 0x80, 0x80], 1),
            (&[0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65], 12),
            (&[0x61, 0xE1, 0x80, 0x61], 3),
        ];
        for (message, bad) in vectors {
            assert_eq!(first_failure_byte_by_byte(message), Some(bad), "{message:x?}");
            assert_eq!(whole(message), Err(ProtocolError::InvalidUtf8), "{message:x?}");
        }
    }

    #[test]
    fn truncated_character_fails_only_at_finish() {
        for message in [&[0xCE][..], &[0x61, 0xE1, 0xBD], &[0xF0, 0x9F, 0xA6]] {
            assert_eq!(first_failure_byte_by_byte(message), Some(message.len()), "{message:x?}");
        }
    }

    #[test]
    fn byte_by_byte_agrees_with_whole_on_the_stress_vectors() {
        let vectors: [&[u8]; 8] = [
            KOSME,
            &[0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xF4, 0x90, 0x80, 0x80],
            &[0xC0, 0x80],
            &[0xE0, 0x80, 0x80],
            &[0xF8, 0x88, 0x80, 0x80, 0x80],
            &[0xFC, 0x84, 0x80, 0x80, 0x80, 0x80],
            &[0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF],
            &[0xEF, 0xBF, 0xBE],
        ];
        for message in vectors {
            assert_eq!(first_failure_byte_by_byte(message).is_none(), whole(message).is_ok(), "{message:x?}");
        }
    }

    // --- where in a split the invalid byte falls ---

    #[test]
    fn invalid_at_the_start_of_a_later_piece() {
        let message = [b"hello ".as_slice(), &[0xF5], b" world"].concat();
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&message[..6]), Ok(()));
        assert_eq!(v.feed(&message[..7]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn invalid_in_the_middle_of_a_piece() {
        let message = [b"hello ".as_slice(), &[0xC0, 0xAF], b" world"].concat();
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&message[..3]), Ok(()));
        assert_eq!(v.feed(&message[..10]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn invalid_continuation_of_a_character_cut_by_the_split() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[b'a', 0xED]), Ok(()));
        assert_eq!(v.valid_up_to(), 1);
        assert_eq!(v.feed(&[b'a', 0xED, 0xA0]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn invalid_as_the_last_byte_of_a_piece() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"abc"), Ok(()));
        assert_eq!(v.feed(&[b'a', b'b', b'c', 0xE0, 0x80]), Err(ProtocolError::InvalidUtf8));
    }

    // --- lifecycle ---

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.finish(&[0xCE]), Err(ProtocolError::InvalidUtf8));
        assert_eq!(v, Utf8Validator::new());
        assert_eq!(v.finish("ok".as_bytes()), Ok(()));
        assert_eq!(v.valid_up_to(), 0);
    }

    #[test]
    fn reset_forgets_the_message() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"abcdef"), Ok(()));
        v.reset();
        assert_eq!(v.feed(&[0xFF]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn a_shorter_message_is_validated_from_the_start() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"abcdef"), Ok(()));
        assert_eq!(v.feed(&[0xFF]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn long_message_in_uneven_pieces() {
        let text = "κόσμε 🦀 ascii ".repeat(200);
        let bytes = text.as_bytes();
        let mut v = Utf8Validator::new();
        let mut end = 0;
        while end < bytes.len() {
            end = (end + 37).min(bytes.len());
            assert_eq!(v.feed(&bytes[..end]), Ok(()));
        }
        assert_eq!(v.finish(bytes), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn any_split_agrees_with_core(
            bytes in proptest::collection::vec(proptest::sample::select(&[0x41u8, 0x80, 0xBF, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0xED, 0xA0, 0xF5][..]), 0..24),
            cuts in proptest::collection::vec(0usize..24, 0..6),
        ) {
            let mut cuts: std::vec::Vec<usize> = cuts.into_iter().filter(|&c| c <= bytes.len()).collect();
            cuts.sort_unstable();
            let mut v = Utf8Validator::new();
            let mut failed = false;
            for &cut in &cuts {
                failed |= v.feed(&bytes[..cut]).is_err();
                if failed {
                    break;
                }
                // Whatever was accepted so far must be a valid prefix.
                let prefix_ok = match core::str::from_utf8(&bytes[..cut]) {
                    Ok(_) => true,
                    Err(e) => e.error_len().is_none(),
                };
                proptest::prop_assert!(prefix_ok);
            }
            let result = if failed { Err(ProtocolError::InvalidUtf8) } else { v.finish(&bytes) };
            proptest::prop_assert_eq!(result.is_ok(), core::str::from_utf8(&bytes).is_ok());
        }
    }

    // --- the check of a whole message where it is handed out ---

    proptest::proptest! {
        /// [`text`] is `core::str::from_utf8`, on the very bytes given: short messages
        /// (`utf8_chunks`) and longer ones, at every alignment, cut anywhere (a character
        /// cut at the end, a surrogate, an overlong form, a byte that never occurs).
        #[test]
        fn text_agrees_with_core(
            bytes in proptest::collection::vec(proptest::sample::select(&[0x41u8, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0xED, 0xA0, 0xF4, 0xF5][..]), 0..40),
            offset in 0usize..8,
        ) {
            let mut buffer = std::vec![b'x'; offset];
            buffer.extend_from_slice(&bytes);
            let message = &buffer[offset..];
            let got = text(message);
            proptest::prop_assert_eq!(got, core::str::from_utf8(message).ok());
            // The bytes handed out are the message's own (an empty one has none).
            if let Some(got) = got.filter(|got| !got.is_empty()) {
                proptest::prop_assert_eq!(got.as_ptr(), message.as_ptr());
            }
            // As bare metal does.
            proptest::prop_assert_eq!(crate::socket::general(|| text(message)), got);
        }
    }

    #[test]
    fn text_of_a_short_message_ending_inside_a_character_is_none() {
        // The benches' 16-byte text, cut inside its last character, and whole.
        let whole = "Hello, κόσμx".as_bytes();
        assert_eq!(text(whole), Some("Hello, κόσμx"));
        assert_eq!(text(&whole[..whole.len() - 2]), None);
        assert_eq!(text(b"\xF0\x9F\xA6"), None);
        assert_eq!(text(b""), Some(""));
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn utf8validator_example() {
        use crate::ProtocolError;
        use crate::utf8::Utf8Validator;

        let mut v = Utf8Validator::new();
        let message = "κόσμε".as_bytes();
        assert_eq!(v.feed(&message[..3]), Ok(())); // "κ" and half of "ό": may still complete
        assert_eq!(v.valid_up_to(), 2);
        assert_eq!(v.finish(message), Ok(()));

        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[b'a', 0xED, 0xA0]), Err(ProtocolError::InvalidUtf8)); // a surrogate
    }
}
