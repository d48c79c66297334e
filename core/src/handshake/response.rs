//! The response layer of the opening handshake: finding the end of the server's header block,
//! validating it (S8, RFC 6455 §4.1 "the client MUST validate the server's response"), and
//! reading its headers for the `onOpen` event.
//!
//! The response may arrive in any number of pieces: the caller appends them to one buffer and
//! calls [`find_end`] with how far the previous search got; once it returns the end, the bytes
//! before it go to [`validate`], and the bytes after it are the first frames.
//!
//! ```
//! use sockettask::handshake::response::{find_end, validate};
//! use sockettask::handshake::{Key, ProtocolCheck};
//!
//! let accept = Key::from_nonce(*b"the sample nonce").accept();
//! let wire = b"HTTP/1.1 101 Switching Protocols\r\n\
//!     Upgrade: websocket\r\n\
//!     Connection: Upgrade\r\n\
//!     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Protocol: chat\r\n\
//!     \r\n\x81\x02hi";
//! let end = find_end(wire, 0).unwrap();
//! let (block, frames) = wire.split_at(end);
//! assert_eq!(frames, [0x81, 0x02, b'h', b'i']);
//! let chosen = validate(block, &accept, "superchat, chat", ProtocolCheck::Strict).unwrap();
//! assert_eq!(chosen.map(|r| &block[r]), Some(&b"chat"[..]));
//! ```

use core::ops::Range;

use crate::error::HandshakeError;
use crate::handshake::Accept;

/// How many response headers are parsed at most.
pub const MAX_RESPONSE_HEADERS: usize = 32;

/// How the "no subprotocol chosen" case is judged (S5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtocolCheck {
    /// Offered protocols and none chosen fails the handshake (browsers, the seed).
    #[default]
    Strict,
    /// RFC 6455 alone: none chosen is accepted.
    Lenient,
}

/// Index just past the empty line ending the header block, searching `buf` from `from`
/// (the caller passes how far a previous search got; overlap is handled here).
///
/// The block ends where httparse ends it: at the first line break (`\r\n`, or a bare `\n`,
/// which httparse also accepts) that directly follows another one, so at the first `\n\n`
/// or `\n\r\n`. Ending it anywhere else would let lines between the two ends escape
/// validation. Scanning starts 2 bytes before `from`, so an ending split across two reads is
/// found; `from` past the end of `buf` finds nothing.
///
/// ```
/// use sockettask::handshake::response::find_end;
///
/// let wire = b"HTTP/1.1 101 OK\r\n\r\nframes";
/// assert_eq!(find_end(&wire[..18], 0), None);
/// assert_eq!(find_end(wire, 18), Some(19));
/// assert_eq!(find_end(b"HTTP/1.1 101 OK\n\nframes", 0), Some(17));
/// ```
pub fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    let rest = buf.get(start..)?;
    rest.iter().enumerate().filter(|&(_, &b)| b == b'\n').find_map(|(i, _)| {
        match (rest.get(i + 1), rest.get(i + 2)) {
            (Some(b'\n'), _) => Some(start + i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(start + i + 3),
            _ => None,
        }
    })
}

/// Validates a complete header block. `offered` is the protocol list as sent (`"a, b"`,
/// empty when none). Returns the byte range of the chosen protocol inside `block`.
///
/// Checks, in order: HTTP/1.1 ([`HandshakeError::Version`]), status 101, `Upgrade`,
/// `Connection`, `Sec-WebSocket-Accept`, `Sec-WebSocket-Extensions`, then the subprotocol
/// (S5). A block httparse finds incomplete, or complete before its end (it must end at
/// the first empty line, as [`find_end`] ends it), is `Malformed(httparse::Error::NewLine)`.
pub fn validate(
    block: &[u8],
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
) -> Result<Option<Range<usize>>, HandshakeError> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let mut response = httparse::Response::new(&mut storage);
    match response.parse(block) {
        // The block must be exactly what httparse read: `find_end` ends it at the same empty
        // line, so a shorter parse means a block that did not come from `find_end`.
        Ok(httparse::Status::Complete(n)) if n == block.len() => {}
        Ok(_) => return Err(HandshakeError::Malformed(httparse::Error::NewLine)),
        Err(e) => return Err(HandshakeError::Malformed(e)),
    }
    if response.version != Some(1) {
        return Err(HandshakeError::Version);
    }
    // RFC 6455 §4.1: "If the status code received from the server is not 101, the client
    // handles the response per HTTP procedures" — for this client, a failed handshake (S2).
    match response.code {
        Some(101) => {}
        code => return Err(HandshakeError::Status(code.unwrap_or(0))),
    }
    let headers: &[httparse::Header<'_>] = response.headers;
    check_upgrade(headers)?;
    check_accept(headers, accept)?;
    check_extensions(headers)?;
    let chosen = chosen_protocol(headers, offered, check)?;
    chosen.map(|value| range_in(block, value)).transpose()
}

/// RFC 6455 §4.1: "If the response lacks an |Upgrade| header field or the |Upgrade| header
/// field contains a value that is not an ASCII case-insensitive match for the value
/// "websocket", the client MUST _Fail the WebSocket Connection_." Likewise for |Connection|
/// and "Upgrade". Both are read as token lists (`Connection: keep-alive, Upgrade`).
fn check_upgrade(headers: &[httparse::Header<'_>]) -> Result<(), HandshakeError> {
    match has_token(headers, "upgrade", b"websocket") {
        None => return Err(HandshakeError::MissingUpgrade),
        Some(false) => return Err(HandshakeError::InvalidUpgrade),
        Some(true) => {}
    }
    match has_token(headers, "connection", b"upgrade") {
        None => Err(HandshakeError::MissingConnection),
        Some(false) => Err(HandshakeError::InvalidConnection),
        Some(true) => Ok(()),
    }
}

/// RFC 6455 §4.1: "If the response lacks a |Sec-WebSocket-Accept| header field or the
/// |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
/// concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
/// string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring any leading and trailing
/// whitespace, the client MUST _Fail the WebSocket Connection_." More than one is refused
/// too (RFC 6455 §11.3.3: it "MUST NOT appear more than once in an HTTP response").
fn check_accept(headers: &[httparse::Header<'_>], accept: &Accept) -> Result<(), HandshakeError> {
    let mut values = named(headers, "sec-websocket-accept");
    let value = values.next().ok_or(HandshakeError::MissingAccept)?;
    if values.next().is_some() {
        return Err(HandshakeError::DuplicateAccept);
    }
    if trim_ows(value) != accept.as_bytes() {
        return Err(HandshakeError::WrongAccept);
    }
    Ok(())
}

/// RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and
/// this header field indicates the use of an extension that was not present in the client's
/// handshake (the server has indicated an extension not requested by the client), the client
/// MUST _Fail the WebSocket Connection_." This client offers none.
fn check_extensions(headers: &[httparse::Header<'_>]) -> Result<(), HandshakeError> {
    if named(headers, "sec-websocket-extensions").any(|v| !trim_ows(v).is_empty()) {
        return Err(HandshakeError::UnofferedExtension);
    }
    Ok(())
}

/// RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Protocol| header field and this
/// header field indicates the use of a subprotocol that was not present in the client's
/// handshake (the server has indicated a subprotocol not requested by the client), the client
/// MUST _Fail the WebSocket Connection_." The server selects "one or none" (§4.2.2), so more
/// than one is refused; none when some were offered is refused in strict mode (S5).
///
/// A header present with an empty value counts as choosing `""`, which is never offered.
fn chosen_protocol<'h>(
    headers: &[httparse::Header<'h>],
    offered: &str,
    check: ProtocolCheck,
) -> Result<Option<&'h [u8]>, HandshakeError> {
    let mut values = named(headers, "sec-websocket-protocol");
    let Some(value) = values.next() else {
        return match (offered_list(offered).next().is_some(), check) {
            (true, ProtocolCheck::Strict) => Err(HandshakeError::MissingProtocol),
            _ => Ok(None),
        };
    };
    let value = trim_ows(value);
    if values.next().is_some() || value.contains(&b',') {
        return Err(HandshakeError::MultipleProtocols);
    }
    if !offered_list(offered).any(|p| p.as_bytes() == value) {
        return Err(HandshakeError::UnofferedProtocol);
    }
    Ok(Some(value))
}

/// The protocols of the list as sent (`"a, b"`): split on `,`, spaces trimmed, empties left
/// out.
fn offered_list(offered: &str) -> impl Iterator<Item = &str> {
    offered.split(',').map(|p| p.trim_matches(' ')).filter(|p| !p.is_empty())
}

/// The values of every header called `name` (ASCII case-insensitive), in order.
fn named<'h, 'n>(
    headers: &'n [httparse::Header<'h>],
    name: &'n str,
) -> impl Iterator<Item = &'h [u8]> + use<'h, 'n> {
    headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
}

/// `None` when no header `name` is present; otherwise whether any instance's comma-separated
/// list holds `token` (ASCII case-insensitive).
fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &[u8]) -> Option<bool> {
    let mut present = false;
    for value in named(headers, name) {
        present = true;
        if value.split(|&b| b == b',').any(|t| trim_ows(t).eq_ignore_ascii_case(token)) {
            return Some(true);
        }
    }
    present.then_some(false)
}

/// Strips optional whitespace (RFC 7230 §3.2.3 `OWS`: spaces and tabs) from both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Where `part`, a sub-slice of `block`, lies inside it (computed from addresses; no
/// `unsafe`). A slice from elsewhere is reported as a malformed value, never a panic.
fn range_in(block: &[u8], part: &[u8]) -> Result<Range<usize>, HandshakeError> {
    let start = part.as_ptr().addr().wrapping_sub(block.as_ptr().addr());
    let end = start.checked_add(part.len()).filter(|&end| end <= block.len());
    match end {
        Some(end) if block.get(start..end) == Some(part) => Ok(start..end),
        _ => Err(HandshakeError::Malformed(httparse::Error::HeaderValue)),
    }
}

/// The headers of a validated response, for the `onOpen` event.
#[derive(Clone, Copy, Debug)]
pub struct Headers<'a> {
    block: &'a [u8],
}

impl<'a> Headers<'a> {
    /// Wraps a header block that `validate` accepted.
    ///
    /// Any bytes are safe to wrap: on a block that was not validated, lines without a `:` or
    /// whose name is not UTF-8 are skipped, and iteration stops at the first blank line or
    /// at a last line without `\r\n`.
    pub fn new(block: &'a [u8]) -> Self {
        Headers { block }
    }

    /// The first value of `name` (case-insensitive), trimmed of surrounding whitespace.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// Every header in order, after the status line.
    pub fn iter(&self) -> HeaderIter<'a> {
        let rest = split_line(self.block).map_or(&[][..], |(_status, rest)| rest);
        HeaderIter { rest }
    }
}

/// Iterator over `(name, value)` pairs of a [`Headers`].
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some((line, rest)) = split_line(self.rest).filter(|(line, _)| !line.is_empty()) else {
                self.rest = &[];
                return None;
            };
            self.rest = rest;
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let (name, value) = line.split_at(colon);
            let Ok(name) = core::str::from_utf8(name) else { continue };
            return Some((name, trim_ows(value.get(1..).unwrap_or_default())));
        }
    }
}

/// Splits the first `\r\n`-terminated line off `bytes`: `(line, rest)`.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.windows(2).position(|w| w == b"\r\n")?;
    let (line, rest) = bytes.split_at(at);
    Some((line, rest.get(2..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::handshake::Key;

    /// The accept of RFC 6455 §1.3's key.
    fn accept() -> Accept {
        Key::from_nonce(*b"the sample nonce").accept()
    }

    const OK_HEAD: &str = "HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    /// A valid response head plus `extra` header lines, closed by the blank line.
    fn with(extra: &str) -> String {
        std::format!("{OK_HEAD}{extra}\r\n")
    }

    /// `validate` with the given offer and check, answering the chosen protocol as text.
    fn run<'b>(
        block: &'b str,
        offered: &str,
        check: ProtocolCheck,
    ) -> Result<Option<&'b str>, HandshakeError> {
        let range = validate(block.as_bytes(), &accept(), offered, check)?;
        Ok(range.map(|r| &block[r]))
    }

    /// One-line wire samples: `valid!(block)`, `valid!(block, offered => chosen)`,
    /// `invalid!(block => Error)`, `invalid!(block, offered => Error)`.
    macro_rules! valid {
        ($block:expr) => {
            valid!($block, "" => None)
        };
        ($block:expr, $offered:expr => $chosen:expr) => {
            assert_eq!(run(&$block, $offered, ProtocolCheck::Strict), Ok($chosen), "{:?}", $block)
        };
    }

    macro_rules! invalid {
        ($block:expr => $err:expr) => {
            invalid!($block, "" => $err)
        };
        ($block:expr, $offered:expr => $err:expr) => {
            assert_eq!(run(&$block, $offered, ProtocolCheck::Strict), Err($err), "{:?}", $block)
        };
    }

    // --- the happy path ---

    #[test]
    fn rfc6455_section_1_3_response() {
        valid!(with(""));
        let rfc = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
        valid!(rfc, "chat, superchat" => Some("chat"));
    }

    #[test]
    fn token_lists_are_case_insensitive_with_optional_whitespace() {
        let head =
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        for pair in [
            "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n",
            "upgrade: WebSocket\r\nconnection: upgrade\r\n",
            "UPGRADE: WEBSOCKET\r\nCONNECTION: UPGRADE\r\n",
            "Upgrade:websocket\r\nConnection:Upgrade\r\n",
            "Upgrade: \t websocket \t\r\nConnection:   keep-alive ,\tUpgrade  \r\n",
            "Upgrade: h2c, websocket\r\nConnection: Upgrade,close\r\n",
            "Upgrade: h2c\r\nUpgrade: websocket\r\nConnection: close\r\nConnection: upgrade\r\n",
        ] {
            valid!(std::format!("{head}{pair}\r\n"));
        }
    }

    #[test]
    fn accept_value_is_trimmed() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        valid!(std::format!("{head}Sec-WebSocket-Accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\t \r\n\r\n"));
        valid!(std::format!("{head}sec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    }

    #[test]
    fn empty_extensions_header_is_no_extension() {
        valid!(with("Sec-WebSocket-Extensions:\r\n"));
        valid!(with("Sec-WebSocket-Extensions:   \r\n"));
    }

    // --- every HandshakeError variant ---

    #[test]
    fn malformed_responses() {
        use httparse::Error as E;
        invalid!("garbage\r\n\r\n" => HandshakeError::Malformed(E::Version));
        invalid!("HTTP/2 101 Switching Protocols\r\n\r\n" => HandshakeError::Malformed(E::Version));
        invalid!("HTTP/1.1 1O1 Switching\r\n\r\n" => HandshakeError::Malformed(E::Status));
        invalid!("HTTP/1.1 101 Switching Protocols\r\nbad name: x\r\n\r\n" => HandshakeError::Malformed(E::HeaderName));
        invalid!(OK_HEAD => HandshakeError::Malformed(E::NewLine));
        invalid!("" => HandshakeError::Malformed(E::NewLine));
        let too_many = with(&"X: y\r\n".repeat(MAX_RESPONSE_HEADERS));
        invalid!(too_many => HandshakeError::Malformed(E::TooManyHeaders));
        let just_fits = with(&"X: y\r\n".repeat(MAX_RESPONSE_HEADERS - 3));
        valid!(just_fits);
    }

    #[test]
    fn version_and_status() {
        invalid!(OK_HEAD.replace("HTTP/1.1", "HTTP/1.0") + "\r\n" => HandshakeError::Version);
        invalid!(with("").replace("101 Switching Protocols", "404 Not Found") => HandshakeError::Status(404));
        invalid!(with("").replace("101 Switching Protocols", "200 OK") => HandshakeError::Status(200));
        invalid!("HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n" => HandshakeError::Status(301));
    }

    #[test]
    fn upgrade_and_connection() {
        let status = "HTTP/1.1 101 Switching Protocols\r\n";
        let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        let case = |lines: &str| std::format!("{status}{lines}{accept}\r\n");
        invalid!(case("Connection: Upgrade\r\n") => HandshakeError::MissingUpgrade);
        invalid!(case("Upgrade: h2c\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade: websockets\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade:\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade: websocket\r\n") => HandshakeError::MissingConnection);
        invalid!(case("Upgrade: websocket\r\nConnection: keep-alive\r\n") => HandshakeError::InvalidConnection);
        invalid!(case("Upgrade: websocket\r\nConnection: keep-alive upgrade\r\n") => HandshakeError::InvalidConnection);
    }

    #[test]
    fn accept_checks() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        invalid!(std::format!("{head}\r\n") => HandshakeError::MissingAccept);
        invalid!(with("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") => HandshakeError::DuplicateAccept);
        invalid!(with("sec-websocket-accept: other\r\n") => HandshakeError::DuplicateAccept);
        invalid!(std::format!("{head}Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n") => HandshakeError::WrongAccept);
        invalid!(std::format!("{head}Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n") => HandshakeError::WrongAccept);
        invalid!(std::format!("{head}Sec-WebSocket-Accept:\r\n\r\n") => HandshakeError::WrongAccept);
    }

    #[test]
    fn extensions_are_never_accepted() {
        invalid!(with("Sec-WebSocket-Extensions: permessage-deflate\r\n") => HandshakeError::UnofferedExtension);
        invalid!(with("Sec-WebSocket-Extensions:\r\nsec-websocket-extensions: x\r\n") => HandshakeError::UnofferedExtension);
    }

    // --- subprotocols (S5) ---

    #[test]
    fn protocol_chosen_from_the_offer() {
        valid!(with("Sec-WebSocket-Protocol: chat\r\n"), "superchat, chat" => Some("chat"));
        valid!(with("Sec-WebSocket-Protocol:  v2.chat \r\n"), "chat,v2.chat" => Some("v2.chat"));
        valid!(with("sec-websocket-protocol: chat\r\n"), " chat " => Some("chat"));
    }

    #[test]
    fn protocol_errors() {
        invalid!(with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"), "chat" => HandshakeError::MultipleProtocols);
        invalid!(with("Sec-WebSocket-Protocol: a, b\r\n"), "a, b" => HandshakeError::MultipleProtocols);
        invalid!(with("Sec-WebSocket-Protocol: other\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol: Chat\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol: chat\r\n") => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n") => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n"), "a,,b" => HandshakeError::UnofferedProtocol);
        invalid!(with(""), "chat" => HandshakeError::MissingProtocol);
    }

    #[test]
    fn bare_line_feeds_end_the_block_where_httparse_does() {
        // Found by the handshake_response fuzz target: `\r\n\n` ended the block for httparse
        // while the search waited for `\r\n\r\n`, so a second Accept between the two was
        // never validated. Now both end the block at the first empty line.
        let wire = std::format!("{OK_HEAD}\nSec-WebSocket-Accept: wrong\r\n\r\n");
        let end = find_end(wire.as_bytes(), 0).unwrap();
        assert_eq!(&wire[..end], std::format!("{OK_HEAD}\n"));
        valid!(&wire[..end]);
        // A block longer than what httparse reads did not come from find_end: refused.
        invalid!(wire => HandshakeError::Malformed(httparse::Error::NewLine));
        // A response with bare line feeds throughout is read as httparse reads it.
        valid!(OK_HEAD.replace("\r\n", "\n") + "\n");
    }

    #[test]
    fn lenient_mode_accepts_no_choice_only() {
        assert_eq!(run(&with(""), "chat", ProtocolCheck::Lenient), Ok(None));
        assert_eq!(run(&with(""), "", ProtocolCheck::Lenient), Ok(None));
        let unoffered = with("Sec-WebSocket-Protocol: x\r\n");
        assert_eq!(run(&unoffered, "chat", ProtocolCheck::Lenient), Err(HandshakeError::UnofferedProtocol));
        let chosen = with("Sec-WebSocket-Protocol: chat\r\n");
        assert_eq!(run(&chosen, "chat", ProtocolCheck::Lenient), Ok(Some("chat")));
    }

    #[test]
    fn checks_run_in_order() {
        // A 404 with every other problem reports the status.
        invalid!("HTTP/1.1 404 Not Found\r\nSec-WebSocket-Extensions: x\r\n\r\n" => HandshakeError::Status(404));
        // A wrong accept is reported before an unoffered extension or protocol.
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        let block = std::format!(
            "{head}Sec-WebSocket-Accept: x\r\nSec-WebSocket-Extensions: y\r\nSec-WebSocket-Protocol: z\r\n\r\n"
        );
        invalid!(block => HandshakeError::WrongAccept);
    }

    // --- find_end ---

    #[test]
    fn find_end_over_every_split_point() {
        let block = with("Sec-WebSocket-Protocol: chat\r\n");
        let wire = std::format!("{block}\u{81}\u{2}hi");
        let wire = wire.as_bytes();
        let mut searched = 0;
        let mut found = Vec::new();
        for n in 0..=wire.len() {
            match find_end(&wire[..n], searched) {
                Some(end) => {
                    found.push((n, end));
                    break;
                }
                None => searched = n,
            }
        }
        assert_eq!(found, [(block.len(), block.len())], "found once, as soon as the terminator is whole");
        // `from` is how far a search got without a match: anything short of the end.
        for from in 0..block.len() {
            assert_eq!(find_end(wire, from), Some(block.len()), "resuming from {from}");
        }
    }

    #[test]
    fn find_end_edge_cases() {
        assert_eq!(find_end(b"", 0), None);
        assert_eq!(find_end(b"\r\n\r\n", 0), Some(4));
        assert_eq!(find_end(b"\r\n\r\n", 3), Some(4));
        assert_eq!(find_end(b"\r\n\r", 0), None);
        assert_eq!(find_end(b"a\r\n\r\n", 100), None);
        assert_eq!(find_end(b"a\r\n\r\nb\r\n\r\n", 0), Some(5), "the first terminator ends the block");
        assert_eq!(find_end(b"a\r\n\r\n", usize::MAX), None);
        // Bare line feeds end the block where httparse ends it.
        assert_eq!(find_end(b"a\n\nb", 0), Some(3));
        assert_eq!(find_end(b"a\r\n\nb", 0), Some(4));
        assert_eq!(find_end(b"a\n\r\nb", 0), Some(4));
        assert_eq!(find_end(b"a\r\n\n", 3), Some(4), "resumed two bytes back");
        assert_eq!(find_end(b"a\r\rb", 0), None);
    }

    // --- headers for onOpen ---

    #[test]
    fn headers_iterate_in_order_with_trimmed_values() {
        let block = with("X-Empty:\r\nX-Spaced:  a b \t\r\n");
        let headers = Headers::new(block.as_bytes());
        let all: Vec<(&str, &[u8])> = headers.iter().collect();
        assert_eq!(
            all,
            [
                ("Upgrade", &b"websocket"[..]),
                ("Connection", b"Upgrade"),
                ("Sec-WebSocket-Accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ("X-Empty", b""),
                ("X-Spaced", b"a b"),
            ]
        );
        assert_eq!(headers.get("connection"), Some(&b"Upgrade"[..]));
        assert_eq!(headers.get("SEC-WEBSOCKET-ACCEPT"), Some(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..]));
        assert_eq!(headers.get("missing"), None);
    }

    #[test]
    fn headers_get_returns_the_first_value_and_stops_at_the_blank_line() {
        let block = b"HTTP/1.1 101 OK\r\nA: 1\r\na: 2\r\n\r\nB: after\r\n";
        let headers = Headers::new(block);
        assert_eq!(headers.get("A"), Some(&b"1"[..]));
        assert_eq!(headers.get("B"), None);
        assert_eq!(headers.iter().count(), 2);
    }

    #[test]
    fn headers_survive_unvalidated_bytes() {
        for block in [
            &b""[..],
            b"HTTP/1.1 101",
            b"\r\n",
            b"status\r\nno colon\r\n\xff\xfe: bad name\r\nok: 1\r\nunterminated: 2",
            b"status\r\n:\r\n: v\r\n\r",
        ] {
            let headers = Headers::new(block);
            let _ = headers.iter().count();
            let _ = headers.get("ok");
        }
        let headers = Headers::new(b"status\r\nno colon\r\n\xff: x\r\nok: 1\r\nunterminated: 2");
        assert_eq!(headers.iter().collect::<Vec<_>>(), [("ok", &b"1"[..])]);
        assert_eq!(Headers::new(b"s\r\n: v\r\n\r\n").iter().collect::<Vec<_>>(), [("", &b"v"[..])]);
    }

    // --- properties ---

    proptest::proptest! {
        #[test]
        fn validate_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512), offered in "[a-z, ]{0,12}") {
            let _ = validate(&bytes, &accept(), &offered, ProtocolCheck::Strict);
            let _ = find_end(&bytes, bytes.len() / 2);
            let _ = Headers::new(&bytes).iter().count();
        }

        #[test]
        fn validate_never_panics_on_near_valid_responses(extra in "([A-Za-z-]{0,8}:[ a-z,]{0,8}\r\n){0,4}", offered in "[a-z, ]{0,8}") {
            let block = with(&extra);
            if let Ok(Some(range)) = validate(block.as_bytes(), &accept(), &offered, ProtocolCheck::Lenient) {
                proptest::prop_assert!(block.get(range).is_some());
            }
        }

        #[test]
        fn find_end_agrees_with_a_plain_search(bytes in proptest::collection::vec(proptest::sample::select(&b"\r\na"[..]), 0..64), from in 0usize..70) {
            let lf_lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
            let lf_crlf = bytes.windows(3).position(|w| w == b"\n\r\n").map(|i| i + 3);
            let plain = match (lf_lf, lf_crlf) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let resumed = find_end(&bytes, from);
            match plain {
                // `from` promises no terminator ended within `bytes[..from]`.
                Some(end) if end > from || from <= 2 => proptest::prop_assert_eq!(resumed, Some(end)),
                _ => proptest::prop_assert!(resumed.is_none() || resumed >= plain),
            }
        }
    }
}
