//! The request layer of the opening handshake: the bytes of the client's upgrade request (S7,
//! RFC 6455 §4.1), with the `permessage-deflate` offer when there is one (RFC 7692 §5), and
//! the rules on what the caller may add to it (S3.2, S3.3, S5).
//!
//! The request is written into a caller buffer once; when it does not fit,
//! [`Request::encode_with`] says how many bytes it takes (the writer counts on past the end).

use crate::error::Refusal;
use crate::handshake::Key;
use crate::handshake::extension::PerMessageDeflate;
#[cfg(feature = "deflate")]
use crate::handshake::extension::{DeflateParameter, PERMESSAGE_DEFLATE};
use crate::handshake::response::{eq_folded, same};
use crate::url::{HostKind, Url};

/// The header names a caller may not set (S3.3), lower-case: `referer`, and the ones the
/// library writes itself or that make no sense on an upgrade request.
pub(crate) const FORBIDDEN_HEADERS: [&str; 11] = [
    "referer",
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "content-length",
    "transfer-encoding",
];

/// What to do with a header the library manages, or `referer` (S3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForbiddenHeaders {
    /// Refuse the connect with `ConnectError::ForbiddenHeader` (the default).
    #[default]
    Reject,
    /// Leave them out of the request silently, as the platforms do.
    Drop,
}

/// The pieces of a handshake request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    /// Where to connect.
    pub(crate) url: &'a Url<'a>,
    /// The key sent as `Sec-WebSocket-Key`.
    pub(crate) key: &'a Key,
    /// Offered subprotocols, in order, already checked by [`find_protocol_refusal`].
    pub(crate) protocols: &'a [&'a str],
    /// Caller headers, already checked by [`find_header_refusal`]; in
    /// [`ForbiddenHeaders::Drop`] mode the forbidden ones are among them, and left out.
    pub(crate) headers: &'a [(&'a str, &'a str)],
}

impl Request<'_> {
    /// Bytes `encode` writes: the request without an extension offer.
    #[cfg(test)]
    pub(crate) fn encoded_len(&self) -> usize {
        self.encoded_len_with(None)
    }

    /// Writes the request without an extension offer; `Err(required)` when `out` is too
    /// small. The same as [`Request::encode_with`] with `None`.
    #[cfg(test)]
    pub(crate) fn encode(&self, out: &mut [u8]) -> Result<usize, usize> {
        self.encode_with(None, out)
    }

    /// Bytes `encode_with(deflate, ..)` writes.
    #[cfg(test)]
    pub(crate) fn encoded_len_with(&self, deflate: Option<&PerMessageDeflate>) -> usize {
        let mut counter = Sink { out: &mut [], pos: 0 };
        self.write(deflate, &mut counter);
        counter.pos
    }

    /// Writes the request, offering `permessage-deflate` when `deflate` is given;
    /// `Err(required)` when `out` is too small (what fits of the request may then be written
    /// into `out`).
    ///
    /// The layout is S7's, in this order: request line, `Host`, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-Key`, `Sec-WebSocket-Version`, `Sec-WebSocket-Protocol` (only when
    /// protocols are offered), `Sec-WebSocket-Extensions` (only with an offer), then the
    /// caller's headers in their order.
    ///
    /// A caller header that [`find_header_refusal`] would refuse or drop is never written: the
    /// encoder cannot be made to send a second `Host` or to split a header with CR LF, even
    /// when the check was skipped. Likewise an offer that [`PerMessageDeflate::validate`]
    /// refuses is left out, so the one `Sec-WebSocket-Extensions` line is always valid.
    /// (Without the `deflate` feature no offer is written: `connect_socket` refuses one.)
    pub(crate) fn encode_with(
        &self,
        deflate: Option<&PerMessageDeflate>,
        out: &mut [u8],
    ) -> Result<usize, usize> {
        let mut sink = Sink { out, pos: 0 };
        self.write(deflate, &mut sink);
        if sink.pos > sink.out.len() { Err(sink.pos) } else { Ok(sink.pos) }
    }

    /// The one writer behind both `encoded_len_with` and `encode_with`.
    fn write(&self, deflate: Option<&PerMessageDeflate>, sink: &mut Sink<'_>) {
        // RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST
        // be at least 1.1."
        // `GET /` or `GET `, cut from one constant.
        let get = b"GET /";
        sink.put(get.get(..4 + usize::from(self.url.resource_needs_slash())).unwrap_or(get));
        sink.put_str(self.url.resource());
        self.write_host(sink);
        // RFC 6455 §4.1: the request "MUST contain an |Upgrade| header field whose value MUST
        // include the "websocket" keyword", "a |Connection| header field whose value MUST
        // include the "Upgrade" token", and "|Sec-WebSocket-Version| ... MUST be 13".
        sink.put(b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
        sink.put(self.key.as_bytes());
        // From here each line starts with the line break of the line before it, so that a
        // constant line start and the break before it are one piece; the last line's break
        // comes with the empty line that ends the request.
        self.write_protocols(sink);
        #[cfg(feature = "deflate")]
        write_deflate_offer(sink, deflate);
        #[cfg(not(feature = "deflate"))]
        let _ = deflate;
        for &(name, value) in self.headers {
            if judge_header(name, value) == HeaderJudgement::Sendable {
                sink.put(b"\r\n");
                sink.put_str(name);
                sink.put(b": ");
                sink.put_str(value);
            }
        }
        sink.put(b"\r\n\r\n");
    }

    /// The end of the request line, then the `Host` line up to its line break.
    ///
    /// RFC 6455 §4.1: "The request MUST contain a |Host| header field whose value contains
    /// /host/ plus optionally ":" followed by /port/ (when not using the default port)."
    fn write_host(&self, sink: &mut Sink<'_>) {
        let url = self.url;
        // An IPv6 host goes in brackets (RFC 3986 §3.2.2): the `[` comes with the piece
        // before it, cut from one constant (a piece less to put).
        let ipv6 = url.host_kind() == HostKind::Ipv6;
        let prefix = b" HTTP/1.1\r\nHost: [";
        sink.put(prefix.get(..prefix.len() - usize::from(!ipv6)).unwrap_or(prefix));
        sink.put_str(url.host());
        if ipv6 {
            sink.put(b"]");
        }
        match url.explicit_port() {
            Some(port) if port != url.scheme().default_port() => {
                put_decimal(sink, b':', port);
            }
            _ => {}
        }
    }

    /// The `Sec-WebSocket-Version` line, then (S5) one `Sec-WebSocket-Protocol: p1, p2`
    /// line, order kept, none when no protocol is offered; each line after its line break
    /// (see `write`). The two line starts are cut from one constant: a piece less to put.
    fn write_protocols(&self, sink: &mut Sink<'_>) {
        let lines = b"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ";
        let Some((first, rest)) = self.protocols.split_first() else {
            sink.put(lines.get(..b"\r\nSec-WebSocket-Version: 13".len()).unwrap_or(lines));
            return;
        };
        sink.put(lines);
        sink.put_str(first);
        for protocol in rest {
            sink.put(b", ");
            sink.put_str(protocol);
        }
    }
}

/// RFC 7692 §5: "To offer use of a PMCE, a client MUST include the extension name of the PMCE
/// in the |Sec-WebSocket-Extensions| header field of its opening handshake", with the offer's
/// parameters after it (RFC 6455 §9.1: `extension-token *( ";" extension-param )`), in RFC 7692
/// §7's order.
///
/// `client_max_window_bits` is always offered, without a value when the caller sets none:
/// §7.1.2.2, "By including this parameter in an extension negotiation offer, a client informs
/// the peer server that the client supports the "client_max_window_bits" extension parameter
/// in an extension negotiation response". This client can always keep to a smaller window
/// (in the worst case by sending messages uncompressed, which RFC 7692 §6 allows), and a
/// server that wants one would otherwise have to decline the offer ("If a received extension
/// negotiation offer doesn't have the "client_max_window_bits" extension parameter, the
/// corresponding extension negotiation response to the offer MUST NOT include" it). The
/// browsers offer it the same way.
#[cfg(feature = "deflate")]
fn write_deflate_offer(sink: &mut Sink<'_>, deflate: Option<&PerMessageDeflate>) {
    let Some(offer) = deflate.filter(|offer| offer.is_valid()) else { return };
    // After its line break, as every line after the key (see `Request::write`).
    sink.put(b"\r\nSec-WebSocket-Extensions: ");
    sink.put_str(PERMESSAGE_DEFLATE);
    let flags = [
        (DeflateParameter::ServerNoContextTakeover, offer.server_no_context_takeover),
        (DeflateParameter::ClientNoContextTakeover, offer.client_no_context_takeover),
    ];
    for (parameter, _) in flags.iter().filter(|(_, on)| *on) {
        put_parameter(sink, *parameter, None);
    }
    if let Some(bits) = offer.server_max_window_bits {
        put_parameter(sink, DeflateParameter::ServerMaxWindowBits, Some(bits));
    }
    put_parameter(sink, DeflateParameter::ClientMaxWindowBits, offer.client_max_window_bits);
}

/// Writes `; name` or `; name=value`.
#[cfg(feature = "deflate")]
fn put_parameter(sink: &mut Sink<'_>, parameter: DeflateParameter, value: Option<u8>) {
    sink.put(b"; ");
    sink.put_str(parameter.name());
    if let Some(value) = value {
        put_decimal(sink, b'=', value.into());
    }
}

/// Checks caller headers against S3.2 and S3.3; the refusal borrows the culprit.
///
/// Headers are checked in order, and each first for validity (S3.2: the name is an HTTP
/// token, the value has no CR, LF or NUL), then against [`FORBIDDEN_HEADERS`] (S3.3,
/// case-insensitive). In [`ForbiddenHeaders::Drop`] mode forbidden headers pass here and
/// [`Request::encode_with`] leaves them out.
pub(crate) fn find_header_refusal<'a>(
    headers: &[(&'a str, &str)],
    forbidden: ForbiddenHeaders,
) -> Result<(), Refusal<'a>> {
    for &(name, value) in headers {
        match judge_header(name, value) {
            HeaderJudgement::InvalidName => return Err(Refusal::InvalidHeaderName(name)),
            HeaderJudgement::InvalidValue => return Err(Refusal::InvalidHeaderValue(name)),
            HeaderJudgement::Forbidden if forbidden == ForbiddenHeaders::Reject => {
                return Err(Refusal::ForbiddenHeader(name));
            }
            HeaderJudgement::Forbidden | HeaderJudgement::Sendable => {}
        }
    }
    Ok(())
}

/// What S3.2 and S3.3 make of one caller header, in the order they are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderJudgement {
    /// The name is not an HTTP token.
    InvalidName,
    /// The value holds CR, LF or NUL.
    InvalidValue,
    /// Valid, but `referer` or a header the library manages.
    Forbidden,
    /// Goes on the wire.
    Sendable,
}

/// Judges one caller header: the one check behind both [`find_header_refusal`] and the
/// request writer (out of line: one copy for both).
#[inline(never)]
fn judge_header(name: &str, value: &str) -> HeaderJudgement {
    if !is_token(name) {
        HeaderJudgement::InvalidName
    } else if !is_valid_value(value) {
        HeaderJudgement::InvalidValue
    } else if is_forbidden(name) {
        HeaderJudgement::Forbidden
    } else {
        HeaderJudgement::Sendable
    }
}

/// Checks offered subprotocols: non-empty tokens, no repeats; the refusal borrows the
/// culprit.
///
/// RFC 6455 §4.1: the elements of `Sec-WebSocket-Protocol` "MUST be non-empty strings with
/// characters in the range U+0021 to U+007E not including separator characters" and "MUST
/// all be unique strings". Repeats are compared case-sensitively, as the server's choice is
/// (an exact match); the first repeat is the one reported.
pub(crate) fn find_protocol_refusal<'a>(protocols: &[&'a str]) -> Result<(), Refusal<'a>> {
    for (i, &protocol) in protocols.iter().enumerate() {
        let earlier = protocols.get(..i).unwrap_or_default();
        if !is_token(protocol) || earlier.iter().any(|p| same(p.as_bytes(), protocol.as_bytes())) {
            return Err(Refusal::InvalidProtocol(protocol));
        }
    }
    Ok(())
}

/// Whether `s` is a non-empty HTTP token (RFC 7230 §3.2.6: `1*tchar`).
///
/// Out of line: it is called for every header and protocol at connect and again as each
/// header is written, and an inlined copy at each of those sites is flash.
#[inline(never)]
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 7230 §3.2.6 `tchar`: visible ASCII except the delimiters `"(),/:;<=>?@[\]{}`.
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR.get(usize::from(b >> 3)).is_some_and(|bits| bits >> (b & 7) & 1 == 1)
}

/// [`is_tchar`] as a bit per ASCII byte (bit `b % 8` of byte `b / 8`).
// Evaluated at compile time: an index out of bounds would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
const TCHAR: [u8; 16] = {
    let mut table = [0u8; 16];
    let mut b = 0u8;
    while b < 128 {
        let symbol = matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        );
        if b.is_ascii_alphanumeric() || symbol {
            table[(b >> 3) as usize] |= 1 << (b & 7);
        }
        b += 1;
    }
    table
};

/// S3.2: a value must not contain CR, LF or NUL (they would end or split the header).
fn is_valid_value(value: &str) -> bool {
    !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\0'))
}

/// S3.3: `referer` or a header the library manages, compared case-insensitively.
///
/// `name` is a token (both callers check that first), so [`eq_folded`]'s letters-and-`-`
/// comparison is exact here: the response checks' comparison, not a second one.
fn is_forbidden(name: &str) -> bool {
    FORBIDDEN_HEADERS.iter().any(|f| eq_folded(name.as_bytes(), f.as_bytes()))
}

/// Where the request writer puts bytes: a buffer, of which what fits is written, and the
/// count of every byte put, written or not (with an empty buffer: a counter).
struct Sink<'b> {
    out: &'b mut [u8],
    pos: usize,
}

impl Sink<'_> {
    /// Out of line on bare metal: the request is some twenty pieces, and each inlined copy
    /// is a bounds check and a `memcpy` call (flash). Inline elsewhere, where a constant
    /// piece becomes a few moves instead of a call (some 100 instructions less per request).
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }
}

/// Writes `separator`, then `n` in decimal without leading zeros: one piece (`:8080`, `=15`).
fn put_decimal(sink: &mut Sink<'_>, separator: u8, n: u16) {
    // The digits fill the array from its end; the separator is the byte before the first
    // (a `u16` has at most 5 digits: `start` stays above 0).
    let mut digits = [separator; 6];
    let (mut start, mut rest) = (digits.len(), n);
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    sink.put(digits.get(start - 1..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::error::ConnectError;

    /// [`find_header_refusal`] as `connect_socket` reports it.
    fn check_headers(headers: &[(&str, &str)], forbidden: ForbiddenHeaders) -> Result<(), ConnectError> {
        find_header_refusal(headers, forbidden).map_err(ConnectError::from)
    }

    /// [`find_protocol_refusal`] as `connect_socket` reports it.
    fn check_protocols(protocols: &[&str]) -> Result<(), ConnectError> {
        find_protocol_refusal(protocols).map_err(ConnectError::from)
    }

    fn key() -> Key {
        Key::from_nonce(b"the sample nonce")
    }

    /// Encodes and checks `encoded_len` against what was written.
    fn encode(url: &str, protocols: &[&str], headers: &[(&str, &str)]) -> String {
        let url = Url::parse(url).unwrap();
        let key = key();
        let request = Request { url: &url, key: &key, protocols, headers };
        let mut out = vec![0u8; 1024];
        let n = request.encode(&mut out).unwrap();
        assert_eq!(n, request.encoded_len());
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    /// Encodes with a `permessage-deflate` offer and checks `encoded_len_with` against what was
    /// written.
    fn encode_offering(url: &str, headers: &[(&str, &str)], deflate: PerMessageDeflate) -> String {
        let url = Url::parse(url).unwrap();
        let key = key();
        let request = Request { url: &url, key: &key, protocols: &["chat"], headers };
        let mut out = vec![0u8; 1024];
        let n = request.encode_with(Some(&deflate), &mut out).unwrap();
        assert_eq!(n, request.encoded_len_with(Some(&deflate)));
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    #[cfg(feature = "deflate")]
    /// The one `Sec-WebSocket-Extensions` line of a request, without its line break.
    fn extensions_line(request: &str) -> &str {
        let mut lines =
            request.split("\r\n").filter(|l| l.to_ascii_lowercase().starts_with("sec-websocket-extensions:"));
        let line = lines.next().expect("an extensions line");
        assert_eq!(lines.next(), None, "exactly one extensions line");
        line
    }

    const FIXED: &str = "Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n";

    #[test]
    fn tchar_is_rfc7230_tchar() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), tchar, "{b:#x}");
        }
    }

    // --- encoding (S7) ---

    #[test]
    fn encode_no_protocols_default_port() {
        let got = encode("wss://example.com", &[], &[]);
        assert_eq!(got, std::format!("GET / HTTP/1.1\r\nHost: example.com\r\n{FIXED}\r\n"));
    }

    #[test]
    fn encode_protocols_non_default_port_and_custom_header() {
        let got = encode(
            "ws://Example.com:8080/chat?room=1",
            &["v2.chat", "chat"],
            &[("X-Token", "abc def"), ("Cookie", "a=1")],
        );
        let want = std::format!(
            "GET /chat?room=1 HTTP/1.1\r\nHost: Example.com:8080\r\n{FIXED}\
             Sec-WebSocket-Protocol: v2.chat, chat\r\nX-Token: abc def\r\nCookie: a=1\r\n\r\n"
        );
        assert_eq!(got, want);
    }

    #[test]
    fn encode_ipv6_host_with_port() {
        let got = encode("wss://[::1]:9001/x", &[], &[]);
        assert_eq!(got, std::format!("GET /x HTTP/1.1\r\nHost: [::1]:9001\r\n{FIXED}\r\n"));
        let got = encode("wss://[::1]", &[], &[]);
        assert!(got.contains("\r\nHost: [::1]\r\n"));
    }

    #[test]
    fn encode_explicit_default_port_is_left_out() {
        let got = encode("wss://a:443", &[], &[]);
        assert_eq!(got, std::format!("GET / HTTP/1.1\r\nHost: a\r\n{FIXED}\r\n"));
        assert!(encode("ws://a:80", &[], &[]).contains("\r\nHost: a\r\n"));
        assert!(encode("ws://a:443", &[], &[]).contains("\r\nHost: a:443\r\n"));
        assert!(encode("wss://a:80", &[], &[]).contains("\r\nHost: a:80\r\n"));
    }

    #[test]
    fn encode_ports_of_every_width() {
        for (port, host) in [(1, "a:1"), (10, "a:10"), (999, "a:999"), (1000, "a:1000"), (65535, "a:65535")] {
            let got = encode(&std::format!("wss://a:{port}"), &[], &[]);
            assert!(got.contains(&std::format!("\r\nHost: {host}\r\n")), "{got}");
        }
    }

    #[test]
    fn encode_query_without_path() {
        let got = encode("wss://h?x=1", &[], &[]);
        assert!(got.starts_with("GET /?x=1 HTTP/1.1\r\nHost: h\r\n"), "{got}");
    }

    #[test]
    fn encode_drop_mode_leaves_forbidden_headers_out() {
        let headers =
            [("Referer", "x"), ("A", "1"), ("sec-websocket-protocol", "p"), ("HOST", "h"), ("B", "2")];
        assert_eq!(check_headers(&headers, ForbiddenHeaders::Drop), Ok(()));
        let got = encode("wss://a", &[], &headers);
        assert_eq!(got, std::format!("GET / HTTP/1.1\r\nHost: a\r\n{FIXED}A: 1\r\nB: 2\r\n\r\n"));
    }

    #[test]
    fn encode_never_writes_unchecked_bad_headers() {
        let headers = [("X", "a\r\nHost: evil"), ("bad name", "v"), ("Host", "evil"), ("Ok", "1")];
        let got = encode("wss://a", &[], &headers);
        assert_eq!(got, std::format!("GET / HTTP/1.1\r\nHost: a\r\n{FIXED}Ok: 1\r\n\r\n"));
    }

    #[test]
    fn encode_into_a_short_buffer_reports_the_size_needed() {
        let url = Url::parse("wss://example.com").unwrap();
        let key = key();
        let request = Request { url: &url, key: &key, protocols: &[], headers: &[] };
        let len = request.encoded_len();
        for short in [0, 1, len - 1] {
            let mut out = vec![0u8; short];
            assert_eq!(request.encode(&mut out), Err(len));
        }
        let mut exact = vec![0u8; len];
        assert_eq!(request.encode(&mut exact), Ok(len));
        assert!(exact.ends_with(b"\r\n\r\n"));
    }

    // --- the permessage-deflate offer (RFC 7692 §5, §7.1) ---

    /// RFC 7692 §5: the offer is the extension's name in `Sec-WebSocket-Extensions`; it goes
    /// after the protocols and before the caller's headers. The plain offer is the browsers':
    /// `client_max_window_bits` without a value says the client supports the parameter in an
    /// answer (§7.1.2.2).
    #[cfg(feature = "deflate")]
    #[test]
    fn encode_plain_deflate_offer() {
        let got = encode_offering("wss://a/x", &[("X-Token", "t")], PerMessageDeflate::default());
        let want = std::format!(
            "GET /x HTTP/1.1\r\nHost: a\r\n{FIXED}Sec-WebSocket-Protocol: chat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nX-Token: t\r\n\r\n"
        );
        assert_eq!(got, want);
    }

    /// RFC 7692 §7.1: every parameter the caller sets, in §7's order; window sizes in decimal
    /// without leading zeros (§7.1.2.1).
    #[cfg(feature = "deflate")]
    #[test]
    fn encode_every_offer_parameter() {
        let offer = PerMessageDeflate {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(9),
            client_max_window_bits: Some(15),
        };
        let got = encode_offering("wss://a", &[], offer);
        assert_eq!(
            extensions_line(&got),
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; \
             client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=15"
        );
        for (offer, want) in [
            (
                PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() },
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
            ),
            (
                PerMessageDeflate { client_max_window_bits: Some(8), ..PerMessageDeflate::new() },
                "permessage-deflate; client_max_window_bits=8",
            ),
            (
                PerMessageDeflate { client_no_context_takeover: true, ..PerMessageDeflate::new() },
                "permessage-deflate; client_no_context_takeover; client_max_window_bits",
            ),
            (
                PerMessageDeflate { server_no_context_takeover: true, ..PerMessageDeflate::new() },
                "permessage-deflate; server_no_context_takeover; client_max_window_bits",
            ),
        ] {
            let got = encode_offering("wss://a", &[], offer);
            assert_eq!(extensions_line(&got), std::format!("Sec-WebSocket-Extensions: {want}"));
        }
    }

    /// An offer `validate` refuses is never written, so the request stays valid even when the
    /// connect-time check was skipped.
    #[test]
    fn encode_leaves_an_invalid_offer_out() {
        for offer in [
            PerMessageDeflate { server_max_window_bits: Some(16), ..PerMessageDeflate::new() },
            PerMessageDeflate { client_max_window_bits: Some(7), ..PerMessageDeflate::new() },
        ] {
            let got = encode_offering("wss://a", &[], offer);
            assert!(!got.to_ascii_lowercase().contains("extensions"), "{got}");
            assert_eq!(got, encode("wss://a", &["chat"], &[]));
        }
        assert!(!encode("wss://a", &[], &[]).contains("Extensions"), "no offer, no header");
    }

    /// S3.3: a caller's `Sec-WebSocket-Extensions` is refused, or dropped in `Drop` mode, also
    /// when an offer is made: the request has exactly the one line the offer writes.
    #[cfg(feature = "deflate")]
    #[test]
    fn caller_extensions_header_never_joins_the_offer() {
        let headers =
            [("Sec-WebSocket-Extensions", "x-evil"), ("sec-websocket-extensions", "permessage-deflate")];
        for (name, value) in headers {
            assert_eq!(
                check_headers(&[(name, value)], ForbiddenHeaders::Reject),
                Err(ConnectError::ForbiddenHeader { name: name.into() })
            );
        }
        assert_eq!(check_headers(&headers, ForbiddenHeaders::Drop), Ok(()));
        let got = encode_offering("wss://a", &headers, PerMessageDeflate::default());
        assert_eq!(
            extensions_line(&got),
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
        );
        assert!(!got.contains("x-evil"));
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn encode_with_an_offer_into_a_short_buffer_reports_the_size_needed() {
        let url = Url::parse("wss://example.com").unwrap();
        let key = key();
        let request = Request { url: &url, key: &key, protocols: &[], headers: &[] };
        let offer = PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() };
        let len = request.encoded_len_with(Some(&offer));
        let extension = "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits\r\n";
        assert_eq!(len, request.encoded_len() + extension.len());
        let mut short = vec![0u8; len - 1];
        assert_eq!(request.encode_with(Some(&offer), &mut short), Err(len));
        let mut exact = vec![0u8; len];
        assert_eq!(request.encode_with(Some(&offer), &mut exact), Ok(len));
    }

    // --- caller headers (S3.2, S3.3) ---

    #[test]
    fn valid_headers_pass() {
        let headers =
            [("X-Custom", "anything: goes \t here"), ("Cookie", ""), ("!#$%&'*+-.^_`|~09azAZ", "v")];
        assert_eq!(check_headers(&headers, ForbiddenHeaders::Reject), Ok(()));
        assert_eq!(check_headers(&[], ForbiddenHeaders::Reject), Ok(()));
    }

    #[test]
    fn names_must_be_tokens() {
        for name in ["bad name", "", "a:b", "a(b)", "a/b", "caf\u{e9}", "a\tb", "\"q\""] {
            let headers = [(name, "v")];
            assert_eq!(
                check_headers(&headers, ForbiddenHeaders::Reject),
                Err(ConnectError::InvalidHeaderName { name: name.into() }),
                "{name:?}"
            );
        }
    }

    #[test]
    fn values_must_not_contain_cr_lf_or_nul() {
        for value in ["a\r\nInjected: yes", "a\rb", "a\nb", "a\0b"] {
            let headers = [("X", value)];
            assert_eq!(
                check_headers(&headers, ForbiddenHeaders::Drop),
                Err(ConnectError::InvalidHeaderValue { name: "X".into() }),
                "{value:?}"
            );
        }
    }

    #[test]
    fn forbidden_names_are_refused_case_insensitively() {
        for name in ["Referer", "REFERER", "Sec-WebSocket-Protocol", "host", "Upgrade", "CONNECTION"]
            .into_iter()
            .chain(FORBIDDEN_HEADERS)
        {
            let headers = [("Ok", "1"), (name, "v")];
            assert_eq!(
                check_headers(&headers, ForbiddenHeaders::Reject),
                Err(ConnectError::ForbiddenHeader { name: name.into() }),
                "{name}"
            );
            assert_eq!(check_headers(&headers, ForbiddenHeaders::Drop), Ok(()), "{name}");
        }
    }

    #[test]
    fn validity_is_checked_before_forbidden_and_in_header_order() {
        let forbidden_with_bad_value = [("Referer", "a\nb")];
        assert_eq!(
            check_headers(&forbidden_with_bad_value, ForbiddenHeaders::Reject),
            Err(ConnectError::InvalidHeaderValue { name: "Referer".into() })
        );
        let forbidden_then_bad = [("Host", "h"), ("bad name", "v")];
        assert_eq!(
            check_headers(&forbidden_then_bad, ForbiddenHeaders::Reject),
            Err(ConnectError::ForbiddenHeader { name: "Host".into() })
        );
        assert_eq!(
            check_headers(&forbidden_then_bad, ForbiddenHeaders::Drop),
            Err(ConnectError::InvalidHeaderName { name: "bad name".into() })
        );
    }

    // --- subprotocols (S5) ---

    #[test]
    fn protocols_must_be_unique_non_empty_tokens() {
        assert_eq!(check_protocols(&[]), Ok(()));
        assert_eq!(check_protocols(&["chat", "v2.chat", "Chat"]), Ok(()), "case-sensitive");
        for (protocols, culprit) in [
            (&["chat", ""][..], ""),
            (&["a b"][..], "a b"),
            (&["a,b"][..], "a,b"),
            (&["x", "chat", "y", "chat"][..], "chat"),
            (&["caf\u{e9}"][..], "caf\u{e9}"),
        ] {
            assert_eq!(
                check_protocols(protocols),
                Err(ConnectError::InvalidProtocol { protocol: culprit.into() })
            );
        }
    }

    // --- properties ---

    proptest::proptest! {
        #[test]
        fn encoded_len_is_what_encode_writes(
            path in "(/[a-z0-9%?=&]{0,12}){0,3}",
            port in proptest::option::of(1u16..),
            protocols in proptest::collection::vec("[a-z0-9.]{1,8}", 0..4),
            headers in proptest::collection::vec(("[A-Za-z-]{0,10}", "[ -~\r\n]{0,10}"), 0..4),
            deflate in proptest::option::of((
                proptest::bool::ANY,
                proptest::bool::ANY,
                proptest::option::of(0u8..=20),
                proptest::option::of(0u8..=20),
            )),
        ) {
            let port = port.map(|p| std::format!(":{p}")).unwrap_or_default();
            let input = std::format!("wss://example.com{port}{path}");
            let url = Url::parse(&input).unwrap();
            let key = key();
            let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let request = Request { url: &url, key: &key, protocols: &protocols, headers: &headers };
            let deflate = deflate.map(|(s, c, sb, cb)| PerMessageDeflate {
                server_no_context_takeover: s,
                client_no_context_takeover: c,
                server_max_window_bits: sb,
                client_max_window_bits: cb,
            });
            let mut out = vec![0u8; 2048];
            let n = request.encode_with(deflate.as_ref(), &mut out).unwrap();
            proptest::prop_assert_eq!(n, request.encoded_len_with(deflate.as_ref()));
            // Without the `deflate` feature no offer is ever written (nor sent: connect refuses).
            let offered = cfg!(feature = "deflate") && deflate.is_some_and(|d| d.validate().is_ok());
            let lines = out[..n].split(|&b| b == b'\n').filter(|l| l.starts_with(b"Sec-WebSocket-Extensions: ")).count();
            proptest::prop_assert_eq!(lines, usize::from(offered));
            proptest::prop_assert!(out[..n].ends_with(b"\r\n\r\n"));
            let text = core::str::from_utf8(&out[..n]).unwrap();
            proptest::prop_assert_eq!(text.matches("\r\n\r\n").count(), 1);
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn request_example() {
        use crate::Url;
        use crate::handshake::{Key, Request};

        let url = Url::parse("wss://example.com/chat").unwrap();
        let key = Key::from_nonce(b"the sample nonce");
        let request = Request { url: &url, key: &key, protocols: &["chat"], headers: &[] };
        let mut out = [0u8; 256];
        let n = request.encode(&mut out).unwrap();
        assert_eq!(
            &out[..n],
            b"GET /chat HTTP/1.1\r\n\
              Host: example.com\r\n\
              Upgrade: websocket\r\n\
              Connection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
              Sec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Protocol: chat\r\n\
              \r\n"
        );
        assert_eq!(n, request.encoded_len());
    }
}
