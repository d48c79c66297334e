//! The response and request code issue 13's flash cuts (helper H3) restructured, through the
//! public API, against references written here from RFC 9112 / RFC 6455 / RFC 3986:
//!
//! - the end of the header block (`\r\n` or bare `\n` line ends, the response cut into any
//!   pieces) and every header line as `onOpen`'s headers read it: each value trimmed, each
//!   obs-fold replaced with as many spaces (RFC 9112 §5.2), long values, the bytes after the
//!   block delivered as the first frame;
//! - the request's first lines (request line and `Host`, S7): IPv6 in brackets, the port only
//!   when not the scheme's default, without leading zeros;
//! - URL ports and IPv4/IPv6 literals made of digit runs of every length (S3.1).

mod support;

use std::str::FromStr;

use proptest::prelude::*;
use sockettask::{Config, Event, Headers, HostKind, Message, Url, UrlError};
use support::*;

/// One header line of a generated response: the name, what goes between the `:` and the
/// line end (optional whitespace, words, separators that may be obs-folds) and the value the
/// client must report for it.
#[derive(Clone, Debug)]
struct Line {
    name: String,
    raw: Vec<u8>,
    value: Vec<u8>,
}

/// A run of value bytes: visible ASCII (`:` and `,` included) and obs-text.
fn word() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![8 => 0x21u8..=0x7E, 1 => 0x80u8..=0xFF], 1..12)
}

/// Whitespace between two words: OWS alone (kept as is) or an obs-fold, `OWS (CRLF | LF)
/// RWS` (reported as that many spaces).
fn separator() -> impl Strategy<Value = Vec<u8>> {
    let ows = || prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 0..3);
    let rws = prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 1..3);
    prop_oneof![
        prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 1..4),
        (ows(), prop_oneof![Just(&b"\r\n"[..]), Just(&b"\n"[..])], rws).prop_map(|(a, br, c)| {
            let mut s = a;
            s.extend_from_slice(br);
            s.extend_from_slice(&c);
            s
        }),
    ]
}

/// A value: optional whitespace, words with separators (sometimes hundreds of bytes, so the
/// value is longer than the distance it moves), optional whitespace; and its reference.
fn value() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let ows = || prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 0..3);
    let long = prop_oneof![3 => 0usize..4, 1 => 20usize..40];
    (ows(), long.prop_flat_map(|n| prop::collection::vec((separator(), word()), n)), word(), ows()).prop_map(
        |(lead, rest, first, trail)| {
            let (mut raw, mut value) = (lead, first.clone());
            raw.extend_from_slice(&first);
            for (sep, w) in rest {
                raw.extend_from_slice(&sep);
                raw.extend_from_slice(&w);
                if sep.contains(&b'\n') {
                    value.extend(std::iter::repeat_n(b' ', sep.len()));
                } else {
                    value.extend_from_slice(&sep);
                }
                value.extend_from_slice(&w);
            }
            raw.extend_from_slice(&trail);
            (raw, value)
        },
    )
}

/// A header name that none of the checks reads.
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,10}".prop_map(|n| format!("X-{n}"))
}

/// Letter case flipped where `flips` has a set bit.
fn recase(name: &str, flips: u32) -> String {
    name.chars()
        .enumerate()
        .map(
            |(i, c)| if flips >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() },
        )
        .collect()
}

/// The client's key of `request` and the client and handle that sent it.
fn connect() -> (TestClient, sockettask::Handle, String) {
    sent_request(0x5EED)
}

/// What a valid response of these lines (the three checked ones among them) gives: the
/// headers of `onOpen` as owned pairs, and the messages after it.
type Seen = (Vec<(String, Vec<u8>)>, Vec<Vec<u8>>);

fn run(client: &mut TestClient, h: sockettask::Handle, wire: &[u8], cuts: &[usize]) -> Result<Seen, String> {
    let (mut headers, mut messages, mut opened) = (Vec::new(), Vec::new(), false);
    let mut pieces: Vec<usize> = cuts.iter().map(|&c| c % (wire.len() + 1)).collect();
    pieces.sort_unstable();
    pieces.push(wire.len());
    let mut from = 0;
    for to in pieces {
        let mut bytes = &wire[from..to];
        from = to;
        for _ in 0..10_000 {
            let n = client.handle_input(START, h, bytes);
            bytes = &bytes[n..];
            let mut polled = false;
            while let Some((_, event)) = client.poll_event() {
                polled = true;
                match event {
                    Event::Open(open) => {
                        opened = true;
                        assert_eq!(
                            Headers::new(open.header.as_bytes()),
                            open.header,
                            "a copy reads the same"
                        );
                        headers = open.header.iter().map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
                    }
                    Event::Message(Message::Text(t)) => messages.push(t.as_bytes().to_vec()),
                    Event::Message(Message::Binary(b)) => messages.push(b.to_vec()),
                    other => return Err(format!("{other:?}")),
                }
            }
            if bytes.is_empty() {
                break;
            }
            assert!(n > 0 || polled, "stalled");
        }
    }
    if !opened {
        return Err("no onOpen".into());
    }
    Ok((headers, messages))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any valid response, its lines ending in CR LF or a bare LF, with extra headers whose
    /// values fold, cut into any pieces: the client opens with exactly the reference headers
    /// and reads the frame right after the block.
    #[test]
    fn response_lines_read_as_the_reference_reads_them(
        extra in prop::collection::vec((name(), value()), 0..6),
        checked_ows in prop::collection::vec((0usize..3, 0usize..3), 3),
        flips in any::<u32>(),
        place in 0usize..7,
        reason in prop_oneof![Just(" Switching Protocols"), Just(" "), Just(" OK")],
        bare_lf in any::<u64>(),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
    ) {
        let (mut client, h, key) = connect();
        let accept = accept_for(&key);
        let mut lines: Vec<Line> = extra
            .into_iter()
            .map(|(name, (raw, value))| Line { name, raw, value })
            .collect();
        let checked = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept.as_str())];
        for (i, ((name, v), (lead, trail))) in checked.iter().zip(checked_ows).enumerate() {
            let raw = format!("{}{v}{}", " ".repeat(lead), "\t".repeat(trail)).into_bytes();
            let line = Line { name: recase(name, flips.rotate_left(i as u32 * 7)), raw, value: v.as_bytes().to_vec() };
            let at = (place + i) % (lines.len() + 1);
            lines.insert(at, line);
        }
        let end = |i: u32| if bare_lf >> (i % 64) & 1 == 1 { &b"\n"[..] } else { &b"\r\n"[..] };
        let mut wire = format!("HTTP/1.1 101{reason}").into_bytes();
        wire.extend_from_slice(end(0));
        for (i, line) in lines.iter().enumerate() {
            wire.extend_from_slice(line.name.as_bytes());
            wire.push(b':');
            wire.extend_from_slice(&line.raw);
            wire.extend_from_slice(end(i as u32 + 1));
        }
        wire.extend_from_slice(end(63));
        wire.extend_from_slice(&frame(OP_TEXT, true, b"first"));
        let (headers, messages) = run(&mut client, h, &wire, &cuts).map_err(TestCaseError::fail)?;
        let want: Vec<(String, Vec<u8>)> = lines.into_iter().map(|l| (l.name, l.value)).collect();
        prop_assert_eq!(headers, want);
        prop_assert_eq!(messages, vec![b"first".to_vec()]);
    }

    /// The request line and `Host` of any URL: the target as written (`/` when empty, a `/`
    /// before a bare query), the host with IPv6 in brackets, the port only when it is not the
    /// scheme's default and then in decimal without leading zeros.
    #[test]
    fn request_line_and_host_are_the_references(
        host in prop_oneof![
            "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9]{0,5}){0,2}".prop_map(|h| (h, false)),
            (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255).prop_map(|(a, b, c, d)| (format!("{a}.{b}.{c}.{d}"), false)),
            any::<[u16; 8]>().prop_map(|g| (std::net::Ipv6Addr::from(g).to_string(), true)),
        ],
        secure in any::<bool>(),
        port in prop::option::of(prop_oneof![Just(80u16), Just(443u16), 1u16..=u16::MAX]),
        zeros in 0usize..3,
        resource in prop_oneof![Just(String::new()), "/[a-z0-9/%._-]{0,12}", "/[a-z]{0,5}\\?[a-z0-9=&]{0,8}", "\\?[a-z0-9=&]{0,8}"],
    ) {
        let (host, ipv6) = host;
        let scheme = if secure { "wss" } else { "ws" };
        let authority_host = if ipv6 { format!("[{host}]") } else { host.clone() };
        let port_text = port.map(|p| format!(":{}{p}", "0".repeat(zeros))).unwrap_or_default();
        let url = format!("{scheme}://{authority_host}{port_text}{resource}");
        let config = Config { schemes: sockettask::Schemes::AllowInsecure, ..Config::default() };
        let mut harness = Harness::with_config(config);
        let h = harness.connect(&url);
        let request = harness.take_tx(h);
        let target = match resource.as_str() {
            "" => "/".to_owned(),
            r if r.starts_with('?') => format!("/{r}"),
            r => r.to_owned(),
        };
        let default = if secure { 443 } else { 80 };
        let host_port = match port {
            Some(p) if p != default => format!(":{p}"),
            _ => String::new(),
        };
        let want = format!("GET {target} HTTP/1.1\r\nHost: {authority_host}{host_port}\r\nUpgrade: websocket\r\n");
        prop_assert!(request.starts_with(want.as_bytes()), "{:?} for {url}", String::from_utf8_lossy(&request));
    }

    /// A port of any digit run (leading zeros, runs far past `u32`): valid exactly when its
    /// value is 1 to 65535.
    #[test]
    fn ports_of_any_digit_run(digits in "0{0,6}[0-9]{0,12}") {
        let url = format!("wss://example.com:{digits}/");
        let significant = digits.trim_start_matches('0');
        let want = match significant.len() {
            _ if digits.is_empty() => Err(UrlError::InvalidPort),
            0 => Err(UrlError::InvalidPort),
            1..=5 => match significant.parse::<u32>().ok().filter(|&v| v <= 65535) {
                Some(v) => Ok(v as u16),
                None => Err(UrlError::InvalidPort),
            },
            _ => Err(UrlError::InvalidPort),
        };
        prop_assert_eq!(Url::parse(&url).map(|u| u.port()), want, "{}", url);
    }

    /// Hosts of digit runs and dots, and bracketed runs of hex digits and colons: IPv4 and
    /// IPv6 literals exactly when `core::net` reads them so; any other such host is invalid.
    #[test]
    fn ip_literals_of_any_digit_runs(
        parts in prop::collection::vec("[0-9]{0,5}", 1..6),
        groups in prop::collection::vec("[0-9a-fA-F]{0,6}", 1..10),
        quad in prop::option::of((0u16..300, 0u16..300, 0u16..300, 0u16..300)),
    ) {
        let v4 = parts.join(".");
        let want = if v4.is_empty() {
            Err(UrlError::MissingHost)
        } else if std::net::Ipv4Addr::from_str(&v4).is_ok() {
            Ok(HostKind::Ipv4)
        } else {
            Err(UrlError::InvalidHost)
        };
        prop_assert_eq!(Url::parse(&format!("wss://{v4}/")).map(|u| u.host_kind()), want, "{}", v4);

        let mut v6 = groups.join(":");
        if let Some((a, b, c, d)) = quad {
            v6.push_str(&format!(":{a}.{b}.{c}.{d}"));
        }
        let want = if v6.is_empty() {
            Err(UrlError::MissingHost)
        } else if std::net::Ipv6Addr::from_str(&v6).is_ok() {
            Ok((HostKind::Ipv6, v6.clone()))
        } else {
            Err(UrlError::InvalidHost)
        };
        let got = Url::parse(&format!("wss://[{v6}]/")).map(|u| (u.host_kind(), u.host().to_owned()));
        prop_assert_eq!(got, want, "{}", v6);
    }
}
