//! The URL layer: parsing `ws://` and `wss://` URLs (RFC 6455 §3, S3.1) into scheme, host,
//! port and resource, borrowing the input and allocating nothing.
//!
//! Only the syntax is judged here. Policy — whether `ws://` is allowed, whether the host is on
//! the domain list — is the client's (S3.1, S3.4).

use core::num::NonZeroU16;

use crate::error::UrlError;
use crate::socket::fast_paths;

/// Longest domain name accepted (RFC 1035 §2.3.4, without the trailing root dot).
const MAX_DOMAIN_LEN: usize = 253;
/// Longest label of a domain name (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// A URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ws://`, plain TCP (allowed only with [`Schemes::AllowInsecure`](crate::Schemes)).
    Ws,
    /// `wss://`, TLS.
    Wss,
}

impl Scheme {
    /// 80 for `ws`, 443 for `wss`.
    pub(crate) const fn default_port(self) -> u16 {
        match self {
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }
}

/// What kind of host a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// A registered name such as `example.com` or `localhost`.
    Domain,
    /// A dotted IPv4 literal.
    Ipv4,
    /// A bracketed IPv6 literal (stored without the brackets).
    Ipv6,
}

/// A parsed `ws://` or `wss://` URL, borrowing the input: what a driver needs to open the
/// stream under a task (host, port, and whether TLS goes under it).
///
/// ```
/// use sockettask::{HostKind, Scheme, Url};
///
/// let url = Url::parse("wss://example.com:8443/chat?room=1").unwrap();
/// assert_eq!(url.scheme(), Scheme::Wss);
/// assert_eq!(url.host(), "example.com");
/// assert_eq!(url.host_kind(), HostKind::Domain);
/// assert_eq!(url.port(), 8443);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    scheme: Scheme,
    host: &'a str,
    host_kind: HostKind,
    /// Written in the URL: 1 to 65,535 (0 is refused).
    port: Option<NonZeroU16>,
    /// Path and query as written, starting with `/` or `?`; `/` when both are empty.
    resource: &'a str,
}

impl<'a> Url<'a> {
    /// Parses `input`; both schemes are accepted here (policy is the client's).
    ///
    /// The checks run in this order: scheme ([`UrlError::MissingScheme`],
    /// [`UrlError::UnsupportedScheme`]), characters ([`UrlError::InvalidCharacter`]: space,
    /// control or non-ASCII anywhere after the scheme), fragment ([`UrlError::Fragment`]),
    /// user information ([`UrlError::UserInfo`]), host ([`UrlError::MissingHost`],
    /// [`UrlError::InvalidHost`]), port ([`UrlError::InvalidPort`]).
    ///
    /// ```
    /// use sockettask::{Url, UrlError};
    ///
    /// assert_eq!(Url::parse("wss://[::1]:9001/x").unwrap().host(), "::1");
    /// assert_eq!(Url::parse("wss://a/#f"), Err(UrlError::Fragment));
    /// assert_eq!(Url::parse("http://a"), Err(UrlError::UnsupportedScheme));
    /// ```
    pub fn parse(input: &'a str) -> Result<Self, UrlError> {
        let (scheme, rest) = split_scheme(input)?;
        // One pass over the rest: the first bad character fails at once (it outranks
        // everything else), a `#` anywhere is a fragment, and the authority ends at the
        // first `/` or `?` (it is `rest[..authority_end]`: user information is an `@`
        // before that).
        let (mut fragment, mut user_info, mut authority_end) = (false, false, rest.len());
        for (i, &b) in rest.as_bytes().iter().enumerate() {
            // Letters, the common case, take one test: `A` to `~` are all allowed, and none
            // of the bytes that matter below.
            if b.wrapping_sub(b'A') <= b'~' - b'A' {
                continue;
            }
            if b.wrapping_sub(b'!') > b'~' - b'!' {
                return Err(UrlError::InvalidCharacter);
            }
            // The four bytes that matter here are all at most `@`: letters skip the match.
            if b <= b'@' {
                match b {
                    // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
                    // WebSocket URIs and MUST NOT be used on these URIs."
                    b'#' => fragment = true,
                    b'@' => user_info |= i < authority_end,
                    b'/' | b'?' => authority_end = authority_end.min(i),
                    _ => {}
                }
            }
        }
        if fragment {
            return Err(UrlError::Fragment);
        }
        if user_info {
            return Err(UrlError::UserInfo);
        }
        // All ASCII: every index is a character boundary.
        let (authority, resource) = rest.split_at_checked(authority_end).ok_or(UrlError::MissingHost)?;
        let (host, host_kind, port) = split_authority(authority)?;
        let resource = if resource.is_empty() { "/" } else { resource };
        Ok(Url { scheme, host, host_kind, port, resource })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host as written (lower-case not enforced), IPv6 without brackets.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// What kind of host it is.
    pub fn host_kind(&self) -> HostKind {
        self.host_kind
    }

    /// The port: explicit, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port.map_or(self.scheme.default_port(), NonZeroU16::get)
    }

    /// The port only when written in the URL.
    pub(crate) fn explicit_port(&self) -> Option<u16> {
        self.port.map(NonZeroU16::get)
    }

    /// Path and query for the request line; `/` when the URL has no path.
    ///
    /// The one case this cannot give verbatim, without allocating, is a URL with a query but
    /// no path (`wss://h?x=1`): then it returns the query with its `?` (`"?x=1"`), and the
    /// request line needs a `/` in front. The handshake request encoder adds it
    /// ([`Url::resource_needs_slash`]), so it writes `/?x=1`.
    pub(crate) fn resource(&self) -> &'a str {
        self.resource
    }

    /// Whether the request line needs a `/` before [`Url::resource`] (a query with no path).
    pub(crate) fn resource_needs_slash(&self) -> bool {
        self.resource.starts_with('?')
    }

    /// Writes the request-target of the opening handshake: always starting with `/`.
    #[cfg(test)]
    pub(crate) fn write_resource(&self, w: &mut impl core::fmt::Write) -> core::fmt::Result {
        if self.resource_needs_slash() {
            w.write_char('/')?;
        }
        w.write_str(self.resource())
    }
}

/// Splits `scheme://` off `input` (at the first `://`) and recognises it, case-insensitively.
fn split_scheme(input: &str) -> Result<(Scheme, &str), UrlError> {
    let bytes = input.as_bytes();
    // ASCII case-insensitive: `b | 0x20` is `w` only for `w` and `W`, `s` only for `s` and `S`.
    let lower = |b: &u8| b | 0x20;
    // The common case, `ws://` or `wss://` from the first byte, read in place on hosted
    // targets ([`fast_paths`]: 50 instructions less per connect); bare metal searches
    // (flash).
    match bytes {
        [w, s, b':', b'/', b'/', ..] if fast_paths() && (lower(w), lower(s)) == (b'w', b's') => {
            return Ok((Scheme::Ws, input.get(5..).unwrap_or_default()));
        }
        [w, s1, s2, b':', b'/', b'/', ..]
            if fast_paths() && (lower(w), lower(s1), lower(s2)) == (b'w', b's', b's') =>
        {
            return Ok((Scheme::Wss, input.get(6..).unwrap_or_default()));
        }
        _ => {}
    }
    let mut at = 0;
    loop {
        at += bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b':'))
            .ok_or(UrlError::MissingScheme)?;
        if bytes.get(at + 1..at + 3) == Some(b"//") {
            break;
        }
        at += 1;
    }
    let scheme = match bytes.get(..at).unwrap_or_default() {
        [] => return Err(UrlError::MissingScheme),
        [w, s1, s2] if (lower(w), lower(s1), lower(s2)) == (b'w', b's', b's') => Scheme::Wss,
        [w, s1] if (lower(w), lower(s1)) == (b'w', b's') => Scheme::Ws,
        _ => return Err(UrlError::UnsupportedScheme),
    };
    // `at + 3` follows three ASCII bytes: a character boundary.
    Ok((scheme, input.get(at + 3..).unwrap_or_default()))
}

/// Splits the authority (`host[:port]`, no user information) into host, kind and port.
fn split_authority(authority: &str) -> Result<(&str, HostKind, Option<NonZeroU16>), UrlError> {
    let bytes = authority.as_bytes();
    // IPv6: `[` host `]` (the first `]`), then nothing or `:port`. Otherwise the host ends at
    // the first `:`.
    let (host, kind, after) = if bytes.first() == Some(&b'[') {
        let close = bytes.iter().position(|&b| b == b']').ok_or(UrlError::InvalidHost)?;
        let host = bytes.get(1..close).unwrap_or_default();
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        if !is_ipv6(host) {
            return Err(UrlError::InvalidHost);
        }
        (1..close, HostKind::Ipv6, bytes.get(close + 1..).unwrap_or_default())
    } else {
        let (end, kind) = host_kind(bytes)?;
        (0..end, kind, bytes.get(end..).unwrap_or_default())
    };
    // After the host: nothing, or `:` and the port. (A host that is not bracketed ends at
    // the first `:`, so only a `]` can be followed by anything else.)
    let port = match after {
        [] => None,
        [b':', port @ ..] => Some(parse_port(port)?),
        _ => return Err(UrlError::InvalidHost),
    };
    // The host's ends are ASCII bytes (or the authority's ends): character boundaries.
    let host = authority.get(..host.end).and_then(|h| h.get(host.start..)).unwrap_or_default();
    Ok((host, kind, port))
}

/// A port: digits only, 1..=65535 (leading zeros tolerated).
fn parse_port(port: &[u8]) -> Result<NonZeroU16, UrlError> {
    // A value of 1 or more has a digit: `end > 0`. The pattern bounds the value, so `new`
    // never fails below; bounding it by `u16::try_from` and `NonZeroU16::new` alone instead
    // costs 16 B more flash on a Cortex-M.
    match decimal(port, 0) {
        (end, value @ 1..=0xFFFF) if end == port.len() => {
            NonZeroU16::new(value as u16).ok_or(UrlError::InvalidPort)
        }
        _ => Err(UrlError::InvalidPort),
    }
}

/// Classifies the host of an authority that is not bracketed, which ends at the first `:`:
/// where it ends, and whether it is an IPv4 literal or a registered name.
///
/// A host of only digits and dots that is not a valid dotted quad (`1.2.3`, `256.0.0.1`,
/// `01.2.3.4`) is refused: it is no domain name (RFC 3696 §2: a top-level label is never all
/// digits) and resolvers read such forms in differing ways (octal, shortened forms).
///
/// A registered name: dot-separated non-empty labels of letters, digits, `-` and `_` (the
/// last tolerated as in practice), each at most 63 bytes, at most 253 bytes in all. One pass
/// finds the end and judges both forms.
fn host_kind(authority: &[u8]) -> Result<(usize, HostKind), UrlError> {
    // `start` is where the current label starts; a label is judged when it ends.
    let (mut end, mut start, mut numeric, mut domain) = (0, 0, true, true);
    for &b in authority {
        // Lower-case letters, the common case, take one test.
        if b.wrapping_sub(b'a') < 26 {
            numeric = false;
        } else {
            match b {
                b':' => break,
                b'.' => {
                    domain &= end > start && end - start <= MAX_LABEL_LEN;
                    start = end + 1;
                }
                b'0'..=b'9' => {}
                b'A'..=b'Z' | b'-' | b'_' => numeric = false,
                _ => (numeric, domain) = (false, false),
            }
        }
        end += 1;
    }
    if end == 0 {
        return Err(UrlError::MissingHost);
    }
    let kind = if numeric {
        // The host is digits and dots up to `end`, then `:` or nothing: a quad that ends at
        // `end` is the whole host.
        (ipv4_at(authority, 0) == Some(end)).then_some(HostKind::Ipv4)
    } else {
        let last_label = end > start && end - start <= MAX_LABEL_LEN;
        (domain && last_label && end <= MAX_DOMAIN_LEN).then_some(HostKind::Domain)
    };
    Ok((end, kind.ok_or(UrlError::InvalidHost)?))
}

/// The run of decimal digits at `s[at..]`: where it ends, and its value, which stops growing
/// once past 65,535 (so it never overflows, and a longer run still reads as more than any
/// port or IPv4 part).
fn decimal(s: &[u8], mut at: usize) -> (usize, u32) {
    let mut value = 0u32;
    while let Some(digit) = s.get(at).map(|&b| b.wrapping_sub(b'0')).filter(|&d| d < 10) {
        if value <= 0xFFFF {
            value = value * 10 + u32::from(digit);
        }
        at += 1;
    }
    (at, value)
}

/// Where the run of hexadecimal digits at `s[at..]` ends.
fn hex_end(s: &[u8], mut at: usize) -> usize {
    while s.get(at).is_some_and(u8::is_ascii_hexdigit) {
        at += 1;
    }
    at
}

// The IP literals, as `core::net`'s parsers read them (`Ipv4Addr` and `Ipv6Addr::from_str`,
// the oracle of the tests), without building the address: that code is 1.9 KB of flash.

/// A dotted quad at `s[at..]`: four decimal parts of 1 to 3 digits, each at most 255 and
/// without a leading zero, separated by `.`. Where it ends, or `None`.
fn ipv4_at(s: &[u8], mut at: usize) -> Option<usize> {
    for part in 0..4 {
        if part > 0 {
            at = after(s, at, b'.')?;
        }
        let (end, value) = decimal(s, at);
        let leading_zero = end - at > 1 && s.get(at) == Some(&b'0');
        // More than 3 digits are either over 255 or have a leading zero.
        if end == at || value > 255 || leading_zero {
            return None;
        }
        at = end;
    }
    Some(at)
}

/// `at + 1` when `s[at]` is `byte`.
fn after(s: &[u8], at: usize, byte: u8) -> Option<usize> {
    (s.get(at) == Some(&byte)).then_some(at + 1)
}

/// The inside of `[…]` (RFC 4291 §2.2): `:`-separated groups of 1 to 4 hex digits, eight of
/// them, or fewer around one `::` (which stands for at least one group of zeros); the last
/// two groups may be written as a dotted quad, which then ends the address. Zone identifiers
/// (`fe80::1%eth0`) are refused: RFC 6874 is not supported by `Ipv6Addr` nor by the
/// platforms.
///
/// One pass: each group is read, then its separator (`:`, or `::` once); the count of groups
/// is judged at the end (a quad counts two).
fn is_ipv6(s: &[u8]) -> bool {
    let (mut at, mut groups, mut gap) = (0, 0usize, false);
    if let [b':', b':', ..] = s {
        (at, gap) = (2, true);
    }
    while at < s.len() {
        if let Some(end) = ipv4_at(s, at)
            && end == s.len()
        {
            groups += 2;
            break;
        }
        let end = hex_end(s, at);
        if end == at || end - at > 4 {
            return false;
        }
        (at, groups) = (end, groups + 1);
        if at == s.len() {
            break;
        }
        at = match after(s, at, b':') {
            Some(next) => next,
            None => return false,
        };
        if s.get(at) == Some(&b':') {
            if gap {
                return false;
            }
            (at, gap) = (at + 1, true);
        } else if at == s.len() {
            // A `:` must be followed by a group.
            return false;
        }
    }
    if gap { groups <= 7 } else { groups == 8 }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    macro_rules! ok {
        ($input:expr => $scheme:ident, $host:expr, $kind:ident, $port:expr, $explicit:expr, $resource:expr) => {{
            let url = Url::parse($input).expect($input);
            assert_eq!(url.scheme(), Scheme::$scheme, "scheme of {}", $input);
            assert_eq!(url.host(), $host, "host of {}", $input);
            assert_eq!(url.host_kind(), HostKind::$kind, "host kind of {}", $input);
            assert_eq!(url.port(), $port, "port of {}", $input);
            assert_eq!(url.explicit_port(), $explicit, "explicit port of {}", $input);
            assert_eq!(url.resource(), $resource, "resource of {}", $input);
            url
        }};
    }

    macro_rules! bad {
        ($input:expr => $err:ident) => {
            assert_eq!(Url::parse($input), Err(UrlError::$err), "{:?}", $input)
        };
    }

    fn target(url: &Url<'_>) -> std::string::String {
        let mut s = std::string::String::new();
        url.write_resource(&mut s).unwrap();
        s
    }

    // --- accepted URLs ---

    #[test]
    fn plain_domain_defaults_port_and_resource() {
        let url = ok!("wss://example.com" => Wss, "example.com", Domain, 443, None, "/");
        assert_eq!(target(&url), "/");
        assert_eq!(url, Url::parse("wss://example.com/").unwrap(), "no path is the same as `/`");
    }

    #[test]
    fn explicit_port_path_and_query() {
        ok!("wss://example.com:443/a?b" => Wss, "example.com", Domain, 443, Some(443), "/a?b");
        ok!("ws://localhost:80/" => Ws, "localhost", Domain, 80, Some(80), "/");
        ok!("ws://a:00080" => Ws, "a", Domain, 80, Some(80), "/");
    }

    #[test]
    fn scheme_is_case_insensitive_and_host_kept_as_written() {
        ok!("WS://Example.COM:8080" => Ws, "Example.COM", Domain, 8080, Some(8080), "/");
        ok!("wSs://a" => Wss, "a", Domain, 443, None, "/");
    }

    #[test]
    fn ipv6_literal_is_stored_without_brackets() {
        ok!("wss://[::1]:9001/x" => Wss, "::1", Ipv6, 9001, Some(9001), "/x");
        ok!("ws://[2001:db8::8:800:200c:417a]" => Ws, "2001:db8::8:800:200c:417a", Ipv6, 80, None, "/");
        ok!("wss://[::ffff:1.2.3.4]?q" => Wss, "::ffff:1.2.3.4", Ipv6, 443, None, "?q");
    }

    #[test]
    fn ipv4_literal() {
        ok!("wss://127.0.0.1" => Wss, "127.0.0.1", Ipv4, 443, None, "/");
        ok!("ws://255.255.255.255:1/p" => Ws, "255.255.255.255", Ipv4, 1, Some(1), "/p");
        ok!("ws://0.0.0.0" => Ws, "0.0.0.0", Ipv4, 80, None, "/");
    }

    #[test]
    fn query_without_path_gets_a_slash_in_the_request_target() {
        let url = ok!("wss://h?x=1" => Wss, "h", Domain, 443, None, "?x=1");
        assert!(url.resource_needs_slash());
        assert_eq!(target(&url), "/?x=1");
        let url = ok!("wss://h:9?" => Wss, "h", Domain, 9, Some(9), "?");
        assert_eq!(target(&url), "/?");
    }

    #[test]
    fn tolerated_host_characters() {
        ok!("wss://my_host-1.example" => Wss, "my_host-1.example", Domain, 443, None, "/");
        ok!("wss://1.2.3.com" => Wss, "1.2.3.com", Domain, 443, None, "/");
        let long_label = "a".repeat(63);
        let input = std::format!("wss://{long_label}.com");
        ok!(&input => Wss, &input[6..], Domain, 443, None, "/");
    }

    #[test]
    fn percent_encoded_path_is_kept() {
        ok!("wss://a/%20x?y=%2F" => Wss, "a", Domain, 443, None, "/%20x?y=%2F");
    }

    // --- refused URLs ---

    #[test]
    fn scheme_is_ws_or_wss_in_any_case_and_nothing_else() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let scheme = [a, b];
                let Ok(text) = core::str::from_utf8(&scheme) else { continue };
                let want = if text.eq_ignore_ascii_case("ws") {
                    Ok(Scheme::Ws)
                } else {
                    Err(UrlError::UnsupportedScheme)
                };
                assert_eq!(split_scheme(&std::format!("{text}://a")).map(|(s, _)| s), want, "{scheme:?}");
                let text = std::format!("{text}s");
                let want = if text.eq_ignore_ascii_case("wss") {
                    Ok(Scheme::Wss)
                } else {
                    Err(UrlError::UnsupportedScheme)
                };
                assert_eq!(split_scheme(&std::format!("{text}://a")).map(|(s, _)| s), want, "{text:?}");
            }
        }
    }

    #[test]
    fn scheme_errors() {
        bad!("http://a" => UnsupportedScheme);
        bad!("https://a" => UnsupportedScheme);
        bad!("wss2://a" => UnsupportedScheme);
        bad!("example.com" => MissingScheme);
        bad!("wss:example.com" => MissingScheme);
        bad!("://a" => MissingScheme);
        bad!("" => MissingScheme);
    }

    #[test]
    fn host_errors() {
        bad!("wss://" => MissingHost);
        bad!("wss:///path" => MissingHost);
        bad!("wss://?q" => MissingHost);
        bad!("wss://:443" => MissingHost);
        bad!("wss://[]" => MissingHost);
        bad!("wss://[::1" => InvalidHost);
        bad!("wss://[fe80::1%eth0]" => InvalidHost);
        bad!("wss://[fe80::1%25eth0]" => InvalidHost);
        bad!("wss://[1.2.3.4]" => InvalidHost);
        bad!("wss://[::1]x" => InvalidHost);
        bad!("wss://a..b" => InvalidHost);
        bad!("wss://.a" => InvalidHost);
        bad!("wss://a." => InvalidHost);
        bad!("wss://a!b" => InvalidHost);
        bad!("wss://a[b]" => InvalidHost);
        bad!("wss://1.2.3" => InvalidHost);
        bad!("wss://256.0.0.1" => InvalidHost);
        bad!("wss://01.2.3.4" => InvalidHost);
        bad!("wss://1.2.3.4.5" => InvalidHost);
    }

    #[test]
    fn domain_length_limits() {
        bad!(&std::format!("wss://{}.com", "a".repeat(64)) => InvalidHost);
        let labels = std::vec!["a".repeat(63); 4].join(".");
        assert_eq!(labels.len(), 255);
        bad!(&std::format!("wss://{labels}") => InvalidHost);
        let fits = &labels[2..];
        assert_eq!(fits.len(), 253);
        assert!(Url::parse(&std::format!("wss://{fits}")).is_ok());
    }

    #[test]
    fn port_errors() {
        bad!("wss://a:0" => InvalidPort);
        bad!("wss://a:65536" => InvalidPort);
        bad!("wss://a:99999999999999999999" => InvalidPort);
        bad!("wss://a:" => InvalidPort);
        bad!("wss://a:/x" => InvalidPort);
        bad!("wss://a:8x" => InvalidPort);
        bad!("wss://a:+80" => InvalidPort);
        bad!("wss://a:1:2" => InvalidPort);
        bad!("wss://[::1]:" => InvalidPort);
        bad!("wss://[::1]:0" => InvalidPort);
        assert_eq!(Url::parse("wss://a:65535").map(|u| u.port()), Ok(65535));
    }

    #[test]
    fn fragment_user_info_and_characters() {
        bad!("wss://a/#f" => Fragment);
        bad!("wss://a#" => Fragment);
        bad!("wss://a/?q#f" => Fragment);
        bad!("wss://u:p@a" => UserInfo);
        bad!("wss://u@a/x" => UserInfo);
        bad!("wss://a b" => InvalidCharacter);
        bad!("wss://a/b c" => InvalidCharacter);
        bad!("wss://a/\r\nHost: evil" => InvalidCharacter);
        bad!("wss://a/\0" => InvalidCharacter);
        bad!("wss://a/\x7f" => InvalidCharacter);
        bad!("wss://ex\u{e9}.com" => InvalidCharacter);
        bad!("wss://a/\u{e9}" => InvalidCharacter);
    }

    // --- IP literals: `core::net` is the oracle ---

    /// What `core::net` says of `s` as an IPv6 literal and as an IPv4 one.
    fn oracle(s: &str) -> (bool, bool) {
        (s.parse::<core::net::Ipv6Addr>().is_ok(), s.parse::<core::net::Ipv4Addr>().is_ok())
    }

    /// [`is_ipv6`] and the dotted-quad check agree with `core::net` on `s`, and so does
    /// `Url::parse` on a URL with `s` as its host.
    fn agrees_with_core_net(s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let (v6, v4) = oracle(s);
        proptest::prop_assert_eq!(is_ipv6(s.as_bytes()), v6, "IPv6 {:?}", s);
        proptest::prop_assert_eq!(ipv4_at(s.as_bytes(), 0) == Some(s.len()), v4, "IPv4 {:?}", s);
        let url = std::format!("wss://[{s}]:1/");
        let bracketed = Url::parse(&url).map(|u| (u.host_kind(), u.host()));
        if v6 {
            proptest::prop_assert_eq!(bracketed, Ok((HostKind::Ipv6, s)));
        } else {
            proptest::prop_assert!(bracketed.is_err(), "{:?}", s);
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            let plain = Url::parse(&std::format!("wss://{s}/")).map(|u| u.host_kind());
            proptest::prop_assert_eq!(
                plain,
                if v4 { Ok(HostKind::Ipv4) } else { Err(UrlError::InvalidHost) }
            );
        }
        Ok(())
    }

    #[test]
    fn ip_literals_as_core_net_reads_them() {
        let cases = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1::2::3",
            ":::",
            ":1::",
            "1:::2",
            "0000::00000",
            "ffff::FFFF",
            "g::",
            "::1.2.3.4",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4:5",
            "::1.2.3",
            "::1.2.3.04",
            "::01.2.3.4",
            "::256.1.1.1",
            "::1.2.3.4a",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1:2:3:4:5:1.2.3.4",
            "::1:2:3:4:5:6:1.2.3.4",
            "1::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "12345::",
            "::12345",
            "1.2.3.4.5",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "0.00.0.0",
            "1234.1.1.1",
            "",
            ":",
            "1:",
            "::1:",
            "fe80::1%eth0",
            "::1%25x",
        ];
        for case in cases {
            agrees_with_core_net(case).unwrap();
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(20_000))]

        #[test]
        fn ip_literal_checks_agree_with_core_net(s in "[0-9a-fA-F:.]{0,45}") {
            agrees_with_core_net(&s)?;
        }

        #[test]
        fn near_ip_literals_agree_with_core_net(
            s in "(::|:)?([0-9a-fA-F]{0,5}[:.]{0,2}){0,9}([0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4}\\.[0-9]{1,4})?(::|:|%|g)?"
        ) {
            agrees_with_core_net(&s)?;
        }

        #[test]
        fn every_ipv6_address_as_written_by_core_net(groups in proptest::array::uniform8(proptest::prop_oneof![
            proptest::strategy::Just(0u16), proptest::strategy::Just(1u16), 0u16..=u16::MAX
        ])) {
            let addr = core::net::Ipv6Addr::from(groups);
            agrees_with_core_net(&std::format!("{addr}"))?;
            let full = groups.iter().map(|g| std::format!("{g:x}")).collect::<std::vec::Vec<_>>().join(":");
            agrees_with_core_net(&full)?;
            let [a, b, c, d] = groups[6].to_be_bytes().into_iter().chain(groups[7].to_be_bytes()).collect::<std::vec::Vec<_>>()[..] else { unreachable!() };
            let head = groups[..6].iter().map(|g| std::format!("{g:x}")).collect::<std::vec::Vec<_>>().join(":");
            agrees_with_core_net(&std::format!("{head}:{a}.{b}.{c}.{d}"))?;
        }

        #[test]
        fn every_ipv4_address_agrees(octets in proptest::array::uniform4(0u8..=255)) {
            let [a, b, c, d] = octets;
            agrees_with_core_net(&std::format!("{a}.{b}.{c}.{d}"))?;
            agrees_with_core_net(&std::format!("::{a}.{b}.{c}.{d}"))?;
            agrees_with_core_net(&std::format!("0{a}.{b}.{c}.{d}"))?;
        }
    }

    /// `Url::parse` as it was before it stopped using `core::net` and `split_once` (flash,
    /// issue 13), kept word for word as the reference the new one must agree with.
    mod reference {
        use core::net::Ipv6Addr;
        use core::str::FromStr;

        use super::super::{HostKind, MAX_DOMAIN_LEN, MAX_LABEL_LEN, Scheme};
        use crate::error::UrlError;

        pub(super) fn parse(input: &str) -> Result<(Scheme, &str, HostKind, Option<u16>, &str), UrlError> {
            let (scheme, rest) = split_scheme(input)?;
            if rest.bytes().any(|b| b <= b' ' || b >= 0x7f) {
                return Err(UrlError::InvalidCharacter);
            }
            // RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket
            // URIs and MUST NOT be used on these URIs."
            if rest.contains('#') {
                return Err(UrlError::Fragment);
            }
            let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, resource) = rest.split_at_checked(authority_end).ok_or(UrlError::MissingHost)?;
            if authority.contains('@') {
                return Err(UrlError::UserInfo);
            }
            let (host, host_kind, port) = split_authority(authority)?;
            let resource = if resource.is_empty() { "/" } else { resource };
            Ok((scheme, host, host_kind, port, resource))
        }

        fn split_scheme(input: &str) -> Result<(Scheme, &str), UrlError> {
            let (scheme, rest) = input.split_once("://").ok_or(UrlError::MissingScheme)?;
            if scheme.is_empty() {
                return Err(UrlError::MissingScheme);
            }
            let scheme = if scheme.eq_ignore_ascii_case("wss") {
                Scheme::Wss
            } else if scheme.eq_ignore_ascii_case("ws") {
                Scheme::Ws
            } else {
                return Err(UrlError::UnsupportedScheme);
            };
            Ok((scheme, rest))
        }

        /// Splits the authority (`host[:port]`, no user information) into host, kind and port.
        fn split_authority(authority: &str) -> Result<(&str, HostKind, Option<u16>), UrlError> {
            if authority.is_empty() {
                return Err(UrlError::MissingHost);
            }
            if let Some(bracketed) = authority.strip_prefix('[') {
                let (host, after) = bracketed.split_once(']').ok_or(UrlError::InvalidHost)?;
                parse_ipv6(host)?;
                let port = match after {
                    "" => None,
                    _ => Some(parse_port(after.strip_prefix(':').ok_or(UrlError::InvalidHost)?)?),
                };
                return Ok((host, HostKind::Ipv6, port));
            }
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let kind = host_kind(host)?;
            let port = port.map(parse_port).transpose()?;
            Ok((host, kind, port))
        }

        /// Validates the inside of `[…]`. Zone identifiers (`fe80::1%eth0`) are refused: RFC 6874
        /// is not supported by `Ipv6Addr` nor by the platforms.
        fn parse_ipv6(host: &str) -> Result<(), UrlError> {
            if host.is_empty() {
                return Err(UrlError::MissingHost);
            }
            Ipv6Addr::from_str(host).map(|_| ()).map_err(|_| UrlError::InvalidHost)
        }

        /// A port: digits only, 1..=65535 (leading zeros tolerated).
        fn parse_port(port: &str) -> Result<u16, UrlError> {
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::InvalidPort);
            }
            let value =
                port.bytes().try_fold(0u16, |acc, b| acc.checked_mul(10)?.checked_add(u16::from(b - b'0')));
            match value {
                Some(0) | None => Err(UrlError::InvalidPort),
                Some(port) => Ok(port),
            }
        }

        /// Classifies a host that is not bracketed: an IPv4 literal or a registered name.
        ///
        /// A host of only digits and dots that is not a valid dotted quad (`1.2.3`, `256.0.0.1`,
        /// `01.2.3.4`) is refused: it is no domain name (RFC 3696 §2: a top-level label is never all
        /// digits) and resolvers read such forms in differing ways (octal, shortened forms).
        fn host_kind(host: &str) -> Result<HostKind, UrlError> {
            if host.is_empty() {
                return Err(UrlError::MissingHost);
            }
            if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return if is_ipv4(host) { Ok(HostKind::Ipv4) } else { Err(UrlError::InvalidHost) };
            }
            if is_domain(host) { Ok(HostKind::Domain) } else { Err(UrlError::InvalidHost) }
        }

        /// Four dot-separated decimal parts, each 0..=255, without leading zeros.
        fn is_ipv4(host: &str) -> bool {
            let mut parts = 0;
            for part in host.split('.') {
                parts += 1;
                let canonical = part.len() == 1 || !part.starts_with('0');
                let in_range = part.len() <= 3 && part.parse::<u8>().is_ok();
                if !canonical || !in_range {
                    return false;
                }
            }
            parts == 4
        }

        /// A registered name: dot-separated non-empty labels of letters, digits, `-` and `_` (the
        /// last tolerated as in practice), each at most 63 bytes, at most 253 bytes in all.
        fn is_domain(host: &str) -> bool {
            let label_ok = |label: &str| {
                !label.is_empty()
                    && label.len() <= MAX_LABEL_LEN
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            host.len() <= MAX_DOMAIN_LEN && host.split('.').all(label_ok)
        }
    }

    /// The URL as the reference parses it, compared with the new parse.
    fn agrees_with_reference(input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let new =
            Url::parse(input).map(|u| (u.scheme(), u.host(), u.host_kind(), u.explicit_port(), u.resource()));
        proptest::prop_assert_eq!(new, reference::parse(input), "{:?}", input);
        Ok(())
    }

    // --- properties ---

    proptest::proptest! {
        #[test]
        fn parse_agrees_with_the_reference(input in "\\PC{0,30}") {
            agrees_with_reference(&input)?;
        }

        #[test]
        fn parse_agrees_with_the_reference_on_url_like_input(
            input in "(ws|wss|WsS|http|)(://|:/|:)(\\[[0-9a-f:.%]{0,12}\\]?|[a-z0-9._-]{0,12})(:[0-9]{0,6})?[:@\\[\\]#/? %a-z]{0,12}"
        ) {
            agrees_with_reference(&input)?;
        }

        /// As on bare metal ([`fast_paths`] off: the scheme searched for, not read in place).
        #[test]
        fn the_general_parse_agrees_with_the_reference(
            input in "(ws|wss|WsS|wS|w|wsss|http|)(://|:/|:|//)[a-z0-9.:@/?#]{0,12}"
        ) {
            crate::socket::general(|| agrees_with_reference(&input))?;
        }

        #[test]
        fn parse_never_panics(input in "\\PC*") {
            let _ = Url::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_url_like_input(input in "(ws|wss|WS|http)://[a-z0-9.:@\\[\\]%/?#_-]{0,40}") {
            if let Ok(url) = Url::parse(&input) {
                proptest::prop_assert!(!url.host().is_empty());
                proptest::prop_assert!(url.port() != 0);
                proptest::prop_assert!(target(&url).starts_with('/'));
            }
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn write_resource_example() {
        use crate::Url;

        let mut target = std::string::String::new();
        Url::parse("wss://h?x=1").unwrap().write_resource(&mut target).unwrap();
        assert_eq!(target, "/?x=1");
    }
}
