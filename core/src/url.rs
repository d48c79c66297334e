//! The URL layer: parsing `ws://` and `wss://` URLs (RFC 6455 §3, S3.1) into scheme, host,
//! port and resource, borrowing the input and allocating nothing.
//!
//! Only the syntax is judged here. Policy — whether `ws://` is allowed, whether the host is on
//! the domain list — is the client's (S3.1, S3.4).

use core::net::Ipv6Addr;
use core::str::FromStr;

use crate::error::UrlError;

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
    port: Option<u16>,
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
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The port only when written in the URL.
    pub(crate) fn explicit_port(&self) -> Option<u16> {
        self.port
    }

    /// Path and query for the request line; `/` when the URL has no path.
    ///
    /// The one case this cannot give verbatim, without allocating, is a URL with a query but
    /// no path (`wss://h?x=1`): then it returns the query with its `?` (`"?x=1"`), and the
    /// request line needs a `/` in front. [`Url::write_resource`] and the handshake request
    /// encoder add it, so they write `/?x=1`.
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

/// Splits `scheme://` off `input` and recognises it, case-insensitively.
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
    let value = port.bytes().try_fold(0u16, |acc, b| acc.checked_mul(10)?.checked_add(u16::from(b - b'0')));
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

    // --- properties ---

    proptest::proptest! {
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
