//! The words of the error messages, written once for two destinations: a `Formatter` (the
//! `Display` impls, for std users) and a fixed buffer ([`ErrMsgText`], for devices), which
//! needs no `core::fmt`: on a microcontroller that machinery is some 4 KB of flash.

use core::fmt;

/// Where an error's words go.
pub(crate) trait Words {
    /// Appends text.
    fn str(&mut self, s: &str);
    /// Appends `n` in decimal, as `{n}` writes it.
    fn decimal(&mut self, n: usize);
    /// Appends `0x` and `n` in lower-case hexadecimal, as `{n:#x}` writes it.
    fn hex(&mut self, n: u8);
}

/// `Display` through [`Words`]: the same words, written to `f`.
pub(crate) fn display(f: &mut fmt::Formatter<'_>, words: impl FnOnce(&mut Formatted<'_, '_>)) -> fmt::Result {
    let mut out = Formatted { f, result: Ok(()) };
    words(&mut out);
    out.result
}

/// A `Formatter` as [`Words`]: the first error stops the writing and is kept.
pub(crate) struct Formatted<'a, 'f> {
    f: &'a mut fmt::Formatter<'f>,
    result: fmt::Result,
}

impl Words for Formatted<'_, '_> {
    fn str(&mut self, s: &str) {
        if self.result.is_ok() {
            self.result = self.f.write_str(s);
        }
    }

    fn decimal(&mut self, n: usize) {
        if self.result.is_ok() {
            self.result = write!(self.f, "{n}");
        }
    }

    fn hex(&mut self, n: u8) {
        if self.result.is_ok() {
            self.result = write!(self.f, "{n:#x}");
        }
    }
}

/// Bytes an [`ErrMsgText`] holds: every `errMsg` the core writes fits (the longest possible,
/// with a quote cut at [`EXCERPT_LEN`](crate::EXCERPT_LEN) bytes, is 101 bytes).
pub const ERR_MSG_LEN: usize = 128;

/// An `errMsg` written into a fixed buffer by [`ErrMsg::text`](crate::ErrMsg::text), without
/// `core::fmt`: what a device without room for the formatting machinery shows or logs. The
/// text is exactly what the `errMsg`'s `Display` writes.
///
/// ```
/// use sockettask::{CloseCode, CloseError, ERR_MSG_LEN, ErrMsgText};
///
/// let text: ErrMsgText = CloseError::InvalidCode(CloseCode(1001)).err_msg().text();
/// assert_eq!(text.as_str(), "closeSocket:fail The code must be either 1000, or between 3000 and 4999");
/// assert!(text.as_str().len() <= ERR_MSG_LEN);
/// // A UART takes it byte by byte.
/// let mut uart = Vec::new();
/// uart.extend(text.as_str().bytes());
/// assert_eq!(uart, text.as_bytes());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ErrMsgText(heapless::String<ERR_MSG_LEN, u8>);

impl ErrMsgText {
    /// The message.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The message as bytes (UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl AsRef<str> for ErrMsgText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for ErrMsgText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrMsgText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The message as a `str`'s `Debug` writes it.
impl fmt::Debug for ErrMsgText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The message.
impl fmt::Display for ErrMsgText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Words for ErrMsgText {
    /// Keeps what fits, cut at a character boundary (every message fits: see
    /// [`ERR_MSG_LEN`]).
    fn str(&mut self, s: &str) {
        let room = ERR_MSG_LEN - self.0.len();
        let kept = s.get(..s.floor_char_boundary(room)).unwrap_or_default();
        let _ = self.0.push_str(kept);
    }

    fn decimal(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
            start -= 1;
            if n == 0 {
                break;
            }
        }
        for &digit in digits.get(start..).unwrap_or_default() {
            let _ = self.0.push(char::from(digit));
        }
    }

    fn hex(&mut self, n: u8) {
        let digit = |d: u8| char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        self.str("0x");
        if n >= 16 {
            let _ = self.0.push(digit(n >> 4));
        }
        let _ = self.0.push(digit(n & 15));
    }
}

/// httparse's words for its errors, as its `Display` writes them (its own `&'static str`
/// is private to it).
pub(crate) fn httparse_error(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid new line",
        httparse::Error::Status => "invalid response status",
        httparse::Error::Token => "invalid token",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "invalid HTTP version",
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::ToString;

    use super::*;

    #[test]
    fn numbers_as_fmt_writes_them() {
        for n in [0, 1, 9, 10, 101, 65535, 1 << 20, usize::MAX] {
            let mut text = ErrMsgText::default();
            text.decimal(n);
            assert_eq!(text.as_str(), format!("{n}"));
        }
        for n in 0..=255u8 {
            let mut text = ErrMsgText::default();
            text.hex(n);
            assert_eq!(text.as_str(), format!("{n:#x}"));
        }
    }

    #[test]
    fn httparse_words_are_httparse_display() {
        use httparse::Error::*;
        for e in [HeaderName, HeaderValue, NewLine, Status, Token, TooManyHeaders, Version] {
            assert_eq!(httparse_error(e), e.to_string());
        }
    }

    #[test]
    fn text_past_the_buffer_is_cut_at_a_character_boundary() {
        let mut text = ErrMsgText::default();
        text.str(&"a".repeat(ERR_MSG_LEN - 1));
        text.str("é");
        assert_eq!(text.as_str().len(), ERR_MSG_LEN - 1, "the two-byte character does not fit");
        text.str("b");
        text.str("c");
        assert_eq!(text.as_str().len(), ERR_MSG_LEN);
        assert!(text.as_str().ends_with("ab"));
    }
}
