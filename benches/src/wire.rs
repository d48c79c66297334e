//! Bytes on the wire: payloads, unmasked server frames, and the server's side of the opening
//! handshake (the `Sec-WebSocket-Accept` of a request's key).

use base64::Engine as _;
use sha1::Digest as _;

/// Text of exactly `len` bytes, valid UTF-8 mixing 1-, 2-, 3- and 4-byte characters
/// (Latin, Greek, CJK, emoji), padded with ASCII at the end.
pub fn text(len: usize) -> String {
    const PATTERN: &str = "Hello, κόσμε! 世界 🌍 naïve café — ";
    let mut out = String::with_capacity(len);
    'fill: loop {
        for c in PATTERN.chars() {
            if out.len() + c.len_utf8() > len {
                break 'fill;
            }
            out.push(c);
        }
    }
    while out.len() < len {
        out.push('x');
    }
    out
}

/// Binary payload of `len` bytes, every byte value.
pub fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 + 7) as u8).collect()
}

/// RFC 6455 opcodes the builders use.
pub const TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const BINARY: u8 = 0x2;
/// Continuation frame opcode.
pub const CONTINUATION: u8 = 0x0;

/// Appends one unmasked (server-to-client) frame to `out`.
pub fn push_server_frame(out: &mut Vec<u8>, opcode: u8, fin: bool, payload: &[u8]) {
    push_header(out, if fin { 0x80 } else { 0 } | opcode, payload.len());
    out.extend_from_slice(payload);
}

/// Appends an unmasked frame header: the first byte (FIN, RSV, opcode) and the length.
pub fn push_header(out: &mut Vec<u8>, first: u8, len: usize) {
    out.push(first);
    if len < 126 {
        out.push(len as u8);
    } else if len <= 0xFFFF {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// One unmasked server frame carrying a whole message.
pub fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    push_server_frame(&mut out, opcode, true, payload);
    out
}

/// The length of the header of the unmasked server frame at the start of `frames` (2, 4 or
/// 10 bytes, by its length byte): where its payload starts.
///
/// ```
/// use sockettask_benches::wire;
///
/// assert_eq!(wire::header_len(&wire::server_frame(wire::BINARY, &[0; 125])), 2);
/// assert_eq!(wire::header_len(&wire::server_frame(wire::BINARY, &[0; 126])), 4);
/// assert_eq!(wire::header_len(&wire::server_frame(wire::BINARY, &[0; 1 << 16])), 10);
/// ```
pub fn header_len(frames: &[u8]) -> usize {
    match frames.get(1).map(|b| b & 0x7f) {
        Some(126) => 4,
        Some(127) => 10,
        _ => 2,
    }
}

/// A message as `fragments` unmasked frames of (nearly) equal size, cut wherever the bytes
/// fall (inside characters too, as RFC 6455 allows).
pub fn server_fragments(opcode: u8, payload: &[u8], fragments: usize) -> Vec<u8> {
    let size = payload.len().div_ceil(fragments.max(1)).max(1);
    let mut out = Vec::with_capacity(payload.len() + 10 * fragments);
    let chunks: Vec<&[u8]> = payload.chunks(size).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let op = if i == 0 { opcode } else { CONTINUATION };
        push_server_frame(&mut out, op, i + 1 == chunks.len(), chunk);
    }
    out
}

/// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).
pub fn accept(key: &[u8]) -> String {
    let mut sha = sha1::Sha1::new();
    sha.update(key);
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The value of the `Sec-WebSocket-Key` header of a request (case-insensitive name).
pub fn request_key(request: &[u8]) -> Option<&[u8]> {
    const NAME: &[u8] = b"sec-websocket-key:";
    let at = request.windows(NAME.len()).position(|w| w.eq_ignore_ascii_case(NAME))? + NAME.len();
    let rest = request.get(at..)?;
    let end = rest.iter().position(|&b| b == b'\r')?;
    Some(rest.get(..end)?.trim_ascii())
}

/// The `Sec-WebSocket-Accept` the server answers `request` with: its key found
/// ([`request_key`]) and hashed ([`accept`]); `None` without a key.
pub fn accept_of(request: &[u8]) -> Option<String> {
    request_key(request).map(accept)
}

/// The server's whole step in the in-memory handshake benches: the 101 answering `request`
/// ([`accept_of`], then [`put_response`]) written at the start of `out`; its length, or `None`
/// without a key or room. sockettask's case takes the two apart, since its request and its
/// receive buffer are both the client's.
pub fn answer(request: &[u8], out: &mut [u8]) -> Option<usize> {
    put_response(&accept_of(request)?, out)
}

/// The first line and fixed headers of the server's 101, up to the accept's value.
const RESPONSE_HEAD: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";

/// The server's 101 response carrying `accept`, written at the start of `out`: its length,
/// or `None` if `out` is too short. The handshake benches write it where each contender's
/// socket read would put it (sockettask's `input_buffer`, embedded-websocket's caller
/// buffer), so that neither pays a copy the other does not.
///
/// ```
/// use sockettask_benches::wire;
///
/// let request = wire::request("example.com", "/chat", "dGhlIHNhbXBsZSBub25jZQ==");
/// let accept = wire::accept_of(request.as_bytes()).unwrap();
/// let mut out = [0u8; 256];
/// let n = wire::put_response(&accept, &mut out).unwrap();
/// assert_eq!(&out[..n], wire::response_to(request.as_bytes()).unwrap().as_slice());
/// assert_eq!(wire::put_response(&accept, &mut out[..n - 1]), None);
/// assert_eq!(wire::answer(request.as_bytes(), &mut out), Some(n));
/// assert_eq!(wire::answer(b"GET / HTTP/1.1\r\n\r\n", &mut out), None);
/// ```
pub fn put_response(accept: &str, out: &mut [u8]) -> Option<usize> {
    let mut at = 0;
    for part in [RESPONSE_HEAD, accept.as_bytes(), b"\r\n\r\n"] {
        out.get_mut(at..at + part.len())?.copy_from_slice(part);
        at += part.len();
    }
    Some(at)
}

/// The server's 101 response to `request`, into `out` (cleared first); `false` without a key.
pub fn write_response(request: &[u8], out: &mut Vec<u8>) -> bool {
    write_response_with(request, &[], out)
}

/// The server's 101 response to `request` with `extra` header lines (`Name: value`), into
/// `out` (cleared first); `false` without a key.
pub fn write_response_with(request: &[u8], extra: &[&str], out: &mut Vec<u8>) -> bool {
    let Some(accept) = accept_of(request) else { return false };
    out.clear();
    out.extend_from_slice(RESPONSE_HEAD);
    out.extend_from_slice(accept.as_bytes());
    for line in extra {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(line.as_bytes());
    }
    out.extend_from_slice(b"\r\n\r\n");
    true
}

/// The server's 101 response to `request`.
pub fn response_to(request: &[u8]) -> Option<Vec<u8>> {
    response_with(request, &[])
}

/// The server's 101 response to `request`, with `extra` header lines.
pub fn response_with(request: &[u8], extra: &[&str]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write_response_with(request, extra, &mut out).then_some(out)
}

/// A client's upgrade request for `host` and `path`, with `key` (for the hand-made clients).
pub fn request(host: &str, path: &str, key: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_exact_and_multibyte() {
        for len in [0, 1, 16, 1024, 65536] {
            let t = text(len);
            assert_eq!(t.len(), len);
            assert!(len < 64 || t.chars().any(|c| c.len_utf8() == 4));
        }
    }

    #[test]
    fn accept_is_the_rfc_vector() {
        assert_eq!(accept(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let req = request("h", "/", "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(request_key(req.as_bytes()), Some(&b"dGhlIHNhbXBsZSBub25jZQ=="[..]));
    }

    #[test]
    fn fragments_cover_the_payload() {
        let frames = server_fragments(TEXT, &[b'a'; 1000], 10);
        assert_eq!(frames.len(), 1000 + 10 * 2);
        assert_eq!(frames[0], 0x01);
        assert_eq!(frames[frames.len() - 102], 0x80);
    }
}
