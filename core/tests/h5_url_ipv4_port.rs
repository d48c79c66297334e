//! An IPv4 host followed by a port: the dotted quad is judged on the host alone (RFC 3986
//! §3.2.2 `IPv4address`, four decimal octets), never on the digits of the port after its `:`.

use sockettask::{HostKind, Url, UrlError};

#[test]
fn a_quad_before_a_port_is_an_ipv4_host() {
    for (url, host, port) in [
        ("wss://1.2.3.4:80/x", "1.2.3.4", 80),
        ("wss://10.0.0.1:8443", "10.0.0.1", 8443),
        ("wss://255.255.255.255:1", "255.255.255.255", 1),
        ("ws://0.0.0.0:65535/", "0.0.0.0", 65535),
    ] {
        let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
        assert_eq!(parsed.host(), host, "{url}");
        assert_eq!(parsed.host_kind(), HostKind::Ipv4, "{url}");
        assert_eq!(parsed.port(), port, "{url}");
    }
}

#[test]
fn a_host_of_digits_and_dots_that_is_no_quad_fails_whatever_the_port() {
    // Three or five parts, a part over 255, a leading zero, an empty part: no IPv4 address,
    // and no domain name either (a top-level label is never all digits, RFC 3696 §2). The
    // port's digits must not complete the quad.
    for url in [
        "wss://1.2.3:4",
        "wss://1.2.3:45/x",
        "wss://1.2.3.4.5:80",
        "wss://1.2.3.256:80",
        "wss://1.2.3.04:80",
        "wss://1.2..4:80",
        "wss://1.2.3.:80",
        "wss://1234:80",
    ] {
        assert_eq!(Url::parse(url), Err(UrlError::InvalidHost), "{url}");
    }
}

#[test]
fn the_port_after_a_quad_is_still_checked() {
    assert_eq!(Url::parse("wss://1.2.3.4:0"), Err(UrlError::InvalidPort));
    assert_eq!(Url::parse("wss://1.2.3.4:65536"), Err(UrlError::InvalidPort));
    assert_eq!(Url::parse("wss://1.2.3.4:"), Err(UrlError::InvalidPort));
    assert_eq!(Url::parse("wss://1.2.3.4:8x"), Err(UrlError::InvalidPort));
    assert_eq!(Url::parse("wss://1.2.3.4:0080").map(|u| u.port()), Ok(80));
}
