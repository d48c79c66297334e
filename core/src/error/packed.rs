//! Tables of fixed texts packed end to end: one string and the offsets where each text
//! starts, built at compile time.
//!
//! A `[&str; N]` indexed at run time, or a `match` returning `&str`, is a table of two words per
//! text (pointer and length: 8 bytes each on a 32-bit target); packed, a text costs two bytes of
//! offset. [`ProtocolError::reason`](crate::ProtocolError::reason) reads its texts this way.
//! (Not every table gains: where the code walks a small table in a loop, as the check of the
//! forbidden request headers does, cutting each text out costs more code than the table.)

/// The bytes of `parts` end to end; `LEN` must be their total length (checked at compile time,
/// as these run in `const` items only).
// Evaluated at compile time: an index out of bounds fails the build, never a run.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn concat<const LEN: usize>(parts: &[&str]) -> [u8; LEN] {
    let mut bytes = [0u8; LEN];
    let (mut i, mut at) = (0, 0);
    while i < parts.len() {
        let part = parts[i].as_bytes();
        let mut j = 0;
        while j < part.len() {
            bytes[at] = part[j];
            (at, j) = (at + 1, j + 1);
        }
        i += 1;
    }
    assert!(at == LEN, "LEN is the total length of the parts");
    bytes
}

/// The total length of `parts`.
pub(crate) const fn total_len(parts: &[&str]) -> usize {
    let (mut rest, mut len) = (parts, 0);
    while let [part, tail @ ..] = rest {
        len += part.len();
        rest = tail;
    }
    len
}

/// Where each of `parts` starts in their [`concat`], then where the last one ends: `M` is
/// `parts.len() + 1`, and the total length must fit a `u16` (both checked at compile time).
// Evaluated at compile time, as `concat`.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn starts<const M: usize>(parts: &[&str]) -> [u16; M] {
    assert!(M == parts.len() + 1 && total_len(parts) <= u16::MAX as usize);
    let mut starts = [0u16; M];
    let mut i = 0;
    while i < parts.len() {
        starts[i + 1] = starts[i] + parts[i].len() as u16;
        i += 1;
    }
    starts
}

/// `bytes` as text; for `const` items, where a byte sequence that is not UTF-8 fails the
/// build (the [`concat`] of `&str`s always is UTF-8).
// Evaluated at compile time: the panic fails the build, never a run.
#[allow(clippy::panic)]
pub(crate) const fn text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("packed texts are UTF-8"),
    }
}

/// Text `i` of a packed table: `text[starts[i]..starts[i + 1]]`; empty when `i` is out of
/// range (the cuts are at the ends of whole texts, so they always fall on character
/// boundaries).
pub(crate) const fn cut(text: &'static str, starts: &[u16], i: usize) -> &'static str {
    let Some((_, &[start, end, ..])) = starts.split_at_checked(i) else { return "" };
    match text.split_at_checked(end as usize) {
        Some((head, _)) => match head.split_at_checked(start as usize) {
            Some((_, part)) => part,
            None => "",
        },
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: [&str; 3] = ["ab", "", "c\u{e9}d"];
    const BYTES: [u8; total_len(&PARTS)] = concat(&PARTS);
    const TEXT: &str = text(&BYTES);
    const STARTS: [u16; 4] = starts(&PARTS);

    #[test]
    fn cut_gives_back_each_part() {
        assert_eq!(TEXT, "abc\u{e9}d");
        assert_eq!(STARTS, [0, 2, 2, 6]);
        for (i, part) in PARTS.iter().enumerate() {
            assert_eq!(cut(TEXT, &STARTS, i), *part);
        }
        assert_eq!(cut(TEXT, &STARTS, 3), "", "past the last part");
    }
}
