//! What an error keeps of a string the caller passed: its start, by value, in a fixed-size
//! buffer, so that the error borrows nothing.

use core::fmt::{self, Write as _};

/// Bytes an [`Excerpt`] keeps of a string the caller passed: enough for every header name the
/// library manages (the longest, `sec-websocket-extensions`, has 24), a typical host and the
/// start of a URL, while a [`ConnectError`](super::ConnectError) stays a small value (56 bytes
/// on 64-bit targets, 52 on 32-bit ones).
pub const EXCERPT_LEN: usize = 48;

/// The start of a string the caller passed (a URL, a header name, a subprotocol, a host), kept
/// by value so that the error quoting it owns it: a [`ConnectError`](super::ConnectError) is
/// `'static`, outlives the [`crate::ConnectOptions`] it came from and goes through `?` into any
/// error type.
///
/// At most [`EXCERPT_LEN`] bytes are kept, cut at a character boundary. A longer string is
/// marked as cut: [`Excerpt::is_truncated`] is `true` and `Display` and `Debug` end the text
/// with `…` (U+2026).
///
/// ```
/// use sockettask::{EXCERPT_LEN, Excerpt};
///
/// let short = Excerpt::new("x-token");
/// assert_eq!(short, "x-token");
/// assert!(!short.is_truncated());
/// assert_eq!(format!("{short} {short:?}"), "x-token \"x-token\"");
///
/// let long = format!("wss://example.com/{}", "a".repeat(100));
/// let cut = Excerpt::new(&long);
/// assert!(cut.is_truncated());
/// assert_eq!(cut.as_str().len(), EXCERPT_LEN);
/// assert!(long.starts_with(cut.as_str()));
/// assert!(cut.to_string().ends_with("aaa…"));
/// assert!(format!("{cut:?}").ends_with("aaa…\""));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Excerpt {
    text: heapless::String<EXCERPT_LEN, u8>,
    truncated: bool,
}

impl Excerpt {
    /// Keeps the first [`EXCERPT_LEN`] bytes of `s`, fewer when that would split a character.
    pub fn new(s: &str) -> Self {
        let kept = s.get(..s.floor_char_boundary(EXCERPT_LEN)).unwrap_or_default();
        let mut text = heapless::String::new();
        // Fits: `kept` is at most EXCERPT_LEN bytes.
        let _ = text.push_str(kept);
        Excerpt { text, truncated: kept.len() < s.len() }
    }

    /// The kept text, without the `…` mark.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// Whether the string was longer than [`EXCERPT_LEN`] bytes and only its start is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The words of `Display`, without `core::fmt`.
    pub(crate) fn words(&self, w: &mut impl super::Words) {
        w.str(self.as_str());
        if self.truncated {
            w.str("…");
        }
    }
}

impl From<&str> for Excerpt {
    fn from(s: &str) -> Self {
        Excerpt::new(s)
    }
}

impl AsRef<str> for Excerpt {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Equal when the whole of `other` was kept: a truncated excerpt equals no string.
impl PartialEq<str> for Excerpt {
    fn eq(&self, other: &str) -> bool {
        !self.truncated && self.text == *other
    }
}

/// As `PartialEq<str>`.
impl PartialEq<&str> for Excerpt {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// The kept text, then `…` when it was cut.
impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated { f.write_str("…") } else { Ok(()) }
    }
}

/// Quoted and escaped as `str`'s `Debug`, with `…` inside the quotes when the text was cut.
impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.truncated {
            return fmt::Debug::fmt(self.as_str(), f);
        }
        let mut quoted = HoldClosingQuote { out: f, held: false };
        write!(quoted, "{:?}", self.as_str())?;
        f.write_str("…\"")
    }
}

/// Passes text through but the last `"` written: `str`'s `Debug` output without its closing
/// quote, so that a mark can go inside it.
struct HoldClosingQuote<'a, 'f> {
    out: &'a mut fmt::Formatter<'f>,
    held: bool,
}

impl fmt::Write for HoldClosingQuote<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if core::mem::take(&mut self.held) {
            self.out.write_char('"')?;
        }
        match s.strip_suffix('"') {
            Some(rest) => {
                self.held = true;
                self.out.write_str(rest)
            }
            None => self.out.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::ToString;

    use super::*;

    // --- excerpts: what a ConnectError keeps of the caller's strings ---

    #[test]
    fn a_short_string_is_kept_whole() {
        let e = Excerpt::new("x-token");
        assert_eq!((e.as_str(), e.is_truncated()), ("x-token", false));
        assert_eq!(e, "x-token");
        assert_eq!(Excerpt::new(""), "");
        let exact = "a".repeat(EXCERPT_LEN);
        assert_eq!(Excerpt::new(&exact), exact.as_str(), "exactly EXCERPT_LEN bytes fit");
    }

    #[test]
    fn a_long_string_is_cut_and_marked() {
        let long = "b".repeat(EXCERPT_LEN + 1);
        let e = Excerpt::new(&long);
        assert!(e.is_truncated());
        assert_eq!(e.as_str(), &long[..EXCERPT_LEN]);
        assert_ne!(e, long.as_str(), "a cut excerpt equals no string");
        assert_ne!(e, &long[..EXCERPT_LEN]);
        assert_eq!(e.to_string(), format!("{}…", &long[..EXCERPT_LEN]));
        assert_eq!(format!("{e:?}"), format!("\"{}…\"", &long[..EXCERPT_LEN]));
    }

    #[test]
    fn the_cut_falls_on_a_character_boundary() {
        // Three-byte characters after a one-byte prefix: byte EXCERPT_LEN is inside one.
        let s = format!("a{}", "é€".repeat(EXCERPT_LEN));
        let e = Excerpt::new(&s);
        assert!(e.is_truncated());
        assert!(e.as_str().len() <= EXCERPT_LEN && e.as_str().len() > EXCERPT_LEN - 4);
        assert!(s.starts_with(e.as_str()));
    }

    #[test]
    fn debug_escapes_as_str_does_and_marks_inside_the_quotes() {
        assert_eq!(format!("{:?}", Excerpt::new("a\"b\r\n")), "\"a\\\"b\\r\\n\"");
        let quotes = "\"".repeat(EXCERPT_LEN + 1);
        let expected = format!("\"{}…\"", "\\\"".repeat(EXCERPT_LEN));
        assert_eq!(format!("{:?}", Excerpt::new(&quotes)), expected);
    }
}
