//! Bracketed IPv6 hosts (RFC 3986 §3.2.2, RFC 4291 §2.2), through the public `Url::parse`,
//! against `core::net::Ipv6Addr`'s parser as the oracle: the URL parser's one-pass check of
//! the literal accepts exactly what `Ipv6Addr::from_str` accepts, on strings drawn to sit near
//! the edges (group counts around eight, `::` placed anywhere or twice, dotted quads in and
//! out of place, groups of up to six hex digits, stray `:` and `.`).

use core::net::Ipv6Addr;

use proptest::prelude::*;
use sockettask::{HostKind, Url, UrlError};

/// What `Url::parse` makes of `[inside]`: the host and its kind, or the error.
fn parse_bracketed(inside: &str) -> Result<(HostKind, String), UrlError> {
    let url = format!("wss://[{inside}]:9001/x");
    Url::parse(&url).map(|url| (url.host_kind(), url.host().to_owned()))
}

/// The oracle's verdict, as `Url::parse` reports it: the host without brackets, or
/// `InvalidHost` (`MissingHost` for the empty literal).
fn expected(inside: &str) -> Result<(HostKind, String), UrlError> {
    if inside.is_empty() {
        return Err(UrlError::MissingHost);
    }
    match inside.parse::<Ipv6Addr>() {
        Ok(_) => Ok((HostKind::Ipv6, inside.to_owned())),
        Err(_) => Err(UrlError::InvalidHost),
    }
}

/// One piece of a near-IPv6 string.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-fA-F]{1,4}",
        1 => "[0-9a-fA-F]{5,6}",
        1 => Just(String::new()),
        1 => "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}",
        1 => "[0-9]{1,4}(\\.[0-9]{1,4}){1,4}",
        1 => "[g-z%.]",
    ]
}

/// Pieces joined by `:` or `::`, with a `::` at either end now and then.
fn near_ipv6() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((piece(), prop_oneof![6 => Just(":"), 1 => Just("::")]), 0..11),
        piece(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(pairs, last, lead, trail)| {
            let mut s = String::from(if lead { "::" } else { "" });
            for (piece, separator) in pairs {
                s.push_str(&piece);
                s.push_str(separator);
            }
            s.push_str(&last);
            if trail {
                s.push_str("::");
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn bracketed_hosts_agree_with_core_net(inside in near_ipv6()) {
        prop_assert_eq!(parse_bracketed(&inside), expected(&inside), "[{}]", inside);
    }

    /// Every address as `core::net` writes it (compressed, with a dotted quad for the
    /// IPv4-mapped ones) and in full, eight groups of four digits.
    #[test]
    fn every_address_written_either_way(groups in proptest::array::uniform8(prop_oneof![
        Just(0u16), Just(1u16), Just(0xffff_u16), any::<u16>()
    ])) {
        let addr = Ipv6Addr::from(groups);
        let full = groups.iter().map(|g| format!("{g:04x}")).collect::<Vec<_>>().join(":");
        for inside in [addr.to_string(), full] {
            prop_assert_eq!(parse_bracketed(&inside), Ok((HostKind::Ipv6, inside.clone())));
        }
    }
}

/// The edges one by one: where `::` may stand, how many groups fit around it, where a dotted
/// quad may close the address.
#[test]
fn edges_of_the_literal() {
    let cases = [
        "::",
        "::1",
        "1::",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:1.2.3.4",
        "1:2:3:4:5::1.2.3.4",
        "1:2:3:4:5:6::1.2.3.4",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "1.2.3.4",
        "1.2.3.4::",
        "::1.2.3.4:1",
        "::1.2.3",
        "::256.1.1.1",
        "::01.2.3.4",
        ":::",
        "1:::2",
        "1::2::3",
        ":1",
        "1:",
        "1:2:3:4:5:6:7:8:",
        "::a:",
        ":1:2:3:4:5:6:7:8",
        "12345::",
        "::fffff",
        "fe80::1%eth0",
        "g::",
    ];
    for inside in cases {
        assert_eq!(parse_bracketed(inside), expected(inside), "[{inside}]");
    }
    // The empty literal has no host.
    assert_eq!(parse_bracketed(""), Err(UrlError::MissingHost));
}
