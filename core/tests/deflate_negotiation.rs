//! CONNECTING with `perMessageDeflate`: the `permessage-deflate` offer in the request (RFC 7692
//! §5, §7.1) and what the answer does to the handshake (RFC 7692 §7, S8), through the public
//! API: `ConnectOptions::per_message_deflate`, `Client::connect_socket`, `transmit_data`,
//! `handle_input`.
//!
//! Every expectation is the RFC's.

// Offering needs the core's `deflate` feature; without it the offer is refused at connect
// (`core/tests/deflate_not_built.rs`).
#![cfg(feature = "deflate")]

mod support;

use sockettask::{
    Config, ConnectError, ConnectOptions, ForbiddenHeaders, HandshakeError, ReadyState, TaskError,
};
use support::*;

/// Options for [`URL`] offering `permessage-deflate` with the given fields set, e.g.
/// `offering!(server_max_window_bits: Some(10))`.
macro_rules! offering {
    () => {
        ConnectOptions::new(URL).per_message_deflate(Default::default())
    };
    ($($field:ident: $value:expr),+ $(,)?) => {{
        let mut options = ConnectOptions::new(URL).per_message_deflate(Default::default());
        let offer = options.per_message_deflate.as_mut().expect("just set");
        $(offer.$field = $value;)+
        options
    }};
}

/// Connects with `options`, answers with a 101 carrying `extra` lines; the events.
fn answer(options: &ConnectOptions<'_>, extra: &[&str]) -> (Vec<Ev>, ReadyState) {
    let mut h = Harness::new();
    let t = h.try_connect(options).expect("connect");
    let events = h.respond(t, |key| response_101(key, extra));
    (events, h.state(t))
}

/// The values of every `Sec-WebSocket-Extensions` line of the request `options` make.
fn offered_extensions(options: &ConnectOptions<'_>, config: Config) -> Vec<String> {
    let mut h = Harness::with_config(config);
    let t = h.try_connect(options).expect("connect");
    h.request(t).all("sec-websocket-extensions").into_iter().map(str::to_owned).collect()
}

fn is_handshake_error(events: &[Ev]) -> bool {
    matches!(events, [Ev::Error(TaskError::Handshake(_))])
}

// ---- the option ------------------------------------------------------------------------------

/// Issue 12: off by default; the builder sets it, and its default asks for nothing.
#[test]
fn the_option_is_off_by_default() {
    assert_eq!(ConnectOptions::new(URL).per_message_deflate, None);
    let options = ConnectOptions::new(URL).protocols(&["chat"]).per_message_deflate(Default::default());
    let offer = options.per_message_deflate.expect("set");
    assert_eq!(
        (
            offer.server_no_context_takeover,
            offer.client_no_context_takeover,
            offer.server_max_window_bits,
            offer.client_max_window_bits
        ),
        (false, false, None, None)
    );
    assert!(offer.validate().is_ok());
    assert_eq!(options.protocols, ["chat"], "the other options stay");
}

/// RFC 7692 §7.1.2.1, §7.1.2.2: a window size is 8 to 15; anything else is the caller's
/// mistake, named in words.
#[test]
fn window_sizes_outside_8_to_15_are_refused() {
    for bits in 8..=15 {
        let options = offering!(server_max_window_bits: Some(bits), client_max_window_bits: Some(bits));
        assert!(options.per_message_deflate.unwrap().validate().is_ok(), "{bits}");
    }
    for bits in [0, 7, 16, 255] {
        let offer = offering!(server_max_window_bits: Some(bits)).per_message_deflate.unwrap();
        let error = offer.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("perMessageDeflate server_max_window_bits {bits} is not between 8 and 15")
        );
        let offer = offering!(client_max_window_bits: Some(bits)).per_message_deflate.unwrap();
        let error = offer.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("perMessageDeflate client_max_window_bits {bits} is not between 8 and 15")
        );
    }
}

// ---- the request (RFC 7692 §5, S3.3) ---------------------------------------------------------

/// S8: without the option no extension is offered.
#[test]
fn no_offer_without_the_option() {
    assert_eq!(offered_extensions(&ConnectOptions::new(URL), Config::default()), Vec::<String>::new());
}

/// S3.3: the caller cannot write `Sec-WebSocket-Extensions` itself, offer or not.
#[test]
fn a_caller_extensions_header_is_refused_with_an_offer() {
    let mut h = Harness::new();
    for name in ["Sec-WebSocket-Extensions", "sec-websocket-extensions"] {
        let header = [(name, "permessage-deflate; server_max_window_bits=8")];
        let error = h.try_connect(&offering!().header(&header)).unwrap_err();
        assert_eq!(error, ConnectError::ForbiddenHeader { name: name.into() });
    }
}

/// S3.3 in `Drop` mode: the caller's line is left out; the request never has more than the
/// one line the offer writes.
#[test]
fn a_caller_extensions_header_is_dropped_with_an_offer() {
    let config = Config { forbidden_headers: ForbiddenHeaders::Drop, ..Config::default() };
    let header = [("Sec-WebSocket-Extensions", "x-caller")];
    let lines = offered_extensions(&offering!().header(&header), config);
    assert!(lines.len() <= 1, "{lines:?}");
    assert!(lines.iter().all(|line| line.starts_with("permessage-deflate")), "{lines:?}");
}

/// RFC 7692 §5: the offer is the extension's name in `Sec-WebSocket-Extensions`. The plain
/// offer is the browsers': a bare `client_max_window_bits` says the client supports the
/// parameter in an answer (§7.1.2.2). It comes after the protocols, before the caller's
/// headers (S7).
#[test]
fn the_request_offers_permessage_deflate() {
    let mut h = Harness::new();
    let options = offering!().protocols(&["chat"]).header(&[("X-Token", "t")]);
    let t = h.try_connect(&options).unwrap();
    let request = h.request(t);
    assert_eq!(request.one("sec-websocket-extensions"), "permessage-deflate; client_max_window_bits");
    let names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[5..], ["Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "X-Token"]);
}

/// RFC 7692 §7.1: every parameter set is offered; window sizes in decimal (§7.1.2.1).
#[test]
fn the_request_carries_every_parameter() {
    let options = offering!(
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: Some(9),
        client_max_window_bits: Some(12),
    );
    assert_eq!(
        offered_extensions(&options, Config::default()),
        ["permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
          server_max_window_bits=9; client_max_window_bits=12"]
    );
    let options = offering!(server_max_window_bits: Some(10));
    assert_eq!(
        offered_extensions(&options, Config::default()),
        ["permessage-deflate; server_max_window_bits=10; client_max_window_bits"]
    );
}

/// S3: an offer with a window outside 8 to 15 is refused before anything is sent.
#[test]
fn an_invalid_offer_is_refused_at_connect() {
    let mut h = Harness::new();
    assert!(h.try_connect(&offering!(server_max_window_bits: Some(16))).is_err());
    assert!(h.try_connect(&offering!(client_max_window_bits: Some(7))).is_err());
    assert!(h.drain().is_empty(), "no task, no event");
}

// ---- the answer (RFC 7692 §5, §7, §7.1) -------------------------------------------------------

/// RFC 7692 §5: a server that does not name the extension declines it; the connection opens
/// uncompressed.
#[test]
fn a_declined_offer_opens() {
    assert_eq!(answer(&offering!(), &[]), (vec![Ev::Open(None)], ReadyState::Open));
    assert_eq!(
        answer(&offering!(), &["Sec-WebSocket-Extensions:"]),
        (vec![Ev::Open(None)], ReadyState::Open)
    );
}

/// RFC 7692 §7.1: answers a conforming server may give to each offer open the connection.
#[test]
fn accepted_offers_open() {
    let cases = [
        (offering!(), "permessage-deflate"),
        (offering!(), "permessage-deflate; server_no_context_takeover"),
        (offering!(), "permessage-deflate; client_max_window_bits=9; server_max_window_bits=\"12\""),
        (offering!(server_max_window_bits: Some(10)), "permessage-deflate; server_max_window_bits=10"),
        (offering!(server_max_window_bits: Some(10)), "permessage-deflate; server_max_window_bits=8"),
        (offering!(server_no_context_takeover: true), "permessage-deflate;server_no_context_takeover"),
        (offering!(client_max_window_bits: Some(10)), "permessage-deflate; client_max_window_bits=12"),
        (offering!(client_no_context_takeover: true), "permessage-deflate"),
    ];
    for (options, line) in cases {
        let extension = format!("Sec-WebSocket-Extensions: {line}");
        assert_eq!(answer(&options, &[&extension]), (vec![Ev::Open(None)], ReadyState::Open), "{line}");
    }
}

/// RFC 6455 §4.1 (S8): an extension that was not offered fails the handshake, offer or not.
#[test]
fn an_unoffered_extension_fails_with_an_offer() {
    for line in ["x-webkit-deflate-frame", "permessage-deflate, x-custom", "Permessage-Deflate"] {
        let extension = format!("Sec-WebSocket-Extensions: {line}");
        let (events, state) = answer(&offering!(), &[&extension]);
        assert_eq!(events, [Ev::Error(TaskError::Handshake(HandshakeError::UnofferedExtension))], "{line}");
        assert_eq!(state, ReadyState::Closed, "S12");
    }
}

/// RFC 7692 §5, §7, §7.1: answers a client MUST fail the connection on.
#[test]
fn broken_answers_fail_the_handshake() {
    let cases = [
        // §5: permessage-deflate twice.
        (offering!(), "permessage-deflate, permessage-deflate"),
        // §7: a parameter not defined for a response, twice, or with an invalid value.
        (offering!(), "permessage-deflate; x-unknown"),
        (offering!(), "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
        (offering!(), "permessage-deflate; server_no_context_takeover=1"),
        (offering!(), "permessage-deflate; server_max_window_bits=16"),
        (offering!(), "permessage-deflate; server_max_window_bits=010"),
        (offering!(), "permessage-deflate; client_max_window_bits"),
        // §7.1.1.1: asked for, the server must answer server_no_context_takeover.
        (offering!(server_no_context_takeover: true), "permessage-deflate"),
        // §7.1.2.1: asked for, the server must answer server_max_window_bits, at most the offer.
        (offering!(server_max_window_bits: Some(10)), "permessage-deflate"),
        (offering!(server_max_window_bits: Some(10)), "permessage-deflate; server_max_window_bits=11"),
        // RFC 6455 §9.1: not an extension list.
        (offering!(), "permessage-deflate;"),
    ];
    for (options, line) in cases {
        let extension = format!("Sec-WebSocket-Extensions: {line}");
        let (events, state) = answer(&options, &[&extension]);
        assert!(is_handshake_error(&events), "{line}: {events:?}");
        assert_eq!(state, ReadyState::Closed, "{line}: S12");
    }
}
