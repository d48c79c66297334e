//! CONNECTING: `connect`'s refusals (S3), the request (S7), the response checks (S8), the
//! connect timeout (S6) and what a failure before open reports (S12).

mod support;

use std::time::Duration;

use sockettask::Headers;
use sockettask::{
    Config, ConnectError, ConnectOptions, EXCERPT_LEN, FailureEvents, ForbiddenHeaders, Handle,
    HandshakeError, Instant, Limits, ProtocolCheck, ReadyState, Schemes, SendError, TaskError, TlsError,
    TransportError, UrlError,
};
use support::*;

fn handshake_error(e: HandshakeError) -> Vec<Ev> {
    vec![Ev::Error(TaskError::Handshake(e))]
}

/// Connects, answers with `response` (built from the key) and returns the events.
fn answer(h: &mut Harness, response: impl FnOnce(&str) -> Vec<u8>) -> Vec<Ev> {
    let t = h.connect(URL);
    h.respond(t, response)
}

/// A 101 response with `lines`, where `ACCEPT` stands for the right accept header and
/// `PADDED_ACCEPT` for it with whitespace around the value.
fn answer_lines(lines: &[&str]) -> Vec<Ev> {
    answer(&mut Harness::new(), |key| {
        let accept = format!("Sec-WebSocket-Accept: {}", accept_for(key));
        let padded = format!("Sec-WebSocket-Accept: \t {} \t", accept_for(key));
        let lines: Vec<&str> = lines
            .iter()
            .map(|l| match *l {
                "ACCEPT" => accept.as_str(),
                "PADDED_ACCEPT" => padded.as_str(),
                other => other,
            })
            .collect();
        response("HTTP/1.1 101 Switching Protocols", &lines)
    })
}

// ---- the request (S7) ----------------------------------------------------------------------

#[test]
fn request_has_s7_layout() {
    let mut h = Harness::new();
    let options = ConnectOptions::new("wss://example.com/chat?room=1")
        .protocols(&["chat.v2", "chat.v1"])
        .header(&[("x-token", "abc"), ("X-Other", "1 2")]);
    let t = h.try_connect(&options).unwrap();
    assert_eq!(h.state(t), ReadyState::Connecting);
    assert!(h.client.buffered_amount(t) > 0);
    let req = h.request(t);
    assert_eq!(h.client.buffered_amount(t), 0);
    assert_eq!((req.method.as_str(), req.path.as_str(), req.version), ("GET", "/chat?room=1", 1));
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "Upgrade",
            "Connection",
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Protocol",
            "x-token",
            "X-Other"
        ]
    );
    assert_eq!(req.one("host"), "example.com");
    assert_eq!(req.one("upgrade"), "websocket");
    assert_eq!(req.one("connection"), "Upgrade");
    assert_eq!(req.one("sec-websocket-version"), "13");
    assert_eq!(req.one("sec-websocket-protocol"), "chat.v2, chat.v1");
    assert_eq!(req.one("x-token"), "abc");
    assert_eq!(req.one("x-other"), "1 2");
    let mut nonce = [0u8; 32];
    use base64::Engine as _;
    let n = base64::engine::general_purpose::STANDARD.decode_slice(req.key(), &mut nonce).unwrap();
    assert_eq!(n, 16, "the key is 16 random bytes, base64");
    assert_eq!(req.key().len(), 24);
}

#[test]
fn request_host_and_path_forms() {
    let config = Config { schemes: Schemes::AllowInsecure, ..Config::default() };
    for (url, host, path) in [
        ("wss://example.com", "example.com", "/"),
        ("wss://example.com:443/a", "example.com", "/a"),
        ("wss://example.com:8443/a/b?c=d", "example.com:8443", "/a/b?c=d"),
        ("ws://example.com:80/", "example.com", "/"),
        ("ws://example.com:443/", "example.com:443", "/"),
        ("wss://[::1]:9000/x", "[::1]:9000", "/x"),
        ("wss://127.0.0.1/", "127.0.0.1", "/"),
    ] {
        let mut h = Harness::with_config(config);
        let t = h.connect(url);
        let req = h.request(t);
        assert_eq!(req.one("host"), host, "{url}");
        assert_eq!(req.path, path, "{url}");
        assert!(req.all("sec-websocket-protocol").is_empty(), "no protocols, no header");
    }
}

#[test]
fn every_connect_draws_a_fresh_key() {
    let mut h = Harness::new();
    let a = h.connect(URL);
    let b = h.connect(URL);
    let (ka, kb) = (h.request(a).key().to_owned(), h.request(b).key().to_owned());
    assert_ne!(ka, kb);
}

// ---- connect-time refusals (S3) ------------------------------------------------------------

/// A refusal: nothing queued, no events, no task.
fn assert_refused(h: &mut Harness, options: ConnectOptions<'_>, expected: ConnectError, msg: &str) {
    let before: Vec<_> = h.client.handles().map(|t| (t, h.client.buffered_amount(t))).collect();
    let err = h.try_connect(&options).unwrap_err();
    assert_eq!(err, expected);
    assert_eq!(err.err_msg().to_string(), msg);
    let after: Vec<_> = h.client.handles().map(|t| (t, h.client.buffered_amount(t))).collect();
    assert_eq!(after, before, "no task created, nothing queued");
    assert!(h.drain().is_empty(), "no events");
}

#[test]
fn invalid_urls_are_refused() {
    let mut h = Harness::new();
    for (url, reason) in [
        ("example.com/chat", UrlError::MissingScheme),
        ("https://example.com/", UrlError::UnsupportedScheme),
        ("wss:///chat", UrlError::MissingHost),
        ("wss://example.com/#frag", UrlError::Fragment),
        ("ws://example.com/", UrlError::InsecureScheme),
    ] {
        let msg = format!("connectSocket:fail invalid url \"{url}\"");
        assert_refused(
            &mut h,
            ConnectOptions::new(url),
            ConnectError::InvalidUrl { url: url.into(), reason },
            &msg,
        );
    }
}

#[test]
fn a_refusal_outlives_the_options_and_quotes_the_start_of_long_strings() {
    let config = Config { domain_list: Some(&["example.com"]), ..Config::default() };
    let mut h = Harness::with_config(config);
    // Built at run time and dropped before the error is read: the error owns its excerpts.
    let (long_url, bad_url) = {
        let host = format!("{}.example.org", "h".repeat(60));
        let long_url = h.try_connect(&ConnectOptions::new(&format!("wss://{host}/"))).unwrap_err();
        let bad_url = h.try_connect(&ConnectOptions::new(&format!("wss://{host}/a b"))).unwrap_err();
        (long_url, bad_url)
    };
    let ConnectError::NotInDomainList { host } = &long_url else { panic!("{long_url:?}") };
    assert!(host.is_truncated());
    assert_eq!(host.as_str(), "h".repeat(EXCERPT_LEN));
    assert_eq!(long_url.err_msg().to_string(), "connectSocket:fail url not in domain list");
    let kept = format!("wss://{}", "h".repeat(EXCERPT_LEN - 6));
    assert_eq!(bad_url.err_msg().to_string(), format!("connectSocket:fail invalid url \"{kept}…\""));
    assert_eq!(bad_url.to_string(), format!("invalid url \"{kept}…\": invalid character"));
    let bad_value = {
        let name = "x".repeat(100);
        let headers = [(name.as_str(), "a\nb")];
        h.try_connect(&ConnectOptions::new(URL).header(&headers)).unwrap_err()
    };
    let ConnectError::InvalidHeaderValue { name } = bad_value else { panic!("{bad_value:?}") };
    assert_eq!(name.to_string(), format!("{}…", "x".repeat(EXCERPT_LEN)));
    assert!(h.drain().is_empty(), "no events");
}

#[test]
fn ws_is_allowed_only_by_the_insecure_switch() {
    let mut h = Harness::with_config(Config { schemes: Schemes::AllowInsecure, ..Config::default() });
    let t = h.connect("ws://example.com/chat");
    assert_eq!(h.request(t).one("host"), "example.com");
}

#[test]
fn invalid_headers_are_refused() {
    let mut h = Harness::new();
    let bad_name = [("bad name", "v")];
    assert_refused(
        &mut h,
        ConnectOptions::new(URL).header(&bad_name),
        ConnectError::InvalidHeaderName { name: "bad name".into() },
        "connectSocket:fail invalid header",
    );
    for value in ["a\r\nInjected: 1", "a\nb", "a\0b"] {
        let bad_value = [("x-token", value)];
        assert_refused(
            &mut h,
            ConnectOptions::new(URL).header(&bad_value),
            ConnectError::InvalidHeaderValue { name: "x-token".into() },
            "connectSocket:fail invalid header",
        );
    }
}

#[test]
fn forbidden_headers_are_refused_naming_the_header() {
    let mut h = Harness::new();
    for name in [
        "Referer",
        "host",
        "Upgrade",
        "connection",
        "Sec-WebSocket-Key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "Sec-WebSocket-Protocol",
        "content-length",
        "Transfer-Encoding",
    ] {
        let headers = [(name, "x")];
        let msg = format!("connectSocket:fail invalid header \"{name}\" cannot be set");
        assert_refused(
            &mut h,
            ConnectOptions::new(URL).header(&headers),
            ConnectError::ForbiddenHeader { name: name.into() },
            &msg,
        );
    }
}

#[test]
fn forbidden_headers_are_dropped_in_compatibility_mode() {
    let config = Config { forbidden_headers: ForbiddenHeaders::Drop, ..Config::default() };
    let mut h = Harness::with_config(config);
    let headers = [("Referer", "https://x"), ("x-keep", "1"), ("Host", "evil")];
    let t = h.try_connect(&ConnectOptions::new(URL).header(&headers)).unwrap();
    let req = h.request(t);
    assert!(req.all("referer").is_empty());
    assert_eq!(req.all("host"), ["example.com"]);
    assert_eq!(req.one("x-keep"), "1");
}

#[test]
fn domain_list_is_exact() {
    let config = Config { domain_list: Some(&["Example.com", "127.0.0.1"]), ..Config::default() };
    let mut h = Harness::with_config(config);
    for url in ["wss://www.example.com/", "wss://com/", "wss://localhost/", "wss://example.org/"] {
        let host = sockettask::Url::parse(url).unwrap().host();
        assert_refused(
            &mut h,
            ConnectOptions::new(url),
            ConnectError::NotInDomainList { host: host.into() },
            "connectSocket:fail url not in domain list",
        );
    }
    h.connect("wss://EXAMPLE.com:8443/");
    h.connect("wss://127.0.0.1/");
}

#[test]
fn sixth_task_is_refused() {
    let mut h = Harness::new();
    let tasks: Vec<_> = (0..5).map(|_| h.connect(URL)).collect();
    assert_refused(
        &mut h,
        ConnectOptions::new(URL),
        ConnectError::TooManyTasks { limit: 5 },
        "connectSocket:fail exceed max task count",
    );
    // S4: the refusal disturbed nobody.
    for t in tasks {
        assert_eq!(h.state(t), ReadyState::Connecting);
        assert!(h.client.buffered_amount(t) > 0);
    }
}

#[test]
fn refusals_come_in_s3_order() {
    let config = Config { domain_list: Some(&["example.com"]), ..Config::default() };
    let mut h = Harness::with_config(config);
    for _ in 0..5 {
        h.connect(URL);
    }
    let bad = [("bad name", "v")];
    let referer = [("referer", "x")];
    // Everything wrong at once: the URL is reported.
    let url = "ws://other.org/";
    let err = h.try_connect(&ConnectOptions::new(url).header(&bad)).unwrap_err();
    assert_eq!(err, ConnectError::InvalidUrl { url: url.into(), reason: UrlError::InsecureScheme });
    // Then the header's syntax, then forbidden headers, then the domain list, then the count.
    let err = h.try_connect(&ConnectOptions::new("wss://other.org/").header(&bad)).unwrap_err();
    assert_eq!(err, ConnectError::InvalidHeaderName { name: "bad name".into() });
    let err = h.try_connect(&ConnectOptions::new("wss://other.org/").header(&referer)).unwrap_err();
    assert_eq!(err, ConnectError::ForbiddenHeader { name: "referer".into() });
    let err = h.try_connect(&ConnectOptions::new("wss://other.org/")).unwrap_err();
    assert_eq!(err, ConnectError::NotInDomainList { host: "other.org".into() });
    let err = h.try_connect(&ConnectOptions::new(URL)).unwrap_err();
    assert_eq!(err, ConnectError::TooManyTasks { limit: 5 });
}

// ---- success (S8, S10) ---------------------------------------------------------------------

#[test]
fn valid_response_opens_with_headers() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let resp = response_101(&key, &["X-Server: test", "Set-Cookie: a=b"]);
    h.client.handle_input(h.now, t, &resp);
    let (from, event) = h.client.poll_event().expect("open");
    assert_eq!(from, t);
    let sockettask::Event::Open(open) = event else { panic!("expected open, got {event:?}") };
    assert_eq!(open.protocol, None);
    assert_eq!(open.header.get("x-server"), Some(&b"test"[..]));
    assert_eq!(open.header.get("SEC-WEBSOCKET-ACCEPT"), Some(accept_for(&key).as_bytes()));
    let names: Vec<&str> = open.header.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Upgrade", "Connection", "Sec-WebSocket-Accept", "X-Server", "Set-Cookie"]);
    assert!(h.client.poll_event().is_none());
    assert_eq!(h.state(t), ReadyState::Open);
    assert_eq!(h.client.poll_timeout(), None, "the connect timer is off once open");
}

#[test]
fn token_lists_and_case_are_accepted() {
    let events = answer_lines(&["upgrade: WebSocket", "connection: keep-alive, Upgrade", "ACCEPT"]);
    assert_eq!(events, [Ev::Open(None)]);
    let events = answer_lines(&["Upgrade: websocket", "Connection: upgrade", "ACCEPT", "Connection: close"]);
    assert_eq!(events, [Ev::Open(None)]);
}

#[test]
fn chosen_subprotocol_is_reported() {
    let mut h = Harness::new();
    let t = h.try_connect(&ConnectOptions::new(URL).protocols(&["a", "chat"])).unwrap();
    let events = h.respond(t, |key| response_101(key, &["Sec-WebSocket-Protocol: chat"]));
    assert_eq!(events, [Ev::Open(Some("chat".into()))]);
}

#[test]
fn response_and_first_frames_in_one_input() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let mut wire = response_101(&key, &[]);
    wire.extend(text("hello"));
    wire.extend(binary(&[1, 2, 3]));
    wire.extend(ping(b"p"));
    assert_eq!(h.feed(t, &wire), [Ev::Open(None), Ev::text("hello"), Ev::Binary(vec![1, 2, 3])]);
    let pong = h.frames(t);
    assert_eq!(pong.len(), 1);
    assert_eq!((pong[0].opcode, pong[0].payload.as_slice()), (OP_PONG, &b"p"[..]));
}

/// The response and two frames, cut at every byte boundary, and byte by byte, through both
/// input paths: always the same events.
#[test]
fn response_split_anywhere_gives_the_same_events() {
    let wire = |key: &str| {
        let mut w = response_101(key, &["Sec-WebSocket-Protocol: chat"]);
        w.extend(text("héllo wörld"));
        w.extend(frame(OP_TEXT, false, "€".as_bytes()));
        w.extend(ping(b"mid"));
        w.extend(frame(OP_CONT, true, "$".as_bytes()));
        w
    };
    let expected = [Ev::Open(Some("chat".into())), Ev::text("héllo wörld"), Ev::text("€$")].to_vec();
    let options = ConnectOptions::new(URL).protocols(&["chat"]);
    let len = {
        let mut h = Harness::new();
        let t = h.try_connect(&options).unwrap();
        let bytes = wire(h.request(t).key());
        assert_eq!(h.feed(t, &bytes), expected);
        bytes.len()
    };
    for at in 0..=len {
        for in_place in [false, true] {
            let mut h = Harness::new();
            let t = h.try_connect(&options).unwrap();
            let bytes = wire(h.request(t).key());
            let (a, b) = bytes.split_at(at);
            let mut events = if in_place { h.feed_read(t, a) } else { h.feed(t, a) };
            events.extend(if in_place { h.feed_read(t, b) } else { h.feed(t, b) });
            assert_eq!(events, expected, "split at {at}, in place: {in_place}");
        }
    }
    let mut h = Harness::new();
    let t = h.try_connect(&options).unwrap();
    let bytes = wire(h.request(t).key());
    let mut events = Vec::new();
    for byte in bytes.chunks(1) {
        events.extend(h.feed(t, byte));
    }
    assert_eq!(events, expected, "byte by byte");
    let pongs = h.frames(t);
    assert_eq!(pongs.len(), 1);
    assert_eq!(pongs[0].payload, b"mid");
}

/// An open event, owned: the protocol and the headers.
type Opened = (Option<String>, Vec<(String, String)>);

/// Feeds `pieces` through `handle_input` or, `in_place`, through `input_buffer` +
/// `handle_read`, until the open event waits; returns it, owned, and the bytes not taken yet
/// (the event holds the buffer until polled).
fn open_event(h: &mut Harness, t: Handle, pieces: &[&[u8]], in_place: bool) -> (Opened, Vec<u8>) {
    let mut rest = Vec::new();
    for piece in pieces {
        let taken = match rest.is_empty() {
            false => 0,
            true if in_place => {
                let space = h.client.input_buffer(t);
                let n = space.len().min(piece.len());
                space[..n].copy_from_slice(&piece[..n]);
                if n > 0 {
                    h.client.handle_read(h.now, t, n);
                }
                n
            }
            true => h.client.handle_input(h.now, t, piece),
        };
        rest.extend_from_slice(&piece[taken..]);
    }
    let (from, event) = h.client.poll_event().expect("an event");
    assert_eq!(from, t);
    let sockettask::Event::Open(open) = event else { panic!("expected open, got {event:?}") };
    let copy = open.header.as_bytes().to_vec();
    assert_eq!(Headers::new(&copy), open.header, "a copy of the headers reads the same");
    let headers = open.header.iter().map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()));
    ((open.protocol.map(str::to_owned), headers.collect()), rest)
}

/// A response with folded headers (RFC 9112 §5.2 obs-fold), the folds in the checked headers
/// too; `key` is the request's key.
fn folded_response(key: &str) -> Vec<u8> {
    let accept = format!("Sec-WebSocket-Accept:\r\n {}", accept_for(key));
    let lines = [
        "Upgrade:\r\n websocket",
        "Connection: keep-alive,\r\n\tUpgrade",
        accept.as_str(),
        "Sec-WebSocket-Protocol: \r\n chat",
        "X-Long: a\r\n b\n c",
    ];
    response("HTTP/1.1 101 Switching Protocols", &lines)
}

/// The headers [`folded_response`] opens with: unfolded, each fold now spaces.
fn unfolded(key: &str) -> Vec<(String, String)> {
    [
        ("Upgrade", "websocket"),
        ("Connection", "keep-alive,   Upgrade"),
        ("Sec-WebSocket-Accept", accept_for(key).as_str()),
        ("Sec-WebSocket-Protocol", "chat"),
        ("X-Long", "a   b  c"),
    ]
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .to_vec()
}

/// S8: folded header lines are unfolded, not refused; `onOpen` shows the unfolded values.
#[test]
fn folded_headers_open_unfolded() {
    let mut h = Harness::new();
    let t = h.try_connect(&ConnectOptions::new(URL).protocols(&["superchat", "chat"])).unwrap();
    let key = h.request(t).key().to_owned();
    let ((protocol, headers), rest) = open_event(&mut h, t, &[&folded_response(&key)], false);
    assert_eq!(protocol.as_deref(), Some("chat"));
    assert_eq!(headers, unfolded(&key));
    assert!(rest.is_empty());
    assert_eq!(h.state(t), ReadyState::Open);
}

/// The folded response cut at every byte, through both input paths: the same open event,
/// and the frame behind the block intact.
#[test]
fn folded_response_split_anywhere_opens_unfolded() {
    let options = ConnectOptions::new(URL).protocols(&["chat"]);
    let len = folded_response(&"k".repeat(24)).len() + text("after").len();
    for at in 0..=len {
        for in_place in [false, true] {
            let mut h = Harness::new();
            let t = h.try_connect(&options).unwrap();
            let key = h.request(t).key().to_owned();
            let mut wire = folded_response(&key);
            wire.extend(text("after"));
            let (a, b) = wire.split_at(at);
            let (opened, rest) = open_event(&mut h, t, &[a, b], in_place);
            assert_eq!(
                opened,
                (Some("chat".to_owned()), unfolded(&key)),
                "split at {at}, in place: {in_place}"
            );
            assert_eq!(h.client.handle_input(h.now, t, &rest), rest.len());
            let next = h.client.poll_event().map(|(_, event)| format!("{event:?}"));
            assert_eq!(
                next.as_deref(),
                Some("Message(Text(\"after\"))"),
                "split at {at}, in place: {in_place}"
            );
        }
    }
}

/// S8, RFC 6455 §4.1 client rule 2: `Upgrade` is exactly one value, `websocket`.
#[test]
fn upgrade_must_be_websocket_alone() {
    for upgrade in [
        &["Upgrade: websocket, foo"][..],
        &["Upgrade: h2c, websocket"],
        &["Upgrade: websocket", "Upgrade: websocket"],
        &["Upgrade: h2c", "Upgrade: websocket"],
        &["Upgrade:"],
    ] {
        let mut lines = upgrade.to_vec();
        lines.extend(["Connection: Upgrade", "ACCEPT"]);
        assert_eq!(answer_lines(&lines), handshake_error(HandshakeError::InvalidUpgrade), "{upgrade:?}");
    }
    let folded = ["Upgrade:\r\n  WebSocket", "Connection: Upgrade", "ACCEPT"];
    assert_eq!(answer_lines(&folded), [Ev::Open(None)]);
}

/// RFC 9112 §2.2: a whitespace-preceded line right after the status line is rejected.
#[test]
fn whitespace_before_the_first_header_fails() {
    let lines = [" X-Fold: a", "Upgrade: websocket", "Connection: Upgrade", "ACCEPT"];
    assert_eq!(answer_lines(&lines), handshake_error(HandshakeError::Malformed(httparse::Error::HeaderName)));
}

// ---- failures (S8, S12) --------------------------------------------------------------------

#[test]
fn non_101_statuses_fail() {
    for (status, line) in
        [(200, "200 OK"), (301, "301 Moved Permanently"), (404, "404 Not Found"), (500, "500 Oops")]
    {
        let events = answer(&mut Harness::new(), |key| {
            let accept = format!("Sec-WebSocket-Accept: {}", accept_for(key));
            let lines = ["Upgrade: websocket", "Connection: Upgrade", accept.as_str()];
            response(&format!("HTTP/1.1 {line}"), &lines)
        });
        assert_eq!(events, handshake_error(HandshakeError::Status(status)));
    }
}

#[test]
fn http_1_0_fails() {
    let events = answer(&mut Harness::new(), |key| {
        let mut r = response_101(key, &[]);
        r[..8].copy_from_slice(b"HTTP/1.0");
        r
    });
    assert_eq!(events, handshake_error(HandshakeError::Version));
}

#[test]
fn accept_must_be_present_once_and_right() {
    let upgrade = ["Upgrade: websocket", "Connection: Upgrade"];
    assert_eq!(answer_lines(&upgrade), handshake_error(HandshakeError::MissingAccept));
    let wrong = [upgrade[0], upgrade[1], "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="];
    assert_eq!(answer_lines(&wrong), handshake_error(HandshakeError::WrongAccept));
    let twice = [upgrade[0], upgrade[1], "ACCEPT", "ACCEPT"];
    assert_eq!(answer_lines(&twice), handshake_error(HandshakeError::DuplicateAccept));
    let padded = [upgrade[0], upgrade[1], "PADDED_ACCEPT"];
    assert_eq!(answer_lines(&padded), [Ev::Open(None)]);
}

#[test]
fn upgrade_and_connection_are_required() {
    let cases: [(&[&str], HandshakeError); 4] = [
        (&["Connection: Upgrade", "ACCEPT"], HandshakeError::MissingUpgrade),
        (&["Upgrade: h2c", "Connection: Upgrade", "ACCEPT"], HandshakeError::InvalidUpgrade),
        (&["Upgrade: websocket", "ACCEPT"], HandshakeError::MissingConnection),
        (&["Upgrade: websocket", "Connection: keep-alive", "ACCEPT"], HandshakeError::InvalidConnection),
    ];
    for (lines, error) in cases {
        assert_eq!(answer_lines(lines), handshake_error(error), "{lines:?}");
    }
}

#[test]
fn unrequested_extension_fails() {
    let lines = [
        "Upgrade: websocket",
        "Connection: Upgrade",
        "ACCEPT",
        "Sec-WebSocket-Extensions: permessage-deflate",
    ];
    assert_eq!(answer_lines(&lines), handshake_error(HandshakeError::UnofferedExtension));
}

#[test]
fn subprotocol_rules() {
    let run = |check: ProtocolCheck, offered: &[&str], extra: &[&str]| {
        let mut h = Harness::with_config(Config { protocol_check: check, ..Config::default() });
        let t = h.try_connect(&ConnectOptions::new(URL).protocols(offered)).unwrap();
        h.respond(t, |key| response_101(key, extra))
    };
    let strict = ProtocolCheck::Strict;
    assert_eq!(
        run(strict, &[], &["Sec-WebSocket-Protocol: chat"]),
        handshake_error(HandshakeError::UnofferedProtocol)
    );
    assert_eq!(
        run(strict, &["a"], &["Sec-WebSocket-Protocol: b"]),
        handshake_error(HandshakeError::UnofferedProtocol)
    );
    assert_eq!(
        run(strict, &["a", "b"], &["Sec-WebSocket-Protocol: a, b"]),
        handshake_error(HandshakeError::MultipleProtocols)
    );
    assert_eq!(
        run(strict, &["a", "b"], &["Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b"]),
        handshake_error(HandshakeError::MultipleProtocols)
    );
    assert_eq!(run(strict, &["a"], &[]), handshake_error(HandshakeError::MissingProtocol));
    assert_eq!(run(ProtocolCheck::Lenient, &["a"], &[]), [Ev::Open(None)]);
    assert_eq!(
        run(ProtocolCheck::Lenient, &["a"], &["Sec-WebSocket-Protocol: b"]),
        handshake_error(HandshakeError::UnofferedProtocol)
    );
    assert_eq!(run(strict, &["a", "b"], &["Sec-WebSocket-Protocol: b"]), [Ev::Open(Some("b".into()))]);
}

#[test]
fn header_block_over_the_limit_fails() {
    let limits = Limits { max_header_block: 256, ..Limits::default() };
    let config = Config { limits, ..Config::default() };
    let filler = format!("X-Filler: {}", "f".repeat(100));
    // Just under the limit: fine.
    let mut h = Harness::with_config(config);
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let base = response_101(&key, &[]).len();
    let pad = 256 - base - "X-Pad: \r\n".len();
    let fits = response_101(&key, &[&format!("X-Pad: {}", "p".repeat(pad))]);
    assert_eq!(fits.len(), 256);
    assert_eq!(h.feed(t, &fits), [Ev::Open(None)]);
    // One byte more: refused, whether it arrives whole or in pieces.
    for piece in [usize::MAX, 7] {
        let mut h = Harness::with_config(config);
        let t = h.connect(URL);
        let key = h.request(t).key().to_owned();
        let big = response_101(&key, &[&format!("X-Pad: {}", "p".repeat(pad + 1))]);
        let mut events = Vec::new();
        for chunk in big.chunks(piece.min(big.len())) {
            events.extend(h.feed(t, chunk));
        }
        assert_eq!(events, handshake_error(HandshakeError::HeaderBlockTooLarge { limit: 256 }));
        assert_eq!(h.state(t), ReadyState::Closed);
    }
    // A header block that never ends fails once the limit is passed.
    let mut h = Harness::with_config(config);
    let t = h.connect(URL);
    let events = h.feed(t, format!("HTTP/1.1 101 OK\r\n{filler}\r\n{filler}\r\n{filler}\r\n").as_bytes());
    assert_eq!(events, handshake_error(HandshakeError::HeaderBlockTooLarge { limit: 256 }));
}

#[test]
fn eof_mid_header_fails() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let resp = response_101(&key, &[]);
    assert!(h.feed(t, &resp[..resp.len() - 1]).is_empty());
    assert_eq!(h.eof(t), handshake_error(HandshakeError::Eof));
    assert_eq!(h.state(t), ReadyState::Closed);
}

#[test]
fn garbage_response_fails() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let events = h.feed(t, b"\x00\x01garbage\xff\r\n\r\n");
    assert!(
        matches!(events.as_slice(), [Ev::Error(TaskError::Handshake(HandshakeError::Malformed(_)))]),
        "{events:?}"
    );
    let mut h = Harness::new();
    let t = h.connect(URL);
    let events = h.feed(t, b"HTTP/1.1 101\r\nno colon here\r\n\r\n");
    assert!(
        matches!(events.as_slice(), [Ev::Error(TaskError::Handshake(HandshakeError::Malformed(_)))]),
        "{events:?}"
    );
}

/// S12: a failure before open reports one error and no close; the task is CLOSED, its
/// handle refuses everything, and its slot serves the next task.
#[test]
fn failure_before_open_frees_the_slot() {
    let mut h = Harness::with(Config::default(), 1, RX_LEN, TX_LEN);
    let t = h.connect(URL);
    let events = h.respond(t, |_| response("HTTP/1.1 404 Not Found", &["Content-Length: 0"]));
    assert_eq!(events, handshake_error(HandshakeError::Status(404)));
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.send(t, sockettask::Message::Text("x")), Err(SendError::NotOpen(ReadyState::Closed)));
    assert_eq!(h.feed(t, &text("late")), []);
    assert_eq!(h.eof(t), []);
    assert!(h.advance(Duration::from_secs(120)).is_empty(), "no close, no timeout later");
    let next = h.connect(URL);
    assert_eq!(next.slot(), t.slot());
    assert_eq!(next.socket_task_id(), t.socket_task_id() + 1);
    assert_eq!(h.log(t), handshake_error(HandshakeError::Status(404)));
}

#[test]
fn failure_before_open_can_add_close_1006() {
    let config = Config { failure_events: FailureEvents::ErrorThenClose, ..Config::default() };
    let mut h = Harness::with(config, 1, RX_LEN, TX_LEN);
    let t = h.connect(URL);
    let events = h.respond(t, |_| response("HTTP/1.1 500 Oops", &[]));
    assert_eq!(events, [Ev::Error(TaskError::Handshake(HandshakeError::Status(500))), Ev::abnormal()]);
    assert_eq!(h.state(t), ReadyState::Closed);
    h.connect(URL);
    // The same for a timeout and a transport error.
    let mut h = Harness::with(config, 2, RX_LEN, TX_LEN);
    let a = h.connect(URL);
    let b = h.connect(URL);
    assert_eq!(
        h.transport_error(a, TransportError::Tls(TlsError::UnknownIssuer)),
        [Ev::Error(TaskError::Transport(TransportError::Tls(TlsError::UnknownIssuer))), Ev::abnormal()]
    );
    let events = h.advance(Duration::from_secs(60));
    assert_eq!(events, [(b, Ev::Error(TaskError::Timeout)), (b, Ev::abnormal())]);
}

#[test]
fn transport_error_before_open_is_an_error_only() {
    for error in [
        TransportError::Resolve,
        TransportError::Connect,
        TransportError::Tls(TlsError::UnknownIssuer),
        TransportError::Reset,
    ] {
        let mut h = Harness::new();
        let t = h.connect(URL);
        assert_eq!(h.transport_error(t, error), [Ev::Error(TaskError::Transport(error))]);
        assert_eq!(h.state(t), ReadyState::Closed);
        assert_eq!(h.client.poll_timeout(), None);
    }
}

// ---- connect timeout (S6) ------------------------------------------------------------------

fn timeout_after(config: Config, timeout: Option<Duration>) -> Duration {
    let mut h = Harness::with_config(config);
    let mut options = ConnectOptions::new(URL);
    options.timeout = timeout;
    let t = h.try_connect(&options).unwrap();
    let due = h.client.poll_timeout().expect("connect timer armed");
    let expected = due - h.now;
    h.take_tx(t);
    assert!(h.advance_to(Instant::from_micros(due.micros() - 1_000)).is_empty(), "not yet");
    assert_eq!(h.state(t), ReadyState::Connecting);
    assert_eq!(h.advance_to(due), [(t, Ev::Error(TaskError::Timeout))]);
    assert_eq!(h.state(t), ReadyState::Closed);
    assert_eq!(h.client.poll_timeout(), None);
    assert!(h.advance(Duration::from_secs(600)).is_empty());
    expected
}

#[test]
fn connect_timeout_defaults_to_60_s() {
    assert_eq!(timeout_after(Config::default(), None), Duration::from_secs(60));
    assert_eq!(timeout_after(Config::default(), Some(Duration::ZERO)), Duration::from_secs(60));
    assert_eq!(timeout_after(Config::default(), Some(Duration::from_secs(3))), Duration::from_secs(3));
    let config = Config { connect_timeout: Duration::from_secs(7), ..Config::default() };
    assert_eq!(timeout_after(config, None), Duration::from_secs(7));
    assert_eq!(timeout_after(config, Some(Duration::ZERO)), Duration::from_secs(7));
}

#[test]
fn connect_timeout_covers_a_slow_response() {
    let mut h = Harness::new();
    let t = h.try_connect(&ConnectOptions::new(URL).timeout(Duration::from_secs(5))).unwrap();
    let key = h.request(t).key().to_owned();
    let resp = response_101(&key, &[]);
    assert!(h.feed(t, &resp[..20]).is_empty());
    assert!(h.advance(Duration::from_millis(4_999)).is_empty());
    assert_eq!(h.advance(Duration::from_millis(1)), [(t, Ev::Error(TaskError::Timeout))]);
    assert_eq!(h.feed(t, &resp[20..]), [], "bytes after the timeout are dropped");
}

#[test]
fn open_cancels_the_connect_timeout() {
    let mut h = Harness::new();
    let t = h.open();
    assert_eq!(h.client.poll_timeout(), None);
    assert!(h.advance(Duration::from_secs(3600)).is_empty());
    assert_eq!(h.state(t), ReadyState::Open);
}

#[test]
fn eof_right_after_the_response() {
    let mut h = Harness::new();
    let t = h.connect(URL);
    let key = h.request(t).key().to_owned();
    let mut wire = response_101(&key, &[]);
    wire.extend(text("only"));
    assert_eq!(h.client.handle_input(h.now, t, &wire), wire.len());
    h.client.handle_eof(h.now, t);
    assert_eq!(h.events(t), [Ev::Open(None), Ev::text("only"), Ev::abnormal()]);
}

#[test]
fn invalid_protocols_are_refused() {
    let mut h = Harness::new();
    for protocols in [&["chat", "chat"][..], &[""], &["a b"]] {
        let err = h.try_connect(&ConnectOptions::new(URL).protocols(protocols)).unwrap_err();
        assert!(matches!(err, ConnectError::InvalidProtocol { .. }), "{protocols:?}: {err:?}");
        assert_eq!(err.err_msg().to_string(), "connectSocket:fail invalid protocols");
    }
    assert_eq!(h.client.handles().count(), 0);
}

#[test]
fn request_too_large_for_the_send_buffer() {
    let mut h = Harness::with(Config::default(), 1, RX_LEN, 512);
    let value = "v".repeat(600);
    let headers = [("x-big", value.as_str())];
    let err = h.try_connect(&ConnectOptions::new(URL).header(&headers)).unwrap_err();
    assert!(matches!(err, ConnectError::RequestTooLarge { capacity: 512, .. }), "{err:?}");
    assert_eq!(h.client.handles().count(), 0);
    assert_eq!(h.connect(URL).socket_task_id(), 1, "a refused connect uses no id");
}

#[test]
fn buffers_below_the_minimum_are_refused() {
    use sockettask::{Buffers, Client, ConfigError};
    let small = [Buffers::new(vec![0u8; 100], vec![0u8; 4096])];
    let err = Client::<_, _, 5>::new(Config::default(), TestRng::new(1), small).unwrap_err();
    assert!(matches!(err, ConfigError::ReceiveBufferTooSmall { capacity: 100, .. }));
    let small = [Buffers::new(vec![0u8; 4096], vec![0u8; 100])];
    let err = Client::<_, _, 5>::new(Config::default(), TestRng::new(1), small).unwrap_err();
    assert!(matches!(err, ConfigError::SendBufferTooSmall { capacity: 100, .. }));
}

#[test]
fn connect_socket_url_hands_back_the_url_as_parsed() {
    let mut h = Harness::new();
    let url = String::from("wss://[::1]:9443/chat?room=1");
    let (t, parsed) = h.client.connect_socket_url(h.now, &ConnectOptions::new(&url)).unwrap();
    assert_eq!((parsed.scheme(), parsed.host(), parsed.port()), (sockettask::Scheme::Wss, "::1", 9443));
    assert_eq!(parsed.host_kind(), sockettask::HostKind::Ipv6);
    assert_eq!(h.state(t), ReadyState::Connecting);
    let (_, default_port) =
        h.client.connect_socket_url(h.now, &ConnectOptions::new("wss://example.com")).unwrap();
    assert_eq!(default_port.port(), 443);
}
