//! What the caller configures: client-wide policy and limits ([`Config`]) and the options of
//! one `connectSocket` call ([`ConnectOptions`]).

use core::time::Duration;

use crate::handshake::{ForbiddenHeaders, PerMessageDeflate, ProtocolCheck};

/// Connect timeout when neither the call nor the config gives one (S6): 60 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a closing task waits for the peer's close frame and the end of the stream.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default largest response header block (S8).
pub const DEFAULT_MAX_HEADER_BLOCK: usize = 8 * 1024;
/// Default most fragments one message may arrive in (S20).
pub const DEFAULT_MAX_FRAGMENTS: usize = 4096;
/// Default largest message, sent or received: 1 MiB of payload.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;
/// Smallest receive or send buffer a task accepts.
pub const MIN_BUFFER_LEN: usize = 512;

/// Which URL schemes `connect_socket` accepts (S3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schemes {
    /// Only `wss://` (the default, as on the platforms).
    #[default]
    SecureOnly,
    /// `ws://` too: a development switch, like the platforms' test builds.
    AllowInsecure,
}

/// Which events a task that fails before OPEN reports (S12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureEvents {
    /// `onError` only (the default).
    #[default]
    ErrorOnly,
    /// `onError`, then `onClose { 1006 }`, for apps that reconnect from `onClose`.
    ErrorThenClose,
}

/// Size limits (S8, S14, S20), in payload bytes. A received frame or message over its limit
/// fails the task with 1009 (the header block fails the handshake instead); a message over
/// [`Limits::max_message_size`] is refused by `send`.
///
/// ```
/// use sockettask::{Config, DEFAULT_MAX_MESSAGE_SIZE, Limits};
///
/// let config = Config {
///     limits: Limits { max_message_size: 64 << 10, ..Limits::default() },
///     ..Config::default()
/// };
/// assert_eq!(Limits::default().max_message_size, DEFAULT_MAX_MESSAGE_SIZE);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of one received frame (a message may come in several).
    pub max_frame_size: usize,
    /// Largest message, the same in both directions: a received one over it fails the task
    /// with 1009, and `send` refuses a larger one with `SendError::MessageTooLarge`.
    ///
    /// The task's buffers bound it too, so the effective limit is the smaller of this and
    /// `rx.len() - RX_OVERHEAD` to receive, and of this and the largest payload one frame in
    /// the send buffer can carry (`tx.len() - TX_OVERHEAD` or a little more) to send. A
    /// driver that allocates its buffers sizes them from this (as `sockettask-mio` does).
    pub max_message_size: usize,
    /// Most frames one received message may arrive in.
    pub max_fragments: usize,
    /// Largest response header block, `\r\n\r\n` included (bounded by the receive buffer).
    pub max_header_block: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: usize::MAX,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
            max_header_block: DEFAULT_MAX_HEADER_BLOCK,
        }
    }
}

/// Client-wide configuration.
///
/// ```
/// use core::time::Duration;
/// use sockettask::{Config, Schemes};
///
/// let config = Config {
///     schemes: Schemes::AllowInsecure,
///     domain_list: Some(&["example.com", "127.0.0.1"]),
///     close_timeout: Duration::from_secs(2),
///     ..Config::default()
/// };
/// assert_eq!(config.connect_timeout, Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Connect timeout when a call gives none (S6).
    pub connect_timeout: Duration,
    /// How long `close` (or a peer's close) may take before the task is CLOSED anyway.
    pub close_timeout: Duration,
    /// `wss` only, or `ws` too (S3.1).
    pub schemes: Schemes,
    /// Hosts a task may connect to (S3.4): exact, case-insensitive host match, any port.
    /// `None` allows every host.
    pub domain_list: Option<&'static [&'static str]>,
    /// Refuse or silently drop `referer` and library-managed headers (S3.3).
    pub forbidden_headers: ForbiddenHeaders,
    /// Strict (the default) or RFC-lenient subprotocol verification (S5).
    pub protocol_check: ProtocolCheck,
    /// Whether a failure before OPEN adds `onClose { 1006 }` after `onError` (S12).
    pub failure_events: FailureEvents,
    /// Size limits: frames and messages received, messages sent.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            schemes: Schemes::default(),
            domain_list: None,
            forbidden_headers: ForbiddenHeaders::default(),
            protocol_check: ProtocolCheck::default(),
            failure_events: FailureEvents::default(),
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Whether `host` passes the domain list (S3.4): exact, ASCII-case-insensitive match; an
    /// IPv6 entry may be written with or without brackets. Without a list, every host does:
    /// that answer is inline on hosts (no call where most clients have no list), the list's
    /// scan out of line.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub fn allows_host(&self, host: &str) -> bool {
        let Some(list) = self.domain_list else { return true };
        listed(list, host)
    }
}

/// Whether `list` holds `host` ([`Config::allows_host`]).
#[cfg_attr(not(target_os = "none"), inline(never))]
fn listed(list: &[&str], host: &str) -> bool {
    list.iter().any(|entry| {
        let entry = match entry.as_bytes() {
            [b'[', inner @ .., b']'] => inner,
            entry => entry,
        };
        entry.eq_ignore_ascii_case(host.as_bytes())
    })
}

/// The options of one `connectSocket` call (S1), named as the mini-program names them:
/// `url`, `header`, `protocols`, `timeout`, `perMessageDeflate`.
///
/// ```
/// use core::time::Duration;
/// use sockettask::ConnectOptions;
///
/// let options = ConnectOptions::new("wss://example.com/chat")
///     .header(&[("x-token", "abc")])
///     .protocols(&["chat.v2", "chat.v1"])
///     .timeout(Duration::from_secs(10));
/// assert_eq!(options.protocols.len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectOptions<'a> {
    /// The `wss://` (or allowed `ws://`) URL.
    pub url: &'a str,
    /// The mini-program's `header`: extra request headers, name → value, sent in order after
    /// the library's own.
    pub header: &'a [(&'a str, &'a str)],
    /// Offered subprotocols, in order of preference.
    pub protocols: &'a [&'a str],
    /// Connect timeout for this task; `None` or zero uses [`Config::connect_timeout`].
    pub timeout: Option<core::time::Duration>,
    /// The mini-program's `perMessageDeflate`: offer `permessage-deflate` (RFC 7692) with
    /// these parameters. `None` (the default) offers no extension, and a server that answers
    /// with one fails the handshake (S8).
    pub per_message_deflate: Option<PerMessageDeflate>,
}

impl<'a> ConnectOptions<'a> {
    /// Options with just a URL.
    pub const fn new(url: &'a str) -> Self {
        ConnectOptions { url, header: &[], protocols: &[], timeout: None, per_message_deflate: None }
    }

    /// Sets the extra request headers (`header`).
    pub const fn header(mut self, header: &'a [(&'a str, &'a str)]) -> Self {
        self.header = header;
        self
    }

    /// Sets the offered subprotocols.
    pub const fn protocols(mut self, protocols: &'a [&'a str]) -> Self {
        self.protocols = protocols;
        self
    }

    /// Sets the connect timeout.
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Offers `permessage-deflate` with the parameters of `offer` (`perMessageDeflate`).
    ///
    /// ```
    /// use sockettask::ConnectOptions;
    ///
    /// // What the browsers offer: `permessage-deflate; client_max_window_bits`.
    /// let options = ConnectOptions::new("wss://example.com/chat").per_message_deflate(Default::default());
    /// let offer = options.per_message_deflate.expect("offered");
    /// assert_eq!(offer.server_max_window_bits, None);
    /// assert!(offer.validate().is_ok());
    /// assert_eq!(ConnectOptions::new("wss://example.com/chat").per_message_deflate, None);
    /// ```
    pub const fn per_message_deflate(mut self, offer: PerMessageDeflate) -> Self {
        self.per_message_deflate = Some(offer);
        self
    }

    /// The timeout this task uses (S6): the call's when positive, else `default`.
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn effective_timeout(&self, default: Duration) -> Duration {
        self.timeout.filter(|t| !t.is_zero()).unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_list_is_exact_and_case_insensitive() {
        let config =
            Config { domain_list: Some(&["Example.com", "[::1]", "127.0.0.1"]), ..Config::default() };
        assert!(config.allows_host("example.COM"));
        assert!(config.allows_host("::1"));
        assert!(config.allows_host("127.0.0.1"));
        assert!(!config.allows_host("www.example.com"), "no subdomain match");
        assert!(!config.allows_host("com"), "no parent match");
        assert!(!config.allows_host("localhost"), "localhost only when listed");
        assert!(Config::default().allows_host("anything"));
    }

    #[test]
    fn per_message_deflate_is_off_by_default_and_set_by_the_builder() {
        assert_eq!(ConnectOptions::new("wss://a").per_message_deflate, None);
        let offer = PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() };
        const OPTIONS: ConnectOptions<'static> = ConnectOptions::new("wss://a")
            .timeout(Duration::from_secs(1))
            .per_message_deflate(PerMessageDeflate::new());
        assert_eq!(OPTIONS.per_message_deflate, Some(PerMessageDeflate::default()));
        let options = ConnectOptions::new("wss://a").protocols(&["p"]).per_message_deflate(offer);
        assert_eq!(options.per_message_deflate, Some(offer));
        assert_eq!(options.protocols, ["p"], "the other options stay");
    }

    #[test]
    fn zero_timeout_means_default() {
        let d = Duration::from_secs(7);
        assert_eq!(ConnectOptions::new("wss://a").effective_timeout(d), d);
        assert_eq!(ConnectOptions::new("wss://a").timeout(Duration::ZERO).effective_timeout(d), d);
        let t = Duration::from_millis(1);
        assert_eq!(ConnectOptions::new("wss://a").timeout(t).effective_timeout(d), t);
    }
}
