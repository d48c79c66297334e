//! The comparisons issue 13's handshake cuts rewrote, through the public API: caller header
//! names against the managed ones (S3.3, case-insensitive, nothing else), the `Connection`
//! token list and the chosen subprotocol against the offered list (RFC 6455 §4.1, S5, S8),
//! bracketed IPv6 entries of the domain list (S3.4), and hosts of every label shape (S3.1).

mod support;

use sockettask::{
    Config, ConnectError, ConnectOptions, ForbiddenHeaders, HandshakeError, HostKind, UrlError,
};
use support::*;

/// The header names S3.3 reserves, lower-case.
const MANAGED: [&str; 11] = [
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

/// `name` with the letter case of every other letter flipped, starting with the first.
fn mixed_case(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
        .collect()
}

/// Names one edit away from a managed one: still HTTP tokens, but other headers.
fn near_misses(name: &str) -> Vec<String> {
    let mut out = vec![format!("{name}x"), format!("x{name}"), name[..name.len() - 1].to_string()];
    // `-` against the other token symbols (`eq_folded` lets only CR, no token byte, pass for
    // `-`), and a letter against the token byte 0x20 below or above it that is no letter.
    for other in ["_", ".", "~"] {
        if name.contains('-') {
            out.push(name.replacen('-', other, 1));
        }
    }
    let twin = char::from(name.as_bytes()[0] ^ 0x40);
    if twin.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(twin) {
        out.push(format!("{twin}{}", &name[1..]));
    }
    out
}

#[test]
fn managed_names_are_refused_in_any_case_and_only_they() {
    let mut h = Harness::new();
    for name in MANAGED {
        for spelled in [name.to_string(), name.to_ascii_uppercase(), mixed_case(name)] {
            let headers = [(spelled.as_str(), "x")];
            assert_eq!(
                h.try_connect(&ConnectOptions::new(URL).header(&headers)),
                Err(ConnectError::ForbiddenHeader { name: spelled.as_str().into() }),
                "{spelled}"
            );
        }
        for other in near_misses(name) {
            let headers = [(other.as_str(), "x")];
            // A harness per connect: the task slots are few.
            let mut h = Harness::new();
            let t = h.try_connect(&ConnectOptions::new(URL).header(&headers));
            let t = t.unwrap_or_else(|e| panic!("{other:?} is no managed header: {e:?}"));
            assert_eq!(h.request(t).one(&other), "x", "{other} is sent");
        }
    }
}

#[test]
fn drop_mode_leaves_out_managed_names_in_any_case_and_sends_the_rest() {
    let config = Config { forbidden_headers: ForbiddenHeaders::Drop, ..Config::default() };
    for name in MANAGED {
        let mut h = Harness::with_config(config);
        let spelled = mixed_case(name);
        let misses = near_misses(name);
        let mut headers = vec![(spelled.as_str(), "dropped")];
        headers.extend(misses.iter().map(|m| (m.as_str(), "kept")));
        let t = h.try_connect(&ConnectOptions::new(URL).header(&headers)).unwrap();
        let request = h.request(t);
        assert!(!request.all(name).contains(&"dropped"), "{spelled} is left out");
        for miss in &misses {
            assert_eq!(request.one(miss), "kept", "{miss} is sent");
        }
    }
}

/// The `Connection` value: a comma-separated token list (RFC 9110 §7.6.1) that must hold
/// `upgrade` in any case, each element with optional whitespace (spaces and tabs) around it.
#[test]
fn connection_holds_upgrade_as_a_list_element() {
    let holds = [
        "Upgrade",
        "upgrade",
        "UPGRADE",
        "keep-alive, Upgrade",
        "keep-alive,Upgrade",
        "Upgrade , keep-alive",
        "keep-alive,\tupgrade\t,close",
        ",,upgrade,,",
        "a, b, c, d, e, f, Upgrade",
    ];
    for value in holds {
        let line = format!("Connection: {value}");
        let events = answer(&["Upgrade: websocket", &line]);
        assert!(matches!(events.first(), Some(Ev::Open(None))), "{value:?}: {events:?}");
    }
    let lacks = [
        "keep-alive",
        "keep-alive upgrade",
        "upgrades",
        "xupgrade",
        "upgrade-x",
        "up grade",
        "\"upgrade\"",
        ",",
        "upgradE;q=1",
    ];
    for value in lacks {
        let line = format!("Connection: {value}");
        let events = answer(&["Upgrade: websocket", &line]);
        assert_eq!(events, handshake_error(HandshakeError::InvalidConnection), "{value:?}");
    }
}

/// The chosen subprotocol must be one of those offered, compared exactly (RFC 6455 §4.1: the
/// client's "exact" values), and only one (§4.2.2).
#[test]
fn the_chosen_protocol_is_one_offered_exactly() {
    let offered = ["chat", "superchat", "v2.chat"];
    for chosen in offered {
        let events = answer_offering(&offered, &format!("Sec-WebSocket-Protocol: {chosen}"));
        assert_eq!(events.first(), Some(&Ev::Open(Some(chosen.to_string()))), "{chosen}: {events:?}");
    }
    for chosen in ["Chat", "CHAT", "chat2", "hat", "super", "superchat2", "v2", "chat;"] {
        let events = answer_offering(&offered, &format!("Sec-WebSocket-Protocol: {chosen}"));
        assert_eq!(events, handshake_error(HandshakeError::UnofferedProtocol), "{chosen}");
    }
    for chosen in ["chat, superchat", "chat,chat"] {
        let events = answer_offering(&offered, &format!("Sec-WebSocket-Protocol: {chosen}"));
        assert_eq!(events, handshake_error(HandshakeError::MultipleProtocols), "{chosen}");
    }
}

/// The domain list's IPv6 entries match with or without brackets; half a bracket is part of
/// the name (so it never matches a host).
#[test]
fn domain_list_ipv6_entries_with_or_without_brackets() {
    let config = Config { domain_list: Some(&["[::1]", "2001:db8::1", "[", "]", "[]"]), ..Config::default() };
    assert!(config.allows_host("::1"));
    assert!(config.allows_host("2001:DB8::1"));
    assert!(!config.allows_host("[::1]"), "hosts come without brackets");
    assert!(!config.allows_host("::2"));
    assert!(config.allows_host("["), "`[` alone is a name, compared as written");
    assert!(config.allows_host(""), "`[]` is the empty name");
    let config = Config { domain_list: Some(&["[::1", "::1]"]), ..Config::default() };
    assert!(!config.allows_host("::1"), "only a pair of brackets is taken off");
}

/// Hosts of every label shape, judged in one pass: names, dotted quads, and the
/// all-digit forms that are neither.
#[test]
fn host_kinds() {
    let long_label = "a".repeat(63);
    let too_long_label = "a".repeat(64);
    let long_name = [&long_label[..]; 4].join(".")[..253].to_string();
    let too_long_name = format!("{long_name}a");
    for (host, kind) in [
        ("a", Some(HostKind::Domain)),
        ("A-b_c.D9", Some(HostKind::Domain)),
        ("1a", Some(HostKind::Domain)),
        ("a1.2", Some(HostKind::Domain)),
        (long_label.as_str(), Some(HostKind::Domain)),
        (long_name.as_str(), Some(HostKind::Domain)),
        ("1.2.3.4", Some(HostKind::Ipv4)),
        ("255.255.255.255", Some(HostKind::Ipv4)),
        ("1.2.3", None),
        ("1.2.3.4.", None),
        ("256.1.1.1", None),
        ("01.1.1.1", None),
        ("1..2.3", None),
        ("a..b", None),
        (".a", None),
        ("a.", None),
        ("a.b.", None),
        ("a+b", None),
        ("a%41", None),
        (too_long_label.as_str(), None),
        (too_long_name.as_str(), None),
    ] {
        let url = format!("wss://{host}:9/x");
        let parsed = sockettask::Url::parse(&url);
        match kind {
            Some(kind) => {
                let parsed = parsed.unwrap_or_else(|e| panic!("{host}: {e:?}"));
                assert_eq!((parsed.host(), parsed.host_kind(), parsed.port()), (host, kind, 9), "{host}");
            }
            None => assert_eq!(parsed, Err(UrlError::InvalidHost), "{host}"),
        }
    }
    assert_eq!(sockettask::Url::parse("wss://:9/"), Err(UrlError::MissingHost));
    assert_eq!(sockettask::Url::parse("wss:///"), Err(UrlError::MissingHost));
}

fn handshake_error(e: HandshakeError) -> Vec<Ev> {
    vec![Ev::Error(sockettask::TaskError::Handshake(e))]
}

/// Connects without protocols and answers with the right accept and `lines`.
fn answer(lines: &[&str]) -> Vec<Ev> {
    let mut h = Harness::new();
    let t = h.connect(URL);
    h.respond(t, |key| {
        let accept = format!("Sec-WebSocket-Accept: {}", accept_for(key));
        let mut all = lines.to_vec();
        all.push(&accept);
        response("HTTP/1.1 101 Switching Protocols", &all)
    })
}

/// Connects offering `protocols` and answers with a valid response plus `line`.
fn answer_offering(protocols: &[&str], line: &str) -> Vec<Ev> {
    let mut h = Harness::new();
    let t = h.try_connect(&ConnectOptions::new(URL).protocols(protocols)).unwrap();
    h.respond(t, |key| response_101(key, &[line]))
}
