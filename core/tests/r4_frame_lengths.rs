//! Payload lengths at the edges of the receive limits (RFC 6455 §5.2, S20), through the public
//! API: a length in any of its three forms is judged against the frame and message limits
//! from the header alone, a message's fragments count together, and the largest length the
//! 64-bit form allows is refused like any other, never waited for.

mod support;

use sockettask::{Limits, ProtocolError};
use support::*;

/// A server frame's header (FIN, unmasked) with `len` in the 64-bit form (RFC 6455 §5.2).
fn header_64(opcode: u8, len: u64) -> Vec<u8> {
    [&[0x80 | opcode, 127][..], &len.to_be_bytes()].concat()
}

/// No frame limit of its own: the largest length the 64-bit form allows (its top bit clear)
/// is still over the message limit, which the receive buffer bounds. Refused from the header.
#[test]
fn the_largest_64_bit_length_is_too_large_a_message() {
    let (mut h, t) = open_limited(Limits { max_frame_size: usize::MAX, ..Limits::default() });
    assert_too_big(&mut h, t, &header_64(0x2, u64::MAX >> 1), ProtocolError::MessageTooLarge);
}

/// A length past 4 GiB, over the frame limit: the frame limit speaks first.
#[test]
fn a_length_past_four_gib_is_too_large_a_frame() {
    let (mut h, t) = open_limited(Limits { max_frame_size: 1 << 20, ..Limits::default() });
    assert_too_big(&mut h, t, &header_64(0x1, 1 << 33), ProtocolError::FrameTooLarge);
}

/// A continuation frame counts with the fragments before it: exactly the message limit is a
/// message, one byte more is refused from the continuation's header.
#[test]
fn fragments_count_together_against_the_message_limit() {
    let limits = Limits { max_message_size: 300, ..Limits::default() };
    let (mut h, t) = open_limited(limits);
    let whole = [frame(0x2, false, &[1; 200]), frame(0x0, true, &[2; 100])].concat();
    let expected = [vec![1; 200], vec![2; 100]].concat();
    assert_eq!(h.feed(t, &whole), [Ev::Binary(expected)]);

    let (mut h, t) = open_limited(limits);
    let over = [frame(0x2, false, &[1; 200]), frame(0x0, true, &[2; 101])].concat();
    // The header of the continuation is enough (its payload need not arrive).
    let cut = over.len() - 101;
    assert_too_big(&mut h, t, &over[..cut], ProtocolError::MessageTooLarge);
}

/// A 64-bit continuation length that would overflow the count of the message so far is
/// refused like any too-large one (not wrapped around into a small length).
#[test]
fn a_continuation_of_the_largest_length_is_refused() {
    let (mut h, t) = open_limited(Limits { max_frame_size: usize::MAX, ..Limits::default() });
    let wire = [frame(0x1, false, b"abc"), header_64(0x0, u64::MAX >> 1)].concat();
    assert_too_big(&mut h, t, &wire, ProtocolError::MessageTooLarge);
}
