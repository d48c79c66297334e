//! The XOR mask (RFC 6455 §5.3). STUB.

/// XORs `buf` in place with `key`, starting at key offset 0.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    let _ = (buf, key);
    unimplemented!()
}

/// Copies `src` into `dst` (same length) XORed with `key`.
pub fn copy_masked(src: &[u8], dst: &mut [u8], key: [u8; 4]) {
    let _ = (src, dst, key);
    unimplemented!()
}
