//! The `Host` header of the handshake request (RFC 6455 §4.1, S7): "/host/ plus optionally
//! ":" followed by /port/ (when not using the default port)", the port in decimal as written
//! in the URL but without leading zeros (RFC 3986 §3.2.3: the port is a decimal number; its
//! value is what the server listens on), an IPv6 host in brackets.

mod support;

use sockettask::{Config, ConnectOptions, Schemes};
use support::*;

/// The `Host` value a server receives for `url`.
fn host_of(url: &str) -> String {
    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    let mut h = Harness::with_config(config);
    let t = h.try_connect(&ConnectOptions::new(url)).expect(url);
    h.request(t).one("host").to_owned()
}

#[test]
fn an_explicit_port_other_than_the_default_is_written_in_decimal() {
    for (port, written) in [
        ("1", "1"),
        ("9", "9"),
        ("10", "10"),
        ("99", "99"),
        ("100", "100"),
        ("8080", "8080"),
        ("10000", "10000"),
        ("65535", "65535"),
        ("08080", "8080"),
        ("0443", "443"),
    ] {
        assert_eq!(
            host_of(&format!("ws://example.com:{port}/")),
            format!("example.com:{written}"),
            "ws port {port}"
        );
    }
    assert_eq!(host_of("wss://example.com:80/"), "example.com:80");
}

#[test]
fn the_default_port_is_left_out_even_when_written() {
    assert_eq!(host_of("ws://example.com:80/"), "example.com");
    assert_eq!(host_of("ws://example.com:0080/"), "example.com");
    assert_eq!(host_of("wss://example.com:443/x"), "example.com");
    assert_eq!(host_of("wss://example.com/"), "example.com");
}

#[test]
fn ipv6_hosts_are_bracketed_with_the_port_after() {
    assert_eq!(host_of("wss://[::1]/"), "[::1]");
    assert_eq!(host_of("wss://[::1]:443/"), "[::1]");
    assert_eq!(host_of("wss://[2001:db8::7]:8443/"), "[2001:db8::7]:8443");
    assert_eq!(host_of("ws://192.0.2.1:1/"), "192.0.2.1:1");
}
