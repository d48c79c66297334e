//! WebSocket URL parsing (RFC 6455 §3, S3.1): `ws`/`wss` scheme, host, port, resource.
//! STUB: signatures fixed; bodies land with the handshake layer.

use crate::error::UrlError;

/// A URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ws://`, plain TCP (allowed only with `Config::insecure`).
    Ws,
    /// `wss://`, TLS.
    Wss,
}

impl Scheme {
    /// 80 for `ws`, 443 for `wss`.
    pub const fn default_port(self) -> u16 {
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

/// A parsed `ws://` or `wss://` URL, borrowing the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    scheme: Scheme,
    host: &'a str,
    host_kind: HostKind,
    port: Option<u16>,
    resource: &'a str,
}

impl<'a> Url<'a> {
    /// Parses `input`; both schemes are accepted here (policy is the client's).
    pub fn parse(input: &'a str) -> Result<Self, UrlError> {
        let _ = input;
        unimplemented!()
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
    pub fn explicit_port(&self) -> Option<u16> {
        self.port
    }
    /// Path and query for the request line; `/` when the URL has no path.
    pub fn resource(&self) -> &'a str {
        self.resource
    }
}
